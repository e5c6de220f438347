#![no_main]
// Invariants: see `check_path_257` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_path_257(data));
