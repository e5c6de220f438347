#![no_main]
// Invariants: see `check_proxy_header` in crates/proto/src/fuzzing.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ftpkit_proto::fuzzing::check_proxy_header(data));
