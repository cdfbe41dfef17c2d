//! The built-in transport: HTTP/1.1 over one keep-alive TCP socket. Request heads are written by
//! hand; answer heads are parsed by httparse; bodies come with `Content-Length`, chunked, or run
//! to the end of the connection. Buffers live as long as the transport.
//!
//! No read timeout anywhere: `GET /next` blocks until Lambda has an event, and the process may be
//! frozen in between.

use alloc::vec::Vec;

use super::{MAX_BODY, Transport, TransportError};
use crate::protocol::{self, Endpoint, Host};
use crate::sys::Socket;

/// An answer head larger than this is refused (a `/next` head is a few hundred bytes).
const MAX_HEAD: usize = 256 * 1024;
/// At most this many header lines in an answer.
const MAX_HEADERS: usize = 128;
/// A chunk-size line (with extensions) or trailer line longer than this is refused.
const MAX_LINE: usize = 8 * 1024;
/// How much one `recv` asks for.
const READ_SIZE: usize = 64 * 1024;

const USER_AGENT: &str = env!("LAMBDA_BOOTSTRAP_USER_AGENT");

/// HTTP/1.1 over one keep-alive libc socket.
pub struct Raw {
    endpoint: Endpoint,
    socket: Option<Socket>,
    /// The request head being written.
    head: Vec<u8>,
    /// Bytes read from the socket; `rbuf[pos..]` are not consumed yet.
    rbuf: Vec<u8>,
    pos: usize,
}

/// How an answer's body is delimited.
enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

impl Raw {
    /// A transport for `endpoint`; it connects on the first request.
    pub fn new(endpoint: Endpoint) -> Raw {
        Raw { endpoint, socket: None, head: Vec::with_capacity(512), rbuf: Vec::new(), pos: 0 }
    }

