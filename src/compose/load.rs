//! The loading pipeline, in compose-go's order: per file, parse ->
//! interpolate -> `extends` -> `include` -> merge onto the files before it;
//! then normalize, filter by profile and check references.
//!
//! Owns: the order of the stages and `extends`/`include` resolution.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::{IndexMap, IndexSet};

use super::model::Project;
use super::service::{self, Context};
use super::yaml::{self, Entry, Node, Value};
use super::{
    LoadOptions, files, graph, interpolate, keys, limits, merge, project, read, schema, unicity,
    x_parity,
};
use crate::error::{Error, Location, Result};

/// Loads and normalizes the project the options describe.
pub(crate) fn load(options: &LoadOptions) -> Result<Project> {
    let cwd = &options.cwd;
    let explicit_dir = options
        .project_directory
        .as_ref()
        .map(|d| files::absolute(cwd, d));
    let env_files: Vec<PathBuf> = options
        .env_files
        .iter()
        .map(|f| files::absolute(cwd, f))
        .collect();
    // `.env` may itself set COMPOSE_FILE, so it is read from where the files
    // would be looked for before the files are known.
    let first_guess = explicit_dir
        .clone()
        .unwrap_or_else(|| match options.files.first() {
            Some(file) => files::absolute(cwd, file)
                .parent()
                .map_or_else(|| cwd.clone(), Path::to_owned),
            None => cwd.clone(),
        });
    let mut env = files::environment(&env_files, &first_guess, &options.environment)?;
    let compose_files = if !options.files.is_empty() {
        options
            .files
            .iter()
            .map(|f| files::absolute(cwd, f))
            .collect()
    } else if let Some(value) = env.get("COMPOSE_FILE").filter(|v| !v.is_empty()) {
        files::compose_file_var(value, &env, &first_guess)
    } else {
        files::discover(explicit_dir.as_deref().unwrap_or(cwd))?
    };
    let project_dir = explicit_dir.unwrap_or_else(|| {
        compose_files[0]
            .parent()
            .map_or_else(|| cwd.clone(), Path::to_owned)
    });
    if project_dir != first_guess {
        env = files::environment(&env_files, &project_dir, &options.environment)?;
    }

    let loader = Loader::default();
    let mut root = loader.load_files(&compose_files, &project_dir, &env, &[])?;
    // compose-go drops `version` and refuses what is left when it is nothing.
    if root
        .as_map()
        .is_some_and(|m| m.keys().all(|k| k == "version"))
    {
        return Err(root
            .pos
            .error("the compose file declares nothing")
            .with_help("a compose file needs at least a `services:` mapping"));
    }
    let origin = || {
        files::dotenv_origin(
            &env_files,
            &project_dir,
            &options.environment,
            "COMPOSE_PROJECT_NAME",
        )
    };
    let name = project_name(options, &env, &root, &project_dir, &origin)?;
    // Compose interpolates `${COMPOSE_PROJECT_NAME}` with the resolved project
    // name when the environment does not set it: read the files again with it
    // (only when they refer to it, so the common case reads them once).
    if loader.uses_project_name.get() && !env.contains_key("COMPOSE_PROJECT_NAME") {
        env.insert("COMPOSE_PROJECT_NAME".into(), name.clone());
        loader.missing.borrow_mut().clear();
        root = loader.load_files(&compose_files, &project_dir, &env, &[])?;
    }
    for name in loader.missing.borrow().iter() {
        tracing::warn!("the {name} variable is not set; defaulting to a blank string");
    }

    let mut profiles = options.profiles.clone();
    if profiles.is_empty()
        && let Some(value) = env.get("COMPOSE_PROFILES")
    {
        profiles = value
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
    }
    let ctx = Context::new(&env);
    unicity::dedupe(&mut root);
    let (mut project, nodes) = project::project(&name, &root, &ctx)?;
    // After the readers, so a field parity reads keeps its reader's message.
    schema::check(&root)?;
    project.working_dir = project_dir;
    project.files = compose_files;
    graph::resolve(&mut project, &nodes, &profiles, &options.services)?;
    x_parity::check_services(&project.services)?;
    project::add_default_network(&mut project);
    Ok(project)
}

