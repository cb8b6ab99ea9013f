//! `parity secrets sync|list` against a private moto_server per test.

use crate::support::moto::Moto;

#[test]
fn moto_harness_serves_parameter_store() {
    let moto = Moto::start();
    moto.ssm()
        .put("/harness/check/A", "value-a", &[("app", "harness")]);
    let parameters = moto.ssm().parameters("/harness/");
    let a = &parameters["/harness/check/A"];
    assert_eq!(a.value, "value-a");
    assert_eq!(a.version, 1);
    assert_eq!(a.kind, "SecureString");
    assert_eq!(a.tags.get("app").map(String::as_str), Some("harness"));
}
