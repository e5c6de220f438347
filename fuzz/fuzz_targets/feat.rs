#![no_main]
// Invariants: see `check_feat` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_feat(data));
