//! Which images a deploy builds, and the repository each one is pushed to.
//!
//! Pure. Services whose `build:` sections are equal share one image: it is
//! built once, pushed once, and every one of them runs the same digest. That
//! image is named for what it is — its build context, Dockerfile and target —
//! never for whichever service happens to come first, so `plan` (which shows
//! the repository before anything is built), `deploy` (which pushes there),
//! `promote` (which copies there) and `env apply` (which creates one ECR
//! repository per build) all agree on one name.
//!
//! The name is `<app>` for the project's own directory with the default
//! `Dockerfile`, else `<app>/<context path>[-<dockerfile>][-<target>]`, in the
//! lowercase alphabet ECR allows. Two different builds that would get one
//! name (they differ only in build args, say) are told apart by the first
//! service (by name) that runs each.

use std::path::Path;

use crate::compose::model::{Build, Project};

/// One distinct image build of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageBuild {
    /// The repository (without the registry host) the image is pushed to.
    pub(crate) repository: String,
    /// What the image is built from, for people: `./api (Dockerfile.prod, target release)`.
    pub(crate) source: String,
    /// The compose services that run it, in file order.
    pub(crate) services: Vec<String>,
}

/// The distinct builds of the services that go to the cloud (`x-parity.cloud`,
/// sidecars included), in the order their first service appears in the file.
/// It chooses the services itself, so plan, deploy and the environment's
/// registry repositories cannot disagree about a name.
pub(crate) fn image_builds(project: &Project, app: &str) -> Vec<ImageBuild> {
    let mut groups: Vec<(&Build, Vec<String>)> = Vec::new();
    for (name, service) in &project.services {
        let Some(build) = &service.build else {
            continue;
        };
        if !service.x_parity.cloud {
            continue;
        }
        match groups.iter_mut().find(|(b, _)| *b == build) {
            Some((_, members)) => members.push(name.clone()),
            None => groups.push((build, vec![name.clone()])),
        }
    }
    let slugs: Vec<String> = groups
        .iter()
        .map(|(build, _)| slug(build, &project.working_dir))
        .collect();
    groups
        .iter()
        .zip(&slugs)
        .map(|((build, members), slug)| {
            let mut slug = slug.clone();
            if slugs.iter().filter(|s| **s == slug).count() > 1 {
                let first = members.iter().min().map_or("", String::as_str);
                slug = join(&[&slug, &sanitize(first)], "-");
            }
            ImageBuild {
                repository: join(&[&sanitize(app), &slug], "/"),
                source: source(build, &project.working_dir),
                services: members.clone(),
            }
        })
        .collect()
}

/// The build `service` runs, if it is one of `builds`.
pub(crate) fn build_of<'a>(builds: &'a [ImageBuild], service: &str) -> Option<&'a ImageBuild> {
    builds
        .iter()
        .find(|b| b.services.iter().any(|s| s == service))
}

/// The part of the repository name after `<app>/` (empty for the project's own directory).
fn slug(build: &Build, project_dir: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let context = context_name(&build.context, project_dir);
    if !context.is_empty() {
        parts.push(context);
    }
    let dockerfile = dockerfile_name(build);
    if !dockerfile.is_empty() {
        parts.push(dockerfile);
    }
    if let Some(target) = &build.target {
        parts.push(sanitize(target));
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    join(&parts, "-")
}

/// The context as a path under the project (`services/api`), the last part of
/// a context outside it or of a remote one (`repo` of `https://host/org/repo.git#main`).
fn context_name(context: &str, project_dir: &Path) -> String {
    if is_remote(context) {
        let path = context.split(['#', '?']).next().unwrap_or(context);
        let last = path.trim_end_matches('/').rsplit(['/', ':']).next();
        return sanitize(last.unwrap_or("").trim_end_matches(".git"));
    }
    let path = Path::new(context);
    let components: Vec<String> = match path.strip_prefix(project_dir) {
        Ok(relative) => relative
            .components()
            .map(|c| sanitize(&c.as_os_str().to_string_lossy()))
            .collect(),
        Err(_) => path
            .file_name()
            .map(|n| vec![sanitize(&n.to_string_lossy())])
            .unwrap_or_default(),
    };
    let components: Vec<&str> = components.iter().map(String::as_str).collect();
    join(&components, "/")
}

/// `prod` for `Dockerfile.prod` or `prod.Dockerfile`, `inline` for
/// `dockerfile_inline`, empty for the default `Dockerfile`.
fn dockerfile_name(build: &Build) -> String {
    if build.dockerfile.is_empty() {
        return if build.other.contains_key("dockerfile_inline") {
            "inline".to_owned()
        } else {
            String::new()
        };
    }
    let file = build
        .dockerfile
        .rsplit('/')
        .next()
        .unwrap_or(&build.dockerfile);
    if file == "Dockerfile" {
        return String::new();
    }
    let stem = file
        .strip_prefix("Dockerfile.")
        .or_else(|| file.strip_suffix(".Dockerfile"))
        .or_else(|| file.strip_suffix(".dockerfile"))
        .unwrap_or(file);
    sanitize(stem)
}

/// `./api (Dockerfile.prod, target release)`.
fn source(build: &Build, project_dir: &Path) -> String {
    let context = if is_remote(&build.context) {
        build.context.clone()
    } else {
        match Path::new(&build.context).strip_prefix(project_dir) {
            Ok(relative) if relative.as_os_str().is_empty() => ".".to_owned(),
            Ok(relative) => format!("./{}", relative.display()),
            Err(_) => build.context.clone(),
        }
    };
    let mut details = Vec::new();
    if build.dockerfile.is_empty() {
        if build.other.contains_key("dockerfile_inline") {
            details.push("dockerfile_inline".to_owned());
        }
    } else if build.dockerfile != "Dockerfile" {
        details.push(build.dockerfile.clone());
    }
    if let Some(target) = &build.target {
        details.push(format!("target {target}"));
    }
    if details.is_empty() {
        context
    } else {
        format!("{context} ({})", details.join(", "))
    }
}

fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@")
}

