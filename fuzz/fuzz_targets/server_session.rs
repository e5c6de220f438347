#![no_main]
// Invariants: see `check_server_session` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_server_session(data));
