//! Behaviour of `parity.toml` loading: defaults, accessors and the errors a
//! user sees for bad input (always exit 2 with file:line:col).

use std::path::Path;

use super::*;
use crate::error::ErrorKind;

fn parse_ok(text: &str) -> Settings {
    parse(text, Path::new("parity.toml")).unwrap_or_else(|e| panic!("parse failed: {e}"))
}

fn parse_err(text: &str) -> crate::error::Error {
    match parse(text, Path::new("parity.toml")) {
        Ok(_) => panic!("expected an error"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Input, "{e}");
            e
        }
    }
}

const MINIMAL: &str = r#"
app = "shop"
[environments.staging]
region = "eu-west-1"
account_id = "123456789012"
"#;

#[test]
fn the_readme_example_parses() {
    let settings = parse_ok(EXAMPLE);
    assert_eq!(settings.app(), "shop");
    let names: Vec<&str> = settings.environment_names().collect();
    assert_eq!(names, ["staging", "prod"]);
    let staging = settings.environment("staging").unwrap();
    assert_eq!(staging.desired_count("web"), Some(2));
    let lb = staging.load_balancer("web").unwrap();
    assert_eq!(*lb.container_port.get_ref(), 3000);
    assert_eq!(lb.grace_period, Some(Seconds(30)));
    assert_eq!(
        settings.environment("prod").unwrap().promotes_from(),
        Some("staging")
    );
}

#[test]
fn defaults_derive_from_app_and_environment_names() {
    let settings = parse_ok(MINIMAL);
    let staging = settings.environment("staging").unwrap();
    assert_eq!(staging.cluster(), "shop-staging");
    assert_eq!(staging.ssm_prefix(), "/shop/staging/");
    assert_eq!(staging.log_group(), "/shop/staging");
    assert_eq!(staging.service_name("web"), "shop-web");
    assert_eq!(staging.family("web"), "shop-staging-web");
    assert_eq!(
        staging.registry("123456789012"),
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    );
    assert!(!staging.assign_public_ip);
    assert_eq!(staging.deploy().minimum_healthy_percent(), 100);
    assert_eq!(staging.deploy().maximum_percent(), 200);
    assert!(staging.deploy().circuit_breaker());
    assert_eq!(staging.deploy().wait_timeout(), 600);
    assert_eq!(staging.architecture(), "X86_64");
}

#[test]
fn ssm_arn_never_doubles_the_slash() {
    let settings = parse_ok(MINIMAL);
    let staging = settings.environment("staging").unwrap();
    assert_eq!(
        staging.ssm_parameter_arn("123456789012", "API_KEY"),
        "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/staging/API_KEY"
    );
    let custom = parse_ok(&format!("{MINIMAL}ssm_prefix = \"/custom/path\"\n"));
    let staging = custom.environment("staging").unwrap();
    assert_eq!(staging.ssm_parameter_name("X"), "/custom/path/X");
    assert_eq!(
        staging.ssm_parameter_arn("123456789012", "X"),
        "arn:aws:ssm:eu-west-1:123456789012:parameter/custom/path/X"
    );
}

#[test]
fn environments_inherit_top_level_deploy_knobs() {
    let settings = parse_ok(
        r#"
app = "shop"
deploy = { stop_timeout = "45s", maximum_percent = 150 }
notify_webhook = "https://hooks.example/x"
[environments.staging]
region = "eu-west-1"
deploy = { maximum_percent = 180, circuit_breaker = false }
"#,
    );
    let staging = settings.environment("staging").unwrap();
    assert_eq!(staging.deploy().stop_timeout(), Some(45));
    assert_eq!(staging.deploy().maximum_percent(), 180);
    assert!(!staging.deploy().circuit_breaker());
    assert_eq!(staging.notify_webhook(), Some("https://hooks.example/x"));
}

#[test]
fn unknown_key_is_an_error_with_line_and_column() {
    let err = parse_err(&format!("{MINIMAL}clustr = \"x\"\n"));
    assert!(
        err.message().contains("unknown field `clustr`"),
        "{}",
        err.message()
    );
    let location = err.location().unwrap();
    assert_eq!((location.line, location.column), (6, 1));
}

#[test]
fn wrong_type_is_an_error_with_line_and_column() {
    let err = parse_err(&format!("{MINIMAL}assign_public_ip = \"yes\"\n"));
    let location = err.location().unwrap();
    assert_eq!(location.line, 6);
    assert!(
        err.message().contains("bool") || err.message().contains("boolean"),
        "{}",
        err.message()
    );
}

