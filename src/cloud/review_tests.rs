use super::*;

const COMPOSE: &str = "services:\n  migrate:\n    build: .\n    x-parity:\n      release: true\n  web:\n    build: .\n    ports: [\"3000:3000\"]\n  nightly:\n    build: .\n    x-parity:\n      schedule: \"rate(1 day)\"\n";

fn settings() -> Settings {
    let text = "app = \"shop\"\n[environments.staging]\nregion = \"eu-west-1\"\nsubnets = [\"subnet-1\"]\nexecution_role_arn = \"arn:aws:iam::1:role/exec\"\nscheduler_role_arn = \"arn:aws:iam::1:role/sched\"\nservice_connect_namespace = \"shop-staging\"\n[environments.staging.services.web]\ndesired_count = 3\nload_balancer = { target_group_arn = \"arn:tg/staging-web\", container_port = 3000 }\n[environments.prod]\nregion = \"eu-west-1\"\npromotes_from = \"staging\"\n";
    crate::settings::parse(text, std::path::Path::new("parity.toml")).unwrap()
}

#[test]
fn names_are_short_dns_labels_apart_from_the_environments() {
    let settings = settings();
    for good in ["pr-42", "a", "feature-login", &"a".repeat(MAX_NAME)] {
        assert!(Review::new(&settings, "staging", good).is_ok(), "{good}");
    }
    for (bad, why) in [
        ("", "empty"),
        ("PR-1", "lowercase"),
        ("pr_1", "lowercase"),
        ("-pr", "start and end"),
        ("pr-", "start and end"),
        ("internal-x", "internal-"),
        (&"a".repeat(MAX_NAME + 1), "at most 23"),
        ("staging", "collides"),
        ("prod", "collides"),
        ("staging-2", "collides"),
    ] {
        let err = Review::new(&settings, "staging", bad).unwrap_err();
        assert!(err.message().contains(why), "{bad}: {}", err.message());
        assert_eq!(err.exit_code(), 2, "{bad}");
    }
}

#[test]
fn derived_names_fit_aws_limits_and_differ_per_service_and_app() {
    let review = Review::new(&settings(), "staging", &"z".repeat(MAX_NAME)).unwrap();
    let web = review.target_group_name("web");
    assert_eq!(web.len(), 32, "{web}");
    assert_ne!(web, review.target_group_name("api"));
    let other = Review {
        app: "other".into(),
        ..review.clone()
    };
    assert_ne!(web, other.target_group_name("web"));
    assert_eq!(
        review.service_name("web"),
        format!("shop-{}-web", review.name)
    );
}

#[test]
fn prod_and_other_promoted_environments_are_refused_as_a_base() {
    let settings = settings();
    let err = check_base(settings.environment("prod").unwrap()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.message().contains("promotes from `staging`"),
        "{}",
        err.message()
    );
    assert!(check_base(settings.environment("staging").unwrap()).is_ok());
}

#[test]
fn the_derived_environment_shares_the_base_and_differs_in_names() {
    let settings = settings();
    let project = crate::compose::load_text(COMPOSE, "shop");
    let base = settings.environment("staging").unwrap();
    let review = Review::new(&settings, "staging", "pr-7").unwrap();
    let derived = environment(&review, base, &project);
    assert_eq!(derived.name(), "pr-7");
    assert_eq!(derived.cluster(), "shop-staging");
    assert_eq!(derived.log_group(), "/shop/staging");
    assert_eq!(derived.ssm_prefix(), "/shop/staging/review/pr-7/");
    assert_eq!(derived.subnets, base.subnets);
    assert_eq!(derived.service_name("web"), "shop-pr-7-web");
    assert_eq!(derived.family("web"), "shop-pr-7-web");
    assert_eq!(derived.desired_count("web"), Some(1));
    assert!(derived.service_connect_namespace.is_none());
    let lb = derived.load_balancer("web").unwrap();
    assert_eq!(lb.target_group_arn, PENDING_TARGET_GROUP);
    assert_eq!(*lb.container_port.get_ref(), 3000);
    assert!(derived.promotes_from().is_none());
}