fn project_name(
    options: &LoadOptions,
    env: &IndexMap<String, String>,
    root: &Node,
    dir: &Path,
    env_origin: &dyn Fn() -> Option<Location>,
) -> Result<String> {
    // compose-go's schema types `name` as a string, whoever names the project.
    if let Some(node) = root.get("name")
        && matches!(node.kind(), "a number" | "a boolean" | "null")
    {
        return Err(node
            .pos
            .error(format!("`name` must be a string, found {}", node.kind()))
            .with_help("quote it, e.g. name: \"123\""));
    }
    let explicit = [
        options.project_name.clone().map(|n| (n, "-p")),
        env.get("COMPOSE_PROJECT_NAME")
            .filter(|n| !n.is_empty())
            .map(|n| (n.clone(), "COMPOSE_PROJECT_NAME")),
    ];
    if let Some((name, origin)) = explicit.into_iter().flatten().next() {
        if !files::valid_project_name(&name) {
            let err = Error::input(format!("invalid project name `{name}` (from {origin})"))
                .with_help("project names use lowercase letters, digits, `_` and `-`, starting with a letter or digit");
            // A name from an env file points at its line there.
            let located = (origin == "COMPOSE_PROJECT_NAME")
                .then(env_origin)
                .flatten();
            return Err(match located {
                Some(location) => err.at(location),
                None => err,
            });
        }
        return Ok(name);
    }
    if let Some(node) = root.get("name").filter(|n| !n.is_null()) {
        let written = read::string(node, "name")?;
        // Normalized as compose does (`name: My_App` is project `my_app`).
        let name = files::normalize_project_name(&written);
        if name.is_empty() {
            return Err(node
                .pos
                .error(format!("invalid project name `{written}`: nothing is left of it once normalized"))
                .with_help("project names use lowercase letters, digits, `_` and `-`, starting with a letter or digit"));
        }
        return Ok(name);
    }
    let name = files::name_from_dir(dir);
    if name.is_empty() {
        return Err(Error::input(format!(
            "cannot derive a project name from {}",
            dir.display()
        ))
        .with_help("set one with -p NAME or `name:` in the compose file"));
    }
    Ok(name)
}

#[derive(Default)]
struct Loader {
    /// Variables used without a value, warned about once each.
    missing: RefCell<IndexSet<String>>,
    /// Whether a file refers to `COMPOSE_PROJECT_NAME` (see [`load`]).
    uses_project_name: std::cell::Cell<bool>,
    /// Included projects already loaded, by their files, project directory
    /// and variables: a file included twice at every level (a diamond) is
    /// loaded once, so loading stays linear in the number of files.
    included: RefCell<HashMap<IncludeKey, Node>>,
    /// Files named by `extends.file`, read once each (by path and variables)
    /// however many services extend services in them.
    extended: RefCell<HashMap<(PathBuf, u64), Rc<yaml::Mapping>>>,
    /// Every compose file read so far (see [`limits::MAX_FILES_LOADED`]).
    read: RefCell<HashSet<PathBuf>>,
}

/// What an included project's content depends on.
type IncludeKey = (Vec<PathBuf>, PathBuf, u64);

/// A digest of the variables an included project is loaded with.
/// Why an `include` target cannot be loaded, if it cannot: said at the
/// `include` entry, since an error inside the target could not name the line
/// that asked for it.
fn unreadable(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some("does not exist".into()),
        Err(err) => Some(format!("cannot be read: {err}")),
        Ok(meta) if meta.is_dir() => Some("cannot be read: it is a directory".into()),
        Ok(_) => std::fs::File::open(path)
            .err()
            .map(|err| format!("cannot be read: {err}")),
    }
}

