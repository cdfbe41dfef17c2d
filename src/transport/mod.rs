//! How bytes reach the Runtime API. The loop talks to one trait; the built-in transport is HTTP/1.1
//! over one keep-alive libc socket.

use alloc::vec::Vec;

use crate::sys::{self, Errno};

#[cfg(not(feature = "ureq"))]
pub mod raw;
#[cfg(feature = "ureq")]
pub mod ureq;

/// The largest body the client reads (an event, or the answer to a post). Lambda's own limit is
/// 6 MiB + 100 B; Lambda Managed Instances passed 7 MB through. Past this the answer is refused.
pub const MAX_BODY: usize = 32 << 20;

/// The one thing the runtime loop needs from a transport: requests with a status back. A transport
/// connects lazily, keeps the connection alive, and drops it after any error or `Connection: close`
/// so that the next request starts on a fresh one.
pub trait Transport {
    /// `GET path`: each response header goes to `on_header`, the decoded body into `body`.
    fn get(
        &mut self,
        path: &[u8],
        on_header: &mut dyn FnMut(&str, &[u8]),
        body: &mut Vec<u8>,
    ) -> Result<u16, TransportError>;

    /// `POST path` with `headers` and `body`; the answer's body lands in `answer`.
    fn post(
        &mut self,
        path: &[u8],
        headers: &[(&str, &str)],
        body: &[u8],
        answer: &mut Vec<u8>,
    ) -> Result<u16, TransportError>;

    /// Drops the connection; the next request opens a new one.
    fn disconnect(&mut self);
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

    /// Writes `lambda-bootstrap: <what>: <why>[; <then>]` to stderr.
    pub fn log(self, what: &[u8], then: &[u8]) {
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
        sys::log(&[what, b": ", text.as_bytes(), detail.as_bytes(), &number, then]);
    }
}
