//! The tokio FTP server (being written): a drive loop over `ftpkit_proto::session::server`.

pub mod fs;