#[test]
fn a_review_plan_has_no_jobs_no_scaling_tagged_services_and_its_own_target_groups() {
    let mut settings = settings();
    let project = crate::compose::load_text(COMPOSE, "shop");
    let review = Review::new(&settings, "staging", "pr-7").unwrap();
    let derived = environment(&review, settings.environment("staging").unwrap(), &project);
    settings
        .environments
        .insert(Spanned::new(0..0, "pr-7".to_owned()), derived);
    let inputs = crate::cloud::plan::PlanInputs {
        account_id: "123456789012".into(),
        ..Default::default()
    };
    let mut plan = crate::cloud::plan::plan(&project, &settings, "pr-7", &inputs).unwrap();
    assert_eq!(plan.jobs.len(), 1, "the base plan has the job");
    let tags = tags(&review, "https://pr-7.x", Some("abc"), 42);
    adapt_plan(&mut plan, &tags);
    assert!(plan.jobs.is_empty());
    assert!(plan.task_definition("nightly").is_none());
    assert!(
        plan.task_definition("migrate").is_some(),
        "the release phase stays"
    );
    let web = &plan.services[0].request;
    assert_eq!(web["serviceName"], "shop-pr-7-web");
    assert_eq!(web["cluster"], "shop-staging");
    assert_eq!(web["desiredCount"], 1);
    assert!(web.get("serviceConnectConfiguration").is_none());
    let tag_of = |key: &str| {
        web["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == key)
            .map(|t| t["value"].clone())
    };
    assert_eq!(tag_of("parity:review"), Some(json!("pr-7")));
    assert_eq!(tag_of("parity:commit"), Some(json!("abc")));
    assert_eq!(tag_of("parity:created-at"), Some(json!("42")));
    let arns = BTreeMap::from([("web".to_owned(), "arn:tg/pr-7-web".to_owned())]);
    attach_target_groups(&mut plan, &arns);
    assert_eq!(
        plan.services[0].request["loadBalancers"][0]["targetGroupArn"],
        "arn:tg/pr-7-web"
    );
    let families: Vec<&str> = plan
        .task_definitions
        .iter()
        .map(|t| t.family.as_str())
        .collect();
    assert_eq!(families, ["shop-pr-7-migrate", "shop-pr-7-web"]);
}

#[test]
fn belongs_needs_app_base_and_name() {
    let review = Review {
        app: "shop".into(),
        name: "pr-7".into(),
        base: "staging".into(),
    };
    let tagged: BTreeMap<String, String> = tags(&review, "u", None, 1)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert!(belongs(&tagged, "shop", "staging", "pr-7"));
    assert!(!belongs(&tagged, "shop", "staging", "pr-70"));
    assert!(!belongs(&tagged, "shop", "qa", "pr-7"));
    assert!(!belongs(&tagged, "other", "staging", "pr-7"));
}

#[test]
fn staging_is_the_default_base_else_the_environment_others_promote_from() {
    assert_eq!(default_base(&settings()).unwrap(), "staging");
    let parse =
        |text: &str| crate::settings::parse(text, std::path::Path::new("parity.toml")).unwrap();
    let qa = parse(
        "app = \"shop\"\n[environments.qa]\nregion = \"eu-west-1\"\n[environments.live]\nregion = \"eu-west-1\"\npromotes_from = \"qa\"\n",
    );
    assert_eq!(default_base(&qa).unwrap(), "qa");
    let none = parse("app = \"shop\"\n[environments.qa]\nregion = \"eu-west-1\"\n");
    assert_eq!(default_base(&none).unwrap_err().exit_code(), 2);
}

#[test]
fn base_parameters_are_copied_below_the_review_prefix_but_not_other_reviews() {
    let copy = |name| {
        copied_name(
            name,
            "/shop/staging/",
            "/shop/staging/review/",
            "/shop/staging/review/pr-7/",
        )
    };
    assert_eq!(
        copy("/shop/staging/API_KEY").as_deref(),
        Some("/shop/staging/review/pr-7/API_KEY")
    );
    assert_eq!(
        copy("/shop/staging/parity/db/DATABASE_URL").as_deref(),
        Some("/shop/staging/review/pr-7/parity/db/DATABASE_URL")
    );
    assert_eq!(copy("/shop/staging/review/pr-1/API_KEY"), None);
    assert_eq!(copy("/shop/prod/API_KEY"), None);
}
