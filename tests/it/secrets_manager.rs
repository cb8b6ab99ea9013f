//! `secrets_store = "secretsmanager"`: `secrets sync|list` on secrets named
//! `<app>/<env>/NAME` in moto's Secrets Manager (tags, versions, recovery
//! windows), references to secrets parity does not own (never written or
//! pruned; deploy's preflight names a missing one), and bad settings or
//! references as located bad input.

use std::collections::BTreeMap;

use crate::support::Test;
use crate::support::moto::Moto;
use crate::support::secretsmanager::Secret;

const COMPOSE: &str = r#"
services:
  web:
    image: example/web
    x-parity:
      secrets:
        API_KEY: true
        DATABASE_URL: true
        DB_PASSWORD: "secretsmanager:rds!db-abc123:password"
        STRIPE_KEY: "ssm:/shared/stripe/key"
  worker:
    image: example/worker
    x-parity:
      secrets: [API_KEY]
"#;

const TOML: &str = r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
secrets_store = "secretsmanager"
"#;

const PREFIX: &str = "shop/staging/";

fn project(moto: &Moto, dotenv: &str) -> Test {
    Test::new()
        .aws(moto)
        .compose(COMPOSE)
        .toml(TOML)
        .file(".env.staging", dotenv)
}

fn flat(text: &str) -> String {
    text.replace(['│', '×', '╭', '╰', '─'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_flat(run: &crate::support::Run, needle: &str) {
    assert!(
        flat(&run.stderr()).contains(needle),
        "stderr lacks {needle:?}:\n{}",
        run.stderr()
    );
}

/// The variables' secrets (parity's fingerprint key left out).
fn variables(moto: &Moto) -> BTreeMap<String, Secret> {
    moto.secrets()
        .all(PREFIX)
        .into_iter()
        .filter(|(name, _)| !name.contains("_parity/"))
        .collect()
}

fn values(secrets: &BTreeMap<String, Secret>) -> BTreeMap<&str, Option<&str>> {
    secrets
        .iter()
        .map(|(name, s)| (name.as_str(), s.value.as_deref()))
        .collect()
}

#[test]
fn sync_creates_tagged_secrets_with_a_fingerprint_that_is_not_the_value() {
    let moto = Moto::start();
    let run = project(
        &moto,
        "API_KEY=key-value-1\nDATABASE_URL=postgres://u:p@rds/app\nDB_PASSWORD=local-only-pw\n",
    )
    .args(["secrets", "sync", "staging"])
    .run()
    .status(0)
    .stdout_contains("Secrets for staging: Secrets Manager shop/staging/* in eu-west-1")
    .stdout_contains("+ API_KEY")
    .stdout_contains("+ DATABASE_URL")
    .stdout_contains("Plan: 2 to add, 0 to change, 0 to remove, 0 unchanged.")
    .stdout_contains("Wrote 2 secrets and removed 0 secrets.")
    .stdout_contains("web (API_KEY, DATABASE_URL), worker (API_KEY)")
    // A reference's local value is for `up --like`; the secret is not parity's.
    .stderr_contains("DB_PASSWORD")
    .stderr_contains("not written")
    .never_prints("key-value-1")
    .never_prints("postgres://u:p@rds/app")
    .never_prints("local-only-pw");
    assert!(run.stdout().contains("+ API_KEY"));
    let secrets = variables(&moto);
    assert_eq!(
        values(&secrets),
        BTreeMap::from([
            ("shop/staging/API_KEY", Some("key-value-1")),
            ("shop/staging/DATABASE_URL", Some("postgres://u:p@rds/app")),
        ])
    );
    for secret in secrets.values() {
        assert_eq!(secret.tags["parity:app"], "shop");
        assert_eq!(secret.tags["parity:environment"], "staging");
        let fingerprint = &secret.tags["parity:fingerprint"];
        let (version, hmac) = fingerprint.split_once(':').expect("version:hmac");
        assert_eq!(Some(version), secret.version.as_deref());
        assert_eq!(hmac.len(), 64);
        assert!(hmac.chars().all(|c| c.is_ascii_hexdigit()));
    }
    // The key the fingerprints are made with is parity's own, tagged, never a variable.
    let key = &moto.secrets().all(PREFIX)["shop/staging/_parity/fingerprint-key"];
    assert_eq!(key.tags["parity:app"], "shop");
}

#[test]
fn a_second_sync_writes_nothing_and_a_changed_value_rewrites_only_that_secret() {
    let moto = Moto::start();
    let dotenv = "API_KEY=k1\nDATABASE_URL=d1\n";
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 2 secrets");
    let before = moto.secrets().everything();
    project(&moto, dotenv)
        .args(["-v", "secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Plan: 0 to add, 0 to change, 0 to remove, 2 unchanged.")
        .stdout_contains("Nothing to write: Secrets Manager already holds these values.")
        .stderr_contains("AWS API calls:")
        // Compared without reading a value: only the fingerprint key is read.
        .never_prints("PutSecretValue")
        .never_prints("CreateSecret")
        .never_prints("TagResource");
    assert_eq!(
        moto.secrets().everything(),
        before,
        "a no-op sync changed moto"
    );

    project(&moto, "API_KEY=k1\nDATABASE_URL=d2\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("~ DATABASE_URL")
        .stdout_contains("change (value)")
        .stdout_contains("= API_KEY")
        .stdout_contains("Wrote 1 secret and removed 0 secrets.")
        .never_prints("d2");
    let after = variables(&moto);
    assert_eq!(
        after["shop/staging/API_KEY"].version,
        before["shop/staging/API_KEY"].version
    );
    assert_ne!(
        after["shop/staging/DATABASE_URL"].version,
        before["shop/staging/DATABASE_URL"].version
    );
    assert_eq!(
        after["shop/staging/DATABASE_URL"].value.as_deref(),
        Some("d2")
    );
}

#[test]
fn a_value_changed_by_hand_is_noticed_and_rewritten() {
    let moto = Moto::start();
    let dotenv = "API_KEY=k1\nDATABASE_URL=d1\n";
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 2 secrets");
    // Someone changes the value in the console: its version no longer carries parity's fingerprint.
    moto.secrets().put_value("shop/staging/API_KEY", "by-hand");
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("~ API_KEY")
        .stdout_contains("= DATABASE_URL")
        .stdout_contains("Wrote 1 secret");
    assert_eq!(
        variables(&moto)["shop/staging/API_KEY"].value.as_deref(),
        Some("k1")
    );
}

#[test]
fn prune_deletes_only_parity_s_secrets_with_a_recovery_window_and_re_adding_restores() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\nOLD_TOKEN=old\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 3 secrets");
    moto.secrets()
        .create("shop/staging/HAND_MADE", "manual", &[]);
    let dotenv = "API_KEY=k\nDATABASE_URL=d\n";
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("OLD_TOKEN")
        .stdout_contains("keep (not in the file)")
        .stdout_contains("Nothing to write");
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging", "--prune"])
        .run()
        .status(0)
        .stdout_contains("- OLD_TOKEN")
        .stdout_contains("remove")
        .stdout_contains("HAND_MADE")
        .stdout_contains("keep (not tagged as parity's)")
        .stdout_contains("Wrote 0 secrets and removed 1 secret.")
        .stdout_contains("can be restored for 7 days");
    let secrets = variables(&moto);
    assert!(secrets["shop/staging/OLD_TOKEN"].deleted, "{secrets:?}");
    assert!(!secrets["shop/staging/HAND_MADE"].deleted);
    // A scheduled deletion is gone for the plan: nothing more to prune.
    project(&moto, dotenv)
        .args(["secrets", "sync", "staging", "--prune"])
        .run()
        .status(0)
        .stdout_contains("Nothing to write");
    // Back in the file: restored, with the file's value.
    project(&moto, "API_KEY=k\nDATABASE_URL=d\nOLD_TOKEN=newer\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("+ OLD_TOKEN")
        .stdout_contains("Wrote 1 secret");
    let old = &variables(&moto)["shop/staging/OLD_TOKEN"];
    assert!(!old.deleted);
    assert_eq!(old.value.as_deref(), Some("newer"));
    // And removed for good without a recovery window when asked.
    project(&moto, dotenv)
        .args([
            "secrets",
            "sync",
            "staging",
            "--prune",
            "--force-delete-without-recovery",
        ])
        .run()
        .status(0)
        .stdout_contains("removed 1 secret")
        .never_prints("can be restored");
    assert!(!variables(&moto).contains_key("shop/staging/OLD_TOKEN"));
}

#[test]
fn a_removal_failing_midway_names_what_was_and_was_not_done() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\nA_OLD=a\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 3 secrets");
    // A replicated secret cannot be deleted until its replica is removed.
    moto.secrets().create_replicated(
        "shop/staging/Z_REPLICATED",
        "z",
        &[("parity:app", "shop"), ("parity:environment", "staging")],
    );
    let run = project(&moto, "API_KEY=k\nDATABASE_URL=d2\n")
        .args(["secrets", "sync", "staging", "--prune"])
        .run()
        .status(1);
    for needle in [
        "secrets sync stopped: secretsmanager:DeleteSecret on shop/staging/Z_REPLICATED",
        "written: DATABASE_URL",
        "removed: A_OLD",
        "not done: Z_REPLICATED",
        "run `parity secrets sync staging` again",
    ] {
        assert_flat(&run, needle);
    }
    let secrets = variables(&moto);
    assert!(secrets["shop/staging/A_OLD"].deleted);
    assert!(!secrets["shop/staging/Z_REPLICATED"].deleted);
}

#[test]
fn list_shows_names_versions_users_and_missing_never_values() {
    let moto = Moto::start();
    project(&moto, "API_KEY=list-value-1\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(1)
        .stderr_contains("DATABASE_URL");
    project(&moto, "API_KEY=list-value-1\nDATABASE_URL=list-value-2\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 2 secrets");
    moto.secrets().create("shop/staging/EXTRA", "x", &[]);
    let table = project(&moto, "")
        .args(["secrets", "list", "staging"])
        .run()
        .status(0)
        .stdout_contains("NAME")
        .stdout_contains("web, worker")
        .never_prints("list-value-1")
        .never_prints("fingerprint-key");
    let lines: Vec<String> = table.stdout().lines().map(str::to_owned).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EXTRA") && l.contains(" no ")),
        "{lines:?}"
    );
    let json = project(&moto, "")
        .args(["secrets", "list", "staging", "--format", "json"])
        .run()
        .status(0)
        .json();
    assert_eq!(json["store"], "secretsmanager");
    assert_eq!(json["prefix"], PREFIX);
    let secrets = json["secrets"].as_array().unwrap();
    let names: Vec<&str> = secrets
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["API_KEY", "DATABASE_URL", "EXTRA"]);
    assert_eq!(secrets[0]["parameter"], "shop/staging/API_KEY");
    assert_eq!(secrets[0]["managed"], true);
    assert!(secrets[0]["version_id"].is_string());
    assert_eq!(secrets[2]["managed"], false);
    assert!(!json.to_string().contains("list-value"));
}

#[test]
fn an_unknown_secrets_store_is_bad_input_at_its_line_and_column() {
    let run = Test::new()
        .compose(COMPOSE)
        .toml("app = \"shop\"\n\n[environments.staging]\nregion = \"eu-west-1\"\nsecrets_store = \"vault\"\n")
        .args(["secrets", "list", "staging"])
        .run()
        .status(2);
    assert!(run.stdout().is_empty());
    assert_flat(&run, "parity.toml:5:17");
    assert_flat(&run, "vault");
    assert_flat(&run, "ssm");
    assert_flat(&run, "secretsmanager");
}

#[test]
fn malformed_references_are_bad_input_at_file_line_column() {
    for (reference, column) in [
        ("\"vault:x\"", 22),
        ("\"ssm:relative/path\"", 22),
        ("\"secretsmanager:db:\"", 22),
        ("false", 22),
    ] {
        let compose = format!(
            "services:\n  web:\n    image: nginx\n    x-parity:\n      secrets:\n        DB_PASSWORD: {reference}\n"
        );
        let run = Test::new()
            .compose(&compose)
            .args(["config"])
            .run()
            .status(2);
        assert!(run.stdout().is_empty(), "{reference}");
        assert_flat(&run, &format!("compose.yaml:6:{column}"));
        assert_flat(&run, "services.web.x-parity.secrets.DB_PASSWORD");
    }
}

/// A complete environment for deploy's preflight (which fails before any change).
const DEPLOY_TOML: &str = r#"
app = "shop"

[environments.staging]
region = "eu-west-1"
secrets_store = "secretsmanager"
cluster = "shop-staging"
subnets = ["subnet-1"]
security_groups = ["sg-1"]
execution_role_arn = "arn:aws:iam::123456789012:role/exec"
"#;

#[test]
fn deploy_preflight_names_the_missing_referenced_secret_and_changes_nothing() {
    let moto = Moto::start();
    project(&moto, "API_KEY=k\nDATABASE_URL=d\n")
        .args(["secrets", "sync", "staging"])
        .run()
        .status(0)
        .stdout_contains("Wrote 2 secrets");
    moto.ssm().put("/shared/stripe/key", "sk-ref", &[]);
    // The RDS secret the reference names does not exist.
    ecs(&moto, |client| async move {
        client
            .create_cluster()
            .cluster_name("shop-staging")
            .send()
            .await
            .expect("moto CreateCluster");
    });
    let secrets_before = moto.secrets().everything();
    let parameters_before = moto.ssm().everything();
    let run = Test::new()
        .aws(&moto)
        .compose(COMPOSE)
        .toml(DEPLOY_TOML)
        .args(["deploy", "staging"])
        .run()
        .status(1);
    assert_flat(
        &run,
        "missing for staging: DB_PASSWORD (secretsmanager:rds!db-abc123:password)",
    );
    assert_flat(&run, "Nothing was changed");
    assert!(
        !flat(&run.stderr()).contains("STRIPE_KEY"),
        "{}",
        run.stderr()
    );
    assert!(
        !flat(&run.stderr()).contains("API_KEY ("),
        "{}",
        run.stderr()
    );
    assert_eq!(moto.secrets().everything(), secrets_before);
    assert_eq!(moto.ssm().everything(), parameters_before);
    ecs(&moto, |client| async move {
        let families = client
            .list_task_definition_families()
            .send()
            .await
            .expect("moto ListTaskDefinitionFamilies");
        assert!(families.families().is_empty(), "{families:?}");
    });
}

/// Runs `f` with an ECS client on moto.
fn ecs<F, Fut>(moto: &Moto, f: F)
where
    F: FnOnce(aws_sdk_ecs::Client) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new(
            crate::support::moto::REGION,
        ))
        .endpoint_url(moto.endpoint())
        .credentials_provider(aws_sdk_ecs::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .build();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f(aws_sdk_ecs::Client::from_conf(config)));
}
