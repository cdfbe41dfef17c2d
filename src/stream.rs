//! Response streaming (feature `stream`): the handler writes its response as it goes.
//!
//! ```no_run
//! use lambda_bootstrap::stream::Stream;
//! use lambda_bootstrap::{Context, Error};
//!
//! fn main() {
//!     lambda_bootstrap::stream::run(|event: &[u8], _: &Context, out: &mut Stream| -> Result<(), Error> {
//!         out.write(b"first part\n")?;
//!         out.flush()?; // on the wire now, as one HTTP chunk
//!         out.write(event)?;
//!         Ok(()) // the rest is flushed and the stream ends
//!     })
//! }
//! ```
//!
//! The response is posted with `Lambda-Runtime-Function-Response-Mode: streaming`,
//! `Transfer-Encoding: chunked` and `Trailer: Lambda-Runtime-Function-Error-Type,
//! Lambda-Runtime-Function-Error-Body`. Bytes written are kept until [`Stream::flush`] (or until
//! 64 KiB are waiting), which sends them as one chunk at once (the socket has `TCP_NODELAY`).
//!
//! | the handler | what the Runtime API gets |
//! |---|---|
//! | returns `Ok` | what is left as a last chunk, then the zero-length chunk, no trailers |
//! | fails (or panics, under `panic = "unwind"`) before anything was flushed | an ordinary `/error` post; the unflushed bytes are dropped |
//! | fails (or panics, under `panic = "unwind"`) after a flush | what is left as a last chunk, then the zero-length chunk and the trailers `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body` (base64 of `{"errorMessage":…,"errorType":…,"stackTrace":[]}`) |
//! | panics under `panic = "abort"` before anything was flushed | `/error` with errorType `Panic`, as for any handler |
//! | panics under `panic = "abort"` after a flush | no `/error` post: the process aborts with the chunked body unfinished, and the Runtime API sees the connection close mid-request (Lambda fails the invocation). The trailers cannot be written: the connection belongs to the panicking handler's stream. |
//!
//! Function URLs and API Gateway in streaming mode read an HTTP-integration prelude first:
//! [`Stream::http_prelude`] writes it (status, headers, cookies, then 8 NUL bytes) and sets the
//! `Content-Type` that announces it.
//!
//! With the `ureq` transport the stream is buffered and posted whole once the handler returns
//! (a failure is then always an ordinary `/error` post): ureq 3 cannot send request trailers, so
//! a late failure could not be reported. Build without `ureq` to stream.

// With ureq the stream is posted whole: the wire half stays unused.
#![cfg_attr(feature = "ureq", allow(dead_code))]

use alloc::vec::Vec;

use crate::handler::{Handler, Sink};
use crate::protocol;
use crate::{Context, Error};

/// The errorType of a failure of the stream itself: its connection broke, or the prelude came
/// after body bytes.
pub const STREAM_ERROR_TYPE: &str = "Runtime.StreamError";
/// The `Content-Type` of a stream, unless the handler sets another one.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// The `Content-Type` that announces an HTTP-integration prelude.
pub const HTTP_INTEGRATION_CONTENT_TYPE: &str = "application/vnd.awslambda.http-integration-response";
/// The header that makes a `/response` post a stream.
pub(crate) const RESPONSE_MODE: &str = "Lambda-Runtime-Function-Response-Mode";
/// The trailer that carries a late failure's error document, base64-encoded.
pub(crate) const ERROR_BODY: &str = "Lambda-Runtime-Function-Error-Body";
/// Bytes written and not flushed past which a write flushes by itself.
const AUTO_FLUSH: usize = 64 << 10;

/// The stream's side of the sink: the Runtime API connection, lent by the loop for the call,
/// and whether the stream has begun on the wire.
#[cfg(not(feature = "ureq"))]
#[derive(Default)]
pub(crate) struct Wire {
    /// The loop's connection while the handler runs.
    pub(crate) api: Option<crate::transport::Api>,
    /// The request head was written: from now on the response is this stream.
    pub(crate) open: bool,
}

/// A response being written: bytes go out as HTTP chunks, one per [`flush`](Stream::flush).
pub struct Stream<'a> {
    sink: &'a mut Sink,
    ctx: &'a Context,
}

fn stream_error(message: &'static str) -> Error {
    Error::new(STREAM_ERROR_TYPE, message)
}

