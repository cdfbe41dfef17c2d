//! Reading an answer: the head through httparse, then a body with `Content-Length`, chunked, or
//! running to the end of the connection. The [`Reader`] keeps what was received and not consumed
//! yet, for as long as the connection lives, and takes its bytes from any [`Source`]: the socket,
//! or bytes in memory handed out in pieces (`memory::Pieces`, for the unit tests and the fuzz
//! targets).
//!
//! No read timeout anywhere: `GET /next` blocks until Lambda has an event, and the process may be
//! frozen in between.

use alloc::vec::Vec;

use super::{MAX_BODY, TransportError};
use crate::protocol::{self, eq_ignore_case};
use crate::sys::{Errno, Socket};

/// An answer head larger than this is refused (a `/next` head is a few hundred bytes).
const MAX_HEAD: usize = 256 * 1024;
/// At most this many header lines in an answer.
const MAX_HEADERS: usize = 128;
/// A chunk-size line (with extensions) or trailer line longer than this is refused.
const MAX_LINE: usize = 8 * 1024;
/// How much one `recv` asks for.
const READ_SIZE: usize = 64 * 1024;

/// Where answer bytes come from.
pub(crate) trait Source {
    /// Appends what is available (blocking until something is), at most `max` bytes, to `buf`.
    /// Returns 0 at end of stream.
    fn recv_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, Errno>;
}

impl Source for Socket {
    fn recv_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, Errno> {
        Socket::recv_into(self, buf, max)
    }
}

/// How an answer's body is delimited.
enum Delimited {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

/// The reading half of a connection: the bytes received and not consumed yet, and the parser of
/// answers over them.
pub(crate) struct Reader {
    /// Bytes received; `buf[pos..]` are not consumed yet.
    buf: Vec<u8>,
    pos: usize,
}

impl Reader {
    pub(crate) fn new() -> Reader {
        Reader { buf: Vec::new(), pos: 0 }
    }

    /// Forgets what was buffered (the connection it came from is gone).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
    }

    /// Reads one answer: its status, and whether the connection may be reused.
    ///
    /// Headers of interim (1xx) answers are skipped, not passed to `on_header`. Bytes left over
    /// after a complete answer mean the server sent more than its framing said (we never send a
    /// second request before the answer to the first): the answer stands as framed, and the
    /// connection, out of step, is not reused.
    pub(crate) fn read_answer(
        &mut self,
        src: &mut impl Source,
        on_header: &mut dyn FnMut(&str, &[u8]),
        out: &mut Vec<u8>,
    ) -> Result<(u16, bool), TransportError> {
        out.clear();
        let (status, framing, keep) = loop {
            let answer = self.read_head(src, on_header)?;
            if !(100..200).contains(&answer.0) {
                break answer;
            }
        };
        let framing = if status == 204 || status == 304 { Delimited::None } else { framing };
        match framing {
            Delimited::None => {}
            Delimited::Length(n) => self.read_exact(src, out, n, "the connection closed inside the body")?,
            Delimited::Chunked => self.read_chunked(src, out)?,
            Delimited::UntilClose => {
                self.read_to_close(src, out)?;
                return Ok((status, false));
            }
        }
        Ok((status, keep && self.pos == self.buf.len()))
    }

