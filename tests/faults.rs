//! Bad input from the Runtime API and from the environment: each case has one defined outcome,
//! asserted on what the client sent next, its exit status and its stderr. Never a panic, never a
//! hang (every process is killed after `LIMIT` and the test then fails; the scripted servers'
//! reads time out the same way).
//!
//! The catalogue, one row per test with what the server does and the expected outcome, is in
//! `tests/README.md`. In short:
//!
//! | case | outcome |
//! |---|---|
//! | `/next` answered 500, 403, 410, 404 | one stderr line naming the status, exit 1 |
//! | `/next` event without a usable request id (missing, empty, blank, not UTF-8) | one stderr line, exit 1 |
//! | `/next` broken once (closed or reset before, inside or after the head, mid-body; malformed head; bad framing; over a limit) | one line, reconnect, the re-served event is answered |
//! | `/next` broken twice in a row | two lines, exit 1 |
//! | odd but valid answers (bare LF, 128 headers, a 64 KiB header, interim 1xx, chunk extensions, trailers, leading zeros, HTTP/1.0, `Connection: close`, `Content-Length` shorter than the body) | answered, no line |
//! | post answered 2xx | next event |
//! | post answered 400, 403, 404, 410, 3xx | one line, the next event is answered |
//! | post answered 413 | one line, no `/error` post, a new connection, the next event is answered |
//! | post answered 5xx | one line, exit 1 |
//! | post answer lost once (connection closed) | one line, the post is sent again on a new connection |
//! | slow drip of the answer (a byte every 20 ms) | the event is answered |
//! | `AWS_LAMBDA_RUNTIME_API` missing, not UTF-8, empty, https, ftp, no port, bad port, bad host, query, unreachable | one line, exit 1, no request |
//!
//! Under `LB_FEATURES=ureq` the same tests run over ureq; where its outcome differs, the test
//! asserts ureq's outcome explicitly.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

use common::*;
use lambda_emulator::{EventFraming, Kind};

/// `/next` answered with `status`: the process exits 1 after one line naming it.
fn next_status_exits(status: u16) {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(status, r#"{"errorType":"Odd"}"#.into())));
    let outcome = spawn(&emu, "echo").wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["GET /next answered", &status.to_string(), "Odd", "exiting"]);
    assert!(emu.posts().is_empty());
}

#[test]
fn next_answered_500_exits() {
    next_status_exits(500);
}

#[test]
fn next_answered_403_exits() {
    next_status_exits(403);
}

#[test]
fn next_answered_410_exits() {
    next_status_exits(410);
}

#[test]
fn next_answered_404_exits() {
    next_status_exits(404);
}

#[test]
fn event_without_request_id_exits() {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).without("Lambda-Runtime-Aws-Request-Id"));
    let outcome = spawn(&emu, "echo").wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["without Lambda-Runtime-Aws-Request-Id"]);
    assert!(emu.posts().is_empty());
}

/// A `/next` answer broken by `fault` once: the client says so, reconnects, and answers the event
/// the emulator serves again.
fn recovers_from(fault: Fault, words: &[&str]) {
    let emu = Emulator::start();
    let event = Event::new(vec![b'e'; 3000]).fault(fault);
    let id = event.request_id().to_string();
    emu.push(event);
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(posts[0].kind, Kind::Response(id));
    assert_eq!(posts[0].body, vec![b'e'; 3000]);
    assert_eq!(emu.connections(), 2, "one reconnect");
    // The texts name what the built-in transport saw; ureq words its errors its own way.
    let mut words = if ureq() { Vec::new() } else { words.to_vec() };
    words.extend(["GET /next", "reconnecting"]);
    assert_one_line(&outcome, &words);
    assert_no_panic(&outcome);
}

#[test]
fn connection_closed_before_the_head() {
    recovers_from(Fault::CloseBeforeHead, &["closed before an answer"]);
}

#[test]
fn connection_reset_before_the_head() {
    recovers_from(Fault::ResetBeforeHead, &["Connection reset"]);
}

#[test]
fn connection_closed_after_the_head() {
    recovers_from(Fault::CloseAfterHead, &["closed inside the chunked body"]);
}

#[test]
fn connection_closed_mid_body() {
    recovers_from(Fault::CloseMidBody, &["closed inside the"]);
}

#[test]
fn content_length_larger_than_the_body_then_close() {
    recovers_from(
        Fault::Raw(
            b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
        ),
        &["closed inside the body"],
    );
}

#[test]
fn malformed_status_line() {
    recovers_from(Fault::Raw(b"HTTP/1.1 2x0 OK\r\n\r\n".to_vec()), &["status line is malformed"]);
}

#[test]
fn not_http_at_all() {
    recovers_from(Fault::Raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()), &["not HTTP/1.x"]);
}

#[test]
fn header_name_with_a_space() {
    recovers_from(Fault::Raw(b"HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n".to_vec()), &["malformed header name"]);
}