    /// Opens the connection now, so that start-up failures show before the first request.
    pub fn connect(&mut self) -> Result<(), TransportError> {
        if self.socket.is_none() {
            let socket = match &self.endpoint.host {
                Host::V4(ip) => Socket::connect_v4(*ip, self.endpoint.port),
                Host::V6(ip) => Socket::connect_v6(*ip, self.endpoint.port),
                Host::Name(name) => resolve_and_connect(name, self.endpoint.port)?,
            };
            self.socket = Some(socket.map_err(TransportError::Connect)?);
            self.rbuf.clear();
            self.pos = 0;
        }
        Ok(())
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
        self.write_head(method, path, headers, body.map(<[u8]>::len));
        self.connect()?;
        let sent = match &mut self.socket {
            Some(socket) => socket.send_all(&[&self.head, body.unwrap_or_default()]),
            None => return Err(TransportError::Closed("the connection is gone")),
        };
        // Even when sending failed, the server may have answered first (e.g. 413 before reading
        // all of a large body): read what it said.
        let answer = self.read_answer(method == "HEAD", on_header, out);
        match (sent, answer) {
            (Ok(()), Ok((status, keep))) => {
                if !keep {
                    self.disconnect();
                }
                Ok(status)
            }
            (Err(_), Ok((status, _))) => {
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

    fn write_head(&mut self, method: &str, path: &[u8], headers: &[(&str, &str)], len: Option<usize>) {
        let h = &mut self.head;
        h.clear();
        h.extend_from_slice(method.as_bytes());
        h.push(b' ');
        h.extend_from_slice(path);
        h.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        h.extend_from_slice(self.endpoint.authority.as_bytes());
        h.extend_from_slice(b"\r\nUser-Agent: ");
        h.extend_from_slice(USER_AGENT.as_bytes());
        h.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            h.extend_from_slice(name.as_bytes());
            h.extend_from_slice(b": ");
            h.extend(protocol::header_value(value));
            h.extend_from_slice(b"\r\n");
        }
        if let Some(len) = len {
            h.extend_from_slice(b"Content-Length: ");
            protocol::push_decimal(h, len as u64);
            h.extend_from_slice(b"\r\n");
        }
        h.extend_from_slice(b"\r\n");
    }

    /// Reads one answer: its status, and whether the connection may be reused.
    fn read_answer(
        &mut self,
        head_only: bool,
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<(u16, bool), TransportError> {
        out.clear();
        let (status, framing, keep) = loop {
            let answer = self.read_head(on_header)?;
            if !(100..200).contains(&answer.0) {
                break answer;
            }
        };
        let framing = if head_only || status == 204 || status == 304 { Framing::None } else { framing };
        match framing {
            Framing::None => {}
            Framing::Length(n) => self.read_exact(out, n, "the connection closed inside the body")?,
            Framing::Chunked => self.read_chunked(out)?,
            Framing::UntilClose => {
                self.read_to_close(out)?;
                return Ok((status, false));
            }
        }
        Ok((status, keep))
    }

    /// Parses the answer head, passing each header on; returns status, framing and keep-alive.
    fn read_head(
        &mut self,
        on_header: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(u16, Framing, bool), TransportError> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut answer = httparse::Response::new(&mut headers);
            match answer.parse(&self.rbuf[self.pos..]) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = answer.code.unwrap_or(0);
                    let mut keep = answer.version == Some(1);
                    let mut length: Option<usize> = None;
                    let mut chunked = false;
                    for h in answer.headers.iter() {
                        on_header(h.name, h.value);
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let n = protocol::parse_u64(trim(h.value))
                                .ok_or(TransportError::Head("the Content-Length is not a number"))?;
                            if length.is_some_and(|l| l as u64 != n) {
                                return Err(TransportError::Head("two different Content-Length values"));
                            }
                            if n > MAX_BODY as u64 {
                                return Err(TransportError::Body("the body is larger than 32 MiB"));
                            }
                            length = Some(n as usize);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
                            if !trim(last).eq_ignore_ascii_case(b"chunked") {
                                return Err(TransportError::Head("unsupported Transfer-Encoding"));
                            }
                            chunked = true;
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            keep = !trim(h.value).eq_ignore_ascii_case(b"close");
                        }
                    }
                    self.pos += len;
                    let framing = match (chunked, length) {
                        (true, _) => Framing::Chunked, // Transfer-Encoding wins (RFC 9112 §6.3).
                        (false, Some(n)) => Framing::Length(n),
                        (false, None) => Framing::UntilClose,
                    };
                    return Ok((status, framing, keep));
                }
                Ok(httparse::Status::Partial) => {
                    if self.rbuf.len() - self.pos >= MAX_HEAD {
                        return Err(TransportError::Head("the answer head is larger than 256 KiB"));
                    }
                    let started = self.pos < self.rbuf.len();
                    if self.fill()? == 0 {
                        return Err(TransportError::Closed(if started {
                            "the connection closed inside the answer head"
                        } else {
                            "the connection closed before an answer"
                        }));
                    }
                }
                Err(e) => return Err(TransportError::Head(head_error(e))),
            }
        }
    }

    /// Reads more bytes into `rbuf`; returns how many (0 at end of stream).
    fn fill(&mut self) -> Result<usize, TransportError> {
        if self.pos == self.rbuf.len() {
            self.rbuf.clear();
            self.pos = 0;
        } else if self.pos > READ_SIZE {
            self.rbuf.drain(..self.pos);
            self.pos = 0;
        }
        let socket = self.socket.as_mut().ok_or(TransportError::Closed("the connection is gone"))?;
        socket.recv_into(&mut self.rbuf, READ_SIZE).map_err(TransportError::Recv)
    }

    /// Appends exactly `n` body bytes to `out`: first what is buffered, then straight from the
    /// socket into `out`.
    fn read_exact(
        &mut self,
        out: &mut Vec<u8>,
        mut n: usize,
        eof: &'static str,
    ) -> Result<(), TransportError> {
        let take = n.min(self.rbuf.len() - self.pos);
        out.extend_from_slice(&self.rbuf[self.pos..self.pos + take]);
        self.pos += take;
        n -= take;
        while n > 0 {
            let socket = self.socket.as_mut().ok_or(TransportError::Closed(eof))?;
            match socket.recv_into(out, n) {
                Ok(0) => return Err(TransportError::Closed(eof)),
                Ok(got) => n -= got,
                Err(e) => return Err(TransportError::Recv(e)),
            }
        }
        Ok(())
    }

    /// Decodes a chunked body into `out`; chunk extensions and trailers are read and ignored.
    fn read_chunked(&mut self, out: &mut Vec<u8>) -> Result<(), TransportError> {
        const EOF: &str = "the connection closed inside the chunked body";
        loop {
            let line = self.read_line()?;
            let size = chunk_size(&self.rbuf[line.0..line.1])?;
            if size == 0 {
                while self.read_line().map(|(start, end)| end > start)? {} // trailers
                return Ok(());
            }
            if out.len() + size > MAX_BODY {
                return Err(TransportError::Body("the body is larger than 32 MiB"));
            }
            self.read_exact(out, size, EOF)?;
            let (start, end) = self.read_line()?;
            if end > start {
                return Err(TransportError::Body("a chunk is longer than its size says"));
            }
        }
    }

    /// Finds the next line in `rbuf`, consumes it and returns its bounds without the line end.
    fn read_line(&mut self) -> Result<(usize, usize), TransportError> {
        let mut searched = self.pos;
        loop {
            if let Some(i) = self.rbuf[searched..].iter().position(|&b| b == b'\n') {
                let start = self.pos;
                let lf = searched + i;
                let end = if lf > start && self.rbuf[lf - 1] == b'\r' { lf - 1 } else { lf };
                self.pos = lf + 1;
                return Ok((start, end));
            }
            if self.rbuf.len() - self.pos > MAX_LINE {
                return Err(TransportError::Body("a chunk-size or trailer line is longer than 8 KiB"));
            }
            searched = self.rbuf.len();
            let before = self.pos;
            if self.fill()? == 0 {
                return Err(TransportError::Closed("the connection closed inside the chunked body"));
            }
            // fill() may have moved the unread bytes to the front of the buffer.
            searched -= before - self.pos;
        }
    }

    /// A body without length or chunking runs until the server closes the connection.
    fn read_to_close(&mut self, out: &mut Vec<u8>) -> Result<(), TransportError> {
        out.extend_from_slice(&self.rbuf[self.pos..]);
        self.pos = self.rbuf.len();
        loop {
            let socket = self.socket.as_mut().ok_or(TransportError::Closed("the connection is gone"))?;
            match socket.recv_into(out, READ_SIZE) {
                Ok(0) => return Ok(()),
                Ok(_) if out.len() > MAX_BODY => {
                    return Err(TransportError::Body("the body is larger than 32 MiB"));
                }
                Ok(_) => {}
                Err(e) => return Err(TransportError::Recv(e)),
            }
        }
    }
}

