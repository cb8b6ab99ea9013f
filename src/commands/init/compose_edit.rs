//! `parity init --write-compose`: the proposed `x-parity` blocks inserted into
//! the compose file as text, so every comment, blank line and quoting style
//! the team wrote stays as it was. One line per service, a flow mapping at the
//! indentation of the service's own keys, after its last line.

/// Where a service's block starts and ends in the file, and how its keys are indented.
struct ServiceBlock {
    /// Index of the service's last content line (comments and blank lines after it excluded).
    last_line: usize,
    /// The indentation of the service's keys.
    key_indent: String,
}

/// `text` with `x-parity: <flow>` (and a comment line per reason above it) added
/// to each `(service, flow, reasons)`; `Err(message)` names a service that cannot
/// be edited as text (not in this file, or written as a flow mapping).
pub(super) fn insert(
    text: &str,
    blocks: &[(String, String, Vec<String>)],
) -> Result<String, String> {
    // Each line keeps its own ending, so a CRLF file stays CRLF (and a mixed one as it was).
    let (mut lines, mut endings): (Vec<String>, Vec<&str>) = text
        .split_inclusive('\n')
        .map(|line| {
            let content = line
                .strip_suffix("\r\n")
                .or_else(|| line.strip_suffix('\n'))
                .unwrap_or(line);
            (content.to_owned(), &line[content.len()..])
        })
        .unzip();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    // Insert bottom-up so earlier line numbers stay valid.
    let mut located = Vec::new();
    for (service, flow, reasons) in blocks {
        let block = locate(&lines, service)?;
        located.push((block, flow, reasons));
    }
    located.sort_by_key(|(block, _, _)| std::cmp::Reverse(block.last_line));
    for (block, flow, reasons) in located {
        let mut new = Vec::new();
        for reason in reasons {
            new.push(format!("{}# parity init: {reason}", block.key_indent));
        }
        new.push(format!("{}x-parity: {flow}", block.key_indent));
        let at = block.last_line + 1;
        // The last line of a file without a final newline gets one before the block,
        // and the block's last line takes over the missing ending.
        let ending = endings[block.last_line];
        let inserted = if ending.is_empty() {
            endings[block.last_line] = newline;
            let mut own = vec![newline; new.len()];
            own[new.len() - 1] = "";
            own
        } else {
            vec![ending; new.len()]
        };
        lines.splice(at..at, new);
        endings.splice(at..at, inserted);
    }
    Ok(lines
        .iter()
        .zip(endings)
        .map(|(line, ending)| format!("{line}{ending}"))
        .collect())
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Finds `services:` at the top level, then `<service>:` among its keys.
fn locate(lines: &[String], service: &str) -> Result<ServiceBlock, String> {
    let services = lines
        .iter()
        .position(|l| l.trim_end() == "services:" || l.starts_with("services: #"))
        .ok_or_else(|| "the file has no block-style top-level `services:` key".to_owned())?;
    let mut service_indent = None;
    let mut start = None;
    for (index, line) in lines.iter().enumerate().skip(services + 1) {
        if !is_content(line) {
            continue;
        }
        let indent = indent_of(line);
        if indent == 0 {
            break;
        }
        let level = *service_indent.get_or_insert(indent);
        if indent != level {
            continue;
        }
        let key = line.trim_start();
        let name = key
            .split_once(':')
            .map(|(k, _)| k.trim().trim_matches(['"', '\'']))
            .unwrap_or("");
        if name == service {
            let rest = key.split_once(':').map(|(_, r)| r.trim()).unwrap_or("");
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(format!(
                    "service `{service}` is written on one line (`{}`); add the block by hand",
                    key.trim()
                ));
            }
            start = Some((index, indent));
            break;
        }
    }
    let (start, indent) =
        start.ok_or_else(|| format!("service `{service}` is not written in this file"))?;
    let mut last_line = start;
    let mut key_indent = None;
    for (index, line) in lines.iter().enumerate().skip(start + 1) {
        if !is_content(line) {
            continue;
        }
        let this = indent_of(line);
        if this <= indent {
            break;
        }
        key_indent.get_or_insert(this);
        last_line = index;
    }
    let key_indent = key_indent.ok_or_else(|| format!("service `{service}` has no keys"))?;
    Ok(ServiceBlock {
        last_line,
        key_indent: " ".repeat(key_indent),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(service: &str, flow: &str) -> Vec<(String, String, Vec<String>)> {
        vec![(service.into(), flow.into(), vec!["why".into()])]
    }

    #[test]
    fn inserts_at_the_services_key_indentation_keeping_comments() {
        let text = "# top\nservices:\n    web:\n        image: app   # the app\n        ports:\n          - \"80:80\"\n\n    # the database\n    db:\n        image: postgres:16\n# trailing\n";
        let out = insert(text, &one("web", "{secrets: [A]}")).unwrap();
        assert_eq!(
            out,
            "# top\nservices:\n    web:\n        image: app   # the app\n        ports:\n          - \"80:80\"\n        # parity init: why\n        x-parity: {secrets: [A]}\n\n    # the database\n    db:\n        image: postgres:16\n# trailing\n"
        );
        let out = insert(text, &one("db", "{cloud: rds}")).unwrap();
        assert!(out.ends_with("        image: postgres:16\n        # parity init: why\n        x-parity: {cloud: rds}\n# trailing\n"), "{out}");
    }

    #[test]
    fn keeps_the_files_line_endings() {
        let crlf = "services:\r\n  a:\r\n    image: x\r\n  b:\r\n    image: y\r\n";
        assert_eq!(
            insert(crlf, &one("a", "{cloud: false}")).unwrap(),
            "services:\r\n  a:\r\n    image: x\r\n    # parity init: why\r\n    x-parity: {cloud: false}\r\n  b:\r\n    image: y\r\n"
        );
        // No newline at the end of the file: the block goes after one, and the file still ends without.
        let unterminated = "services:\r\n  a:\r\n    image: x";
        assert_eq!(
            insert(unterminated, &one("a", "{cloud: false}")).unwrap(),
            "services:\r\n  a:\r\n    image: x\r\n    # parity init: why\r\n    x-parity: {cloud: false}"
        );
    }

    #[test]
    fn several_services_keep_their_places() {
        let text = "services:\n  a:\n    image: x\n  b:\n    image: y\nvolumes:\n  v:\n";
        let blocks = vec![
            ("a".into(), "{cloud: false}".into(), vec![]),
            ("b".into(), "{release: true}".into(), vec![]),
        ];
        assert_eq!(
            insert(text, &blocks).unwrap(),
            "services:\n  a:\n    image: x\n    x-parity: {cloud: false}\n  b:\n    image: y\n    x-parity: {release: true}\nvolumes:\n  v:\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_edit_as_text() {
        let flow = "services:\n  a: {image: x}\n";
        assert!(
            insert(flow, &one("a", "{}"))
                .unwrap_err()
                .contains("one line")
        );
        assert!(
            insert(flow, &one("b", "{}"))
                .unwrap_err()
                .contains("not written")
        );
    }
}
