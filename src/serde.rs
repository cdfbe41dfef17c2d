//! Typed handlers over serde types, through serde_json (feature `serde`).
//!
//! For code written for `lambda_runtime`: the request and response types keep their
//! `#[derive(serde::Deserialize, serde::Serialize)]` and every serde attribute (`rename_all`,
//! `default`, `flatten`, `skip_serializing_if`, enums with data, …), and the types of
//! `aws_lambda_events` work as they are. Only the handler's signature changes:
//!
//! ```no_run
//! use lambda_bootstrap::{Context, Error};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct Request { first_name: String }
//! #[derive(Serialize)]
//! struct Response { greeting: String }
//!
//! fn handler(req: Request, ctx: &Context) -> Result<Response, Error> {
//!     Ok(Response { greeting: format!("hello {} ({})", req.first_name, ctx.request_id) })
//! }
//!
//! fn main() {
//!     lambda_bootstrap::serde::run(handler)
//! }
//! ```
//!
//! [`run`] serves a serde handler; [`handler`] wraps one into what [`crate::run`] and
//! [`crate::main!`] take (`lambda_bootstrap::main!(lambda_bootstrap::serde::handler(f))`).
//!
//! Which to use: the default `json` feature (miniserde, `lambda_bootstrap::run(closure)`) gives
//! the smallest bootstrap, for types written for it; `serde` takes the types you already have,
//! for the size of serde_json (see `size-report.md`, row `serde_http`). With both features on, a
//! closure given to [`crate::run`] is always a miniserde handler and a serde handler always goes
//! through this module, so a type that implements both libraries' traits never makes the choice
//! ambiguous. With `default-features = false, features = ["serde"]` miniserde is not built at all.
//!
//! An event that does not decode is `Runtime.UnmarshalError` with the type's name and
//! serde_json's message, which names the field, line and column:
//! ``Request: missing field `firstName` at line 1 column 2``. A response that fails to serialize
//! (a map with non-string keys, a `Serialize` impl that fails) is `Runtime.MarshalError`.

use alloc::format;
use alloc::vec::Vec;
use core::marker::PhantomData;

use ::serde::Serialize;
use ::serde::de::DeserializeOwned;

use crate::error::short_type_name;
use crate::handler::{Handler, Sink};
use crate::{Context, Error};

/// The errorType of an event that serde_json cannot decode as the handler's request type (the
/// same as for miniserde handlers).
pub use crate::error::UNMARSHAL_ERROR_TYPE;
/// The errorType of a response that serde_json cannot serialize.
pub const MARSHAL_ERROR_TYPE: &str = "Runtime.MarshalError";

/// A function over serde types, as [`crate::run`] takes it: made by [`handler`].
pub struct SerdeHandler<F, Req, Resp> {
    function: F,
    types: PhantomData<fn(Req) -> Resp>,
}

/// Marker for [`SerdeHandler`]'s [`Handler`] impl.
#[doc(hidden)]
pub struct Serde;

/// Wraps `function` (`FnMut(Req, &Context) -> Result<Resp, Error>`, with `Req:
/// DeserializeOwned` and `Resp: Serialize`) for [`crate::run`] or [`crate::main!`]:
///
/// ```no_run
/// #![cfg_attr(not(test), no_main)]
/// use lambda_bootstrap::{Context, Error};
///
/// lambda_bootstrap::main!(lambda_bootstrap::serde::handler(
///     |event: serde_json::Value, _: &Context| -> Result<serde_json::Value, Error> { Ok(event) }
/// ));
/// ```
pub fn handler<F, Req, Resp>(function: F) -> SerdeHandler<F, Req, Resp>
where
    F: FnMut(Req, &Context) -> Result<Resp, Error>,
    Req: DeserializeOwned,
    Resp: Serialize,
{
    SerdeHandler { function, types: PhantomData }
}

/// Serves Lambda invocations with a serde handler until the Runtime API goes away: [`crate::run`]
/// with [`handler`]`(function)`. Never returns.
pub fn run<F, Req, Resp>(function: F) -> !
where
    F: FnMut(Req, &Context) -> Result<Resp, Error>,
    Req: DeserializeOwned,
    Resp: Serialize,
{
    crate::run(handler(function))
}

impl<F, Req, Resp> Handler<Serde> for SerdeHandler<F, Req, Resp>
where
    F: FnMut(Req, &Context) -> Result<Resp, Error>,
    Req: DeserializeOwned,
    Resp: Serialize,
{
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error> {
        let request = serde_json::from_slice(event).map_err(|e| failed::<Req>(UNMARSHAL_ERROR_TYPE, e))?;
        let response = (self.function)(request, ctx)?;
        let body = serde_json::to_vec(&response).map_err(|e| failed::<Resp>(MARSHAL_ERROR_TYPE, e))?;
        out.buffered(body, Some("application/json"));
        Ok(())
    }
}

