//! Answers from memory instead of a socket: [`Pieces`] hands bytes out in pieces of chosen sizes,
//! and [`fuzzing`] reads answers from them the way the client reads its socket (for the unit tests
//! and the fuzz targets).

use alloc::vec::Vec;

use super::answer::Source;
use crate::sys::Errno;

/// Answer bytes from memory, for the unit tests and the fuzz targets: handed out in pieces whose
/// sizes cycle through `sizes` (each byte `b` is a piece of `b + 1` bytes; no sizes: all at
/// once), then end of stream, or `end` if set (e.g. `ECONNRESET`).
pub(crate) struct Pieces<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    turn: usize,
    end: Option<Errno>,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(data: &'a [u8], sizes: &'a [u8], end: Option<Errno>) -> Pieces<'a> {
        Pieces { data, sizes, turn: 0, end }
    }

    /// How many bytes were not handed out yet.
    pub(crate) fn left(&self) -> usize {
        self.data.len()
    }
}

impl Source for Pieces<'_> {
    fn recv_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, Errno> {
        if self.data.is_empty() {
            return self.end.map_or(Ok(0), Err);
        }
        let piece = match self.sizes {
            [] => self.data.len(),
            sizes => usize::from(sizes[self.turn % sizes.len()]) + 1,
        };
        self.turn += 1;
        let (now, later) = self.data.split_at(piece.min(max).min(self.data.len()));
        buf.extend_from_slice(now);
        self.data = later;
        Ok(now.len())
    }
}

/// Thin wrappers for `lambda_bootstrap::fuzzing` (not public API).
pub mod fuzzing {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::Pieces;
    use crate::sys::Errno;
    use crate::transport::TransportError;
    use crate::transport::answer::Reader;

    /// One answer as the client read it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Answer {
        /// The status code.
        pub status: u16,
        /// Whether the client would reuse the connection after it.
        pub keep_alive: bool,
        /// The headers passed on, in order.
        pub headers: Vec<(String, Vec<u8>)>,
        /// The decoded body.
        pub body: Vec<u8>,
        /// How many bytes of its segment the client left unread (received or not).
        pub unread: usize,
    }

    /// Reads the answers to requests sent one after another on one connection, as the client
    /// does: `segments[i]` is everything the server sends after request `i`, handed out in
    /// `pieces` (see `Pieces`), and then the stream ends (with `ECONNRESET` if `reset`, else a
    /// clean end of stream). Stops after the first error, or after an answer that does not keep
    /// the connection alive.
    pub fn read_answers(
        segments: &[&[u8]],
        pieces: &[u8],
        reset: bool,
    ) -> Vec<Result<Answer, TransportError>> {
        let mut reader = Reader::new();
        let mut answers = Vec::new();
        for segment in segments {
            let mut src = Pieces::new(segment, pieces, reset.then_some(Errno(libc::ECONNRESET)));
            let mut headers = Vec::new();
            let mut body = Vec::new();
            let mut on_header = |name: &str, value: &[u8]| headers.push((String::from(name), value.to_vec()));
            let read = reader.read_answer(&mut src, &mut on_header, &mut body);
            let go_on = matches!(read, Ok((_, true)));
            let unread = src.left() + reader.buffered();
            answers.push(read.map(|(status, keep_alive)| Answer {
                status,
                keep_alive,
                headers,
                body,
                unread,
            }));
            if !go_on {
                break;
            }
        }
        answers
    }

    /// Decodes one chunked body (what follows the head) from `input` handed out in `pieces`.
    /// Returns the body and how many bytes of `input` it took.
    pub fn decode_chunked(input: &[u8], pieces: &[u8]) -> Result<(Vec<u8>, usize), TransportError> {
        let mut src = Pieces::new(input, pieces, None);
        let mut reader = Reader::new();
        let mut body = Vec::new();
        reader.read_chunked(&mut src, &mut body)?;
        Ok((body, input.len() - src.left() - reader.buffered()))
    }
}