#[test]
fn unknown_key_in_a_service_table_is_an_error() {
    let err = parse_err(&format!(
        "{MINIMAL}[environments.staging.services.web]\ndesired = 2\n"
    ));
    assert!(
        err.message().contains("unknown field `desired`"),
        "{}",
        err.message()
    );
    assert_eq!(err.location().unwrap().line, 7);
}

#[test]
fn missing_region_is_an_error() {
    let err = parse_err("app = \"shop\"\n[environments.staging]\ncluster = \"c\"\n");
    assert!(err.message().contains("region"), "{}", err.message());
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    let settings = parse_ok(EXAMPLE);
    let err = settings.environment("stagin").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.message().contains("staging, prod"), "{}", err.message());
    assert!(format!("{err:?}").contains("did you mean `staging`"));
}

#[test]
fn account_id_must_be_twelve_digits() {
    let err = parse_err(
        "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\naccount_id = \"1234\"\n",
    );
    assert!(err.message().contains("12 digits"));
    assert_eq!(err.location().unwrap().line, 4);
}

#[test]
fn fargate_stop_timeout_ceiling_is_enforced() {
    let err = parse_err(&format!("{MINIMAL}deploy = {{ stop_timeout = 300 }}\n"));
    assert!(
        err.message().contains("deploy.stop_timeout"),
        "{}",
        err.message()
    );
}

#[test]
fn promotes_from_must_name_a_known_environment() {
    let err = parse_err(&format!(
        "{MINIMAL}[environments.prod]\nregion = \"eu-west-1\"\npromotes_from = \"stage\"\n"
    ));
    assert!(
        err.message().contains("unknown environment `stage`"),
        "{}",
        err.message()
    );
    assert_eq!(err.location().unwrap().line, 8);
}

#[test]
fn promotion_cycles_are_refused() {
    let err = parse_err(
        "app = \"a\"\n[environments.x]\nregion = \"eu-west-1\"\npromotes_from = \"y\"\n[environments.y]\nregion = \"eu-west-1\"\npromotes_from = \"x\"\n",
    );
    assert!(err.message().contains("cycle"), "{}", err.message());
}

#[test]
fn pipeline_orders_sources_before_targets() {
    let settings = parse_ok(
        "app = \"a\"\n[environments.prod]\nregion = \"eu-west-1\"\npromotes_from = \"staging\"\n[environments.staging]\nregion = \"eu-west-1\"\n",
    );
    let order: Vec<&str> = settings.pipeline().iter().map(|e| e.name()).collect();
    assert_eq!(order, ["staging", "prod"]);
    assert_eq!(
        settings.promotes_to("staging").map(Environment::name),
        Some("prod")
    );
}

#[test]
fn two_environments_on_one_ecs_service_are_refused() {
    let text = "app = \"a\"\n[environments.staging]\nregion = \"eu-west-1\"\ncluster = \"shared\"\n[environments.prod]\nregion = \"eu-west-1\"\ncluster = \"shared\"\n";
    let settings = parse_ok(text);
    let err = settings.check_service_names(["web"]).unwrap_err();
    assert!(err.message().contains("`a-web`"), "{}", err.message());
    // Distinct names make the same cluster fine.
    let settings = parse_ok(&format!(
        "{text}[environments.prod.services.web]\nname = \"a-prod-web\"\n"
    ));
    settings.check_service_names(["web"]).unwrap();
}

#[test]
fn explicit_duplicate_service_names_are_refused_at_load() {
    let err = parse_err(
        "app = \"a\"\n[environments.staging]\nregion = \"eu-west-1\"\ncluster = \"c\"\nservices.web.name = \"x\"\nservices.api.name = \"x\"\n",
    );
    assert!(err.message().contains("claimed twice"), "{}", err.message());
    assert_eq!(err.location().unwrap().line, 6);
}

#[test]
fn durations_accept_integers_and_strings_but_not_fractions() {
    let settings = parse_ok(&format!("{MINIMAL}deploy = {{ wait_timeout = \"10m\" }}\n"));
    assert_eq!(
        settings
            .environment("staging")
            .unwrap()
            .deploy()
            .wait_timeout(),
        600
    );
    let err = parse_err(&format!(
        "{MINIMAL}deploy = {{ wait_timeout = \"1.5s\" }}\n"
    ));
    assert!(
        err.message().contains("whole number of seconds"),
        "{}",
        err.message()
    );
}

#[test]
fn missing_file_explains_how_to_write_one() {
    let err = load(Path::new("/nonexistent/parity.toml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(format!("{err:?}").contains("[environments.staging]"));
}
