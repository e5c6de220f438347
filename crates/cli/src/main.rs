//! The `ftpkit` command (being written).
fn main() {}