#[test]
fn header_value_with_a_control_byte() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\x01b\r\n\r\n".to_vec()),
        &["malformed header value"],
    );
}

#[test]
fn more_than_128_headers() {
    let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..130 {
        raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    recovers_from(Fault::Raw(raw), &["more than 128 headers"]);
}

#[test]
fn answer_head_larger_than_256_kib() {
    let mut raw = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    raw.resize(300 * 1024, b'a');
    recovers_from(Fault::Raw(raw), &["larger than 256 KiB"]);
}

#[test]
fn bad_chunk_size() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec()),
        &["chunk size is not a hex number"],
    );
}

#[test]
fn chunk_longer_than_its_size() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n".to_vec()),
        &["longer than its size"],
    );
}

#[test]
fn final_chunk_missing() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n".to_vec()),
        &["closed inside the chunked body"],
    );
}

#[test]
fn two_different_content_lengths() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec()),
        &["two different Content-Length"],
    );
}

#[test]
fn gzip_transfer_encoding() {
    if ureq() {
        // ureq (without its gzip feature) reads such a body to the end of the connection, so
        // the outcome is the one for an event without a request id.
        let emu = Emulator::start();
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab".to_vec();
        emu.push(Event::new(b"x".to_vec()).fault(Fault::Raw(raw)));
        let outcome = spawn(&emu, "echo").wait(LIMIT);
        assert_exit(&outcome, 1);
        return assert_one_line(&outcome, &["without Lambda-Runtime-Aws-Request-Id"]);
    }
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nab".to_vec()),
        &["unsupported Transfer-Encoding"],
    );
}

/// Framings that are odd but valid HTTP/1.1: the event is answered with no complaint. Returns
/// the emulator, to look further at what the client sent.
fn answers_raw(raw: &[u8], want: &[u8]) -> Emulator {
    let emu = Emulator::start();
    emu.push(Event::new(b"unused".to_vec()).with_request_id("r-1").fault(Fault::RawServed(raw.to_vec())));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(posts[0].kind, Kind::Response("r-1".into()));
    assert_eq!(String::from_utf8_lossy(&posts[0].body), String::from_utf8_lossy(want));
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
    emu
}

const HEAD: &str =
    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-1\r\nLambda-Runtime-Deadline-Ms: 1\r\n";

#[test]
fn chunk_extensions_and_trailers_are_ignored() {
    let raw = format!(
        "{HEAD}Transfer-Encoding: chunked\r\n\r\n3;name=v\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
    );
    answers_raw(raw.as_bytes(), b"abcde");
}

#[test]
fn zero_size_chunked_body() {
    answers_raw(format!("{HEAD}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").as_bytes(), b"");
}

/// Both framings: chunked wins (RFC 9112 §6.3); the built-in transport then drops the connection
/// (such an answer may be an attempt at response splitting), ureq keeps it.
#[test]
fn chunked_wins_over_content_length() {
    let raw = format!("{HEAD}Content-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    let emu = answers_raw(raw.as_bytes(), b"ok");
    assert_eq!(emu.posts()[0].conn, if ureq() { 0 } else { 1 }, "the response goes on a fresh connection");
}

#[test]
fn body_until_close_without_length() {
    let emu = Emulator::start();
    emu.push(Event::new(b"to the end".to_vec()).framing(EventFraming::UntilClose));
    emu.push(Event::new(b"next".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!(body(&posts[0]), "to the end");
    assert_eq!(body(&posts[1]), "next");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn header_names_in_any_case_and_non_utf8_values() {
    let raw = b"HTTP/1.1 200 OK\r\nLAMBDA-RUNTIME-AWS-REQUEST-ID: r-1\r\nX-Odd: \xff\xfe\r\nContent-Length: 2\r\n\r\nhi";
    answers_raw(raw, b"hi");
}

/// A `/next` answer written one byte every 20 ms (its optional headers left out, so that the
/// whole answer, about 80 bytes, takes under two seconds).
fn drip(framing: EventFraming) {
    let emu = Emulator::start();
    let event = Event::new(b"drip".to_vec())
        .with_request_id("d")
        .without("Content-Type")
        .without("Lambda-Runtime-Deadline-Ms")
        .without("Lambda-Runtime-Invoked-Function-Arn")
        .framing(framing)
        .fault(Fault::Drip(Duration::from_millis(20)));
    emu.push(event);
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(posts[0].kind, Kind::Response("d".into()));
    assert_eq!(body(&posts[0]), "drip");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn slow_drip_answer_is_read_whole() {
    drip(EventFraming::ContentLength);
}

#[test]
fn slow_drip_of_one_byte_chunks_is_read_whole() {
    drip(EventFraming::Chunked(1));
}

/// A server that accepts connections and closes each at once, counting them.
#[test]
fn next_broken_twice_in_a_row_exits() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(LIMIT)).unwrap();
            let mut buf = [0u8; 1024];
            let n = conn.read(&mut buf).unwrap();
            heads.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        heads
    });
    let emu = Emulator::start(); // only for its process helpers
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
    let outcome = emu.spawn(cmd).wait(LIMIT);
    assert_exit(&outcome, 1);
    let heads = server.join().unwrap();
    assert!(heads.iter().all(|h| h.starts_with("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n")));
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 2, "{}", outcome.stderr);
    assert!(lines[0].ends_with("reconnecting") && lines[1].ends_with("exiting"), "{lines:?}");
}

