//! The raw bytes a Lambda is invoked with, read strictly.
//!
//! The Lambda runtime deserialises the payload before the handler sees it; with
//! `serde_json::Value` as the event type, JSON that serde_json cannot hold (nesting past
//! 128, a number beyond f64, a lone surrogate escape) or bytes that are not JSON fail
//! inside the runtime, under a Rust type path that no Retry or Catch can match.
//! [`RawPayload`] accepts every byte sequence: it keeps the text as it came, and
//! [`RawPayload::parse`] turns it into a `Value` or a typed `InvalidInput`. Duplicate
//! keys are refused too, since last-wins would let `"dryRun": true, "dryRun": false`
//! plan a real run.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use crate::trigger::InvalidInput;

/// The invocation payload as received. Its `Deserialize` never fails.
#[derive(Debug)]
pub enum RawPayload {
    Json(Box<RawValue>),
    /// The bytes were not one JSON value; the reason as serde_json gave it.
    Unreadable(String),
}

impl<'de> Deserialize<'de> for RawPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Box::<RawValue>::deserialize(deserializer) {
            Ok(raw) => Self::Json(raw),
            Err(error) => Self::Unreadable(error.to_string()),
        })
    }
}

impl RawPayload {
    pub fn parse(&self) -> Result<Value, InvalidInput> {
        match self {
            Self::Json(raw) => parse_strict(raw.get()),
            Self::Unreadable(reason) => {
                Err(InvalidInput(format!("the payload is not JSON: {reason}")))
            }
        }
    }
}

/// Parses one JSON value, refusing duplicate keys at any depth, numbers that do not
/// fit an f64, and nesting deeper than serde_json's limit (128).
pub fn parse_strict(text: &str) -> Result<Value, InvalidInput> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = StrictValue::deserialize(&mut deserializer)
        .and_then(|v| deserializer.end().map(|()| v.0))
        .map_err(|e| InvalidInput(format!("the payload is not acceptable JSON: {e}")))?;
    Ok(value)
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("number {v} is not finite")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "key {key:?} appears twice; the input is ambiguous"
                )));
            }
            let StrictValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads bytes the way the Lambda runtime does, then parses them.
    fn through_runtime(bytes: &[u8]) -> Result<Value, InvalidInput> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let raw = RawPayload::deserialize(&mut deserializer)
            .map_err(|e| InvalidInput(format!("RawPayload must never fail to deserialise: {e}")))?;
        raw.parse()
    }

    #[test]
    fn every_payload_becomes_a_value_or_invalid_input() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let cases: Vec<(Vec<u8>, Option<&str>)> = vec![
            (br#"{"clusterId": "orders"}"#.to_vec(), None),
            (
                br#"{"a": [1, 2.5, -3, null, true, {"b": "c"}]}"#.to_vec(),
                None,
            ),
            (deep.into_bytes(), Some("recursion limit")),
            (
                br#"{"clusterId": "orders", "x": 1e400}"#.to_vec(),
                Some("out of range"),
            ),
            (br#"{"clusterId": "orders\ud800"}"#.to_vec(), Some("escape")),
            (
                br#"{"clusterId": "orders", "dryRun": true, "dryRun": false}"#.to_vec(),
                Some("appears twice"),
            ),
            (
                br#"{"a": {"b": 1, "b": 2}}"#.to_vec(),
                Some("appears twice"),
            ),
            (b"not json at all".to_vec(), Some("not JSON")),
            (b"".to_vec(), Some("not JSON")),
            (b"\xff\xfe{}".to_vec(), Some("not JSON")),
        ];
        for (bytes, refusal) in cases {
            let text = String::from_utf8_lossy(&bytes)
                .chars()
                .take(60)
                .collect::<String>();
            match (through_runtime(&bytes), refusal) {
                (Ok(_), None) => {}
                (Err(InvalidInput(message)), Some(needle)) => {
                    assert!(message.contains(needle), "{text}: {message}")
                }
                (got, expected) => panic!("{text}: got {got:?}, expected refusal {expected:?}"),
            }
        }
    }
}
