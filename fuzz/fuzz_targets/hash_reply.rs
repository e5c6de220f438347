#![no_main]
// Invariants: see `check_hash_reply` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_hash_reply(data));
