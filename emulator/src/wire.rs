//! HTTP/1.1 on the wire: reading request heads and bodies from a connection,
//! and formatting the emulator's own small JSON answers.

use std::io::{self, Read};
use std::net::TcpStream;

use crate::Framing;

/// Longest request head accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most headers in one request.
pub const MAX_HEADERS: usize = 100;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;
/// Hard cap on a request body, whatever `max_response` says (protects the test process).
pub const MAX_BODY: usize = 256 * 1024 * 1024;
/// How much is read from the socket at once.
const READ_SIZE: usize = 64 * 1024;

/// A parsed request head.
#[derive(Debug)]
pub struct Head {
    pub method: String,
    pub path: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Names lower-cased, values lossy UTF-8.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// First value of a header (name lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection closed after this exchange.
    pub fn wants_close(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n == "connection")
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.minor_version == 0 { !has("keep-alive") } else { has("close") }
    }

    /// Whether the client sent `Expect: 100-continue`.
    pub fn expects_continue(&self) -> bool {
        self.header("expect").is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
    }

    /// How the body is framed, from `Transfer-Encoding` and `Content-Length`.
    /// `Transfer-Encoding` wins when both are present (RFC 9112 §6.3).
    pub fn framing(&self) -> Result<Framing, &'static str> {
        let codings: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == "transfer-encoding")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(last) = codings.last() {
            return if last.eq_ignore_ascii_case("chunked") {
                Ok(Framing::Chunked { chunk: 0 })
            } else {
                Err("unsupported Transfer-Encoding")
            };
        }
        let mut length = None;
        for value in self.headers.iter().filter(|(n, _)| n == "content-length") {
            for part in value.1.split(',') {
                let part = part.trim();
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("invalid Content-Length");
                }
                let n: usize = part.parse().map_err(|_| "invalid Content-Length")?;
                if length.is_some_and(|l| l != n) {
                    return Err("conflicting Content-Length headers");
                }
                length = Some(n);
            }
        }
        Ok(length.map_or(Framing::None, Framing::ContentLength))
    }
}

/// Why no head could be read. The bytes are what arrived of it.
#[derive(Debug)]
pub enum HeadError {
    /// Clean end of the connection between requests.
    Eof,
    /// The connection ended in the middle of a head.
    Partial(Vec<u8>),
    /// The head is longer than [`MAX_HEAD`].
    TooLarge(Vec<u8>),
    /// httparse rejected it.
    Malformed(Vec<u8>, String),
}

/// Why a body could not be read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The connection ended (or failed) before the end of the body.
    Truncated,
    /// Bad chunked encoding.
    Malformed(&'static str),
    /// More than [`MAX_BODY`] bytes.
    TooLarge,
}

/// A request body as read (possibly partial when reading failed).
#[derive(Debug, Default)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub chunks: Vec<usize>,
    pub trailers: Vec<(String, String)>,
}

/// A buffered reader over one connection.
pub struct Reader {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Start of the unread part of `buf`.
    pos: usize,
}

impl Reader {
    pub fn new(stream: TcpStream) -> Reader {
        Reader { stream, buf: Vec::new(), pos: 0 }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Read more bytes from the socket into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        self.buf.resize(start + READ_SIZE, 0);
        loop {
            match self.stream.read(&mut self.buf[start..]) {
                Ok(n) => {
                    self.buf.truncate(start + n);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e);
                }
            }
        }
    }

    /// Read and parse the next request head.
    pub fn read_head(&mut self) -> Result<Head, HeadError> {
        loop {
            if !self.unread().is_empty() {
                match parse_head(self.unread()) {
                    Ok(Some((head, len))) if len <= MAX_HEAD => {
                        self.pos += len;
                        return Ok(head);
                    }
                    Ok(Some(_)) => return Err(HeadError::TooLarge(self.unread().to_vec())),
                    Ok(None) if self.unread().len() > MAX_HEAD => {
                        return Err(HeadError::TooLarge(self.unread().to_vec()));
                    }
                    Ok(None) => {}
                    Err(reason) => {
                        return Err(HeadError::Malformed(self.unread().to_vec(), reason));
                    }
                }
            }
            match self.fill() {
                Ok(n) if n > 0 => {}
                // End of stream, or an error (reset, shutdown): the connection is over.
                _ if self.unread().iter().all(u8::is_ascii_whitespace) => {
                    return Err(HeadError::Eof);
                }
                _ => return Err(HeadError::Partial(self.unread().to_vec())),
            }
        }
    }

    /// Read a body of the given framing, at most `MAX_BODY` bytes. On error the body
    /// holds what arrived. `on_chunk` hears of each data chunk of a chunked body as soon as
    /// it has arrived whole, with its bytes.
    pub fn read_body(
        &mut self,
        framing: Framing,
        on_chunk: &mut dyn FnMut(&[u8]),
    ) -> (Body, Result<(), BodyError>) {
        let mut body = Body::default();
        let result = match framing {
            Framing::None => Ok(()),
            Framing::ContentLength(n) if n > MAX_BODY => Err(BodyError::TooLarge),
            Framing::ContentLength(n) => self.read_exact_into(n, &mut body.bytes),
            Framing::Chunked { .. } => self.read_chunked(&mut body, on_chunk),
        };
        (body, result)
    }

    /// Append exactly `n` bytes to `out`.
    fn read_exact_into(&mut self, mut n: usize, out: &mut Vec<u8>) -> Result<(), BodyError> {
        out.reserve(n.min(MAX_BODY));
        while n > 0 {
            if self.unread().is_empty() && !matches!(self.fill(), Ok(k) if k > 0) {
                return Err(BodyError::Truncated);
            }
            let k = n.min(self.unread().len());
            out.extend_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            n -= k;
        }
        Ok(())
    }

    /// One line without its line ending (`\r\n`, or a lone `\n`).
    fn read_line(&mut self) -> Result<Vec<u8>, BodyError> {
        loop {
            if let Some(i) = self.unread().iter().position(|&b| b == b'\n') {
                let mut line = self.unread()[..i].to_vec();
                self.pos += i + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.unread().len() > MAX_LINE {
                return Err(BodyError::Malformed("chunk line too long"));
            }
            if !matches!(self.fill(), Ok(k) if k > 0) {
                return Err(BodyError::Truncated);
            }
        }
    }

    /// Decode a chunked body, its trailers included.
    fn read_chunked(&mut self, body: &mut Body, on_chunk: &mut dyn FnMut(&[u8])) -> Result<(), BodyError> {
        loop {
            let line = self.read_line()?;
            let size = parse_chunk_size(&line).ok_or(BodyError::Malformed("invalid chunk size"))?;
            if size == 0 {
                break;
            }
            if body.bytes.len().saturating_add(size) > MAX_BODY {
                return Err(BodyError::TooLarge);
            }
            self.read_exact_into(size, &mut body.bytes)?;
            body.chunks.push(size);
            on_chunk(&body.bytes[body.bytes.len() - size..]);
            if !self.read_line()?.is_empty() {
                return Err(BodyError::Malformed("chunk data longer than its size"));
            }
        }
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                return Ok(());
            }
            let line = String::from_utf8_lossy(&line);
            let (name, value) = line.split_once(':').ok_or(BodyError::Malformed("invalid trailer"))?;
            body.trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
}

