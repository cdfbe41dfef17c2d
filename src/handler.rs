//! What `run` accepts: a closure over bytes, or (feature `json`) over typed values; and the sink a
//! handler's response goes into.

use alloc::vec::Vec;

use crate::{Context, Error};

/// A function Lambda can call. Implemented for closures; the marker `M` only tells the impls
/// apart, so write the closure's argument types and `run` picks the right one:
///
/// - `FnMut(&[u8], &Context) -> Result<R, Error>` with `R: Into<Vec<u8>>` (`Vec<u8>`, `String`,
///   `&str`, `&[u8]`, …): raw bytes in and out; works with every feature off. A `Vec<u8>` or
///   `String` is posted as it is, without a copy.
/// - `FnMut(&mut Vec<u8>, &Context) -> Result<R, Error>`: the same, but the event's own buffer:
///   take it (`core::mem::take(event)`) to keep or return the bytes without copying them (an
///   echo of a 1 MiB event then holds 1 MiB, not 2).
/// - `FnMut(Req, &Context) -> Result<Resp, Error>` with miniserde `Deserialize` / `Serialize`
///   types (feature `json`).
pub trait Handler<M> {
    /// Handles one event (which it may take), producing the response into `out`.
    #[doc(hidden)]
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error>;
}

/// The erased handler the loop calls: event and context in, the response into the sink. The
/// handler may take the event's buffer (it is refilled for the next event).
pub(crate) type DynHandler<'a> = &'a mut dyn FnMut(&mut Vec<u8>, &Context, &mut Sink) -> Result<(), Error>;

/// Where a handler's response goes: a buffered body with its content type, or (feature `stream`)
/// the bytes of a stream not yet flushed and the connection it is written to.
#[doc(hidden)]
#[derive(Default)]
pub struct Sink {
    /// The response body, posted with `Content-Length` once the handler returns; for a stream,
    /// the bytes written and not flushed yet.
    pub(crate) body: Vec<u8>,
    /// `Content-Type` of this response, if the handler knows it.
    pub(crate) content_type: Option<&'static str>,
    /// The stream's side: the connection lent for the call, and how far the stream went.
    #[cfg(all(feature = "stream", not(feature = "ureq")))]
    pub(crate) stream: crate::stream::Wire,
}

impl Sink {
    /// The whole response at once: `body` is posted as it is, without a copy.
    pub(crate) fn buffered(&mut self, body: Vec<u8>, content_type: Option<&'static str>) {
        self.body = body;
        self.content_type = content_type;
    }
}

/// Marker for raw byte handlers.
#[doc(hidden)]
pub struct Bytes<R>(core::marker::PhantomData<R>);

impl<F, R> Handler<Bytes<R>> for F
where
    F: FnMut(&[u8], &Context) -> Result<R, Error>,
    R: Into<Vec<u8>>,
{
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error> {
        out.buffered(self(event, ctx)?.into(), None);
        Ok(())
    }
}

/// Marker for raw handlers that may take the event's buffer.
#[doc(hidden)]
pub struct OwnedBytes<R>(core::marker::PhantomData<R>);

impl<F, R> Handler<OwnedBytes<R>> for F
where
    F: FnMut(&mut Vec<u8>, &Context) -> Result<R, Error>,
    R: Into<Vec<u8>>,
{
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error> {
        out.buffered(self(event, ctx)?.into(), None);
        Ok(())
    }
}
