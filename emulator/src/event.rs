//! Events: what a `GET /next` is answered with, how the body is framed on the
//! wire, and the faults that can replace (or spoil) that answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The invoked-function ARN every event carries unless told otherwise.
pub const DEFAULT_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:test_function";

/// Bodies up to this size go out with `Content-Length` under [`EventFraming::Auto`],
/// larger ones chunked (what the RIE, i.e. Go's net/http, does).
pub const AUTO_CONTENT_LENGTH_MAX: usize = 2048;

/// How far in the future the absolute deadline lies when an event is served.
pub(crate) const DEADLINE_AFTER: Duration = Duration::from_millis(3000);

/// The relative deadline `cargo lambda watch` sends.
const RELATIVE_DEADLINE: &str = "600000";

/// Counter behind the generated request ids.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How a body was framed on the wire (recorded for every [`Request`](crate::Request)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Neither `Content-Length` nor `Transfer-Encoding`: no body.
    None,
    /// `Content-Length: n`.
    ContentLength(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked {
        /// Always 0 in a recorded request (see [`Request::chunks`](crate::Request::chunks)
        /// for the sizes); as an event framing, the size of each chunk (0 = one chunk).
        chunk: usize,
    },
}

/// How the body of an event is framed when it is served to `GET /next`.
///
/// [`Event::framing`] also accepts a [`Framing`]: `Framing::None` means
/// [`EventFraming::UntilClose`], `Framing::ContentLength(_)` means
/// [`EventFraming::ContentLength`] (the number is ignored: the real length is sent),
/// `Framing::Chunked { chunk }` means [`EventFraming::Chunked`]`(chunk)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EventFraming {
    /// Like the RIE: `Content-Length` up to 2048 bytes, chunked (one chunk) above.
    #[default]
    Auto,
    /// Always `Content-Length`.
    ContentLength,
    /// Always `Transfer-Encoding: chunked`, in chunks of this many bytes (0 = one chunk).
    Chunked(usize),
    /// No length at all: the body ends when the server closes the connection
    /// (which it does right after the body).
    UntilClose,
}

impl From<Framing> for EventFraming {
    fn from(framing: Framing) -> EventFraming {
        match framing {
            Framing::None => EventFraming::UntilClose,
            Framing::ContentLength(_) => EventFraming::ContentLength,
            Framing::Chunked { chunk } => EventFraming::Chunked(chunk),
        }
    }
}

/// A misbehaviour of the server, applied once, when the event is served to a `GET /next`.
///
/// After a connection-breaking fault ([`Raw`](Fault::Raw),
/// [`CloseBeforeHead`](Fault::CloseBeforeHead), [`ResetBeforeHead`](Fault::ResetBeforeHead),
/// [`CloseAfterHead`](Fault::CloseAfterHead), [`CloseMidBody`](Fault::CloseMidBody)) the
/// event goes back to the front of the queue without its fault, so a client that
/// reconnects and asks again gets it served normally. [`Status`](Fault::Status) and
/// [`RawKeepOpen`](Fault::RawKeepOpen) consume the event; [`Drip`](Fault::Drip) serves it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answer `/next` with this status and body (`Content-Type: application/json`).
    Status(u16, String),
    /// Write exactly these bytes as the whole answer, then close the connection.
    Raw(Vec<u8>),
    /// Write these bytes, then keep the connection open without reading from it
    /// until the emulator shuts down.
    RawKeepOpen(Vec<u8>),
    /// Write exactly these bytes as the answer and carry on serving the connection: the event
    /// counts as served under its request id (for odd but valid framings written by hand).
    RawServed(Vec<u8>),
    /// Close the connection without writing anything.
    CloseBeforeHead,
    /// Reset the connection (`SO_LINGER` 0, then close): the client sees `ECONNRESET`.
    ResetBeforeHead,
    /// Write the head of the normal answer, then close.
    CloseAfterHead,
    /// Write the head and the first half of the (framed) body, then close.
    CloseMidBody,
    /// Write the normal answer one byte at a time, sleeping this long between bytes.
    Drip(Duration),
}

impl Fault {
    /// Whether the fault breaks the connection before the event was delivered
    /// (the event is then queued again, at the front).
    pub fn breaks_connection(&self) -> bool {
        matches!(
            self,
            Fault::Raw(_)
                | Fault::CloseBeforeHead
                | Fault::ResetBeforeHead
                | Fault::CloseAfterHead
                | Fault::CloseMidBody
        )
    }
}

