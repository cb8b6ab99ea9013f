//! `ports:` and `volumes:` of a service, short or long syntax, to long form.
//!
//! Owns: reading those two lists. The string grammars are in `syntax`.

use super::model::{Port, VolumeMount};
use super::service::Context;
use super::syntax::{self, VolumeSpec};
use super::yaml::{Node, Pos, Value};
use super::{keys, limits, paths, read, unique};
use crate::error::Result;

/// Each port with where its item is written (a range item gives several).
/// Every port counts against the project's [`limits::MAX_EXPANDED_PORTS`]
/// in `ctx`: a few items of full ranges would otherwise hold gigabytes.
pub(crate) fn ports(node: &Node, field: &str, ctx: &Context) -> Result<Vec<(Port, Pos)>> {
    let mut out = Vec::new();
    for item in read::sequence(node, field)? {
        let ports = match &item.value {
            Value::Map(map) => {
                read::check_keys(map, keys::PORT, &format!("`{field}`"))?;
                vec![long_port(item, field)?]
            }
            _ => {
                let spec = read::string(item, field)?;
                syntax::parse_ports(&spec).map_err(|m| item.pos.error(m))?
            }
        };
        let count = ctx.ports.get() + ports.len();
        if count > limits::MAX_EXPANDED_PORTS {
            return Err(item
                .pos
                .error(format!(
                    "`{field}`: the project's ports, ranges expanded, pass {}, the limit",
                    limits::MAX_EXPANDED_PORTS
                ))
                .with_help(
                    "that is every port number twice (TCP and UDP); publish narrower ranges",
                ));
        }
        ctx.ports.set(count);
        out.extend(ports.into_iter().map(|port| (port, item.pos.clone())));
    }
    // compose-go's unicity rule: a port with the same host address,
    // published port, target and protocol stands once, the later one in the
    // earlier one's place.
    let key = |port: &Port| {
        (
            port.host_ip.clone().unwrap_or_else(|| "0.0.0.0".into()),
            port.published.clone(),
            port.target,
            port.protocol.clone(),
        )
    };
    Ok(unique::replace_or_append(Vec::new(), out, |(port, _)| {
        Some(key(port))
    }))
}

fn long_port(item: &Node, field: &str) -> Result<Port> {
    let target_node = item.get("target").ok_or_else(|| {
        item.pos
            .error(format!("`{field}` entries in long form need a `target`"))
    })?;
    let target = read::unsigned(target_node, &format!("{field}.target"))?;
    let target = u16::try_from(target)
        .ok()
        .filter(|t| *t > 0)
        .ok_or_else(|| {
            target_node
                .pos
                .error(format!("invalid port `{target}`: must be 1-65535"))
        })?;
    let opt = |key: &str| -> Result<Option<String>> {
        item.get(key)
            .map(|n| read::opt_string(n, &format!("{field}.{key}")))
            .transpose()
            .map(Option::flatten)
    };
    let published = opt("published")?;
    if let (Some(text), Some(node)) = (&published, item.get("published")) {
        let valid = text.split_once('-').map_or_else(
            || text.parse::<u16>().is_ok(),
            |(a, b)| a.parse::<u16>().is_ok() && b.parse::<u16>().is_ok(),
        );
        if !valid {
            return Err(node.pos.error(format!(
                "invalid port `{text}`: published must be a port number or range"
            )));
        }
    }
    Ok(Port {
        mode: opt("mode")?.unwrap_or_else(|| "ingress".into()),
        host_ip: opt("host_ip")?,
        target,
        published,
        protocol: opt("protocol")?.unwrap_or_else(|| "tcp".into()),
        name: opt("name")?,
        app_protocol: opt("app_protocol")?,
    })
}

pub(crate) fn volumes(node: &Node, field: &str, ctx: &Context<'_>) -> Result<Vec<VolumeMount>> {
    let mut out = Vec::new();
    for item in read::sequence(node, field)? {
        match &item.value {
            Value::Map(map) => {
                read::check_keys(map, keys::VOLUME_MOUNT, &format!("`{field}`"))?;
                out.push(long_volume(item, field, ctx)?);
            }
            _ => {
                let spec = read::string(item, field)?;
                let parsed = syntax::parse_volume(&spec).map_err(|m| item.pos.error(m))?;
                out.push(short_volume(parsed, item, ctx));
            }
        }
    }
    // One mount per container path, as compose-go's unicity rule keeps it.
    Ok(unique::replace_or_append(Vec::new(), out, |mount| {
        Some(mount.target.clone())
    }))
}

