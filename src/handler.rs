//! What `run` accepts: a closure over bytes, or (feature `json`) over typed values.

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
    /// `Content-Type` of the responses, if the handler knows it.
    #[doc(hidden)]
    const CONTENT_TYPE: Option<&'static str>;

    /// Handles one event (which it may take), leaving the response in `out`.
    #[doc(hidden)]
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Vec<u8>) -> Result<(), Error>;
}

/// Marker for raw byte handlers.
#[doc(hidden)]
pub struct Bytes<R>(core::marker::PhantomData<R>);

impl<F, R> Handler<Bytes<R>> for F
where
    F: FnMut(&[u8], &Context) -> Result<R, Error>,
    R: Into<Vec<u8>>,
{
    const CONTENT_TYPE: Option<&'static str> = None;

    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Vec<u8>) -> Result<(), Error> {
        *out = self(event, ctx)?.into();
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
    const CONTENT_TYPE: Option<&'static str> = None;

    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Vec<u8>) -> Result<(), Error> {
        *out = self(event, ctx)?.into();
        Ok(())
    }
}