/// A custom answer to the first `/response` or `/error` post of an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: String,
    pub close: bool,
}

/// One invocation to hand out on `GET /next` (a builder).
///
/// ```
/// use lambda_emulator::{Event, Fault};
/// let event = Event::json(r#"{"name":"world"}"#)
///     .header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
///     .fault(Fault::CloseMidBody);
/// assert!(event.request_id().starts_with("8f3e0c1a-0000-4000-8000-"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    body: Vec<u8>,
    request_id: String,
    /// Headers added or replaced, in the order given.
    headers: Vec<(String, String)>,
    /// Names of headers not to send (lower-cased).
    removed: Vec<String>,
    framing: EventFraming,
    pub(crate) fault: Option<Fault>,
    pub(crate) reply: Option<Reply>,
}

impl Event {
    /// An event with this body, a fresh unique request id, the default headers
    /// (`Content-Type: application/json`, request id, deadline 3 s after it is
    /// served — or `600000` relative in cargo-lambda mode — and the test ARN),
    /// [`EventFraming::Auto`], no fault and the default reply.
    pub fn new(body: impl Into<Vec<u8>>) -> Event {
        let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Event {
            body: body.into(),
            request_id: format!("8f3e0c1a-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff),
            headers: Vec::new(),
            removed: Vec::new(),
            framing: EventFraming::Auto,
            fault: None,
            reply: None,
        }
    }

    /// Same as [`Event::new`].
    pub fn json(s: &str) -> Event {
        Event::new(s)
    }

    /// The request id (`Lambda-Runtime-Aws-Request-Id`) this event is served with.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Use this request id instead of the generated one (also in the header).
    pub fn with_request_id(mut self, id: &str) -> Event {
        self.request_id = id.to_owned();
        self
    }

    /// Add a header to the `/next` answer, or replace the value of a default one
    /// (names compare case-insensitively; the name is sent as given here). An empty
    /// value is sent as an empty value. Replacing `Content-Length` or
    /// `Transfer-Encoding` lies about the framing; the body is still framed as set
    /// by [`Event::framing`].
    pub fn header(mut self, name: &str, value: &str) -> Event {
        self.removed.retain(|n| !n.eq_ignore_ascii_case(name));
        match self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(slot) => *slot = (name.to_owned(), value.to_owned()),
            None => self.headers.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Do not send this header (works for the default ones too: request id,
    /// deadline, ARN, `Content-Type`, and the framing header).
    pub fn without(mut self, name: &str) -> Event {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.removed.push(name.to_ascii_lowercase());
        self
    }

    /// How to frame the body: an [`EventFraming`], or a [`Framing`] (see [`EventFraming`]).
    pub fn framing(mut self, framing: impl Into<EventFraming>) -> Event {
        self.framing = framing.into();
        self
    }

    /// Misbehave once when this event is served (see [`Fault`]).
    pub fn fault(mut self, fault: Fault) -> Event {
        self.fault = Some(fault);
        self
    }

    /// Answer the first `/response` or `/error` post for this event with this status
    /// and body instead of the normal answer. A 2xx status counts as accepting the
    /// result (a later post gets 403); any other status leaves the invocation open.
    pub fn reply(mut self, status: u16, body: &str) -> Event {
        self.reply = Some(Reply { status, body: body.to_owned(), close: false });
        self
    }

    /// Like [`Event::reply`], then close the connection. Status 0 closes without answering at
    /// all (the post is lost and the invocation stays open).
    pub fn reply_and_close(mut self, status: u16, body: &str) -> Event {
        self.reply = Some(Reply { status, body: body.to_owned(), close: true });
        self
    }

    /// The value of a header added with [`Event::header`] (name case-insensitive).
    pub(crate) fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The `200` answer to `GET /next`: head and framed body, as bytes.
    pub(crate) fn answer(&self, relative_deadline: bool) -> Answer {
        let deadline = if relative_deadline {
            RELATIVE_DEADLINE.to_owned()
        } else {
            let at = SystemTime::now() + DEADLINE_AFTER;
            let ms = at.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
            ms.to_string()
        };

        let chunk = match self.framing {
            EventFraming::Auto if self.body.len() <= AUTO_CONTENT_LENGTH_MAX => None,
            EventFraming::Auto => Some(0),
            EventFraming::ContentLength => None,
            EventFraming::Chunked(size) => Some(size),
            EventFraming::UntilClose => None,
        };
        let (framing_header, body) = match (self.framing, chunk) {
            (EventFraming::UntilClose, _) => (None, self.body.clone()),
            (_, None) => {
                let value = self.body.len().to_string();
                (Some(("Content-Length", value)), self.body.clone())
            }
            (_, Some(size)) => {
                let body = encode_chunked(&self.body, size);
                (Some(("Transfer-Encoding", "chunked".to_owned())), body)
            }
        };

        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("Lambda-Runtime-Aws-Request-Id".into(), self.request_id.clone()),
            ("Lambda-Runtime-Deadline-Ms".into(), deadline),
            ("Lambda-Runtime-Invoked-Function-Arn".into(), DEFAULT_ARN.into()),
        ];
        if let Some((name, value)) = framing_header {
            headers.push((name.into(), value));
        }
        for (name, value) in &self.headers {
            match headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(slot) => *slot = (name.clone(), value.clone()),
                None => headers.push((name.clone(), value.clone())),
            }
        }
        headers.retain(|(n, _)| !self.removed.iter().any(|r| r.eq_ignore_ascii_case(n)));

        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for (name, value) in &headers {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");

        Answer { head, body, close: self.framing == EventFraming::UntilClose }
    }
}

/// A `/next` answer ready to be written.
pub(crate) struct Answer {
    /// Status line and headers, up to and including the empty line.
    pub head: Vec<u8>,
    /// The body as it goes on the wire (chunk-encoded if chunked).
    pub body: Vec<u8>,
    /// The body is delimited by closing the connection.
    pub close: bool,
}

/// Chunked transfer encoding of `body` in chunks of `size` bytes (0 = one chunk).
fn encode_chunked(body: &[u8], size: usize) -> Vec<u8> {
    let size = if size == 0 { body.len().max(1) } else { size };
    let mut out = Vec::with_capacity(body.len() + body.len() / size * 12 + 16);
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_text(answer: &Answer) -> String {
        String::from_utf8(answer.head.clone()).unwrap()
    }

    #[test]
    fn ids_are_unique() {
        let a = Event::new("a");
        let b = Event::new("b");
        assert_ne!(a.request_id(), b.request_id());
        assert_eq!(a.request_id().len(), 36);
    }

    #[test]
    fn auto_framing_switches_above_2048() {
        let small = Event::new(vec![b'x'; 2048]).answer(false);
        assert!(head_text(&small).contains("Content-Length: 2048\r\n"));
        assert_eq!(small.body.len(), 2048);
        let big = Event::new(vec![b'x'; 2049]).answer(false);
        assert!(head_text(&big).contains("Transfer-Encoding: chunked\r\n"));
        assert!(big.body.starts_with(b"801\r\n"));
        assert!(big.body.ends_with(b"\r\n0\r\n\r\n"));
    }

    #[test]
    fn chunks_of_given_size() {
        let a = Event::new("abcde").framing(EventFraming::Chunked(2)).answer(false);
        assert_eq!(a.body, b"2\r\nab\r\n2\r\ncd\r\n1\r\ne\r\n0\r\n\r\n");
        let empty = Event::new("").framing(Framing::Chunked { chunk: 0 }).answer(false);
        assert_eq!(empty.body, b"0\r\n\r\n");
    }

    #[test]
    fn headers_replaced_added_removed() {
        let a = Event::new("{}")
            .header("content-type", "text/plain")
            .header("Lambda-Runtime-Trace-Id", "")
            .without("Lambda-Runtime-Deadline-Ms")
            .with_request_id("abc")
            .answer(true);
        let head = head_text(&a);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"));
        assert!(head.contains("Lambda-Runtime-Aws-Request-Id: abc\r\n"));
        assert!(head.contains("Lambda-Runtime-Trace-Id: \r\n"));
        assert!(!head.contains("Deadline"));
        let b =
            Event::new("{}").without("lambda-runtime-deadline-ms").header("Lambda-Runtime-Deadline-Ms", "1");
        assert!(head_text(&b.answer(false)).contains("Lambda-Runtime-Deadline-Ms: 1\r\n"));
    }

    #[test]
    fn until_close_has_no_length() {
        let a = Event::new("{}").framing(Framing::None).answer(false);
        let head = head_text(&a);
        assert!(!head.contains("Content-Length") && !head.contains("Transfer-Encoding"));
        assert!(a.close);
    }
}
