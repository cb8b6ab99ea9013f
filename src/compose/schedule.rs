//! `x-parity.schedule`: the schedule expression of a job, checked by the rules
//! EventBridge Scheduler documents for recurring schedules, so a typo is exit 2
//! at the compose file's `line:col` instead of a ValidationException in the
//! middle of a deploy.
//!
//! The rules (EventBridge Scheduler user guide, "Schedule types", and the
//! EventBridge cron reference it builds on):
//! - `rate(value unit)`: a positive whole number and `minute`, `hour` or `day`
//!   (singular for 1, plural for more: `rate(1 hour)`, `rate(5 minutes)`).
//! - `cron(minutes hours day-of-month month day-of-week year)`: six fields.
//!   minutes 0-59, hours 0-23 (`, - * /`); day-of-month 1-31 (`, - * ? / L W`);
//!   month 1-12 or JAN-DEC (`, - * /`); day-of-week 1-7 or SUN-SAT
//!   (`, - * ? L #`); year 1970-2199 (`, - * /`). Exactly one of day-of-month
//!   and day-of-week is `?`.
//! - `at(...)` is a one-time schedule, not a job that recurs: refused.
//!
//! Pure: text in, verdict out.

/// Why `expression` is not a recurring schedule EventBridge Scheduler accepts.
pub(crate) fn check(expression: &str) -> Result<(), String> {
    let expression = expression.trim();
    if let Some(inner) = inside(expression, "rate") {
        return check_rate(inner);
    }
    if let Some(inner) = inside(expression, "cron") {
        return check_cron(inner);
    }
    if inside(expression, "at").is_some() {
        return Err(format!(
            "`{expression}` is a one-time schedule; a job recurs: use `rate(...)` or `cron(...)`"
        ));
    }
    Err(format!(
        "`{expression}` is not a schedule expression: write `rate(1 hour)` or `cron(0 3 * * ? *)`"
    ))
}

/// The text between `name(` and the final `)`.
fn inside<'a>(expression: &'a str, name: &str) -> Option<&'a str> {
    expression
        .strip_prefix(name)?
        .strip_prefix('(')?
        .strip_suffix(')')
}

fn check_rate(inner: &str) -> Result<(), String> {
    let parts: Vec<&str> = inner.split_whitespace().collect();
    let [value, unit] = parts.as_slice() else {
        return Err(format!(
            "`rate({inner})` needs a value and a unit, e.g. `rate(5 minutes)`"
        ));
    };
    let value: u64 = value
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("`rate({inner})`: `{value}` is not a positive whole number"))?;
    let singular = ["minute", "hour", "day"];
    let plural = ["minutes", "hours", "days"];
    let ok = if value == 1 {
        singular.contains(unit)
    } else {
        plural.contains(unit)
    };
    if ok {
        return Ok(());
    }
    let known = singular.contains(unit) || plural.contains(unit);
    Err(if known {
        format!(
            "`rate({inner})`: the unit is singular for 1 and plural otherwise (`rate(1 hour)`, `rate(2 hours)`)"
        )
    } else {
        format!("`rate({inner})`: the unit is one of minute(s), hour(s), day(s)")
    })
}

/// One cron field's name, range, names and the wildcards it allows.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    question: bool,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        question: false,
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        question: false,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        question: true,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
        question: false,
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: DAYS,
        question: true,
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        question: false,
    },
];

fn check_cron(inner: &str) -> Result<(), String> {
    let parts: Vec<&str> = inner.split_whitespace().collect();
    if parts.len() != 6 {
        return Err(format!(
            "`cron({inner})` has {} field(s); EventBridge takes six: minutes hours day-of-month month day-of-week year, e.g. `cron(0 3 * * ? *)`",
            parts.len()
        ));
    }
    for (text, field) in parts.iter().zip(&FIELDS) {
        check_field(text, field)
            .map_err(|why| format!("`cron({inner})`: {} `{text}`: {why}", field.name))?;
    }
    match (parts[2] == "?", parts[4] == "?") {
        (true, false) | (false, true) => Ok(()),
        (true, true) => Err(format!(
            "`cron({inner})`: day-of-month and day-of-week cannot both be `?`; give one of them"
        )),
        (false, false) => Err(format!(
            "`cron({inner})`: one of day-of-month and day-of-week must be `?` (e.g. `cron(0 3 * * ? *)`)"
        )),
    }
}

fn check_field(text: &str, field: &Field) -> Result<(), String> {
    if text == "?" {
        return if field.question {
            Ok(())
        } else {
            Err("`?` is allowed only in day-of-month and day-of-week".into())
        };
    }
    for item in text.split(',') {
        check_item(item, field)?;
    }
    Ok(())
}

