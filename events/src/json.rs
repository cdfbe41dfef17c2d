//! The pieces miniserde's derive does not give: objects that leave absent fields out, JSON kept
//! as text, and one decode entry point whose error says what failed.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use alloc::collections::BTreeMap;
use miniserde::de::{Deserialize, Visitor};
use miniserde::json::{self, Array, Number, Object as JsonObject, Value};
use miniserde::ser::{self, Fragment, Serialize};

/// An event did not decode: the JSON is malformed or does not have the shape of `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The Rust type that was asked for.
    pub kind: &'static str,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the input is not valid JSON of the shape of {}", self.kind)
    }
}

/// Decodes `text` as a `T`; the error names the type (miniserde's own error carries nothing).
pub fn decode<T: Deserialize>(text: &str) -> Result<T, DecodeError> {
    json::from_str(text).map_err(|_| DecodeError { kind: core::any::type_name::<T>() })
}

/// A JSON value kept as its text: EventBridge's `detail`, whose shape depends on the source.
/// Decoding stores the value re-encoded compactly (miniserde reads events, not bytes, so the
/// original spacing is not kept); [`RawJson::parse`] decodes it as a type on demand.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RawJson(pub String);

impl RawJson {
    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Decodes the text as a `T`.
    pub fn parse<T: Deserialize>(&self) -> Result<T, DecodeError> {
        decode(&self.0)
    }
}

impl Deserialize for RawJson {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        miniserde::make_place!(Place);
        impl Visitor for Place<RawJson> {
            fn null(&mut self) -> miniserde::Result<()> {
                self.out = Some(RawJson("null".into()));
                Ok(())
            }
            fn boolean(&mut self, b: bool) -> miniserde::Result<()> {
                self.out = Some(RawJson(if b { "true" } else { "false" }.into()));
                Ok(())
            }
            fn string(&mut self, s: &str) -> miniserde::Result<()> {
                self.out = Some(RawJson(json::to_string(s)));
                Ok(())
            }
            fn negative(&mut self, n: i64) -> miniserde::Result<()> {
                self.out = Some(RawJson(json::to_string(&n)));
                Ok(())
            }
            fn nonnegative(&mut self, n: u64) -> miniserde::Result<()> {
                self.out = Some(RawJson(json::to_string(&n)));
                Ok(())
            }
            fn float(&mut self, n: f64) -> miniserde::Result<()> {
                self.out = Some(RawJson(json::to_string(&n)));
                Ok(())
            }
            fn seq(&mut self) -> miniserde::Result<Box<dyn miniserde::de::Seq + '_>> {
                Ok(Capture::new(&mut self.out))
            }
            fn map(&mut self) -> miniserde::Result<Box<dyn miniserde::de::Map + '_>> {
                Ok(Capture::new(&mut self.out))
            }
        }
        Place::new(out)
    }
}

/// Collects an object or array as a `Value`, each child through `Value`'s own visitor, then
/// keeps its text.
struct Capture<'a> {
    out: &'a mut Option<RawJson>,
    array: Vec<Value>,
    object: BTreeMap<String, Value>,
    key: Option<String>,
    child: Option<Value>,
}

impl<'a> Capture<'a> {
    fn new(out: &'a mut Option<RawJson>) -> Box<Self> {
        Box::new(Capture { out, array: Vec::new(), object: BTreeMap::new(), key: None, child: None })
    }

    /// Moves the child just decoded into the array or object.
    fn shift(&mut self) {
        if let Some(child) = self.child.take() {
            match self.key.take() {
                Some(key) => {
                    self.object.insert(key, child);
                }
                None => self.array.push(child),
            }
        }
    }
}

impl miniserde::de::Seq for Capture<'_> {
    fn element(&mut self) -> miniserde::Result<&mut dyn Visitor> {
        self.shift();
        Ok(<Value as Deserialize>::begin(&mut self.child))
    }

    fn finish(&mut self) -> miniserde::Result<()> {
        self.shift();
        let mut array = Array::new();
        *array = core::mem::take(&mut self.array);
        *self.out = Some(RawJson(json::to_string(&Value::Array(array))));
        Ok(())
    }
}

impl miniserde::de::Map for Capture<'_> {
    fn key(&mut self, k: &str) -> miniserde::Result<&mut dyn Visitor> {
        self.shift();
        self.key = Some(k.into());
        Ok(<Value as Deserialize>::begin(&mut self.child))
    }

    fn finish(&mut self) -> miniserde::Result<()> {
        self.shift();
        let mut object = JsonObject::new();
        *object = core::mem::take(&mut self.object);
        *self.out = Some(RawJson(json::to_string(&Value::Object(object))));
        Ok(())
    }
}

