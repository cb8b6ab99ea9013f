//! Stands in for parity's `src/redact.rs`: the same functions the readers
//! call, recording nothing. The real module keeps a process-wide record of
//! every interpolated value, which over millions of fuzz inputs would grow
//! without bound (libFuzzer would report the growth as running out of
//! memory); scrubbing output is not what these targets fuzz.

pub(crate) fn interpolated(_name: &str, _value: &str) {}

pub(crate) fn declare_secret(_name: &str) {}

pub(crate) fn secret_value(_name: &str, _value: &str) {}
