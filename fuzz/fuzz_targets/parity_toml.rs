#![no_main]
//! `cargo fuzz run parity_toml`: see parity_fuzz::parity_toml.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::parity_toml(data));
