//! A YAML [`Node`] read through serde, with every error located.
//!
//! Why: a block whose shape parity owns (`x-parity`) is declared once, as a
//! `#[derive(Deserialize)]` struct, and serde does the reading — unknown keys,
//! wrong types, defaults — while each error still points at the node it is
//! about (`file:line:col`) and names the dotted key path. Scalars are read by
//! the same rules as every compose field (`read`), so `"3"` and `3` both fill
//! a number, as `${RETRIES}` must.
//!
//! Owns: node -> serde bridge. Knows no key.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use super::read;
use super::yaml::{Mapping, Node, Pos, Style, Value};
use crate::error::{Error, Result};

/// Reads `node` as `T`. `path` names the node in messages
/// (`service `web`: x-parity`); nested keys are appended with `.`.
pub(crate) fn from_node<T: DeserializeOwned>(node: &Node, path: &str) -> Result<T> {
    T::deserialize(NodeDe {
        node,
        path: path.to_owned(),
    })
    .map_err(DeError::into_error)
}

/// serde's error type here: either already located, or a message from serde
/// (or a `Deserialize` impl) that the innermost node it passes locates.
#[derive(Debug)]
pub(crate) enum DeError {
    Located(Error),
    Message {
        message: String,
        help: Option<String>,
    },
}

impl DeError {
    fn locate(self, path: &str, pos: &Pos) -> Self {
        match self {
            Self::Message { message, help } => {
                let mut error = pos.error(format!("{path}: {message}"));
                if let Some(help) = help {
                    error = error.with_help(help);
                }
                Self::Located(error)
            }
            located => located,
        }
    }

    fn into_error(self) -> Error {
        match self {
            Self::Located(error) => error,
            Self::Message { message, .. } => Error::input(message),
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Located(error) => error.fmt(f),
            Self::Message { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::Message {
            message: message.to_string(),
            help: None,
        }
    }

    /// A typo gets the one "did you mean" every unknown key gets.
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let help = crate::suggest::did_you_mean(field, expected)
            .unwrap_or_else(|| format!("known keys: {}", expected.join(", ")));
        Self::Message {
            message: format!("unknown key `{field}`"),
            help: Some(help),
        }
    }
}

/// One node being read, and its path for messages.
struct NodeDe<'a> {
    node: &'a Node,
    path: String,
}

impl NodeDe<'_> {
    fn located<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        result.map_err(|e| e.locate(&self.path, &self.node.pos))
    }

    fn read<T>(&self, result: Result<T>) -> Result<T, DeError> {
        result.map_err(DeError::Located)
    }
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.node;
        let result = match &node.value {
            _ if node.is_null() => visitor.visit_unit(),
            Value::Scalar(text, Style::Plain) => match node.to_json() {
                serde_json::Value::Bool(b) => visitor.visit_bool(b),
                serde_json::Value::Number(n) if n.is_u64() => {
                    visitor.visit_u64(n.as_u64().unwrap_or_default())
                }
                serde_json::Value::Number(n) if n.is_i64() => {
                    visitor.visit_i64(n.as_i64().unwrap_or_default())
                }
                serde_json::Value::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or_default()),
                _ => visitor.visit_str(text),
            },
            Value::Scalar(text, Style::Quoted) => visitor.visit_str(text),
            Value::Seq(items) => visitor.visit_seq(SeqDe::new(items, &self.path)),
            Value::Map(map) => visitor.visit_map(MapDe::new(map, &self.path)),
        };
        self.located(result)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.read(read::boolean(self.node, &self.path))?;
        self.located(visitor.visit_bool(value))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.read(read::unsigned(self.node, &self.path))?;
        self.located(visitor.visit_u64(value))
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.read(read::integer(self.node, &self.path))?;
        self.located(visitor.visit_i64(value))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.read(read::number(self.node, &self.path))?;
        self.located(visitor.visit_f64(value))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.read(read::string(self.node, &self.path))?;
        self.located(visitor.visit_string(value))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let items = self.read(read::sequence(self.node, &self.path))?;
        self.located(visitor.visit_seq(SeqDe::new(items, &self.path)))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let map = self.read(read::mapping(self.node, &self.path))?;
        self.located(visitor.visit_map(MapDe::new(map, &self.path)))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let text = self.read(read::string(self.node, &self.path))?;
        self.located(visitor.visit_enum(text.as_str().into_deserializer()))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i128 u8 u16 u32 u128 f32 char str bytes byte_buf unit unit_struct
        tuple tuple_struct identifier
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    path: &'a str,
}

impl<'a> SeqDe<'a> {
    fn new(items: &'a [Node], path: &'a str) -> Self {
        Self {
            items: items.iter(),
            path,
        }
    }
}

impl<'de> de::SeqAccess<'de> for SeqDe<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(NodeDe {
            node,
            path: self.path.to_owned(),
        })
        .map(Some)
    }
}

struct MapDe<'a> {
    entries: indexmap::map::Iter<'a, String, super::yaml::Entry>,
    value: Option<&'a Node>,
    key: &'a str,
    path: &'a str,
}

impl<'a> MapDe<'a> {
    fn new(map: &'a Mapping, path: &'a str) -> Self {
        Self {
            entries: map.iter(),
            value: None,
            key: "",
            path,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapDe<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, entry)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(&entry.node);
        self.key = key;
        // An unknown key is the mapping's error, pointed at the key itself.
        seed.deserialize(key.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: DeError| e.locate(self.path, &entry.key_pos))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| <DeError as de::Error>::custom("a value without a key"))?;
        seed.deserialize(NodeDe {
            node,
            path: format!("{}.{}", self.path, self.key),
        })
    }
}