/// A post answered with `status`: one stderr line, and the next event is answered.
fn post_status_carries_on(status: u16, word: &str) {
    let emu = Emulator::start();
    emu.push(Event::new(b"first".to_vec()).reply(status, &format!(r#"{{"errorType":"{word}"}}"#)));
    emu.push(Event::new(b"second".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!(posts[0].answered, status);
    assert!(matches!(posts[0].kind, Kind::Response(_)), "no /error post after a refused response");
    assert_eq!(body(&posts[1]), "second");
    assert_eq!(posts[1].answered, 202);
    assert_one_line(&outcome, &["POST /response answered", &status.to_string(), word, "carrying on"]);
}

#[test]
fn response_answered_400_carries_on() {
    post_status_carries_on(400, "InvalidRequestID");
}

#[test]
fn response_answered_403_carries_on() {
    post_status_carries_on(403, "InvalidStateTransition");
}

#[test]
fn response_answered_410_carries_on() {
    post_status_carries_on(410, "InvokeTimeout");
}

#[test]
fn error_answered_410_carries_on() {
    let emu = Emulator::start();
    emu.push(Event::new(b"1".to_vec()).reply(410, "{}"));
    emu.push(Event::new(b"2".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "fail"), 2);
    assert!(posts.iter().all(|p| matches!(p.kind, Kind::Error(_))));
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 3, "two failures and one refusal: {}", outcome.stderr);
    assert!(
        lines[1].contains("POST /error answered 410") && lines[1].ends_with("carrying on"),
        "{}",
        lines[1]
    );
}

#[test]
fn response_answered_500_exits() {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).reply(500, "{}"));
    emu.push(Event::new(b"never".to_vec()));
    let outcome = spawn(&emu, "echo").wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["POST /response answered 500", "exiting"]);
    assert_eq!(emu.pending(), 1);
}

#[test]
fn too_large_response_is_not_reported_again_and_the_loop_goes_on() {
    for close in [false, true] {
        let emu = Emulator::start_with(Options {
            max_response: 1000,
            close_after_413: close,
            ..Options::default()
        });
        emu.push(Event::new(vec![b'L'; 1001]));
        emu.push(Event::new(vec![b's'; 1000]));
        let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
        assert_eq!(posts[0].answered, 413);
        assert!(matches!(posts[1].kind, Kind::Response(_)), "no /error after 413 (close={close})");
        assert_eq!(posts[1].answered, 202);
        assert_eq!(posts[1].body.len(), 1000);
        assert_eq!(emu.connections(), 2, "a fresh connection after 413 (close={close})");
        assert_one_line(&outcome, &["POST /response answered 413", "RequestEntityTooLarge", "carrying on"]);
    }
}

/// Events of 6 MiB, 6 MiB + 100 B and 6 MiB + 101 B: the echo of the last is over Lambda's
/// response limit (6 MiB + 100 B), answered 413, and the loop carries on.
#[test]
fn response_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    let emu = Emulator::start();
    let six_mib = 6 * 1024 * 1024;
    emu.push(Event::new(vec![b'm'; six_mib]));
    emu.push(Event::new(vec![b'a'; six_mib + 100]));
    emu.push(Event::new(vec![b'b'; six_mib + 101]));
    emu.push(Event::new(b"after".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 4);
    let answered: Vec<u16> = posts.iter().map(|p| p.answered).collect();
    assert_eq!(answered, [202, 202, 413, 202]);
    assert_eq!(
        posts.iter().map(|p| p.body.len()).collect::<Vec<_>>(),
        [six_mib, six_mib + 100, six_mib + 101, 5]
    );
    assert!(posts.iter().all(|p| matches!(p.kind, Kind::Response(_))), "no /error after the 413");
    assert_eq!(body(&posts[3]), "after");
    assert_one_line(&outcome, &["POST /response answered 413", "carrying on"]);
}

#[test]
fn answer_to_a_post_lost_once_is_sent_again() {
    let emu = Emulator::start();
    emu.push(Event::new(b"again".to_vec()).reply_and_close(0, ""));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!(body(&posts[0]), "again");
    assert_eq!(body(&posts[1]), "again");
    assert_eq!(posts[1].conn, 1, "sent again on a new connection");
    assert_one_line(&outcome, &["POST /response", "reconnecting to send it again"]);
}

/// `AWS_LAMBDA_RUNTIME_API` set to `value` (or unset): one line naming the problem, exit 1.
fn bad_api(value: Option<&str>, words: &[&str]) {
    let emu = Emulator::start();
    let mut cmd = emu.command(example("echo"));
    match value {
        Some(v) => cmd.env("AWS_LAMBDA_RUNTIME_API", v),
        None => cmd.env_remove("AWS_LAMBDA_RUNTIME_API"),
    };
    let outcome = emu.spawn(cmd).wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, words);
    assert!(emu.requests().is_empty());
}

