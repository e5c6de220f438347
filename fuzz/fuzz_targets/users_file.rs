#![no_main]
// Invariants: see `check_users_file` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_users_file(data));