/// One comma-separated item: `*`, a value, a range, a step, or `L`/`W`/`#`.
fn check_item(item: &str, field: &Field) -> Result<(), String> {
    if item.is_empty() {
        return Err("an empty list item".into());
    }
    let day_of_month = field.name == "day-of-month";
    let day_of_week = field.name == "day-of-week";
    if day_of_month && (item == "L" || item == "LW") {
        return Ok(());
    }
    if day_of_month && let Some(day) = item.strip_suffix('W') {
        return value(day, field).map(drop);
    }
    if day_of_week && item == "L" {
        return Ok(());
    }
    if day_of_week && let Some(day) = item.strip_suffix('L') {
        return value(day, field).map(drop);
    }
    if day_of_week && let Some((day, nth)) = item.split_once('#') {
        value(day, field)?;
        return match nth.parse::<u32>() {
            Ok(1..=5) => Ok(()),
            _ => Err(format!("`#{nth}`: the week of the month is 1 to 5")),
        };
    }
    if item.contains(['L', 'W', '#']) && !field.names.iter().any(|n| item.contains(n)) {
        return Err(format!("`{item}`: `L`, `W` and `#` are not allowed here"));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => (range, Some(step)),
        None => (item, None),
    };
    if let Some(step) = step {
        if day_of_week {
            return Err("`/` is not allowed in day-of-week".into());
        }
        match step.parse::<u32>() {
            Ok(n) if n >= 1 => {}
            _ => {
                return Err(format!(
                    "`/{step}`: the increment is a positive whole number"
                ));
            }
        }
    }
    if range == "*" {
        return Ok(());
    }
    match range.split_once('-') {
        Some((from, to)) => {
            value(from, field)?;
            value(to, field)?;
            Ok(())
        }
        None => value(range, field).map(drop),
    }
}

/// A number in the field's range, or one of its names (JAN, MON, ...).
fn value(text: &str, field: &Field) -> Result<u32, String> {
    if let Some(index) = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        return Ok(field.min + u32::try_from(index).unwrap_or(0));
    }
    match text.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(n),
        _ if field.names.is_empty() => Err(format!(
            "`{text}` is not a value from {} to {}",
            field.min, field.max
        )),
        _ => Err(format!(
            "`{text}` is not a value from {} to {} or {}-{}",
            field.min,
            field.max,
            field.names[0],
            field.names[field.names.len() - 1]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    /// Examples from the EventBridge Scheduler and EventBridge cron references.
    #[test]
    fn documented_examples_are_accepted() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(12 hours)",
            "rate(1 day)",
            "rate(7 days)",
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 3 * * ? *)",
            "cron(0 0 L * ? *)",
            "cron(0 0 3W * ? *)",
            "cron(0 0 ? * 6L 2030-2035)",
            "cron(30 2 ? JAN,JUL SUN 2026)",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn what_eventbridge_rejects_is_refused_with_the_reason() {
        for (bad, why) in [
            ("rate(0 minutes)", "not a positive whole number"),
            ("rate(1 hours)", "singular for 1"),
            ("rate(2 hour)", "singular for 1"),
            ("rate(5 weeks)", "one of minute(s)"),
            ("rate(5)", "a value and a unit"),
            ("rate(-1 day)", "not a positive"),
            ("cron(0 3 * * *)", "has 5 field(s)"),
            (
                "cron(0 3 * * * *)",
                "one of day-of-month and day-of-week must be `?`",
            ),
            ("cron(0 3 ? * ? *)", "cannot both be `?`"),
            ("cron(60 3 * * ? *)", "minutes `60`"),
            ("cron(0 24 * * ? *)", "hours `24`"),
            ("cron(0 3 32 * ? *)", "day-of-month `32`"),
            ("cron(0 3 ? 13 MON *)", "month `13`"),
            ("cron(0 3 ? FOO MON *)", "JAN-DEC"),
            ("cron(0 3 ? * 8 *)", "day-of-week `8`"),
            ("cron(0 3 ? * 2#6 *)", "1 to 5"),
            ("cron(0 3 * * ? 1969)", "year `1969`"),
            ("cron(0 ? * * ? *)", "`?` is allowed only"),
            ("cron(0 3 * * ? */0)", "positive whole number"),
            ("cron(0 3 ? * MON/2 *)", "`/` is not allowed in day-of-week"),
            ("cron(0 3 L * 2L *)", "must be `?`"),
            ("cron(0 3W * * ? *)", "not allowed here"),
            ("cron(0 3,, * * ? *)", "empty list item"),
            ("at(2026-11-27T10:00:00)", "one-time schedule"),
            ("every day", "not a schedule expression"),
            ("", "not a schedule expression"),
        ] {
            let err = check(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
