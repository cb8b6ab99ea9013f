//! The short syntaxes the Compose Specification packs into one string: port
//! specs (`127.0.0.1:8000-8001:80-81/udp`), volume specs (`./data:/data:ro`),
//! byte sizes (`512m`). Each parser returns a plain message on failure; the
//! caller attaches the location.
//!
//! Owns: string -> parts. Must not resolve paths or read nodes.

use crate::compose::model::Port;

/// Parses a short port spec into one [`Port`] per container port (ranges are
/// expanded the way docker compose expands them).
pub(crate) fn parse_ports(spec: &str) -> Result<Vec<Port>, String> {
    let spec = spec.trim();
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((rest, protocol)) => {
            if protocol.is_empty() {
                return Err(format!("invalid port `{spec}`: empty protocol after `/`"));
            }
            (rest, protocol.to_ascii_lowercase())
        }
        None => (spec, "tcp".to_owned()),
    };
    let (host_ip, host_port, container) = split_port_parts(rest).ok_or_else(|| {
        format!("invalid port `{spec}`: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]")
    })?;
    let (target_start, target_end) = port_range(container).ok_or_else(|| {
        format!("invalid port `{spec}`: `{container}` is not a port number (1-65535) or range")
    })?;
    if target_start == 0 {
        return Err(format!(
            "invalid port `{spec}`: the container port cannot be 0"
        ));
    }
    let published = match host_port {
        None | Some("") => None,
        Some(host) => Some(port_range(host).ok_or_else(|| {
            format!("invalid port `{spec}`: `{host}` is not a port number (0-65535) or range")
        })?),
    };
    let host_ip = host_ip
        .filter(|ip| !ip.is_empty())
        .map(|ip| ip.trim_start_matches('[').trim_end_matches(']').to_owned());
    let count = target_end - target_start;
    let make = |target: u16, published: Option<String>| Port {
        mode: "ingress".into(),
        host_ip: host_ip.clone(),
        target,
        published,
        protocol: protocol.clone(),
        name: None,
        app_protocol: None,
    };
    match published {
        None => Ok((target_start..=target_end).map(|t| make(t, None)).collect()),
        Some((start, end)) if start == end => Ok((target_start..=target_end)
            .map(|t| make(t, Some(start.to_string())))
            .collect()),
        Some((start, end)) if count == 0 => {
            Ok(vec![make(target_start, Some(format!("{start}-{end}")))])
        }
        Some((start, end)) if end - start == count => Ok((0..=count)
            .map(|offset| make(target_start + offset, Some((start + offset).to_string())))
            .collect()),
        Some(_) => Err(format!(
            "invalid port `{spec}`: the host and container ranges have different lengths"
        )),
    }
}

/// `ip:host:container`, `host:container` or `container`; IPv6 in brackets.
fn split_port_parts(text: &str) -> Option<(Option<&str>, Option<&str>, &str)> {
    if let Some(stripped) = text.strip_prefix('[') {
        let close = stripped.find(']')?;
        let ip = &text[..close + 2];
        let rest = text[close + 2..].strip_prefix(':')?;
        let (host, container) = rest.split_once(':')?;
        return Some((Some(ip), Some(host), container));
    }
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [container] => Some((None, None, container)),
        [host, container] => Some((None, Some(host), container)),
        [ip, host, container] => Some((Some(ip), Some(host), container)),
        _ => {
            // A bare IPv6 address: everything before the last two parts.
            let container = parts[parts.len() - 1];
            let host = parts[parts.len() - 2];
            let ip_len = text.len() - container.len() - host.len() - 2;
            Some((Some(&text[..ip_len]), Some(host), container))
        }
    }
}

/// `80` or `8000-8010`.
fn port_range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        Some((start, end)) => {
            let (start, end) = (start.parse().ok()?, end.parse().ok()?);
            (start <= end).then_some((start, end))
        }
        None => {
            let port = text.parse().ok()?;
            Some((port, port))
        }
    }
}

/// The parts of a short volume spec.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct VolumeSpec {
    /// Host path or volume name; `None` for an anonymous volume.
    pub(crate) source: Option<String>,
    pub(crate) target: String,
    /// `ro`, `rw`, `z`, `nocopy`, ... as written.
    pub(crate) modes: Vec<String>,
}

impl VolumeSpec {
    /// A path (bind mount) rather than a volume name.
    pub(crate) fn is_bind(&self) -> bool {
        self.source.as_deref().is_some_and(is_path)
    }
}

/// Host paths start with `/`, `.` or `~` (or a Windows drive letter).
pub(crate) fn is_path(source: &str) -> bool {
    source.starts_with(['/', '.', '~'])
        || (source.len() >= 2
            && source.as_bytes()[1] == b':'
            && source.as_bytes()[0].is_ascii_alphabetic())
}

const VOLUME_MODES: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "nocopy",
    "consistent",
    "cached",
    "delegated",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "private",
    "rprivate",
];

