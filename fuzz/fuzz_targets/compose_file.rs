#![no_main]
//! `cargo fuzz run compose_file`: see parity_fuzz::compose_file.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::compose_file(data));