fn short_volume(spec: VolumeSpec, item: &Node, ctx: &Context<'_>) -> VolumeMount {
    let has = |mode: &str| spec.modes.iter().any(|m| m == mode);
    let mut mount = VolumeMount {
        read_only: has("ro"),
        target: clean_path(&spec.target),
        ..VolumeMount::default()
    };
    if spec.is_bind() {
        let source = spec.source.as_deref().unwrap_or_default();
        mount.kind = "bind".into();
        mount.source = Some(paths::absolute_string(
            &item.pos.source.base_dir,
            source,
            ctx.env,
        ));
        let mut bind = serde_json::Map::new();
        bind.insert("create_host_path".into(), true.into());
        if let Some(selinux) = spec.modes.iter().find(|m| *m == "z" || *m == "Z") {
            bind.insert("selinux".into(), selinux.clone().into());
        }
        if let Some(propagation) = spec
            .modes
            .iter()
            .find(|m| m.contains("shared") || m.contains("slave") || m.contains("private"))
        {
            bind.insert("propagation".into(), propagation.clone().into());
        }
        mount.bind = Some(bind.into());
    } else {
        mount.kind = "volume".into();
        mount.source.clone_from(&spec.source);
        let mut volume = serde_json::Map::new();
        if has("nocopy") {
            volume.insert("nocopy".into(), true.into());
        }
        mount.volume = Some(volume.into());
    }
    mount
}

fn long_volume(item: &Node, field: &str, ctx: &Context<'_>) -> Result<VolumeMount> {
    let kind_node = item.get("type").ok_or_else(|| {
        item.pos
            .error(format!("`{field}` entries in long form need a `type`"))
    })?;
    let kind = read::string(kind_node, &format!("{field}.type"))?;
    if !matches!(
        kind.as_str(),
        "volume" | "bind" | "tmpfs" | "npipe" | "cluster" | "image"
    ) {
        return Err(kind_node
            .pos
            .error(format!("unknown volume type `{kind}`"))
            .with_help("use volume, bind, tmpfs, npipe, cluster or image"));
    }
    let target_node = item.get("target").ok_or_else(|| {
        item.pos
            .error(format!("`{field}` entries in long form need a `target`"))
    })?;
    let mut mount = VolumeMount {
        target: clean_path(&read::string(target_node, &format!("{field}.target"))?),
        ..VolumeMount::default()
    };
    for (key, entry) in item.as_map().into_iter().flatten() {
        let value = &entry.node;
        let sub = format!("{field}.{key}");
        match key.as_str() {
            "type" | "target" => {}
            "source" => {
                let source = read::opt_string(value, &sub)?;
                mount.source = match source {
                    Some(path) if kind == "bind" => Some(paths::absolute_string(
                        &value.pos.source.base_dir,
                        &path,
                        ctx.env,
                    )),
                    other => other,
                };
            }
            "read_only" => mount.read_only = read::boolean(value, &sub)?,
            // `create_host_path: false` is the default compose leaves out.
            "bind" => {
                let mut bind = read::json(value);
                if let Some(map) = bind.as_object_mut()
                    && map.get("create_host_path") == Some(&serde_json::Value::Bool(false))
                {
                    map.remove("create_host_path");
                }
                mount.bind = Some(bind);
            }
            "volume" => mount.volume = Some(read::json(value)),
            "tmpfs" => {
                let mut tmpfs = read::json(value);
                if let (Some(size), Some(object)) = (value.get("size"), tmpfs.as_object_mut()) {
                    // A decimal string, as compose prints byte sizes; 0 is
                    // no limit, which compose leaves out.
                    match read::bytes(size, &format!("{sub}.size"))? {
                        0 => object.remove("size"),
                        bytes => object.insert("size".into(), bytes.to_string().into()),
                    };
                }
                if let (Some(mode), Some(object)) = (value.get("mode"), tmpfs.as_object_mut()) {
                    let mode = super::service::file_mode(mode, &format!("{sub}.mode"))?;
                    object.insert("mode".into(), mode.into());
                }
                mount.tmpfs = Some(tmpfs);
            }
            other => {
                mount.other.insert(other.to_owned(), read::json(value));
            }
        }
    }
    if kind == "bind" && mount.source.is_none() {
        return Err(item
            .pos
            .error(format!("`{field}` bind mounts need a `source`")));
    }
    mount.kind = kind;
    Ok(mount)
}

/// A container path as compose-go cleans it (Go's `path.Clean`): no trailing
/// slash, no `.`/empty elements, `..` resolved lexically. `/data/` and
/// `/data` are one mount point, and merges key on it.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            part => parts.push(part),
        }
    }
    match (rooted, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".into(),
        (false, false) => parts.join("/"),
    }
}