#[test]
fn runtime_api_missing() {
    bad_api(None, &["AWS_LAMBDA_RUNTIME_API is not set"]);
}

#[test]
fn runtime_api_empty() {
    bad_api(Some(""), &["AWS_LAMBDA_RUNTIME_API is unusable", "empty"]);
}

#[test]
fn runtime_api_https() {
    bad_api(Some("https://127.0.0.1:9001"), &["only plain http://"]);
}

#[test]
fn runtime_api_without_port() {
    bad_api(Some("127.0.0.1"), &["port"]);
}

#[test]
fn runtime_api_with_port_out_of_range() {
    bad_api(Some("127.0.0.1:70000"), &["port"]);
}

#[test]
fn runtime_api_garbage() {
    bad_api(Some("not a url"), &["host"]);
}

#[test]
fn runtime_api_unreachable() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // closed again
    bad_api(Some(&format!("127.0.0.1:{port}")), &["cannot connect", "Connection refused", "exiting"]);
}

#[test]
fn runtime_api_unresolvable_name() {
    bad_api(Some("no-such-host.invalid:9001"), &["cannot resolve"]);
}

#[test]
fn runtime_api_localhost_and_trailing_slash() {
    let emu = Emulator::start();
    emu.push(Event::new(b"lh".to_vec()));
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", format!("http://localhost:{}/", emu.addr().port()));
    let (posts, _) = posts_then_kill(&emu, emu.spawn(cmd), 1);
    assert_eq!(body(&posts[0]), "lh");
}

/// The client never writes to a closed connection in a way that kills it (SIGPIPE).
#[test]
fn server_gone_after_the_event_does_not_kill_with_sigpipe() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        // Serve one event, then drop every connection without answering.
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf).unwrap();
        conn.write_all(
            b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r\r\nContent-Length: 100000\r\n\r\n",
        )
        .unwrap();
        conn.write_all(&[b'z'; 100_000]).unwrap();
        drop(conn);
        drop(listener);
    });
    let emu = Emulator::start();
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
    let outcome = emu.spawn(cmd).wait(LIMIT);
    server.join().unwrap();
    assert_exit(&outcome, 1);
    assert_eq!(outcome.signal(), None);
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 2, "{}", outcome.stderr);
    assert!(
        lines[0].contains("POST /response") && lines[0].ends_with("reconnecting to send it again"),
        "{lines:?}"
    );
    assert!(lines[1].contains("cannot connect") && lines[1].ends_with("exiting"), "{lines:?}");
}

// ---------------------------------------------------------------------------------------------
// Answer heads: line ends, odd bytes, sizes and counts.

#[test]
fn bare_lf_line_endings_are_accepted() {
    // httparse (both transports parse heads with it) reads a lone LF as a line end.
    let raw = b"HTTP/1.1 200 OK\nLambda-Runtime-Aws-Request-Id: r-1\nContent-Length: 2\n\nlf";
    answers_raw(raw, b"lf");
}

#[test]
fn mixed_crlf_and_bare_lf_are_accepted() {
    let raw = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-1\nContent-Length: 5\r\n\nmixed";
    answers_raw(raw, b"mixed");
}

#[test]
fn bare_cr_line_ending_is_refused() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\rLambda-Runtime-Aws-Request-Id: r\r\n\r\n".to_vec()),
        &["malformed"],
    );
}

#[test]
fn status_line_without_reason_phrase_is_accepted() {
    answers_raw(b"HTTP/1.1 200\r\nLambda-Runtime-Aws-Request-Id: r-1\r\nContent-Length: 2\r\n\r\nok", b"ok");
}

#[test]
fn header_name_with_a_control_byte() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nX-\x01Name: v\r\n\r\n".to_vec()),
        &["malformed header name"],
    );
}

#[test]
fn space_before_the_colon_is_refused() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id : r\r\n\r\n".to_vec()),
        &["malformed header name"],
    );
}

#[test]
fn obsolete_line_folding_is_refused() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n".to_vec()),
        &["malformed header name"],
    );
}

#[test]
fn header_value_with_a_nul_byte() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\x00b\r\n\r\n".to_vec()),
        &["malformed header value"],
    );
}