impl Stream<'_> {
    /// Whether bytes (or the request head) have gone to the Runtime API: a failure is then
    /// reported in trailers, and the prelude and content type can no longer change.
    pub fn started(&self) -> bool {
        #[cfg(not(feature = "ureq"))]
        return self.sink.stream.open;
        #[cfg(feature = "ureq")]
        false
    }

    /// Sets the response's `Content-Type` (default `application/octet-stream`); only before
    /// anything was written.
    pub fn set_content_type(&mut self, content_type: &'static str) -> Result<(), Error> {
        if self.started() || !self.sink.body.is_empty() {
            return Err(stream_error("the content type is set before the first byte of the stream"));
        }
        self.sink.content_type = Some(content_type);
        Ok(())
    }

    /// Writes the HTTP-integration prelude of a Function URL or API Gateway streaming
    /// response: `{"statusCode":…,"headers":{…},"cookies":[…]}` then 8 NUL bytes, and sets the
    /// `Content-Type` that announces it. Only before the first body byte.
    pub fn http_prelude(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        cookies: &[&str],
    ) -> Result<(), Error> {
        self.set_content_type(HTTP_INTEGRATION_CONTENT_TYPE)
            .map_err(|_| stream_error("the HTTP prelude comes before the first byte of the stream"))?;
        let out = &mut self.sink.body;
        out.extend_from_slice(b"{\"statusCode\":");
        protocol::push_decimal(out, u64::from(status));
        out.extend_from_slice(b",\"headers\":{");
        for (i, (name, value)) in headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            protocol::json_string(out, name);
            out.push(b':');
            protocol::json_string(out, value);
        }
        out.extend_from_slice(b"},\"cookies\":[");
        for (i, cookie) in cookies.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            protocol::json_string(out, cookie);
        }
        out.extend_from_slice(b"]}\0\0\0\0\0\0\0\0");
        Ok(())
    }

    /// Writes `bytes` to the stream; they go out at the next [`flush`](Stream::flush) (or once
    /// 64 KiB are waiting).
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.sink.body.extend_from_slice(bytes);
        if self.sink.body.len() >= AUTO_FLUSH { self.flush() } else { Ok(()) }
    }

    /// Sends what was written since the last flush as one HTTP chunk, now (the first flush also
    /// sends the request head). With the `ureq` transport it does nothing: the stream is posted
    /// whole at the end.
    pub fn flush(&mut self) -> Result<(), Error> {
        #[cfg(not(feature = "ureq"))]
        {
            use crate::transport::{Framing, Transport};
            let sink = &mut *self.sink;
            let Some(api) = sink.stream.api.as_mut() else {
                return Err(stream_error("the stream has no connection"));
            };
            if !sink.stream.open {
                let ctx = self.ctx;
                let mut path = Vec::new();
                protocol::invocation_path(&mut path, &ctx.config.endpoint.prefix, &ctx.request_id, false);
                let trailer = "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body";
                let content_type = sink.content_type.unwrap_or(DEFAULT_CONTENT_TYPE);
                let mut headers = [
                    (RESPONSE_MODE, "streaming"),
                    ("Content-Type", content_type),
                    ("Trailer", trailer),
                    ("", ""),
                ];
                let mut n = 3;
                if let Some(id) = &ctx.invocation_id {
                    headers[n] = (protocol::INVOCATION_ID, id);
                    n += 1;
                }
                api.head("POST", &path, &headers[..n], Framing::Chunked);
                sink.stream.open = true;
                #[cfg(all(feature = "std", panic = "abort"))]
                crate::panic::stream_opened();
            }
            let sent = api.chunk(&sink.body);
            sink.body.clear();
            sent.map_err(|_| stream_error("the response stream's connection failed"))
        }
        #[cfg(feature = "ureq")]
        {
            let _ = self.ctx;
            Ok(())
        }
    }
}

#[cfg(feature = "std")]
impl std::io::Write for Stream<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Stream::write(self, buf).map(|()| buf.len()).map_err(|e| std::io::Error::other(e.message()))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Stream::flush(self).map_err(|e| std::io::Error::other(e.message()))
    }
}

/// Marker for [`StreamHandler`]'s [`Handler`] impl.
#[doc(hidden)]
pub struct Streaming;

/// A streaming handler, as [`crate::run`] and [`crate::main!`] take it: made by [`handler`].
pub struct StreamHandler<F>(F);

/// Wraps a streaming handler into what [`crate::run`] and [`crate::main!`] take.
pub fn handler<F>(function: F) -> StreamHandler<F>
where
    F: FnMut(&[u8], &Context, &mut Stream<'_>) -> Result<(), Error>,
{
    StreamHandler(function)
}

/// Serves Lambda invocations with a streaming handler until the Runtime API goes away, as
/// [`crate::run`] does; never returns.
pub fn run<F>(function: F) -> !
where
    F: FnMut(&[u8], &Context, &mut Stream<'_>) -> Result<(), Error>,
{
    crate::run(handler(function))
}

impl<F> Handler<Streaming> for StreamHandler<F>
where
    F: FnMut(&[u8], &Context, &mut Stream<'_>) -> Result<(), Error>,
{
    fn call(&mut self, event: &mut Vec<u8>, ctx: &Context, out: &mut Sink) -> Result<(), Error> {
        out.content_type = Some(DEFAULT_CONTENT_TYPE);
        let mut stream = Stream { sink: out, ctx };
        (self.0)(event, ctx, &mut stream)?;
        // Without ureq this ends the chunks written (opening the stream if nothing was flushed);
        // with ureq the body waits in the sink and is posted whole.
        stream.flush()
    }
}

/// Appends `bytes` in standard base64, with padding.
pub(crate) fn base64(out: &mut Vec<u8>, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for group in bytes.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_with_padding() {
        for (plain, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
        ] {
            let mut out = Vec::new();
            base64(&mut out, plain.as_bytes());
            assert_eq!(out, want.as_bytes(), "{plain}");
        }
        let mut out = Vec::new();
        base64(&mut out, &[0xff, 0xfe, 0x3f]);
        assert_eq!(out, b"//4/");
    }
}
