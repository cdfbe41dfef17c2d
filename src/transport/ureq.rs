//! The Runtime API over ureq (feature `ureq`): the same requests as the built-in transport, for
//! those who would rather trust a well-known HTTP client than ours. Configured for the Runtime
//! API: no timeouts (`/next` long-polls), statuses as values (error bodies are read), one pooled
//! connection kept however long the function is frozen, no redirects, no TLS, no gzip.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use std::io::{ErrorKind, Read};

use ureq::Agent;

use super::{MAX_BODY, Transport, TransportError};
use crate::protocol::{Endpoint, Host};
use crate::sys::Errno;

const USER_AGENT: &str = env!("LAMBDA_BOOTSTRAP_USER_AGENT");

/// HTTP/1.1 through a ureq `Agent`.
pub struct Ureq {
    endpoint: Endpoint,
    base: String,
    agent: Agent,
    url: String,
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
    pub fn new(endpoint: Endpoint) -> Ureq {
        let base = alloc::format!("http://{}", endpoint.authority);
        Ureq { endpoint, base, agent: agent(), url: String::new() }
    }

    /// ureq connects lazily, so a refused connection shows on the first request; a host name
    /// that does not resolve is caught here, at start-up, as with the built-in transport.
    pub fn connect(&mut self) -> Result<(), TransportError> {
        match &self.endpoint.host {
            Host::Name(name) if crate::sys::resolve(name, self.endpoint.port).is_none() => {
                Err(TransportError::Resolve)
            }
            _ => Ok(()),
        }
    }

    /// Writes `base + path` into the reused `url` buffer.
    fn set_url(&mut self, path: &[u8]) {
        self.url.clear();
        self.url.push_str(&self.base);
        self.url.push_str(core::str::from_utf8(path).unwrap_or("/"));
    }
}

impl Transport for Ureq {
    fn get(
        &mut self,
        path: &[u8],
        on_header: &mut dyn FnMut(&str, &[u8]),
        body: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.set_url(path);
        let mut answer = self.agent.get(self.url.as_str()).call().map_err(|e| self.fail(e))?;
        for (name, value) in answer.headers() {
            on_header(name.as_str(), value.as_bytes());
        }
        self.finish(read_body(answer.body_mut(), body))?;
        Ok(answer.status().as_u16())
    }

    fn post(
        &mut self,
        path: &[u8],
        headers: &[(&str, &str)],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.set_url(path);
        let mut request = self.agent.post(self.url.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut answer = request.send(body).map_err(|e| self.fail(e))?;
        self.finish(read_body(answer.body_mut(), out))?;
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
