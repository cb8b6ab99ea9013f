//! The local runner: the Docker Engine adapter (bollard) and the orchestrator
//! behind `parity up`, `down`, `ps` and `logs`.
