//! Typed handlers over miniserde (feature `json`).

use alloc::vec::Vec;
use miniserde::{Deserialize, Serialize, json};

use crate::handler::Handler;
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
    const CONTENT_TYPE: Option<&'static str> = Some("application/json");

    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Vec<u8>) -> Result<(), Error> {
        let request = decode(event)?;
        let response = self(request, ctx)?;
        *out = json::to_string(&response).into_bytes();
        Ok(())
    }
}

/// The event as `T`, or `Runtime.UnmarshalError`. miniserde reports no position, so neither
/// can we.
fn decode<T: Deserialize>(event: &[u8]) -> Result<T, Error> {
    let text = core::str::from_utf8(event)
        .map_err(|_| Error::new("Runtime.UnmarshalError", "the event is not valid UTF-8"))?;
    json::from_str(text).map_err(|_| {
        Error::new("Runtime.UnmarshalError", "the event is not valid JSON for the handler's input type")
    })
}
