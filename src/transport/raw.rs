//! The built-in transport: HTTP/1.1 over one keep-alive TCP socket. Request heads are written by
//! hand into a buffer that goes out with the first body bytes (one `sendmsg` for a small
//! request); answers are read by [`Reader`](super::answer::Reader). Buffers live as long as the
//! transport.

use alloc::vec::Vec;

use super::answer::Reader;
use super::{Framing, Transport, TransportError};
use crate::endpoint::{Endpoint, Host};
use crate::protocol;
use crate::sys::{Errno, Socket};

/// The `User-Agent` header, with the end of the line before it and of its own.
const USER_AGENT_LINE: &str = concat!("\r\nUser-Agent: ", env!("LAMBDA_BOOTSTRAP_USER_AGENT"), "\r\n");

/// HTTP/1.1 over one keep-alive libc socket.
pub struct Raw {
    endpoint: &'static Endpoint,
    socket: Option<Socket>,
    /// Request bytes written and not sent yet: the head, a chunk-size line, the last chunk and
    /// trailers.
    pending: Vec<u8>,
    /// Why sending the current request failed, if it did.
    failed: Option<TransportError>,
    /// What was read from the socket and not consumed yet.
    reader: Reader,
}

impl Raw {
    /// A transport for `endpoint`; it connects on the first request.
    pub fn new(endpoint: &'static Endpoint) -> Raw {
        Raw { endpoint, socket: None, pending: Vec::new(), failed: None, reader: Reader::new() }
    }

    /// Writes the request line and headers into `pending`, without the blank line that ends
    /// the head (the caller adds the body's framing first).
    fn start(&mut self, method: &str, path: &[u8], headers: &[(&str, &str)]) {
        self.failed = None;
        let h = &mut self.pending;
        h.clear();
        h.extend_from_slice(method.as_bytes());
        h.push(b' ');
        h.extend_from_slice(path);
        h.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        h.extend_from_slice(self.endpoint.authority.as_bytes());
        h.extend_from_slice(USER_AGENT_LINE.as_bytes());
        push_fields(h, headers);
    }

    /// Sends the pending bytes, then `parts`, connecting first if needed (for bodies written in
    /// parts). After a failure the request is lost: this and later sends return the first error.
    fn send(&mut self, parts: [&[u8]; 2]) -> Result<(), TransportError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let sent = match self.connect() {
            Ok(()) => match &mut self.socket {
                Some(socket) => {
                    socket.send_all(&[&self.pending, parts[0], parts[1]]).map_err(TransportError::Send)
                }
                None => Err(TransportError::Closed("the connection is gone")),
            },
            Err(e) => Err(e),
        };
        self.pending.clear();
        self.failed = sent.err();
        sent
    }

    /// Sends what is pending and `body` in one `sendmsg`, then reads the answer: the end of
    /// every request whose writes have not failed.
    fn exchange(
        &mut self,
        body: &[u8],
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.connect()?;
        let Some(socket) = &mut self.socket else {
            return Err(TransportError::Closed("the connection is gone"));
        };
        let sent = socket.send_all(&[&self.pending, body]);
        self.pending.clear();
        // Even when sending failed, the server may have answered first (e.g. 413 before reading
        // all of a large body): read what it said.
        let answer = self.reader.read_answer(socket, on_header, out);
        match (sent, answer) {
            (Ok(()), Ok((status, true))) => Ok(status),
            (_, Ok((status, _))) => {
                self.disconnect();
                Ok(status)
            }
            (Err(e), Err(_)) => {
                self.disconnect();
                Err(TransportError::Send(e))
            }
            (Ok(()), Err(e)) => {
                self.disconnect();
                Err(e)
            }
        }
    }
}

/// For the shutdown thread (feature `shutdown`): a request whose answer is awaited with `poll`.
#[cfg(feature = "shutdown")]
impl Raw {
    /// Sends the request written with [`Transport::head`] now, without reading its answer.
    pub fn send_head(&mut self) -> Result<(), TransportError> {
        self.send([&[], &[]])
    }

    /// The connection's socket, if one is open: readable once the answer begins.
    pub fn socket(&self) -> Option<&Socket> {
        self.socket.as_ref()
    }
}

/// Appends `name: value` lines, values made safe ([`protocol::header_value`]).
fn push_fields(h: &mut Vec<u8>, fields: &[(&str, &str)]) {
    for (name, value) in fields {
        h.extend_from_slice(name.as_bytes());
        h.extend_from_slice(b": ");
        h.extend(protocol::header_value(value));
        h.extend_from_slice(b"\r\n");
    }
}

impl Transport for Raw {
    fn connect(&mut self) -> Result<(), TransportError> {
        if self.socket.is_none() {
            let socket = match &self.endpoint.host {
                Host::V4(ip) => Socket::connect_v4(*ip, self.endpoint.port),
                Host::V6(ip) => Socket::connect_v6(*ip, self.endpoint.port),
                Host::Name(name) => resolve_and_connect(name, self.endpoint.port)?,
            };
            self.socket = Some(socket.map_err(TransportError::Connect)?);
            self.reader.clear();
        }
        Ok(())
    }

    fn head(&mut self, method: &str, path: &[u8], headers: &[(&str, &str)], framing: Framing) {
        self.start(method, path, headers);
        let h = &mut self.pending;
        match framing {
            Framing::None => {}
            Framing::Length(len) => {
                h.extend_from_slice(b"Content-Length: ");
                protocol::push_decimal(h, len as u64);
                h.extend_from_slice(b"\r\n");
            }
            Framing::Chunked => h.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        }
        h.extend_from_slice(b"\r\n");
    }

    fn body(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.send([bytes, &[]])
    }