#[test]
fn header_value_with_del() {
    recovers_from(
        Fault::Raw(b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\x7fb\r\n\r\n".to_vec()),
        &["malformed header value"],
    );
}

/// `/next` answered with this request id value: it counts as missing, one line, exit 1.
fn request_id_counts_as_missing(value: &[u8]) {
    let emu = Emulator::start();
    let mut raw = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id:".to_vec();
    raw.extend_from_slice(value);
    raw.extend_from_slice(b"\r\nContent-Length: 1\r\n\r\nx");
    emu.push(Event::new(b"x".to_vec()).fault(Fault::RawServed(raw)));
    let outcome = spawn(&emu, "echo").wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["without Lambda-Runtime-Aws-Request-Id", "exiting"]);
    assert!(emu.posts().is_empty());
}

#[test]
fn request_id_not_utf8_counts_as_missing() {
    request_id_counts_as_missing(b" \xff\xfe");
}

#[test]
fn request_id_empty_counts_as_missing() {
    request_id_counts_as_missing(b"");
}

#[test]
fn request_id_of_blanks_counts_as_missing() {
    request_id_counts_as_missing(b" \t ");
}

#[test]
fn header_of_64_kib_is_accepted() {
    let mut raw = format!("{HEAD}X-Big: ").into_bytes();
    raw.resize(raw.len() + 64 * 1024, b'v');
    raw.extend_from_slice(b"\r\nContent-Length: 3\r\n\r\nbig");
    answers_raw(&raw, b"big");
}

/// An answer with `n` headers in all (request id and Content-Length included).
fn with_headers(n: usize) -> Vec<u8> {
    let mut raw = b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-1\r\n".to_vec();
    for i in 0..n - 2 {
        raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"Content-Length: 1\r\n\r\nh");
    raw
}

#[test]
fn a_hundred_headers_are_accepted() {
    answers_raw(&with_headers(100), b"h");
}

#[test]
fn exactly_128_headers_are_accepted() {
    answers_raw(&with_headers(128), b"h");
}

#[test]
fn headers_129_are_refused() {
    recovers_from(Fault::Raw(with_headers(129)), &["more than 128 headers"]);
}

#[test]
fn interim_answers_before_the_event_are_skipped() {
    let raw = format!(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n{HEAD}Content-Length: 2\r\n\r\nok"
    );
    answers_raw(raw.as_bytes(), b"ok");
}

/// An interim answer's headers are not the event's: an invocation id in it is not echoed. (ureq
/// refuses a `100 Continue` with headers as invalid: a broken answer, so one line and a reconnect.)
#[test]
fn interim_answer_headers_are_ignored() {
    let raw = format!(
        "HTTP/1.1 100 Continue\r\nLambda-Runtime-Invocation-Id: stale\r\n\r\n{HEAD}Content-Length: 2\r\n\r\nok"
    );
    if ureq() {
        return recovers_from(Fault::Raw(raw.into_bytes()), &[]);
    }
    let emu = answers_raw(raw.as_bytes(), b"ok");
    assert_eq!(emu.posts()[0].header("lambda-runtime-invocation-id"), None);
}

// ---------------------------------------------------------------------------------------------
// Body framing.

