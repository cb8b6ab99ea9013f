//! The region `parity init` writes: `--region`, else the AWS configuration
//! the SDK would use (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's
//! `region` in ~/.aws/config), else asked on a terminal. Never guessed.

use std::io::{BufRead, IsTerminal, Write};

use crate::error::{Error, Result};

/// The region from the flag, the environment, the config file or the terminal.
pub(super) fn resolve(flag: Option<&str>) -> Result<String> {
    let region = flag
        .map(str::to_owned)
        .or_else(|| from_environment(|k| std::env::var(k).ok()))
        .or_else(from_config_file);
    let region = match region {
        Some(region) => region,
        None if std::io::stdin().is_terminal() => ask()?,
        None => {
            return Err(Error::input(
                "no AWS region: AWS_REGION, AWS_DEFAULT_REGION and the AWS config profile set none, and there is no terminal to ask on",
            )
            .with_help("pass --region, e.g. `parity init --region eu-west-1`"));
        }
    };
    check(&region)?;
    Ok(region)
}

fn from_environment(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| var(k).filter(|v| !v.trim().is_empty()))
}

fn from_config_file() -> Option<String> {
    let path = std::env::var_os("AWS_CONFIG_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws/config"))
        })?;
    let text = std::fs::read_to_string(path).ok()?;
    let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".to_owned());
    profile_region(&text, &profile)
}

/// `region = ...` of `[default]` or `[profile NAME]` in an AWS config file.
fn profile_region(text: &str, profile: &str) -> Option<String> {
    let wanted = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = section.trim() == wanted;
        } else if inside
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "region"
        {
            let value = value.split('#').next().unwrap_or("").trim();
            if !value.is_empty() {
                return Some(value.to_owned());
            }
        }
    }
    None
}

fn ask() -> Result<String> {
    eprint!("AWS region for staging and prod (e.g. eu-west-1): ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::input(format!("cannot read the region from the terminal: {e}")))?;
    Ok(line.trim().to_owned())
}

/// A region is lowercase letters, digits and dashes (`eu-west-1`, `us-gov-west-1`).
fn check(region: &str) -> Result<()> {
    let ok = !region.is_empty()
        && region.contains('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!("`{region}` is not an AWS region"))
            .with_help("a region looks like eu-west-1 or us-east-1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_first_then_default_region() {
        let env = |k: &str| (k == "AWS_DEFAULT_REGION").then(|| "us-east-2".to_owned());
        assert_eq!(from_environment(env).as_deref(), Some("us-east-2"));
        assert_eq!(from_environment(|_| Some(" ".into())), None);
    }

    #[test]
    fn the_profiles_region_from_the_config_file() {
        let text = "[default]\nregion = eu-west-1\n\n[profile work]\noutput = json\nregion=ap-south-1 # mumbai\n";
        assert_eq!(
            profile_region(text, "default").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(profile_region(text, "work").as_deref(), Some("ap-south-1"));
        assert_eq!(profile_region(text, "other"), None);
    }

    #[test]
    fn regions_are_checked() {
        assert!(check("eu-west-1").is_ok());
        assert!(check("Europe").is_err());
        assert!(check("eu west").is_err());
    }
}
