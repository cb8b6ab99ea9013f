//! A duration in whole seconds, written either as an integer (`30`) or as a
//! Go-style duration string (`"30s"`, `"5m"`), the way compose writes them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whole seconds. A string with a fraction of a second is rejected rather than
/// rounded: ECS takes whole seconds, and parity never changes a value silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Seconds(pub(crate) u64);

impl Seconds {
    pub(crate) fn get(self) -> u64 {
        self.0
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Seconds;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "whole seconds: an integer like 30 or a duration like \"30s\" or \"5m\"",
                )
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Seconds, E> {
                u64::try_from(v).map(Seconds).map_err(|_| {
                    E::custom(format!(
                        "expected a non-negative number of seconds, found {v}"
                    ))
                })
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Seconds, E> {
                let millis = crate::compose::model::parse_duration(v).ok_or_else(|| {
                    E::custom(format!(
                        "invalid duration `{v}`: expected e.g. \"30s\", \"5m\" or an integer number of seconds"
                    ))
                })?;
                if !millis.is_multiple_of(1000) {
                    return Err(E::custom(format!(
                        "`{v}` is not a whole number of seconds (ECS takes whole seconds)"
                    )));
                }
                Ok(Seconds(millis / 1000))
            }
        }
        d.deserialize_any(Visitor)
    }
}