/// `Content-Length` smaller than the body: the event is the first `Content-Length` bytes, and
/// the stray bytes after it (which would otherwise look like the start of the next answer) go
/// with the connection: the response is posted on a fresh one, without complaint. (ureq does the
/// same.)
#[test]
fn content_length_smaller_than_the_body() {
    let emu = Emulator::start();
    let raw = format!("{HEAD}Content-Length: 3\r\n\r\nabcHTTP/1.1 202 Accepted\r\n\r\n").into_bytes();
    emu.push(Event::new(b"unused".to_vec()).with_request_id("r-1").fault(Fault::RawServed(raw)));
    emu.push(Event::new(b"next".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!(posts[0].kind, Kind::Response("r-1".into()));
    assert_eq!(body(&posts[0]), "abc", "the event is what Content-Length says");
    assert_eq!((posts[0].conn, posts[0].answered), (1, 202), "posted on a fresh connection");
    assert_eq!(body(&posts[1]), "next");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn content_length_not_a_number() {
    recovers_from(
        Fault::Raw(format!("{HEAD}Content-Length: 12abc\r\n\r\n").into_bytes()),
        &["Content-Length is not a number"],
    );
}

#[test]
fn content_length_over_32_mib_is_refused() {
    recovers_from(
        Fault::Raw(format!("{HEAD}Content-Length: 40000000\r\n\r\nxyz").into_bytes()),
        &["larger than 32 MiB"],
    );
}

#[test]
fn chunk_size_over_32_mib_is_refused() {
    recovers_from(
        Fault::Raw(format!("{HEAD}Transfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nxyz").into_bytes()),
        &["larger than 32 MiB"],
    );
}

#[test]
fn chunk_sizes_with_leading_zeros_upper_case_and_blanks() {
    let raw = format!(
        "{HEAD}Transfer-Encoding: chunked\r\n\r\n0000000003 \r\nabc\r\n00A\r\n0123456789\r\n000\r\n\r\n"
    );
    answers_raw(raw.as_bytes(), b"abc0123456789");
}

#[test]
fn chunked_body_with_bare_lf_line_ends() {
    let raw = format!("{HEAD}Transfer-Encoding: chunked\r\n\r\n2\nok\n0\n\n");
    if ureq() {
        // ureq ends chunk lines at CRLF only: it waits for more, and when the server closes the
        // connection the answer is broken: one line, reconnect, the event served again is answered.
        return recovers_from(Fault::Raw(raw.into_bytes()), &[]);
    }
    answers_raw(raw.as_bytes(), b"ok");
}

#[test]
fn chunked_body_with_a_negative_size() {
    recovers_from(
        Fault::Raw(format!("{HEAD}Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n").into_bytes()),
        &["chunk size is not a hex number"],
    );
}

#[test]
fn gzip_then_chunked_transfer_encoding() {
    let raw = format!("{HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    if ureq() {
        // ureq (without its gzip feature) decodes the chunks and hands on the gzip bytes.
        return drop(answers_raw(raw.as_bytes(), b"ab"));
    }
    recovers_from(Fault::Raw(raw.into_bytes()), &["unsupported Transfer-Encoding"]);
}

#[test]
fn http_1_0_answer_is_not_kept_alive() {
    let emu = Emulator::start();
    let raw =
        b"HTTP/1.0 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-1\r\nContent-Length: 3\r\n\r\nold".to_vec();
    emu.push(Event::new(b"unused".to_vec()).with_request_id("r-1").fault(Fault::RawServed(raw)));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(body(&posts[0]), "old");
    assert_eq!(posts[0].conn, 1, "the response goes on a fresh connection");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn connection_close_header_is_honoured() {
    let emu = Emulator::start();
    let raw = format!("{HEAD}Connection: close\r\nContent-Length: 3\r\n\r\nbye");
    emu.push(Event::new(b"unused".to_vec()).with_request_id("r-1").fault(Fault::RawServed(raw.into_bytes())));
    emu.push(Event::new(b"next".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!((body(&posts[0]).as_str(), posts[0].conn), ("bye", 1), "a fresh connection after close");
    assert_eq!(body(&posts[1]), "next");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn connection_closed_mid_content_length_body() {
    let emu = Emulator::start();
    let event = Event::new(vec![b's'; 100]).fault(Fault::CloseMidBody);
    let id = event.request_id().to_string();
    emu.push(event);
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!((posts[0].kind.clone(), posts[0].body.len()), (Kind::Response(id), 100));
    let mut words = if ureq() { vec![] } else { vec!["closed inside the body"] };
    words.extend(["GET /next", "reconnecting"]);
    assert_one_line(&outcome, &words);
}

// ---------------------------------------------------------------------------------------------
// Connections broken where the emulator cannot break them: a scripted server.

/// A request as the scripted server read it.
#[derive(Debug)]
struct Seen {
    conn: usize,
    line: String,
    body: Vec<u8>,
}

/// One accepted connection of the scripted server; every read times out after `LIMIT`.
struct Conn {
    index: usize,
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Reads one request (head, then a `Content-Length` body); `None` at end of stream.
    fn request(&mut self) -> Option<Seen> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
            })
            .map_or(0, |v| v.parse().unwrap());
        while self.buf.len() < end + length {
            let mut chunk = [0u8; 65536];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = self.buf[end..end + length].to_vec();
        self.buf.drain(..end + length);
        Some(Seen { conn: self.index, line: head.lines().next().unwrap_or("").to_string(), body })
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Makes the close at the end of the script a RST instead of a FIN.
    fn reset_on_close(&mut self) {
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: a valid socket, and a linger struct of the size passed, alive for the call.
        unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&self.stream),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&raw const linger).cast(),
                size_of::<libc::linger>() as libc::socklen_t,
            );
        }
    }
}

type Script = Box<dyn FnOnce(&mut Conn, &Sender<Seen>) + Send>;

/// Serves one script per accepted connection, in order, and sends every request a script reads
/// to the returned receiver. Runs `echo` against it; returns the receiver and the process.
fn scripted(scripts: Vec<Script>) -> (Receiver<Seen>, Process, Emulator) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (index, script) in scripts.into_iter().enumerate() {
            let Ok((stream, _)) = listener.accept() else { return };
            stream.set_read_timeout(Some(LIMIT)).unwrap();
            let mut conn = Conn { index, stream, buf: Vec::new() };
            script(&mut conn, &tx);
        }
    });
    let emu = Emulator::start(); // only for its process helpers
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
    (rx, emu.spawn(cmd), emu)
}

