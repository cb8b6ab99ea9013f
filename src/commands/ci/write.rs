//! `--write`: the workflows under `.github/workflows/` in the project
//! directory. A file that exists with other contents (someone filled in the
//! test command, say) is never replaced without `--force`; every file is
//! checked before any is written, so a refusal changes nothing.

use std::path::Path;

use super::render::File;
use crate::error::{Error, Result};

pub(crate) fn write(project_dir: &Path, files: &[File], force: bool) -> Result<()> {
    let mut differing = Vec::new();
    for file in files {
        let path = project_dir.join(&file.path);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing != file.text => differing.push(file.path.as_str()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::input(format!("cannot read {}: {e}", path.display())));
            }
        }
    }
    if !differing.is_empty() && !force {
        return Err(Error::input(format!(
            "{} exist{} with other contents; nothing was written",
            differing.join(", "),
            if differing.len() == 1 { "s" } else { "" }
        ))
        .with_help("run `parity ci github` to see the new text, or pass --force to replace them"));
    }
    for file in files {
        let path = project_dir.join(&file.path);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|t| t == file.text);
        if unchanged {
            println!("unchanged {}", file.path);
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::failed(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &file.text)
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?;
        println!("wrote {}", file.path);
    }
    Ok(())
}
