#![no_main]
//! `cargo fuzz run compose_project`: see parity_fuzz::compose_project.

libfuzzer_sys::fuzz_target!(|data: &[u8]| parity_fuzz::compose_project(data));
