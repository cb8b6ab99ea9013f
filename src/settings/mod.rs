//! `parity.toml`: the environments (staging, prod, ...) and how the compose
//! services map onto each one's AWS account. Pure: parsing and validation only.
//! Secret values never live in this file.
