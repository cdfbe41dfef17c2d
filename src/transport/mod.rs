//! How bytes reach the Runtime API. The loop talks to one trait whose methods are the phases of
//! an HTTP/1.1 exchange: a request head with any headers, a body (`Content-Length` or chunked,
//! the latter ending with trailers), then the answer with its status, headers and body.
//!
//! The built-in transport ([`raw`]: one keep-alive libc socket, answers parsed by httparse) is
//! always compiled; the `ureq` feature only chooses ureq as the transport the loop uses.

use alloc::vec::Vec;

use crate::sys::{self, Errno};

mod answer;
pub mod memory;
pub mod raw;
#[cfg(feature = "ureq")]
pub mod ureq;

/// The transport the loop uses: ureq with the `ureq` feature, else the built-in one.
#[cfg(not(feature = "ureq"))]
pub type Api = raw::Raw;
/// The transport the loop uses: ureq with the `ureq` feature, else the built-in one.
#[cfg(feature = "ureq")]
pub type Api = self::ureq::Ureq;

/// The largest body the client reads (an event, or the answer to a post). Lambda's own limit is
/// 6 MiB + 100 B; Lambda Managed Instances passed 7 MB through. Past this the answer is refused.
pub const MAX_BODY: usize = 32 << 20;

/// How a request's body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (`GET`).
    None,
    /// `Content-Length: n`; the body is written with [`Transport::body`].
    Length(usize),
    /// `Transfer-Encoding: chunked`; the body is written with [`Transport::chunk`] and ended
    /// with [`Transport::trailers`].
    #[allow(dead_code)] // only response streaming (feature `stream`) writes chunked bodies
    Chunked,
}

/// What the loop needs from a transport, phase by phase:
///
/// 1. [`head`](Transport::head): method, path, headers and the body's framing;
/// 2. the body: [`body`](Transport::body) for a `Content-Length` body, or
///    [`chunk`](Transport::chunk)s then [`trailers`](Transport::trailers) for a chunked one;
/// 3. [`answer`](Transport::answer): status, each header, the decoded body.
///
/// A transport connects lazily, keeps the connection alive, and drops it after any error or
/// `Connection: close` so that the next request starts on a fresh one. A failed write is
/// remembered: later writes do nothing, and [`answer`](Transport::answer) still reads what the
/// server said (it may have answered before reading the whole body, e.g. 413) or returns the
/// write's error. Writes may be buffered until the answer is asked for.
pub trait Transport {
    /// Opens the connection now, so that start-up failures show before the first request.
    fn connect(&mut self) -> Result<(), TransportError>;

    /// Starts a request. Nothing need be sent yet: a small request goes out in one write.
    fn head(&mut self, method: &str, path: &[u8], headers: &[(&str, &str)], framing: Framing);

    /// Writes (part of) a `Content-Length` body; the parts add up to the announced length.
    fn body(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Writes one chunk of a chunked body (an empty one writes nothing).
    #[allow(dead_code)] // only response streaming (feature `stream`) writes chunked bodies
    fn chunk(&mut self, bytes: &[u8]) -> Result<(), TransportError>;

    /// Ends a chunked body: the last chunk, then `trailers`.
    #[allow(dead_code)] // only response streaming (feature `stream`) writes chunked bodies
    fn trailers(&mut self, trailers: &[(&str, &str)]) -> Result<(), TransportError>;

    /// Finishes the request and reads its answer: each header goes to `on_header` (interim 1xx
    /// answers are skipped), the decoded body into `body`; returns the status.
    fn answer(
        &mut self,
        on_header: &mut dyn FnMut(&str, &[u8]),
        body: &mut Vec<u8>,
    ) -> Result<u16, TransportError>;

    /// Drops the connection; the next request opens a new one.
    fn disconnect(&mut self);

    /// A whole request whose body (if any) is in memory: the three phases in one call, which a
    /// transport may fuse (the built-in one does: one `sendmsg` and one code path for the loop).
    fn request(
        &mut self,
        method: &str,
        path: &[u8],
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.head(method, path, headers, body.map_or(Framing::None, |b| Framing::Length(b.len())));
        if let Some(body) = body {
            let _ = self.body(body); // a failure shows in the answer
        }
        self.answer(on_header, out)
    }
}

/// Why a request got no usable answer. Messages are static: no formatting machinery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// The TCP connection could not be opened.
    Connect(Errno),
    /// The host name could not be resolved.
    Resolve,
    /// Writing the request failed, and no answer could be read.
    Send(Errno),
    /// Reading the answer failed.
    Recv(Errno),
    /// The server closed the connection; the text says where in the answer.
    Closed(&'static str),
    /// The answer's head is not valid HTTP/1.x; the text says how.
    Head(&'static str),
    /// The answer's body framing is broken or too large; the text says how.
    Body(&'static str),
}

impl TransportError {
    /// The Runtime API could not be reached at all (as opposed to a connection that broke):
    /// asking again at once would not help.
    pub fn unreachable(self) -> bool {
        matches!(self, TransportError::Connect(_) | TransportError::Resolve)
    }

    /// Writes `lambda-bootstrap: <what>: <why>[; <then>]` to stderr at `level`.
    pub fn log(self, level: sys::Level, what: &[u8], then: &[u8]) {
        let (text, errno): (&str, Option<Errno>) = match self {
            TransportError::Connect(e) => ("cannot connect to the Runtime API: ", Some(e)),
            TransportError::Resolve => ("cannot resolve the Runtime API host", None),
            TransportError::Send(e) => ("cannot send the request: ", Some(e)),
            TransportError::Recv(e) => ("cannot read the answer: ", Some(e)),
            TransportError::Closed(where_) => (where_, None),
            TransportError::Head(why) => (why, None),
            TransportError::Body(why) => (why, None),
        };
        let (detail, mut number) = (errno.map_or("", Errno::describe), Vec::new());
        if let Some(Errno(n)) = errno {
            number.extend_from_slice(b" (errno ");
            crate::protocol::push_decimal(&mut number, n.unsigned_abs().into());
            number.push(b')');
        }
        sys::log(level, &[what, b": ", text.as_bytes(), detail.as_bytes(), &number, then]);
    }
}