/// Parse a complete head from the start of `bytes`: `Ok(None)` if more bytes are needed.
fn parse_head(bytes: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => {
            let head = Head {
                method: request.method.unwrap_or_default().to_owned(),
                path: request.path.unwrap_or_default().to_owned(),
                minor_version: request.version.unwrap_or(1),
                headers: request
                    .headers
                    .iter()
                    .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect(),
            };
            Ok(Some((head, len)))
        }
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// The hexadecimal size at the start of a chunk line (extensions after `;` ignored).
fn parse_chunk_size(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line).ok()?;
    let digits = text.split(';').next()?.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    usize::from_str_radix(digits, 16).ok()
}

/// Best guess of method and path from the first line of a request that did not parse.
pub fn guess_request_line(bytes: &[u8]) -> (String, String) {
    let line_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let line = String::from_utf8_lossy(&bytes[..line_end]);
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    (method, path)
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// A whole answer with a JSON body, `Content-Type` and `Content-Length`
/// (and `Connection: close` when the server is going to close).
pub fn json_answer(status: u16, body: &str, closing: bool) -> Vec<u8> {
    let connection = if closing { "Connection: close\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{connection}\r\n{body}",
        reason(status),
        body.len(),
    )
    .into_bytes()
}

/// `{"errorType":..,"errorMessage":..}`.
pub fn error_body(error_type: &str, message: &str) -> String {
    format!(r#"{{"errorType":{},"errorMessage":{}}}"#, json_string(error_type), json_string(message))
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"A;name=value"), Some(10));
        assert_eq!(parse_chunk_size(b" 0 "), Some(0));
        assert_eq!(parse_chunk_size(b""), None);
        assert_eq!(parse_chunk_size(b"-1"), None);
        assert_eq!(parse_chunk_size(b"0x10"), None);
        assert_eq!(parse_chunk_size(b"ffffffffffffffffffffffff"), None);
    }

    #[test]
    fn guesses() {
        assert_eq!(guess_request_line(b"GET /x HTTP/9\r\n"), ("GET".into(), "/x".into()));
        assert_eq!(guess_request_line(b"\xff"), ("\u{fffd}".into(), String::new()));
        assert_eq!(guess_request_line(b""), (String::new(), String::new()));
    }

    #[test]
    fn framing_from_headers() {
        let head = |headers: &[(&str, &str)]| Head {
            method: "POST".into(),
            path: "/".into(),
            minor_version: 1,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        };
        assert_eq!(head(&[]).framing(), Ok(Framing::None));
        assert_eq!(head(&[("content-length", "12")]).framing(), Ok(Framing::ContentLength(12)));
        assert_eq!(
            head(&[("content-length", "3"), ("transfer-encoding", "chunked")]).framing(),
            Ok(Framing::Chunked { chunk: 0 })
        );
        assert!(head(&[("content-length", "3"), ("content-length", "4")]).framing().is_err());
        assert!(head(&[("content-length", "-3")]).framing().is_err());
        assert!(head(&[("transfer-encoding", "gzip")]).framing().is_err());
    }

    #[test]
    fn json_escaping() {
        assert_eq!(error_body("A", "b\"c\n"), r#"{"errorType":"A","errorMessage":"b\"c\n"}"#);
    }
}
