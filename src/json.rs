//! Typed handlers over miniserde (feature `json`).

use alloc::vec::Vec;
use miniserde::json;
use miniserde::{Deserialize, Serialize};

use crate::handler::{Handler, Sink};
use crate::{Context, Error};

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

use crate::error::UNMARSHAL_ERROR_TYPE as UNMARSHAL;

/// The event as `T`, or `Runtime.UnmarshalError` saying what failed where (see `unmarshal`).
fn decode<T: Deserialize>(event: &[u8]) -> Result<T, Error> {
    let text =
        core::str::from_utf8(event).map_err(|_| Error::new(UNMARSHAL, "the event is not valid UTF-8"))?;
    json::from_str(text).map_err(|_| Error::new(UNMARSHAL, crate::unmarshal::diagnose::<T>(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[derive(Deserialize, Debug)]
    struct Request {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn decode_errors_are_unmarshal_errors_that_say_where() {
        assert_eq!(decode::<Request>(br#"{"name":"Ada"}"#).unwrap().name, "Ada");
        let e = decode::<Request>(br#"{"nom":"Ada"}"#).unwrap_err();
        assert_eq!(e.error_type(), UNMARSHAL);
        assert_eq!(e.message(), "Request: at $ (byte 0), a required field is missing");
        let e = decode::<Request>(b"\xff").unwrap_err();
        assert_eq!((e.error_type(), e.message()), (UNMARSHAL, "the event is not valid UTF-8"));
    }

    #[cfg(feature = "std")]
    #[test]
    fn hash_maps_decode_with_std() {
        let map: std::collections::HashMap<String, String> = decode(br#"{"a":"b"}"#).unwrap();
        assert_eq!(map["a"], "b");
    }
}
