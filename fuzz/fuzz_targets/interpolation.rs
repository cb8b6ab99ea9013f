#![no_main]
//! `cargo fuzz run interpolation`: see parity_fuzz::interpolation.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::interpolation(data));
