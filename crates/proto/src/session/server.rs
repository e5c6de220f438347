//! The server session (being written).
