#![no_main]
//! `cargo fuzz run dotenv`: see parity_fuzz::dotenv.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::dotenv(data));