/// Holds back partial segments until the socket is uncorked or shut down (TCP_CORK).
fn cork(stream: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a c_int option value that outlives the call.
    let r = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "TCP_CORK");
}

const EVENT: &[u8] =
    b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r-9\r\nContent-Length: 5\r\n\r\nhello";

/// Serves `/next` with EVENT, then answers the response post 202 and waits for the next `/next`.
fn serve_and_accept() -> Script {
    Box::new(|conn: &mut Conn, tx: &Sender<Seen>| {
        let next = conn.request().unwrap();
        tx.send(next).unwrap();
        conn.write(EVENT);
        let post = conn.request().unwrap();
        tx.send(post).unwrap();
        conn.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}");
        while let Some(seen) = conn.request() {
            let _ = tx.send(seen);
        }
    })
}

/// The first `/next` is broken by `break_it`; the client says so in one line naming `words`,
/// asks again on a fresh connection and answers the event.
fn next_broken_by_script(break_it: Script, words: &[&str]) {
    let first: Script = Box::new(move |conn: &mut Conn, tx: &Sender<Seen>| {
        tx.send(conn.request().unwrap()).unwrap();
        break_it(conn, tx);
    });
    let (rx, process, _emu) = scripted(vec![first, serve_and_accept()]);
    let seen: Vec<Seen> = (0..3).map(|_| rx.recv_timeout(LIMIT).expect("the client goes on")).collect();
    let outcome = process.kill();
    assert!(seen[0].line.starts_with("GET /2018-06-01/runtime/invocation/next ") && seen[0].conn == 0);
    assert!(seen[1].line.starts_with("GET /2018-06-01/runtime/invocation/next ") && seen[1].conn == 1);
    assert_eq!(seen[2].line, "POST /2018-06-01/runtime/invocation/r-9/response HTTP/1.1");
    assert_eq!(seen[2].body, b"hello");
    let mut words = if ureq() { vec![] } else { words.to_vec() };
    words.extend(["GET /next", "reconnecting"]);
    assert_one_line(&outcome, &words);
    assert_no_panic(&outcome);
}

#[test]
fn connection_reset_after_the_head() {
    next_broken_by_script(
        Box::new(|conn: &mut Conn, _: &Sender<Seen>| {
            conn.write(&EVENT[..EVENT.len() - 5]);
            std::thread::sleep(Duration::from_millis(50));
            conn.reset_on_close();
        }),
        &["Connection reset"],
    );
}

#[test]
fn connection_reset_mid_body() {
    next_broken_by_script(
        Box::new(|conn: &mut Conn, _: &Sender<Seen>| {
            conn.write(&EVENT[..EVENT.len() - 3]);
            std::thread::sleep(Duration::from_millis(50));
            conn.reset_on_close();
        }),
        &["Connection reset"],
    );
}

#[test]
fn connection_reset_inside_the_head() {
    next_broken_by_script(
        Box::new(|conn: &mut Conn, _: &Sender<Seen>| {
            conn.write(&EVENT[..20]);
            std::thread::sleep(Duration::from_millis(50));
            conn.reset_on_close();
        }),
        &["Connection reset"],
    );
}

/// The server closes the kept-alive connection after serving the event, without saying so: the
/// response post finds it closed, is sent again on a fresh connection, and is accepted.
#[test]
fn connection_closed_between_the_event_and_the_response() {
    let first: Script = Box::new(|conn: &mut Conn, tx: &Sender<Seen>| {
        tx.send(conn.request().unwrap()).unwrap();
        // The event and the FIN leave in one segment (corked until the shutdown): the close is
        // there before the client can have read the event and posted, however fast it is.
        cork(&conn.stream);
        conn.write(EVENT);
        conn.stream.shutdown(std::net::Shutdown::Write).unwrap();
        // The reading side too; the client may have closed the connection already.
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
    });
    let second: Script = Box::new(|conn: &mut Conn, tx: &Sender<Seen>| {
        let post = conn.request().unwrap();
        tx.send(post).unwrap();
        conn.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}");
        while let Some(seen) = conn.request() {
            let _ = tx.send(seen);
        }
    });
    let (rx, process, _emu) = scripted(vec![first, second]);
    let seen: Vec<Seen> = (0..3).map(|_| rx.recv_timeout(LIMIT).expect("the client goes on")).collect();
    let outcome = process.kill();
    assert_eq!(
        (seen[1].conn, seen[1].line.as_str()),
        (1, "POST /2018-06-01/runtime/invocation/r-9/response HTTP/1.1")
    );
    assert_eq!(seen[1].body, b"hello");
    assert!(seen[2].line.starts_with("GET /2018-06-01/runtime/invocation/next "), "then the next event");
    if ureq() {
        // ureq's pool notices the closed connection before using it: no complaint.
        return assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
    }
    // (Whether the client reads the end of the stream or the server's RST first is timing.)
    assert_one_line(&outcome, &["POST /response", "reconnecting to send it again"]);
}