fn env_digest(env: &IndexMap<String, String>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for (name, value) in env {
        name.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    hasher.finish()
}

impl Loader {
    /// Reads, interpolates, extends, includes and merges `paths` in order.
    fn load_files(
        &self,
        paths: &[PathBuf],
        base_dir: &Path,
        env: &IndexMap<String, String>,
        chain: &[PathBuf],
    ) -> Result<Node> {
        let mut root: Option<Node> = None;
        for path in paths {
            for document in self.read_documents(path, base_dir, env)? {
                let mut document = document;
                self.apply_extends(&mut document, env)?;
                self.apply_includes(&mut document, env, chain, path)?;
                root = Some(match root {
                    None => document,
                    Some(base) => merge::merge_documents(base, document),
                });
            }
        }
        let mut root = root.ok_or_else(|| Error::input("no compose file given"))?;
        merge::strip_tags(&mut root);
        Ok(root)
    }

    /// Parses and interpolates one file; each document must be a mapping.
    fn read_documents(
        &self,
        path: &Path,
        base_dir: &Path,
        env: &IndexMap<String, String>,
    ) -> Result<Vec<Node>> {
        let mut read = self.read.borrow_mut();
        if read.insert(path.to_owned()) && read.len() > limits::MAX_FILES_LOADED {
            return Err(Error::input(format!(
                "{} would be compose file number {}: {} files is the limit for one project",
                path.display(),
                read.len(),
                limits::MAX_FILES_LOADED
            ))
            .with_help("check `include` and `extends.file` for a runaway chain"));
        }
        drop(read);
        let source = files::source(path, base_dir)?;
        let mut documents = yaml::parse(&source)?;
        if documents.is_empty() {
            return Err(yaml::Pos {
                source: source.clone(),
                line: 1,
                column: 1,
            }
            .error("the compose file is empty")
            .with_help("a compose file needs at least a `services:` mapping"));
        }
        let lookup = |name: &str| {
            if name == "COMPOSE_PROJECT_NAME" {
                self.uses_project_name.set(true);
            }
            env.get(name).cloned()
        };
        for document in &mut documents {
            if document.as_map().is_none() {
                return Err(document.pos.error(format!(
                    "the top level of a compose file must be a mapping, found {}",
                    document.kind()
                )));
            }
            let mut missing = |name: &str| {
                self.missing.borrow_mut().insert(name.to_owned());
            };
            interpolate::interpolate_tree(document, &lookup, &mut missing)?;
        }
        Ok(documents)
    }

    /// Replaces every service that `extends` another by the merge of the two.
    fn apply_extends(&self, document: &mut Node, env: &IndexMap<String, String>) -> Result<()> {
        let Some(entry) = document.as_map_mut().and_then(|m| m.get_mut("services")) else {
            return Ok(());
        };
        let mut resolved = Vec::new();
        if let Some(services) = entry.node.as_map() {
            for (name, service) in services {
                if service.node.get("extends").is_some() {
                    let node =
                        self.resolve_extends(name, &service.node, services, env, &mut Vec::new())?;
                    resolved.push((name.clone(), node));
                }
            }
        }
        if let Some(services) = entry.node.as_map_mut() {
            for (name, node) in resolved {
                if let Some(service) = services.get_mut(&name) {
                    service.node = node;
                }
            }
        }
        Ok(())
    }

    /// A service with its `extends` chain merged in (base first).
    fn resolve_extends(
        &self,
        name: &str,
        node: &Node,
        services: &yaml::Mapping,
        env: &IndexMap<String, String>,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Node> {
        let Some(extends) = node.get("extends") else {
            return Ok(node.clone());
        };
        let field = format!("services.{name}.extends");
        let (base_name, file_node) = match &extends.value {
            Value::Scalar(..) => (read::string(extends, &field)?, None),
            Value::Map(map) => {
                read::check_keys(map, keys::EXTENDS, &format!("`{field}`"))?;
                let service = extends
                    .get("service")
                    .ok_or_else(|| extends.pos.error(format!("`{field}` needs a `service`")))?;
                (read::string(service, &field)?, extends.get("file"))
            }
            Value::Seq(_) => {
                return Err(extends
                    .pos
                    .error(format!("`{field}` must be a service name or a mapping")));
            }
        };
        let link = (node.pos.path().to_owned(), name.to_owned());
        if chain.contains(&link) {
            let names: Vec<&str> = chain
                .iter()
                .map(|(_, n)| n.as_str())
                .chain([name])
                .collect();
            return Err(extends
                .pos
                .error(format!("`extends` cycle: {}", names.join(" -> "))));
        }
        chain.push(link);
        if chain.len() > limits::MAX_EXTENDS_CHAIN {
            return Err(extends.pos.error(format!(
                "`extends` chain longer than {} services (the limit for `extends`), \
                 from `{}`",
                limits::MAX_EXTENDS_CHAIN,
                chain[0].1
            )));
        }
        let base = match file_node {
            None => {
                let base = services.get(&base_name).ok_or_else(|| {
                    extends.pos.error(format!(
                        "service `{name}` extends undefined service `{base_name}`"
                    ))
                })?;
                self.resolve_extends(&base_name, &base.node, services, env, chain)?
            }
            Some(file_node) => {
                let path = service::path_of(file_node, &format!("{field}.file"), env)?;
                let dir = path
                    .parent()
                    .map_or_else(|| PathBuf::from("/"), Path::to_owned);
                let key = (path.clone(), env_digest(env));
                let cached = self.extended.borrow().get(&key).cloned();
                let other_services = match cached {
                    Some(services) => services,
                    None => {
                        let documents = self.read_documents(&path, &dir, env).map_err(|e| {
                            if e.location().is_none() {
                                file_node.pos.error(e.message().to_owned())
                            } else {
                                e
                            }
                        })?;
                        let mut services = yaml::Mapping::new();
                        for document in documents {
                            if let Some(Value::Map(map)) = document
                                .value
                                .into_map()
                                .ok()
                                .and_then(|mut m| m.shift_remove("services"))
                                .map(|entry| entry.node.value)
                            {
                                services.extend(map);
                            }
                        }
                        let services = Rc::new(services);
                        self.extended.borrow_mut().insert(key, services.clone());
                        services
                    }
                };
                let base = other_services.get(&base_name).ok_or_else(|| {
                    extends.pos.error(format!(
                        "service `{name}` extends `{base_name}`, which {} does not define",
                        path.display()
                    ))
                })?;
                let base_node = base.node.clone();
                self.resolve_extends(&base_name, &base_node, &other_services, env, chain)?
            }
        };
        chain.pop();
        let mut own = node.clone();
        if let Some(map) = own.as_map_mut() {
            map.shift_remove("extends");
        }
        Ok(merge::merge_service(base, own))
    }

    /// Loads each `include:` entry as its own project and adds its resources.
    fn apply_includes(
        &self,
        document: &mut Node,
        env: &IndexMap<String, String>,
        chain: &[PathBuf],
        current: &Path,
    ) -> Result<()> {
        let Some(include) = document
            .as_map_mut()
            .and_then(|m| m.shift_remove("include"))
        else {
            return Ok(());
        };
        let include = include.node;
        let mut chain = chain.to_vec();
        chain.push(current.to_owned());
        if chain.len() > limits::MAX_INCLUDE_DEPTH {
            return Err(include.pos.error(format!(
                "`include` nested deeper than {} files (the limit for `include`), from {}",
                limits::MAX_INCLUDE_DEPTH,
                chain[0].display()
            )));
        }
        for item in read::sequence(&include, "include")? {
            let (path_nodes, dir_node, env_node): (Vec<Node>, Option<&Node>, Option<&Node>) =
                match &item.value {
                    Value::Map(map) => {
                        read::check_keys(map, keys::INCLUDE, "`include`")?;
                        let path = item
                            .get("path")
                            .ok_or_else(|| item.pos.error("`include` entries need a `path`"))?;
                        let paths = match &path.value {
                            Value::Seq(items) => items.clone(),
                            _ => vec![path.clone()],
                        };
                        (paths, item.get("project_directory"), item.get("env_file"))
                    }
                    _ => (vec![item.clone()], None, None),
                };
            let mut paths = Vec::new();
            for node in &path_nodes {
                let path = service::path_of(node, "include.path", env)?;
                if chain.contains(&path) {
                    return Err(node.pos.error(format!(
                        "`include` cycle: {} includes itself",
                        path.display()
                    )));
                }
                if let Some(problem) = unreadable(&path) {
                    return Err(node
                        .pos
                        .error(format!("included file {} {problem}", path.display()))
                        .with_help(
                            "paths in `include` are relative to the including file's directory",
                        ));
                }
                paths.push(path);
            }
            let Some(first) = paths.first() else { continue };
            let project_dir = match dir_node {
                Some(node) => service::path_of(node, "include.project_directory", env)?,
                None => first
                    .parent()
                    .map_or_else(|| PathBuf::from("/"), Path::to_owned),
            };
            let mut env_files = Vec::new();
            if let Some(node) = env_node {
                for file in read::string_or_list(node, "include.env_file")? {
                    env_files.push(super::paths::absolute(
                        &node.pos.source.base_dir,
                        &file,
                        env,
                    ));
                }
            } else if project_dir.join(".env").is_file() {
                env_files.push(project_dir.join(".env"));
            }
            // The including project's variables win over the included
            // project's env files (compose-go merges without overriding).
            let mut included_env = IndexMap::new();
            for file in &env_files {
                included_env.extend(files::read_dotenv(file, env)?);
            }
            included_env.extend(env.iter().map(|(k, v)| (k.clone(), v.clone())));
            let key = (paths, project_dir, env_digest(&included_env));
            let cached = self.included.borrow().get(&key).cloned();
            let included = match cached {
                Some(included) => included,
                None => {
                    let included = self.load_files(&key.0, &key.1, &included_env, &chain)?;
                    self.included.borrow_mut().insert(key, included.clone());
                    included
                }
            };
            import(document, included, item)?;
        }
        Ok(())
    }
}

/// Adds an included project's resources; a resource defined on both sides
/// (and not identical) is a conflict, as in compose-go.
fn import(document: &mut Node, included: Node, include_item: &Node) -> Result<()> {
    let Value::Map(included) = included.value else {
        return Ok(());
    };
    let Some(target) = document.as_map_mut() else {
        return Ok(());
    };
    for section in ["services", "networks", "volumes", "secrets", "configs"] {
        let Some(entry) = included.get(section) else {
            continue;
        };
        let Some(resources) = entry.node.as_map() else {
            continue;
        };
        let section_entry = target.entry(section.to_owned()).or_insert_with(|| Entry {
            key_pos: include_item.pos.clone(),
            node: Node::new(Value::Map(yaml::Mapping::new()), include_item.pos.clone()),
        });
        if section_entry.node.is_null() {
            section_entry.node = Node::new(
                Value::Map(yaml::Mapping::new()),
                section_entry.node.pos.clone(),
            );
        }
        let Some(existing) = section_entry.node.as_map_mut() else {
            continue;
        };
        for (name, resource) in resources {
            if let Some(own) = existing.get(name) {
                if own.node.to_json() != resource.node.to_json() {
                    return Err(own.key_pos.error(format!(
                        "{section}.{name} conflicts with the one imported by `include` at line {}",
                        include_item.pos.line
                    )));
                }
                continue;
            }
            existing.insert(name.clone(), resource.clone());
        }
    }
    Ok(())
}
