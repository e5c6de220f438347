//! Shared by the bench targets: corpora, the peers' methods re-created, and the measured workloads.
pub mod corpus;
pub mod kernels;
pub mod peers;
