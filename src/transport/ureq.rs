//! The Runtime API over ureq (feature `ureq`): the same requests as the built-in transport, for
//! those who would rather trust a well-known HTTP client than ours. Configured for the Runtime
//! API: no timeouts (`/next` long-polls), statuses as values (error bodies are read), one pooled
//! connection kept however long the function is frozen, no redirects, no TLS, no gzip.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use std::io::{ErrorKind, Read};

use ureq::http::{self, Response};
use ureq::{Agent, Body, SendBody};

use super::{Framing, MAX_BODY, Transport, TransportError};
use crate::endpoint::{Endpoint, Host};
use crate::sys::Errno;

const USER_AGENT: &str = env!("LAMBDA_BOOTSTRAP_USER_AGENT");

/// HTTP/1.1 through a ureq `Agent`. ureq sends a request and its body in one call, so the phases
/// are gathered: a `Content-Length` body goes out as soon as it is complete (without a copy when
/// it comes in one piece), a chunked one when its trailers are written (ureq frames it chunked,
/// and sends no trailers), a request without a body when its answer is asked for.
pub struct Ureq {
    endpoint: &'static Endpoint,
    base: String,
    agent: Agent,
    /// The request started by `head`, until it is sent.
    request: Option<http::request::Builder>,
    framing: Framing,
    /// Body bytes gathered until the request can be sent.
    pending: Vec<u8>,
    /// The answer, or why there is none, once the request was sent.
    sent: Option<Result<Response<Body>, TransportError>>,
}

fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        .max_redirects(0)
        .max_idle_connections(1)
        .max_idle_connections_per_host(1)
        .max_idle_age(Duration::from_secs(u64::MAX / 4))
        .max_response_header_size(256 * 1024)
        .build()
        .into()
}

impl Ureq {
    /// A transport for `endpoint`; ureq connects on the first request.
    pub fn new(endpoint: &'static Endpoint) -> Ureq {
        let base = alloc::format!("http://{}", endpoint.authority);
        Ureq {
            endpoint,
            base,
            agent: agent(),
            request: None,
            framing: Framing::None,
            pending: Vec::new(),
            sent: None,
        }
    }

    /// Sends the started request with `body`, keeping the answer for [`Transport::answer`].
    fn run(&mut self, body: impl ureq::AsSendBody) -> Result<(), TransportError> {
        let Some(request) = self.request.take() else { return Ok(()) };
        let sent = match request.body(body) {
            Ok(request) => {
                let answer = self.agent.run(request);
                answer.map_err(|e| self.fail(e))
            }
            Err(_) => Err(TransportError::Head("ureq refused the request head")),
        };
        let result = sent.as_ref().map(|_| ()).map_err(|e| *e);
        self.sent = Some(sent);
        result
    }

    /// The error of a request already sent and failed, or Ok.
    fn state(&self) -> Result<(), TransportError> {
        match &self.sent {
            Some(Err(e)) => Err(*e),
            _ => Ok(()),
        }
    }
}

impl Transport for Ureq {
    /// ureq connects lazily, so a refused connection shows on the first request; a host name
    /// that does not resolve is caught here, at start-up, as with the built-in transport.
    fn connect(&mut self) -> Result<(), TransportError> {
        match &self.endpoint.host {
            Host::Name(name) if crate::sys::resolve(name, self.endpoint.port).is_none() => {
                Err(TransportError::Resolve)
            }
            _ => Ok(()),
        }
    }

    fn head(&mut self, method: &str, path: &[u8], headers: &[(&str, &str)], framing: Framing) {
        let mut url = String::with_capacity(self.base.len() + path.len());
        url.push_str(&self.base);
        url.push_str(core::str::from_utf8(path).unwrap_or("/"));
        let mut request = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.request = Some(request);
        self.framing = framing;
        self.pending.clear();
        self.sent = None;
    }

    fn body(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let Framing::Length(len) = self.framing else { return self.state() };
        if self.pending.is_empty() && bytes.len() == len {
            return self.run(bytes);
        }
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= len {
            let body = core::mem::take(&mut self.pending);
            return self.run(body);
        }
        self.state()
    }

    fn chunk(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.pending.extend_from_slice(bytes);
        self.state()
    }

    fn trailers(&mut self, _: &[(&str, &str)]) -> Result<(), TransportError> {
        let body = core::mem::take(&mut self.pending);
        let mut reader = &body[..];
        self.run(SendBody::from_reader(&mut reader))
    }

    fn answer(
        &mut self,
        on_header: &mut dyn FnMut(&str, &[u8]),
        body: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        if self.sent.is_none() {
            let _ = self.run(()); // a request without a body; any failure is in `sent`
        }
        let mut answer = match self.sent.take() {
            Some(Ok(answer)) => answer,
            Some(Err(e)) => return Err(e),
            None => return Err(TransportError::Closed("the connection is gone")),
        };
        for (name, value) in answer.headers() {
            on_header(name.as_str(), value.as_bytes());
        }
        self.finish(read_body(answer.body_mut(), body))?;
        Ok(answer.status().as_u16())
    }

    fn disconnect(&mut self) {
        self.agent = agent(); // a new agent has an empty pool
    }
}

impl Ureq {
    /// A failed body read also leaves the connection unusable.
    fn finish(&mut self, read: Result<(), TransportError>) -> Result<(), TransportError> {
        if read.is_err() {
            self.disconnect();
        }
        read
    }

    /// Maps ureq's error and drops the pool, so the next request opens a fresh connection.
    fn fail(&mut self, error: ureq::Error) -> TransportError {
        self.disconnect();
        match error {
            ureq::Error::Io(e) => io_error(&e),
            ureq::Error::HostNotFound => TransportError::Resolve,
            ureq::Error::BodyExceedsLimit(_) => TransportError::Body("the body is larger than 32 MiB"),
            ureq::Error::Protocol(_) => TransportError::Head("the answer is not valid HTTP/1.1 (ureq)"),
            // ureq's fallback when its connector chain found no address to connect to.
            ureq::Error::ConnectionFailed => TransportError::Resolve,
            _ => TransportError::Head("ureq could not complete the request"),
        }
    }
}

fn io_error(e: &std::io::Error) -> TransportError {
    let errno = Errno(e.raw_os_error().unwrap_or(0));
    match e.kind() {
        ErrorKind::ConnectionRefused => TransportError::Connect(Errno(libc::ECONNREFUSED)),
        ErrorKind::UnexpectedEof => {
            TransportError::Closed("the connection closed before the answer was complete")
        }
        ErrorKind::ConnectionReset => TransportError::Recv(Errno(libc::ECONNRESET)),
        ErrorKind::BrokenPipe => TransportError::Send(Errno(libc::EPIPE)),
        _ if errno.0 != 0 => TransportError::Recv(errno),
        _ => TransportError::Closed("the connection failed (ureq)"),
    }
}

/// Reads the whole body into `out` (reused), refusing more than `MAX_BODY`.
fn read_body(body: &mut ureq::Body, out: &mut Vec<u8>) -> Result<(), TransportError> {
    out.clear();
    let mut reader = body.with_config().limit(MAX_BODY as u64).reader();
    match reader.read_to_end(out) {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
            Some(ureq::Error::BodyExceedsLimit(_)) => TransportError::Body("the body is larger than 32 MiB"),
            _ => io_error(&e),
        }),
    }
}
