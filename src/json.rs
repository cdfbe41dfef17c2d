//! Typed handlers over miniserde (feature `json`).

use alloc::string::String;
use alloc::vec::Vec;
use miniserde::de::Visitor;
use miniserde::json::{self, Number, Value};
use miniserde::{Deserialize, Serialize};

use crate::handler::{Handler, Sink};
use crate::{Context, Error, protocol};

/// Marker for typed JSON handlers.
#[doc(hidden)]
pub struct Json<Req, Resp>(core::marker::PhantomData<(Req, Resp)>);

impl<F, Req, Resp> Handler<Json<Req, Resp>> for F
where
    F: FnMut(Req, &Context) -> Result<Resp, Error>,
    Req: Deserialize,
    Resp: Serialize,
{
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error> {
        let request = decode(event)?;
        let response = self(request, ctx)?;
        out.buffered(json::to_string(&response).into_bytes(), Some("application/json"));
        Ok(())
    }
}

const UNMARSHAL: &str = "Runtime.UnmarshalError";

/// The event as `T`, or `Runtime.UnmarshalError` saying what failed where.
fn decode<T: Deserialize>(event: &[u8]) -> Result<T, Error> {
    let text =
        core::str::from_utf8(event).map_err(|_| Error::new(UNMARSHAL, "the event is not valid UTF-8"))?;
    json::from_str(text).map_err(|_| diagnose::<T>(text))
}

/// Why `text` did not decode as `T`. miniserde's error carries no detail, so on this (cold) path
/// the event is parsed again as a [`Value`] and fed to `T`'s visitor by [`replay`], which knows
/// the path of the value `T` refused:
/// `Request: at $.items[2].price, a string is not accepted` or
/// `Request: at $.user, a required field is missing`.
#[cold]
fn diagnose<T: Deserialize>(text: &str) -> Error {
    let Ok(value) = json::from_str::<Value>(text) else {
        return Error::new(UNMARSHAL, "the event is not valid JSON");
    };
    let mut out = None;
    let mut path = Vec::from(*b"$");
    let what = match replay(&value, T::begin(&mut out), &mut path) {
        Err(what) => what,
        Ok(()) => "the event does not fit this type",
    };
    let name = crate::error::short_type_name::<T>().as_bytes();
    let message = [name, b": at ", &path, b", ", what.as_bytes()].concat();
    // Every piece is UTF-8 (the path is built from `str` keys), so this never falls back.
    Error::new(UNMARSHAL, String::from_utf8(message).unwrap_or_default())
}

/// Feeds `value` to `visitor` the way miniserde's parser would. On the first refusal, `path`
/// names the value refused (`$`, `.field`, `[index]`) and the error says what it was.
fn replay(value: &Value, visitor: &mut dyn Visitor, path: &mut Vec<u8>) -> Result<(), &'static str> {
    match value {
        Value::Null => visitor.null().map_err(|_| "null is not accepted (a required field?)"),
        Value::Bool(b) => visitor.boolean(*b).map_err(|_| "a boolean is not accepted"),
        Value::Number(Number::U64(n)) => visitor.nonnegative(*n).map_err(|_| "this number is not accepted"),
        Value::Number(Number::I64(n)) => visitor.negative(*n).map_err(|_| "this number is not accepted"),
        Value::Number(Number::F64(n)) => visitor.float(*n).map_err(|_| "this number is not accepted"),
        Value::String(s) => visitor.string(s).map_err(|_| "a string is not accepted"),
        Value::Array(items) => {
            let mut seq = visitor.seq().map_err(|_| "an array is not accepted")?;
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push(b'[');
                protocol::push_decimal(path, i as u64);
                path.push(b']');
                replay(item, seq.element().map_err(|_| "the array is too long")?, path)?;
                path.truncate(len);
            }
            seq.finish().map_err(|_| "the array is too short")
        }
        Value::Object(fields) => {
            let mut map = visitor.map().map_err(|_| "an object is not accepted")?;
            for (key, item) in fields.iter() {
                let len = path.len();
                path.push(b'.');
                path.extend_from_slice(key.as_bytes());
                replay(item, map.key(key).map_err(|_| "this field is not accepted")?, path)?;
                path.truncate(len);
            }
            map.finish().map_err(|_| "a required field is missing")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[derive(Deserialize, Debug)]
    struct Item {
        #[allow(dead_code)]
        price: u32,
    }

    #[derive(Deserialize, Debug)]
    struct Order {
        #[allow(dead_code)]
        #[serde(rename = "orderId")]
        order_id: String,
        #[allow(dead_code)]
        items: Vec<Item>,
        #[allow(dead_code)]
        tags: BTreeMap<String, String>,
    }

    fn message(event: &str) -> String {
        let e = decode::<Order>(event.as_bytes()).unwrap_err();
        assert_eq!(e.error_type(), UNMARSHAL);
        e.message().into()
    }

    #[test]
    fn decode_errors_name_the_type_and_the_path() {
        let ok = r#"{"orderId":"o1","items":[{"price":1}],"tags":{},"extra":[1,{"x":null}]}"#;
        assert!(decode::<Order>(ok.as_bytes()).is_ok());
        assert_eq!(
            message(r#"{"orderId":"o1","items":[{"price":1},{"price":"2"}],"tags":{}}"#),
            "Order: at $.items[1].price, a string is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":"o1","items":[{}],"tags":{}}"#),
            "Order: at $.items[0], a required field is missing"
        );
        assert_eq!(
            message(r#"{"order_id":"o1","items":[],"tags":{}}"#),
            "Order: at $, a required field is missing"
        );
        assert_eq!(
            message(r#"{"orderId":7,"items":[],"tags":{}}"#),
            "Order: at $.orderId, this number is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":null,"items":[],"tags":{}}"#),
            "Order: at $.orderId, null is not accepted (a required field?)"
        );
        assert_eq!(
            message(r#"{"orderId":"o","items":[],"tags":{"k":1}}"#),
            "Order: at $.tags.k, this number is not accepted"
        );
        assert_eq!(message("[1]"), "Order: at $, an array is not accepted");
        assert_eq!(message(r#"{"orderId": "#), "the event is not valid JSON");
        let e = decode::<Order>(b"\xff").unwrap_err();
        assert_eq!(e.message(), "the event is not valid UTF-8");
    }

    #[cfg(feature = "std")]
    #[test]
    fn hash_maps_decode_with_std() {
        let map: std::collections::HashMap<String, String> = decode(br#"{"a":"b"}"#).unwrap();
        assert_eq!(map["a"], "b");
    }
}