// ---------------------------------------------------------------------------------------------
// Answers to posts.

#[test]
fn response_answered_200_is_accepted() {
    let emu = Emulator::start();
    emu.push(Event::new(b"first".to_vec()).reply(200, r#"{"status":"OK"}"#));
    emu.push(Event::new(b"second".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    assert_eq!((posts[0].answered, posts[1].answered), (200, 202));
    assert_eq!(body(&posts[1]), "second");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn response_answered_503_exits() {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).reply(503, r#"{"errorType":"Unavailable"}"#));
    emu.push(Event::new(b"never".to_vec()));
    let outcome = spawn(&emu, "echo").wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["POST /response answered 503", "Unavailable", "exiting"]);
    assert_eq!(emu.pending(), 1);
}

#[test]
fn response_answered_404_carries_on() {
    post_status_carries_on(404, "NotFound");
}

#[test]
fn response_answered_301_carries_on() {
    // A redirect is not followed (ureq: max_redirects 0): it is one more refusal.
    post_status_carries_on(301, "Moved");
}

#[test]
fn error_answered_413_is_not_reported_again() {
    let emu = Emulator::start();
    emu.push(Event::new(b"1".to_vec()).reply(413, r#"{"errorType":"RequestEntityTooLarge"}"#));
    emu.push(Event::new(b"2".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "fail"), 2);
    assert!(posts.iter().all(|p| matches!(p.kind, Kind::Error(_))));
    assert_ne!(posts[0].request_id(), posts[1].request_id(), "the first error is not posted again");
    assert_eq!(posts[1].conn, 1, "a fresh connection after 413");
    assert!(
        runtime_lines(&outcome).iter().any(|l| l.contains("POST /error answered 413")),
        "{}",
        outcome.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// Event headers the runtime uses.

#[test]
fn garbage_past_and_relative_deadlines_do_not_stop_the_loop() {
    let emu = Emulator::start();
    let values = ["soon", "-1", "", "1", "1500000000000", "99999999999999999999999", "600000"];
    for value in values {
        emu.push(Event::new(value.as_bytes().to_vec()).header("Lambda-Runtime-Deadline-Ms", value));
    }
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), values.len());
    let bodies: Vec<String> = posts.iter().map(body).collect();
    assert_eq!(bodies, values);
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn invocation_id_is_echoed_as_is() {
    let emu = Emulator::start();
    emu.push(Event::new(b"1".to_vec()).header("Lambda-Runtime-Invocation-Id", "  inv-\u{e9}-1 "));
    emu.push(Event::new(b"2".to_vec()).header("Lambda-Runtime-Invocation-Id", ""));
    emu.push(Event::new(b"3".to_vec()).header("lambda-runtime-invocation-id", "inv-3"));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "echo"), 3);
    let echoed: Vec<Option<&str>> = posts.iter().map(|p| p.header("lambda-runtime-invocation-id")).collect();
    assert_eq!(echoed, [Some("inv-\u{e9}-1"), None, Some("inv-3")], "trimmed, empty means absent");
}

// ---------------------------------------------------------------------------------------------
// More `AWS_LAMBDA_RUNTIME_API` forms.

#[test]
fn runtime_api_with_port_zero() {
    bad_api(Some("127.0.0.1:0"), &["port"]);
}

#[test]
fn runtime_api_ipv6_without_brackets() {
    bad_api(Some("::1:9001"), &["host"]);
}

#[test]
fn runtime_api_with_an_unclosed_bracket() {
    bad_api(Some("[::1:9001"), &["host"]);
}

#[test]
fn runtime_api_with_a_query_string() {
    bad_api(Some("127.0.0.1:9001/a?b=c"), &["host"]);
}

#[test]
fn runtime_api_ftp_scheme() {
    bad_api(Some("ftp://127.0.0.1:9001"), &["only plain http://"]);
}

#[test]
fn runtime_api_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let emu = Emulator::start();
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", std::ffi::OsStr::from_bytes(b"127.0.0.1:\xff9001"));
    let outcome = emu.spawn(cmd).wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["AWS_LAMBDA_RUNTIME_API is not set"]);
    assert!(emu.requests().is_empty());
}

#[test]
fn runtime_api_with_blanks_and_upper_case_scheme_is_used() {
    let emu = Emulator::start();
    emu.push(Event::new(b"trimmed".to_vec()));
    let mut cmd = emu.command(example("echo"));
    cmd.env("AWS_LAMBDA_RUNTIME_API", format!(" \tHTTP://127.0.0.1:{}\n", emu.addr().port()));
    let (posts, outcome) = posts_then_kill(&emu, emu.spawn(cmd), 1);
    assert_eq!(body(&posts[0]), "trimmed");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}