/// Writes the text as the JSON it holds (text that is not JSON is written as `null`).
impl Serialize for RawJson {
    fn begin(&self) -> Fragment<'_> {
        match json::from_str::<Value>(&self.0) {
            Err(_) | Ok(Value::Null) => Fragment::Null,
            Ok(Value::Bool(b)) => Fragment::Bool(b),
            Ok(Value::Number(Number::U64(n))) => Fragment::U64(n),
            Ok(Value::Number(Number::I64(n))) => Fragment::I64(n),
            Ok(Value::Number(Number::F64(n))) => Fragment::F64(n),
            Ok(Value::String(s)) => Fragment::Str(Cow::Owned(s)),
            Ok(Value::Array(mut a)) => Fragment::Seq(Box::new(OwnedSeq {
                items: core::mem::take(&mut *a).into_iter(),
                current: None,
            })),
            Ok(Value::Object(mut o)) => Fragment::Map(Box::new(OwnedMap {
                entries: core::mem::take(&mut *o).into_iter(),
                current: None,
            })),
        }
    }
}

/// An array of values owned by the writer.
struct OwnedSeq {
    items: alloc::vec::IntoIter<Value>,
    current: Option<Value>,
}

impl ser::Seq for OwnedSeq {
    fn next(&mut self) -> Option<&dyn Serialize> {
        self.current = Some(self.items.next()?);
        self.current.as_ref().map(|v| v as &dyn Serialize)
    }
}

/// An object of values owned by the writer.
struct OwnedMap {
    entries: alloc::collections::btree_map::IntoIter<String, Value>,
    current: Option<(String, Value)>,
}

impl ser::Map for OwnedMap {
    fn next(&mut self) -> Option<(Cow<'_, str>, &dyn Serialize)> {
        self.current = Some(self.entries.next()?);
        self.current.as_ref().map(|(k, v)| (Cow::Borrowed(k.as_str()), v as &dyn Serialize))
    }
}

/// A number that AWS writes as a string (`"ApproximateReceiveCount": "1"`): read from a string
/// or a number, written back as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct StringNumber(pub u64);

impl StringNumber {
    /// Reads the number in `s`; surrounding ASCII whitespace is allowed (JSON's own whitespace is
    /// ASCII: `trim_ascii` spares a function the Unicode whitespace table).
    pub(crate) fn from_text(s: &str) -> miniserde::Result<Self> {
        s.trim_ascii().parse().map(StringNumber).map_err(|_| miniserde::Error)
    }
}

impl Deserialize for StringNumber {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        miniserde::make_place!(Place);
        impl Visitor for Place<StringNumber> {
            fn string(&mut self, s: &str) -> miniserde::Result<()> {
                self.out = Some(StringNumber::from_text(s)?);
                Ok(())
            }
            fn nonnegative(&mut self, n: u64) -> miniserde::Result<()> {
                self.out = Some(StringNumber(n));
                Ok(())
            }
        }
        Place::new(out)
    }
}

impl Serialize for StringNumber {
    fn begin(&self) -> Fragment<'_> {
        Fragment::Str(Cow::Owned(alloc::format!("{}", self.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_json_keeps_any_value_as_text_and_writes_it_back_as_json() {
        for text in [r#"{"a":[1,-2,3.5,"x",null,true],"b":{}}"#, "[]", r#""s""#, "7", "false", "null"] {
            let raw: RawJson = json::from_str(text).unwrap();
            assert_eq!(raw.as_str(), text);
            assert_eq!(json::to_string(&raw), text);
        }
        let spaced: RawJson = json::from_str(r#"{ "k" : [ 1 , 2 ] }"#).unwrap();
        assert_eq!(spaced.as_str(), r#"{"k":[1,2]}"#);
        assert_eq!(spaced.parse::<BTreeMap<String, Vec<u32>>>().unwrap()["k"], [1, 2]);
        assert!(spaced.parse::<String>().is_err());
    }

    #[test]
    fn numbers_as_strings() {
        assert_eq!(json::from_str::<StringNumber>(r#""42""#).unwrap(), StringNumber(42));
        assert_eq!(json::from_str::<StringNumber>("42").unwrap(), StringNumber(42));
        assert_eq!(json::from_str::<StringNumber>(r#"" 42\t\n""#).unwrap(), StringNumber(42));
        assert!(json::from_str::<StringNumber>(r#""4x""#).is_err());
        assert!(json::from_str::<StringNumber>(r#""\u00a042""#).is_err());
        assert!(json::from_str::<StringNumber>("-1").is_err());
        assert_eq!(json::to_string(&StringNumber(1545082649183)), r#""1545082649183""#);
    }

    #[test]
    fn decode_errors_name_the_type() {
        let err = decode::<StringNumber>("{").unwrap_err();
        assert!(err.kind.ends_with("StringNumber"), "{}", err.kind);
    }
}