/// Parses `[SOURCE:]TARGET[:MODE]`.
pub(crate) fn parse_volume(spec: &str) -> Result<VolumeSpec, String> {
    let parts = volume_sections(spec)?;
    let (source, target, modes) = match parts.as_slice() {
        [target] => (None, target.as_str(), ""),
        [source, target] => (Some(source.as_str()), target.as_str(), ""),
        [source, target, modes] => (Some(source.as_str()), target.as_str(), modes.as_str()),
        _ => {
            return Err(format!(
                "invalid volume `{spec}`: expected [SOURCE:]TARGET[:MODE]"
            ));
        }
    };
    if target.is_empty() {
        return Err(format!(
            "invalid volume `{spec}`: the container path is empty"
        ));
    }
    if !target.starts_with('/') && !is_path(target) {
        return Err(format!(
            "invalid volume `{spec}`: the container path `{target}` must be absolute"
        ));
    }
    let modes: Vec<String> = modes
        .split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = modes.iter().find(|m| !VOLUME_MODES.contains(&m.as_str())) {
        return Err(format!("invalid volume `{spec}`: unknown mode `{bad}`"));
    }
    Ok(VolumeSpec {
        source: source.filter(|s| !s.is_empty()).map(str::to_owned),
        target: target.to_owned(),
        modes,
    })
}

/// The `:`-separated sections of a short volume, split as compose-go splits
/// them: a `:` right after a single letter is a Windows drive (`C:\\data`,
/// `c:/data`, even `a:/a`), part of the path; an empty section (`:/data`, as
/// an unset `${VAR}:/data` leaves it) is refused rather than read as an
/// anonymous volume.
fn volume_sections(spec: &str) -> Result<Vec<String>, String> {
    let mut sections = Vec::new();
    let mut buffer = String::new();
    for c in spec.chars() {
        let mut chars = buffer.chars();
        let drive = chars.next().is_some_and(char::is_alphabetic) && chars.next().is_none();
        if c != ':' || drive {
            buffer.push(c);
        } else if buffer.is_empty() {
            break;
        } else {
            sections.push(std::mem::take(&mut buffer));
        }
    }
    if buffer.is_empty() {
        return Err(format!(
            "invalid volume `{spec}`: empty section between colons"
        ));
    }
    sections.push(buffer);
    Ok(sections)
}

/// A byte size: `1024`, `512m`, `1.5g`, `2GB`, `64kib`.
pub(crate) fn parse_bytes(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!("invalid byte size `{text}`: expected a number with an optional unit (b, k, m, g)")
    })?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let factor: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => {
            return Err(format!(
                "invalid byte size `{text}`: unknown unit (use b, k, m, g, t or p)"
            ));
        }
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((number * factor) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(spec: &str) -> Vec<(Option<String>, Option<String>, u16, String)> {
        parse_ports(spec)
            .unwrap()
            .into_iter()
            .map(|p| (p.host_ip, p.published, p.target, p.protocol))
            .collect()
    }

    #[test]
    fn port_short_forms() {
        assert_eq!(published("80"), [(None, None, 80, "tcp".into())]);
        assert_eq!(
            published("8080:80"),
            [(None, Some("8080".into()), 80, "tcp".into())]
        );
        assert_eq!(
            published("127.0.0.1:8080:80/udp"),
            [(
                Some("127.0.0.1".into()),
                Some("8080".into()),
                80,
                "udp".into()
            )]
        );
        assert_eq!(
            published("127.0.0.1::80"),
            [(Some("127.0.0.1".into()), None, 80, "tcp".into())]
        );
        assert_eq!(
            published("[::1]:6000:6000"),
            [(Some("::1".into()), Some("6000".into()), 6000, "tcp".into())]
        );
    }

    #[test]
    fn port_ranges_expand() {
        assert_eq!(parse_ports("3000-3002").unwrap().len(), 3);
        let pairs = published("9090-9091:8080-8081");
        assert_eq!(pairs[1], (None, Some("9091".into()), 8081, "tcp".into()));
        assert_eq!(published("8000-8010:80")[0].1.as_deref(), Some("8000-8010"));
    }

    #[test]
    fn bad_ports() {
        assert!(parse_ports("abc").is_err());
        assert!(parse_ports("70000:80").is_err());
        assert!(parse_ports("80:0").is_err());
        assert!(parse_ports("1-3:1-2").is_err());
    }

    #[test]
    fn volume_short_forms() {
        let v = parse_volume("./data:/data:ro").unwrap();
        assert!(v.is_bind());
        assert_eq!(v.modes, ["ro"]);
        let v = parse_volume("db:/var/lib/db").unwrap();
        assert!(!v.is_bind());
        let v = parse_volume("/anon").unwrap();
        assert_eq!(v.source, None);
        assert!(parse_volume("data:relative").is_err());
        assert!(parse_volume("a:/b:bogus").is_err());
        // A single letter before `:` is a Windows drive, as compose-go reads it.
        let v = parse_volume("a:/a").unwrap();
        assert_eq!((v.source, v.target.as_str()), (None, "a:/a"));
        let v = parse_volume("C:\\data:/data").unwrap();
        assert_eq!(v.source.as_deref(), Some("C:\\data"));
        // An unset `${FILE}:/x` leaves an empty section: refused, not anonymous.
        assert!(parse_volume(":/text_file.txt").is_err());
        assert!(parse_volume("/a:/b:").is_err());
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("512m"), Ok(512 * 1024 * 1024));
        assert_eq!(parse_bytes("1.5g"), Ok(1_610_612_736));
        assert_eq!(parse_bytes("2GB"), Ok(2 * 1024 * 1024 * 1024));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5q").is_err());
    }
}
