//! The part of a failed service's log that explains the failure: the last
//! lines, extended back to the start of a Python traceback (with the
//! tracebacks it was raised from) or else to the blank line that opens the
//! last paragraph, within a bound. Shared by local `up` failures and the cloud
//! release phase; lines are kept whole, never cut or wrapped.
//!
//! Pure.

/// Lines a failure report shows at least (when the log has them).
pub(crate) const AT_LEAST: usize = 20;

/// Lines read from the end of a log to look for where the story starts; also
/// the most a report shows.
pub(crate) const AT_MOST: usize = 120;

const TRACEBACK: &str = "Traceback (most recent call last):";

/// Lines that join two tracebacks of one chained Python exception.
const CHAINED: [&str; 2] = [
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
];

/// The explaining tail of `lines` (the end of a log, oldest first).
pub(crate) fn explaining(lines: &[String]) -> &[String] {
    let len = lines.len();
    let floor = len.saturating_sub(AT_MOST);
    let start = len.saturating_sub(AT_LEAST);
    let before = floor..start;
    let start = match before.clone().rev().find(|&i| lines[i].contains(TRACEBACK)) {
        Some(mut head) => {
            // A chained exception: take the tracebacks it was raised from too.
            while let Some(earlier) = chained_from(lines, head, floor) {
                head = earlier;
            }
            head
        }
        None => before
            .rev()
            .find(|&i| lines[i].trim().is_empty())
            .map_or(start, |blank| blank + 1),
    };
    &lines[start..]
}

/// The head of the traceback that the one at `head` was chained to, if any.
fn chained_from(lines: &[String], head: usize, floor: usize) -> Option<usize> {
    let joint = (floor..head)
        .rev()
        .take_while(|&i| lines[i].trim().is_empty() || CHAINED.iter().any(|c| lines[i].contains(c)))
        .last()?;
    let joined = (joint..head).any(|i| CHAINED.iter().any(|c| lines[i].contains(c)));
    if !joined {
        return None;
    }
    (floor..joint).rev().find(|&i| lines[i].contains(TRACEBACK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    fn noise(n: usize) -> String {
        (0..n).map(|i| format!("request {i} ok\n")).collect()
    }

    #[test]
    fn a_long_traceback_is_shown_from_its_head() {
        let frames: String = (0..15)
            .map(|i| {
                format!(
                    "  File \"/app/m{i}.py\", line {i}, in f{i}\n    f{}()\n    ^^^^^^^^^^\n",
                    i + 1
                )
            })
            .collect();
        let text = format!(
            "{}Traceback (most recent call last):\n{frames}ValueError: bad config\n",
            noise(50)
        );
        let lines = log(&text);
        let tail = explaining(&lines);
        assert_eq!(tail[0], "Traceback (most recent call last):");
        assert_eq!(
            tail.last().map(String::as_str),
            Some("ValueError: bad config")
        );
        assert!(tail.len() > AT_LEAST);
    }

    #[test]
    fn chained_tracebacks_are_kept_together() {
        let text = format!(
            "{}Traceback (most recent call last):\n  File \"a.py\", line 1\nKeyError: 'x'\n\n\
             During handling of the above exception, another exception occurred:\n\n\
             Traceback (most recent call last):\n{}RuntimeError: no x\n",
            noise(30),
            "  File \"b.py\", line 2\n".repeat(20)
        );
        let lines = log(&text);
        assert_eq!(explaining(&lines)[0], "Traceback (most recent call last):");
        assert_eq!(explaining(&lines)[2], "KeyError: 'x'");
    }

    #[test]
    fn without_a_traceback_the_tail_starts_at_a_paragraph() {
        let text = format!(
            "{}\nerror: could not bind\n{}",
            noise(40),
            "  detail\n".repeat(25)
        );
        let lines = log(&text);
        assert_eq!(explaining(&lines)[0], "error: could not bind");
        let plain = log(&noise(40));
        assert_eq!(
            explaining(&plain).len(),
            AT_LEAST,
            "no boundary: the last lines"
        );
        assert_eq!(explaining(&log(&noise(5))).len(), 5);
    }

    #[test]
    fn the_extension_is_bounded() {
        let text = format!("Traceback (most recent call last):\n{}", noise(500));
        let lines = log(&text);
        assert_eq!(
            explaining(&lines).len(),
            AT_LEAST,
            "a head beyond the bound is not sought"
        );
    }
}