    /// Parses the answer head, passing each header on; returns status, framing and keep-alive.
    fn read_head(
        &mut self,
        src: &mut impl Source,
        on_header: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(u16, Delimited, bool), TransportError> {
        const TOO_LARGE: TransportError = TransportError::Head("the answer head is larger than 256 KiB");
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut answer = httparse::Response::new(&mut headers);
            match answer.parse(&self.buf[self.pos..]) {
                Ok(httparse::Status::Complete(len)) => {
                    // The limit holds however the head arrived (in one read or in many).
                    if len > MAX_HEAD {
                        return Err(TOO_LARGE);
                    }
                    let status = answer.code.unwrap_or(0);
                    let interim = (100..200).contains(&status);
                    let (mut close, mut keep_alive) = (false, false);
                    let mut length: Option<usize> = None;
                    let mut chunked = false;
                    for h in answer.headers.iter() {
                        if !interim {
                            on_header(h.name, h.value);
                        }
                        if eq_ignore_case(h.name.as_bytes(), b"content-length") {
                            let n = protocol::parse_u64(trim(h.value))
                                .ok_or(TransportError::Head("the Content-Length is not a number"))?;
                            if length.is_some_and(|l| l as u64 != n) {
                                return Err(TransportError::Head("two different Content-Length values"));
                            }
                            if n > MAX_BODY as u64 {
                                return Err(TransportError::Body("the body is larger than 32 MiB"));
                            }
                            length = Some(n as usize);
                        } else if eq_ignore_case(h.name.as_bytes(), b"transfer-encoding") {
                            // Exactly `chunked`, once: we cannot undo any other coding (gzip, ...).
                            if chunked || !eq_ignore_case(trim(h.value), b"chunked") {
                                return Err(TransportError::Head("unsupported Transfer-Encoding"));
                            }
                            chunked = true;
                        } else if eq_ignore_case(h.name.as_bytes(), b"connection") {
                            let value = trim(h.value);
                            close |= eq_ignore_case(value, b"close");
                            keep_alive |= eq_ignore_case(value, b"keep-alive");
                        }
                    }
                    self.pos += len;
                    let framing = match (chunked, length) {
                        (true, _) => Delimited::Chunked, // Transfer-Encoding wins (RFC 9112 §6.3)...
                        (false, Some(n)) => Delimited::Length(n),
                        (false, None) => Delimited::UntilClose,
                    };
                    // ... but such an answer may be an attempt at response splitting: the
                    // connection is not reused after it.
                    let keep =
                        !close && (answer.version == Some(1) || keep_alive) && !(chunked && length.is_some());
                    return Ok((status, framing, keep));
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() - self.pos >= MAX_HEAD {
                        return Err(TOO_LARGE);
                    }
                    let started = self.pos < self.buf.len();
                    if self.fill(src)? == 0 {
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

    /// Reads more bytes into `buf`; returns how many (0 at end of stream).
    fn fill(&mut self, src: &mut impl Source) -> Result<usize, TransportError> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > READ_SIZE {
            // The unread bytes move to a new buffer (rare: a copy that never overlaps, so no
            // `memmove` in the binary).
            self.buf = self.buf.split_off(self.pos);
            self.pos = 0;
        }
        src.recv_into(&mut self.buf, READ_SIZE).map_err(TransportError::Recv)
    }

    /// Appends exactly `n` body bytes to `out`: first what is buffered, then straight from the
    /// source into `out`.
    fn read_exact(
        &mut self,
        src: &mut impl Source,
        out: &mut Vec<u8>,
        mut n: usize,
        eof: &'static str,
    ) -> Result<(), TransportError> {
        let take = n.min(self.buf.len() - self.pos);
        out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
        self.pos += take;
        n -= take;
        while n > 0 {
            match src.recv_into(out, n) {
                Ok(0) => return Err(TransportError::Closed(eof)),
                Ok(got) => n -= got,
                Err(e) => return Err(TransportError::Recv(e)),
            }
        }
        Ok(())
    }

    /// Decodes a chunked body into `out`; chunk extensions and trailers are read and ignored.
    pub(crate) fn read_chunked(
        &mut self,
        src: &mut impl Source,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        const EOF: &str = "the connection closed inside the chunked body";
        loop {
            let line = self.read_line(src)?;
            let size = chunk_size(&self.buf[line.0..line.1])?;
            if size == 0 {
                while self.read_line(src).map(|(start, end)| end > start)? {} // trailers
                return Ok(());
            }
            if out.len() + size > MAX_BODY {
                return Err(TransportError::Body("the body is larger than 32 MiB"));
            }
            self.read_exact(src, out, size, EOF)?;
            let (start, end) = self.read_line(src)?;
            if end > start {
                return Err(TransportError::Body("a chunk is longer than its size says"));
            }
        }
    }

    /// Finds the next line in `buf`, consumes it and returns its bounds without the line end.
    fn read_line(&mut self, src: &mut impl Source) -> Result<(usize, usize), TransportError> {
        const TOO_LONG: TransportError =
            TransportError::Body("a chunk-size or trailer line is longer than 8 KiB");
        let mut searched = self.pos;
        loop {
            if let Some(i) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                let start = self.pos;
                let lf = searched + i;
                let end = if lf > start && self.buf[lf - 1] == b'\r' { lf - 1 } else { lf };
                // The limit holds however the line arrived (in one read or in many).
                if end - start > MAX_LINE {
                    return Err(TOO_LONG);
                }
                self.pos = lf + 1;
                return Ok((start, end));
            }
            // (A line of MAX_LINE bytes may have its CR here and its LF still to come.)
            if self.buf.len() - self.pos > MAX_LINE + 1 {
                return Err(TOO_LONG);
            }
            searched = self.buf.len();
            let before = self.pos;
            if self.fill(src)? == 0 {
                return Err(TransportError::Closed("the connection closed inside the chunked body"));
            }
            // fill() may have moved the unread bytes to the front of the buffer.
            searched -= before - self.pos;
        }
    }

    /// A body without length or chunking runs until the server closes the connection.
    fn read_to_close(&mut self, src: &mut impl Source, out: &mut Vec<u8>) -> Result<(), TransportError> {
        out.extend_from_slice(&self.buf[self.pos..]);
        self.pos = self.buf.len();
        loop {
            match src.recv_into(out, READ_SIZE) {
                Ok(0) => return Ok(()),
                Ok(_) if out.len() > MAX_BODY => {
                    return Err(TransportError::Body("the body is larger than 32 MiB"));
                }
                Ok(_) => {}
                Err(e) => return Err(TransportError::Recv(e)),
            }
        }
    }

    /// How many received bytes are not consumed yet.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }
}

/// The hex size at the start of a chunk-size line; extensions after `;` are ignored, and so are
/// leading zeros.
fn chunk_size(line: &[u8]) -> Result<usize, TransportError> {
    const BAD: TransportError = TransportError::Body("a chunk size is not a hex number");
    let digits = trim(line.split(|&b| b == b';').next().unwrap_or_default());
    if digits.is_empty() {
        return Err(BAD);
    }
    let mut n = 0usize;
    for &b in digits {
        n = n * 16 + (b as char).to_digit(16).ok_or(BAD)? as usize;
        if n > MAX_BODY {
            return Err(TransportError::Body("a chunk is larger than 32 MiB"));
        }
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
mod tests;