/// `error_type`, with the type's short name and serde_json's message (which says where).
#[cold]
fn failed<T>(error_type: &'static str, error: serde_json::Error) -> Error {
    Error::new(error_type, format!("{}: {error}", short_type_name::<T>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use std::collections::BTreeMap;

    /// Runs `h` on `event` the way the loop does.
    fn call<M, H: Handler<M>>(h: &mut H, event: &str) -> Result<String, Error> {
        let mut out = Sink::default();
        h.call(&mut event.as_bytes().to_vec(), &Context::for_test("req-1"), &mut out)?;
        assert_eq!(out.content_type, Some("application/json"));
        Ok(String::from_utf8(out.body).unwrap())
    }

    #[derive(::serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Order {
        order_id: String,
        #[serde(default)]
        items: Vec<u32>,
    }

    #[derive(::serde::Serialize)]
    struct Total {
        id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
        total: u32,
    }

    fn total(order: Order, ctx: &Context) -> Result<Total, Error> {
        let total = order.items.iter().sum();
        Ok(Total { id: order.order_id, note: Some(ctx.request_id.to_string()).filter(|_| total > 5), total })
    }

    #[test]
    fn serde_attributes_work_and_the_response_is_json() {
        let mut h = handler(total);
        assert_eq!(call(&mut h, r#"{"orderId":"o1"}"#).unwrap(), r#"{"id":"o1","total":0}"#);
        assert_eq!(
            call(&mut h, r#"{"orderId":"o2","items":[2,4]}"#).unwrap(),
            r#"{"id":"o2","note":"req-1","total":6}"#
        );
    }

    #[test]
    fn decode_errors_carry_serde_json_s_message() {
        let mut h = handler(total);
        let e = call(&mut h, "{\n  \"items\": [1]\n}").unwrap_err();
        assert_eq!(e.error_type(), "Runtime.UnmarshalError");
        assert_eq!(e.message(), "Order: missing field `orderId` at line 3 column 1");
        let e = call(&mut h, r#"{"orderId":"o","items":["x"]}"#).unwrap_err();
        assert_eq!(e.message(), "Order: invalid type: string \"x\", expected u32 at line 1 column 27");
        let e = call(&mut h, r#"{"orderId": "#).unwrap_err();
        assert_eq!(e.message(), "Order: EOF while parsing a value at line 1 column 12");
        let mut h = handler(|event: String, _: &Context| -> Result<String, Error> { Ok(event) });
        let e = call(&mut h, "\"\u{0}\"").unwrap_err();
        assert_eq!(e.error_type(), "Runtime.UnmarshalError");
    }

    #[test]
    fn a_response_that_cannot_be_serialized_is_a_marshal_error() {
        let mut h = handler(|_: serde_json::Value, _: &Context| -> Result<BTreeMap<Vec<u8>, u8>, Error> {
            Ok(BTreeMap::from([(vec![1], 1)]))
        });
        let e = call(&mut h, "{}").unwrap_err();
        assert_eq!(e.error_type(), "Runtime.MarshalError");
        assert_eq!(e.message(), "BTreeMap: key must be a string");
    }

    #[test]
    fn handler_errors_pass_through() {
        let mut h = handler(|_: serde_json::Value, _: &Context| -> Result<(), Error> {
            Err(Error::new("Order.NotFound", "no order"))
        });
        assert_eq!(call(&mut h, "null").unwrap_err(), Error::new("Order.NotFound", "no order"));
    }

    /// A type with both libraries' derives: with `json` and `serde` on, a plain closure is the
    /// miniserde handler and `handler(…)` the serde one; neither is ambiguous.
    #[cfg(feature = "json")]
    #[test]
    fn a_type_with_both_derives_is_not_ambiguous() {
        #[derive(miniserde::Deserialize, miniserde::Serialize, ::serde::Deserialize, ::serde::Serialize)]
        struct Both {
            #[serde(rename = "orderId")]
            order_id: String,
        }
        let echo = |both: Both, _: &Context| -> Result<Both, Error> { Ok(both) };
        let event = r#"{"orderId":"o1"}"#;
        assert_eq!(call(&mut { echo }, event).unwrap(), event);
        assert_eq!(call(&mut handler(echo), event).unwrap(), event);
        // The two decoders tell their errors apart: miniserde names a path, serde_json a column.
        assert_eq!(
            call(&mut { echo }, "{}").unwrap_err().message(),
            "Both: at $ (byte 0), a required field is missing"
        );
        assert_eq!(
            call(&mut handler(echo), "{}").unwrap_err().message(),
            "Both: missing field `orderId` at line 1 column 2"
        );
    }
}
