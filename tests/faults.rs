//! Bad input from the Runtime API and from the environment: each case has one defined outcome,
//! asserted on what the client sent next, its exit status and its stderr. Never a panic, never a
//! hang (every process is killed after `LIMIT` and the test then fails).
//!
//! | case | outcome |
//! |---|---|
//! | `/next` answered 500, 403, 410, 404 | one stderr line naming the status, exit 1 |
//! | `/next` event without a request id | one stderr line, exit 1 |
//! | `/next` broken once (closed, reset, cut head or body, malformed head, bad chunks) | one line, reconnect, the re-served event is answered |
//! | `/next` broken twice in a row | two lines, exit 1 |
//! | post answered 400, 403, 410 | one line, the next event is answered |
//! | post answered 413 | one line, no `/error` post, a new connection, the next event is answered |
//! | post answered 500 | one line, exit 1 |
//! | post answer lost once (connection closed) | one line, the post is sent again on a new connection |
//! | slow drip of the answer | the event is answered |
//! | `AWS_LAMBDA_RUNTIME_API` missing, empty, https, no port, bad port, bad host, unreachable | one line, exit 1, no request |

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
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

/// Framings that are odd but valid HTTP/1.1: the event is answered with no complaint.
fn answers_raw(raw: &[u8], want: &[u8]) {
    let emu = Emulator::start();
    emu.push(Event::new(b"unused".to_vec()).with_request_id("r-1").fault(Fault::RawServed(raw.to_vec())));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(posts[0].kind, Kind::Response("r-1".into()));
    assert_eq!(String::from_utf8_lossy(&posts[0].body), String::from_utf8_lossy(want));
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
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

#[test]
fn chunked_wins_over_content_length() {
    let raw = format!("{HEAD}Content-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    answers_raw(raw.as_bytes(), b"ok");
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

#[test]
fn slow_drip_answer_is_read_whole() {
    let emu = Emulator::start();
    emu.push(Event::new(b"drip".to_vec()).fault(Fault::Drip(Duration::from_millis(2))));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(body(&posts[0]), "drip");
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
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

#[test]
fn response_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not() {
    let emu = Emulator::start();
    emu.push(Event::new(vec![b'a'; 6_291_556]));
    emu.push(Event::new(vec![b'b'; 6_291_557]));
    emu.push(Event::new(b"after".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 3);
    assert_eq!((posts[0].answered, posts[1].answered, posts[2].answered), (202, 413, 202));
    assert_eq!(body(&posts[2]), "after");
    assert_one_line(&outcome, &["413"]);
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