impl Transport for Raw {
    fn get(
        &mut self,
        path: &[u8],
        on_header: &mut dyn FnMut(&str, &[u8]),
        body: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.request("GET", path, &[], None, on_header, body)
    }

    fn post(
        &mut self,
        path: &[u8],
        headers: &[(&str, &str)],
        body: &[u8],
        answer: &mut Vec<u8>,
    ) -> Result<u16, TransportError> {
        self.request("POST", path, headers, Some(body), &mut |_, _| {}, answer)
    }

    fn disconnect(&mut self) {
        self.socket = None;
        self.rbuf.clear();
        self.pos = 0;
    }
}

#[cfg(feature = "std")]
fn resolve_and_connect(name: &str, port: u16) -> Result<Result<Socket, crate::sys::Errno>, TransportError> {
    match crate::sys::resolve(name, port) {
        Some(core::net::SocketAddr::V4(a)) => Ok(Socket::connect_v4(*a.ip(), port)),
        Some(core::net::SocketAddr::V6(a)) => Ok(Socket::connect_v6(*a.ip(), port)),
        None => Err(TransportError::Resolve),
    }
}

#[cfg(not(feature = "std"))]
fn resolve_and_connect(_: &str, _: u16) -> Result<Result<Socket, crate::sys::Errno>, TransportError> {
    Err(TransportError::Resolve)
}

/// The hex size at the start of a chunk-size line; extensions after `;` are ignored.
fn chunk_size(line: &[u8]) -> Result<usize, TransportError> {
    const BAD: TransportError = TransportError::Body("a chunk size is not a hex number");
    let digits = line.split(|&b| b == b';').next().unwrap_or_default();
    let digits = trim(digits);
    if digits.is_empty() || digits.len() > 8 {
        return Err(if digits.len() > 8 {
            TransportError::Body("a chunk is larger than 32 MiB")
        } else {
            BAD
        });
    }
    let mut n = 0usize;
    for &b in digits {
        let d = (b as char).to_digit(16).ok_or(BAD)?;
        n = n * 16 + d as usize;
    }
    Ok(n)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn head_error(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::Status => "the answer's status line is malformed",
        httparse::Error::Version => "the answer is not HTTP/1.x",
        httparse::Error::TooManyHeaders => "the answer has more than 128 headers",
        httparse::Error::HeaderName => "the answer has a malformed header name",
        httparse::Error::HeaderValue => "the answer has a malformed header value",
        httparse::Error::NewLine => "the answer head has a malformed line ending",
        httparse::Error::Token => "the answer head has an invalid token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"0"), Ok(0));
        assert_eq!(chunk_size(b"1a"), Ok(26));
        assert_eq!(chunk_size(b"FF;name=value"), Ok(255));
        assert_eq!(chunk_size(b"10 ; ext"), Ok(16));
        assert_eq!(chunk_size(b"1FFFFFF"), Ok(0x1ff_ffff));
        for bad in [&b""[..], b"g", b"-1", b"0x10", b";ext", b"1 2"] {
            assert!(chunk_size(bad).is_err(), "{:?}", core::str::from_utf8(bad));
        }
        assert_eq!(chunk_size(b"123456789"), Err(TransportError::Body("a chunk is larger than 32 MiB")));
    }
}