    fn chunk(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        if bytes.is_empty() {
            return Ok(()); // an empty chunk would end the body
        }
        protocol::push_hex(&mut self.pending, bytes.len() as u64);
        self.pending.extend_from_slice(b"\r\n");
        self.send([bytes, b"\r\n"])
    }

    fn trailers(&mut self, trailers: &[(&str, &str)]) -> Result<(), TransportError> {
        self.pending.extend_from_slice(b"0\r\n");
        push_fields(&mut self.pending, trailers);
        self.pending.extend_from_slice(b"\r\n");
        self.failed.map_or(Ok(()), Err) // sent with the answer's turn
    }

    fn answer(
        &mut self,
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        let Some(failed) = self.failed else {
            return self.exchange(&[], on_header, out);
        };
        // A write failed. Without a connection there is no answer; with one, the server may
        // still have answered (e.g. 413 before reading all of a large body).
        let Some(socket) = &mut self.socket else {
            return Err(failed);
        };
        let answer = self.reader.read_answer(socket, on_header, out);
        self.disconnect();
        answer.map(|(status, _)| status).map_err(|_| failed)
    }

    fn disconnect(&mut self) {
        self.socket = None;
        self.reader.clear();
    }

    fn request(
        &mut self,
        method: &str,
        path: &[u8],
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.start(method, path, headers);
        let h = &mut self.pending;
        if let Some(body) = body {
            h.extend_from_slice(b"Content-Length: ");
            protocol::push_decimal(h, body.len() as u64);
            h.extend_from_slice(b"\r\n");
        }
        h.extend_from_slice(b"\r\n");
        self.exchange(body.unwrap_or_default(), on_header, out)
    }
}

#[cfg(feature = "std")]
fn resolve_and_connect(name: &str, port: u16) -> Result<Result<Socket, Errno>, TransportError> {
    match crate::sys::resolve(name, port) {
        Some(core::net::SocketAddr::V4(a)) => Ok(Socket::connect_v4(*a.ip(), port)),
        Some(core::net::SocketAddr::V6(a)) => Ok(Socket::connect_v6(*a.ip(), port)),
        None => Err(TransportError::Resolve),
    }
}

#[cfg(not(feature = "std"))]
fn resolve_and_connect(_: &str, _: u16) -> Result<Result<Socket, Errno>, TransportError> {
    Err(TransportError::Resolve)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use std::boxed::Box;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::string::String;
    use std::vec::Vec;

    use super::*;
    use crate::endpoint::parse_endpoint;

    /// A server that reads one request (up to `ends` at the end) and answers 202 `ok`;
    /// returns what it read.
    fn serve_one(ends: &'static [u8]) -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.ends_with(ends) {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "the request ended early: {:?}", String::from_utf8_lossy(&got));
                got.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok").unwrap();
            got
        });
        (addr, server)
    }

    fn user_agent() -> &'static str {
        USER_AGENT_LINE.trim_start_matches("\r\n")
    }

    #[test]
    fn a_chunked_body_ends_with_its_trailers() {
        let (addr, server) = serve_one(b"\r\n0\r\nX-Error: a b\r\nX-Other: 1\r\n\r\n");
        let mut raw = Raw::new(Box::leak(Box::new(parse_endpoint(&addr).unwrap())));
        raw.head("POST", b"/p", &[("Content-Type", "text/plain")], Framing::Chunked);
        raw.chunk(b"hello").unwrap();
        raw.chunk(b"").unwrap();
        raw.chunk(&[b'x'; 26]).unwrap();
        raw.trailers(&[("X-Error", "a\nb"), ("X-Other", "1")]).unwrap();
        let mut body = Vec::new();
        assert_eq!(raw.answer(&mut |_, _| {}, &mut body), Ok(202));
        assert_eq!(body, b"ok");
        let want = std::format!(
            "POST /p HTTP/1.1\r\nHost: {addr}\r\n{}Content-Type: text/plain\r\n\
             Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1A\r\nxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n\
             0\r\nX-Error: a b\r\nX-Other: 1\r\n\r\n",
            user_agent()
        );
        assert_eq!(String::from_utf8(server.join().unwrap()).unwrap(), want);
    }

    #[test]
    fn a_length_body_may_come_in_parts_and_a_get_may_carry_headers() {
        let (addr, server) = serve_one(b"world");
        let mut raw = Raw::new(Box::leak(Box::new(parse_endpoint(&addr).unwrap())));
        raw.head("POST", b"/p", &[], Framing::Length(10));
        raw.body(b"hello").unwrap();
        raw.body(b"world").unwrap();
        let mut headers = Vec::new();
        let mut body = Vec::new();
        let status =
            raw.answer(&mut |name, value| headers.push((String::from(name), value.to_vec())), &mut body);
        assert_eq!(status, Ok(202));
        assert_eq!(headers, [(String::from("Content-Length"), b"2".to_vec())]);
        let want = std::format!(
            "POST /p HTTP/1.1\r\nHost: {addr}\r\n{}Content-Length: 10\r\n\r\nhelloworld",
            user_agent()
        );
        assert_eq!(String::from_utf8(server.join().unwrap()).unwrap(), want);

        let (addr, server) = serve_one(b"\r\n\r\n");
        let mut raw = Raw::new(Box::leak(Box::new(parse_endpoint(&addr).unwrap())));
        raw.head("GET", b"/next", &[("Lambda-Extension-Identifier", "id-1")], Framing::None);
        assert_eq!(raw.answer(&mut |_, _| {}, &mut body), Ok(202));
        let want = std::format!(
            "GET /next HTTP/1.1\r\nHost: {addr}\r\n{}Lambda-Extension-Identifier: id-1\r\n\r\n",
            user_agent()
        );
        assert_eq!(String::from_utf8(server.join().unwrap()).unwrap(), want);
    }
}