/// Lowercase, with every run of characters ECR does not allow in a name
/// component turned into one `-`, and no separator at either end.
fn sanitize(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(['.', '_', '-']) {
            out.push(if matches!(c, '.' | '_' | '-') { c } else { '-' });
        }
    }
    out.trim_end_matches(['.', '_', '-']).to_owned()
}

/// The non-empty parts, joined.
fn join(parts: &[&str], separator: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::compose::model::Service;

    fn build(context: &str) -> Build {
        Build {
            context: context.into(),
            dockerfile: "Dockerfile".into(),
            ..Build::default()
        }
    }

    fn project(services: &[(&str, Option<Build>)]) -> Project {
        Project {
            name: "shop".into(),
            working_dir: PathBuf::from("/src/shop"),
            services: services
                .iter()
                .map(|(name, build)| {
                    let service = Service {
                        name: (*name).to_owned(),
                        build: build.clone(),
                        image: build.is_none().then(|| "postgres:16".to_owned()),
                        ..Service::default()
                    };
                    ((*name).to_owned(), service)
                })
                .collect(),
            ..Project::default()
        }
    }

    #[test]
    fn one_build_shared_by_two_services_is_one_image_named_for_the_project() {
        let p = project(&[
            ("migrate", Some(build("/src/shop"))),
            ("web", Some(build("/src/shop"))),
            ("db", None),
        ]);
        let builds = image_builds(&p, "shop");
        assert_eq!(
            builds,
            [ImageBuild {
                repository: "shop".into(),
                source: ".".into(),
                services: vec!["migrate".into(), "web".into()],
            }]
        );
        assert_eq!(build_of(&builds, "web"), build_of(&builds, "migrate"));
        assert_eq!(build_of(&builds, "db"), None);
    }

    #[test]
    fn the_name_does_not_depend_on_which_service_comes_first() {
        let a = project(&[
            ("web", Some(build("/src/shop"))),
            ("migrate", Some(build("/src/shop"))),
        ]);
        let b = project(&[
            ("migrate", Some(build("/src/shop"))),
            ("web", Some(build("/src/shop"))),
        ]);
        assert_eq!(
            image_builds(&a, "shop")[0].repository,
            image_builds(&b, "shop")[0].repository
        );
    }

    #[test]
    fn context_dockerfile_and_target_name_the_image() {
        let mut prod = build("/src/shop/services/API");
        prod.dockerfile = "docker/Dockerfile.prod".into();
        prod.target = Some("release".into());
        let mut worker = build("/src/shop");
        worker.dockerfile = "worker.Dockerfile".into();
        let p = project(&[
            ("api", Some(prod)),
            ("worker", Some(worker)),
            ("shared", Some(build("/src/lib/common"))),
            (
                "remote",
                Some(build("https://github.com/org/tool.git#main")),
            ),
        ]);
        let builds = image_builds(&p, "shop");
        let names: Vec<&str> = builds.iter().map(|b| b.repository.as_str()).collect();
        assert_eq!(
            names,
            [
                "shop/services/api-prod-release",
                "shop/worker",
                "shop/common",
                "shop/tool"
            ]
        );
        assert_eq!(
            builds[0].source,
            "./services/API (docker/Dockerfile.prod, target release)"
        );
    }

    #[test]
    fn only_cloud_services_count() {
        let mut p = project(&[
            ("web", Some(build("/src/shop"))),
            ("tools", Some(build("/src/shop"))),
        ]);
        p.services["tools"].x_parity.cloud = false;
        let builds = image_builds(&p, "shop");
        assert_eq!(builds[0].services, ["web"]);
    }

    #[test]
    fn builds_that_would_share_a_name_are_told_apart_by_their_first_service() {
        let mut with_args = build("/src/shop");
        with_args.args.insert("MODE".into(), Some("worker".into()));
        let p = project(&[
            ("web", Some(build("/src/shop"))),
            ("migrate", Some(build("/src/shop"))),
            ("worker", Some(with_args)),
        ]);
        let builds = image_builds(&p, "shop");
        let names: Vec<&str> = builds.iter().map(|b| b.repository.as_str()).collect();
        assert_eq!(names, ["shop/migrate", "shop/worker"]);
        assert_eq!(builds[0].services, ["web", "migrate"]);
    }

    #[test]
    fn names_use_only_what_ecr_allows() {
        assert_eq!(sanitize("My App__v2!"), "my-app_v2");
        assert_eq!(sanitize("--x--"), "x");
        assert_eq!(sanitize("..."), "");
    }
}
