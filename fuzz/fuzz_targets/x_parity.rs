#![no_main]
//! `cargo fuzz run x_parity`: see parity_fuzz::x_parity.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::x_parity(data));
