//! The answer reader (head through httparse, then a `Content-Length`, chunked or until-close
//! body), over up to three answers on one connection, as the client reads them.
//!
//! Input: byte 0 flags (bit 0: the stream ends with ECONNRESET; bits 1–2: how many cuts into
//! segments), bytes 1–2 where to cut, then piece sizes (see `take_pieces`), then the bytes the
//! server sends.
//!
//! Invariants: never a panic; headers passed on are tokens and values without control bytes; the
//! status is never an interim 1xx; no body over 32 MiB; the outcome does not depend on how the
//! bytes are cut into reads (except whether bytes beyond an answer's framing were seen, which
//! only decides whether the connection is reused).
#![no_main]

use lambda_bootstrap::fuzzing::{Answer, TransportError, read_answers};
use lambda_bootstrap_fuzz::{MAX_BODY, segments, take_pieces};
use libfuzzer_sys::fuzz_target;

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check(answer: &Answer) {
    assert!(!(100..200).contains(&answer.status), "an interim answer came out: {}", answer.status);
    assert!(answer.status <= 999);
    assert!(answer.body.len() <= MAX_BODY);
    for (name, value) in &answer.headers {
        assert!(!name.is_empty() && name.bytes().all(is_tchar), "header name {name:?}");
        assert!(value.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f)), "value of {name}: {value:?}");
    }
}

fn same(a: &Result<Answer, TransportError>, b: &Result<Answer, TransportError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => (a.status, &a.headers, &a.body) == (b.status, &b.headers, &b.body),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

fn stray(answer: &Result<Answer, TransportError>) -> bool {
    answer.as_ref().is_ok_and(|a| a.unread > 0)
}

fuzz_target!(|data: &[u8]| {
    let [flags, a, b, rest @ ..] = data else { return };
    let (pieces, stream) = take_pieces(rest);
    let segments = segments(stream, flags >> 1, *a, *b);
    let reset = flags & 1 == 1;
    let whole = read_answers(&segments, &[], reset);
    let cut = read_answers(&segments, pieces, reset);
    for answer in whole.iter().chain(&cut).flatten() {
        check(answer);
    }
    for (i, (w, c)) in whole.iter().zip(&cut).enumerate() {
        assert!(same(w, c), "answer {i} depends on the reads:\n{w:?}\n{c:?}");
        if let (Ok(w), Ok(c)) = (w, c) {
            if w.unread == 0 {
                assert_eq!(w.keep_alive, c.keep_alive, "answer {i}");
            }
        }
    }
    if whole.len() != cut.len() {
        let last = whole.len().min(cut.len()) - 1;
        assert!(stray(&whole[last]) || stray(&cut[last]), "{whole:?}\n{cut:?}");
    }
});
