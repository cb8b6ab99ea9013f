//! The command-line contract: help, exit codes, commands not yet available.

use crate::support::Test;

#[test]
fn every_command_has_help() {
    for command in [
        "config", "up", "down", "ps", "logs", "plan", "secrets", "deploy", "promote", "rollback",
        "status",
    ] {
        Test::new()
            .args([command, "--help"])
            .run()
            .status(0)
            .stdout_contains("Usage: parity");
    }
}

#[test]
fn unknown_command_is_bad_input() {
    Test::new()
        .args(["frobnicate"])
        .run()
        .status(2)
        .stderr_contains("frobnicate");
}
