//! Response streaming (feature `stream`), end to end: the real static `stream` and `furl`
//! examples against the emulator, which records each chunk as it arrives and the trailers.
//! Under `LB_FEATURES=ureq` the stream is buffered and posted whole: only the test written for
//! that runs.

mod common;

use std::path::PathBuf;

use common::*;
use lambda_emulator::Kind;

const TRAILER: &str = "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body";

fn stream_example(arch: Arch, profile: &'static str, name: &str) -> PathBuf {
    one_example(arch, profile, "stream", name)
}

fn spawn_stream(emu: &Emulator, arch: Arch, profile: &'static str, name: &str) -> Process {
    emu.spawn(command_for(emu, arch, &stream_example(arch, profile, name)))
}

/// Standard base64 with padding, decoded (the test's own, to check the runtime's encoder).
fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("{c:?} is not base64 in {text:?}"),
        }
    };
    assert_eq!(text.len() % 4, 0, "{text:?}");
    let mut out = Vec::new();
    for group in text.as_bytes().chunks(4) {
        let pad = group.iter().filter(|&&c| c == b'=').count();
        let n = group.iter().take(4 - pad).fold(0u32, |n, &c| (n << 6) | value(c)) << (6 * pad);
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

/// The headers every streamed response carries.
fn assert_streamed(post: &Request, content_type: &str) {
    assert!(matches!(post.kind, Kind::Response(_)), "{:?}", post.kind);
    assert_eq!(post.header("lambda-runtime-function-response-mode"), Some("streaming"));
    assert_eq!(post.header("transfer-encoding"), Some("chunked"));
    assert_eq!(post.header("trailer"), Some(TRAILER));
    assert_eq!(post.header("content-type"), Some(content_type));
    assert_eq!(post.header("content-length"), None);
}

/// `n` chunks of `bytes` bytes, chunk k of the letter `a + k`.
fn letters(n: usize, bytes: usize) -> Vec<u8> {
    (0..n).flat_map(|k| vec![b'a' + k as u8; bytes]).collect()
}

/// A stream that failed after `chunks` chunks of `bytes`: its bytes, then the error in trailers.
fn assert_failed_in_trailers(post: &Request, chunks: usize, bytes: usize, error_type: &str, message: &str) {
    assert_streamed(post, "application/octet-stream");
    assert_eq!(post.chunks, vec![bytes; chunks]);
    assert_eq!(post.body, letters(chunks, bytes));
    assert_eq!(post.trailer("lambda-runtime-function-error-type"), Some(error_type));
    let encoded = post.trailer("lambda-runtime-function-error-body").expect("the error body trailer");
    let json = String::from_utf8(unbase64(encoded)).unwrap();
    assert_eq!(json, format!(r#"{{"errorMessage":"{message}","errorType":"{error_type}","stackTrace":[]}}"#));
    assert_eq!(post.answered, 202);
}

fn chunks_then_failure(arch: Arch) {
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"chunks":3,"bytes":1000,"pause_ms":1}"#));
    emu.push(Event::json(r#"{"fail_after":2,"bytes":10}"#));
    emu.push(Event::json(r#"{"chunks":1,"bytes":70000}"#));
    let (posts, outcome) = posts_then_kill(&emu, spawn_stream(&emu, arch, "release", "stream"), 3);

    assert_streamed(&posts[0], "application/octet-stream");
    assert_eq!(posts[0].chunks, [1000, 1000, 1000], "one chunk per flush, in order");
    assert_eq!(posts[0].body, letters(3, 1000));
    assert!(posts[0].trailers.is_empty(), "success ends with the zero-length chunk alone");
    assert_eq!(posts[0].answered, 202);

    assert_failed_in_trailers(&posts[1], 2, 10, "Stream.Failed", "failed after 2 chunks");

    // 70,000 bytes in one write: past 64 KiB waiting, the write flushes by itself, as one chunk.
    assert_eq!(posts[2].chunks, [70_000], "one write, one chunk");
    assert_eq!(posts[2].answered, 202);

    assert!(emu.requests().iter().all(|r| r.conn == 0), "the stream keeps the connection alive");
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 1, "{}", outcome.stderr);
    assert!(lines[0].contains("failed mid-stream: Stream.Failed: failed after 2 chunks"), "{}", lines[0]);
}

#[test]
fn chunks_arrive_in_order_and_a_late_failure_is_in_trailers() {
    if ureq() {
        return;
    }
    chunks_then_failure(Arch::X86_64);
}

#[test]
fn streaming_on_aarch64() {
    if ureq() {
        return;
    }
    chunks_then_failure(Arch::Aarch64);
}

#[test]
fn a_failure_before_any_byte_is_an_error_post() {
    if ureq() {
        return;
    }
    failure_before_any_byte(Arch::X86_64);
}

#[test]
fn a_failure_before_any_byte_is_an_error_post_on_aarch64() {
    if ureq() {
        return;
    }
    failure_before_any_byte(Arch::Aarch64);
}

fn failure_before_any_byte(arch: Arch) {
    let emu = Emulator::start();
    let event = Event::json(r#"{"fail_after":0}"#);
    let id = event.request_id().to_string();
    emu.push(event);
    emu.push(Event::json(r#"{"chunks":1,"bytes":2}"#));
    let (posts, _) = posts_then_kill(&emu, spawn_stream(&emu, arch, "release", "stream"), 2);
    assert_eq!(posts[0].kind, Kind::Error(id));
    assert_eq!(posts[0].header("lambda-runtime-function-error-type"), Some("Stream.Failed"));
    assert_eq!(posts[0].header("lambda-runtime-function-response-mode"), None);
    assert_eq!(
        body(&posts[0]),
        r#"{"errorMessage":"failed after 0 chunks","errorType":"Stream.Failed","stackTrace":[]}"#
    );
    assert_eq!(posts[1].body, b"aa", "the loop goes on streaming");
}

#[test]
fn furl_sends_the_http_integration_prelude_first() {
    if ureq() {
        return;
    }
    prelude_first(Arch::X86_64);
}

#[test]
fn furl_sends_the_http_integration_prelude_first_on_aarch64() {
    if ureq() {
        return;
    }
    prelude_first(Arch::Aarch64);
}

fn prelude_first(arch: Arch) {
    let emu = Emulator::start();
    let event = Event::json(r#"{"rawPath":"/"}"#);
    let id = event.request_id().to_string();
    emu.push(event);
    let (posts, _) = posts_then_kill(&emu, spawn_stream(&emu, arch, "release", "furl"), 1);
    assert_streamed(&posts[0], "application/vnd.awslambda.http-integration-response");
    let prelude = format!(
        r#"{{"statusCode":201,"headers":{{"content-type":"text/plain","x-request-id":"{id}"}},"cookies":["session=abc; Path=/; HttpOnly"]}}"#
    );
    let mut want = prelude.clone().into_bytes();
    want.extend_from_slice(&[0; 8]);
    want.extend_from_slice(b"hello from a stream\n");
    assert_eq!(posts[0].body_str(), String::from_utf8_lossy(&want));
    assert_eq!(posts[0].chunks, [prelude.len() + 8 + 6, 5, 9], "the prelude goes with the first flush");
    assert!(posts[0].trailers.is_empty());
}

#[test]
fn each_flush_reaches_the_runtime_api_before_the_next_write() {
    if ureq() {
        return;
    }
    flushes_are_not_held(Arch::X86_64);
}

#[test]
fn each_flush_reaches_the_runtime_api_on_aarch64() {
    if ureq() {
        return;
    }
    flushes_are_not_held(Arch::Aarch64);
}

fn flushes_are_not_held(arch: Arch) {
    // The handler flushes chunk k, then waits for the file `gate/k`, which this test creates
    // only once the emulator has received chunk k whole. A chunk held back in a buffer (ours,
    // or Nagle's) would never arrive: the wait below would time out, and the handler's too.
    let gate = std::env::temp_dir().join(format!("lb-stream-gate-{}-{arch:?}", std::process::id()));
    let _ = std::fs::remove_dir_all(&gate);
    std::fs::create_dir_all(&gate).unwrap();
    let emu = Emulator::start();
    emu.push(Event::json(&format!(r#"{{"chunks":4,"bytes":7,"gate":"{}"}}"#, gate.display())));
    let process = spawn_stream(&emu, arch, "release", "stream");
    for k in 0..4 {
        let chunks = emu.wait_live_chunks(k + 1, LIMIT);
        let chunks = chunks.unwrap_or_else(|| panic!("chunk {k} never reached the Runtime API"));
        assert_eq!(chunks.len(), k + 1, "chunk {} came before chunk {k} was released", k + 1);
        assert_eq!(chunks[k], vec![b'a' + k as u8; 7]);
        std::fs::write(gate.join(k.to_string()), b"").unwrap();
    }
    let (posts, outcome) = posts_then_kill(&emu, process, 1);
    assert_eq!(posts[0].chunks, [7, 7, 7, 7]);
    assert!(posts[0].trailers.is_empty(), "{:?}; stderr:\n{}", posts[0].trailers, outcome.stderr);
    let _ = std::fs::remove_dir_all(&gate);
}

#[test]
fn a_panic_mid_stream_is_in_trailers_under_unwind() {
    if ureq() {
        return;
    }
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"panic_after":1,"bytes":3}"#));
    emu.push(Event::json(r#"{"chunks":1,"bytes":1}"#));
    let (posts, _) = posts_then_kill(&emu, spawn_stream(&emu, Arch::X86_64, "unwind", "stream"), 2);
    assert_failed_in_trailers(&posts[0], 1, 3, "Panic", "the stream gave up after 1 chunks");
    assert_eq!(posts[1].body, b"a", "the loop goes on");
}

#[test]
fn a_panic_mid_stream_under_abort_posts_no_error() {
    if ureq() {
        return;
    }
    // Before any byte: an ordinary `/error` post from the panic hook.
    let emu = Emulator::start();
    let event = Event::json(r#"{"panic_after":0}"#);
    let id = event.request_id().to_string();
    emu.push(event);
    let process = spawn_stream(&emu, Arch::X86_64, "release", "stream");
    let posts = emu.wait_posts(1, LIMIT);
    let outcome = process.wait(LIMIT);
    assert!(!outcome.timed_out && outcome.code() != Some(0), "{:?}", outcome.status);
    assert_eq!(posts[0].kind, Kind::Error(id));
    assert_eq!(posts[0].header("lambda-runtime-function-error-type"), Some("Panic"));

    // After a flush: the process aborts with its stream unfinished; the Runtime API sees the
    // request cut short (400 TruncatedHTTPRequest here) and no `/error`.
    let emu = Emulator::start();
    let event = Event::json(r#"{"panic_after":2,"bytes":4}"#);
    let id = event.request_id().to_string();
    emu.push(event);
    let process = spawn_stream(&emu, Arch::X86_64, "release", "stream");
    let outcome = process.wait(LIMIT);
    assert!(!outcome.timed_out && outcome.code() != Some(0), "{:?}", outcome.status);
    assert!(outcome.stderr.contains("the stream gave up after 2 chunks"), "{}", outcome.stderr);
    let posts = emu.wait_posts(1, LIMIT);
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].kind, Kind::Response(id));
    assert_eq!(posts[0].body, letters(2, 4));
    assert_eq!(posts[0].answered, 400);
}

#[test]
fn a_stream_over_the_limit_is_refused_with_413_and_the_loop_goes_on() {
    if ureq() {
        return;
    }
    // 7 MiB in 1 MiB chunks: the emulator (like the RIE) answers 413 past 6 MiB + 100 B and
    // closes; the handler's next flush fails, and the loop carries on on a new connection.
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"chunks":7,"bytes":1048576}"#));
    emu.push(Event::json(r#"{"chunks":1,"bytes":3}"#));
    let (posts, outcome) = posts_then_kill(&emu, spawn_stream(&emu, Arch::X86_64, "release", "stream"), 2);
    assert_eq!(posts[0].answered, 413);
    assert!(matches!(posts[0].kind, Kind::Response(_)), "{:?}", posts[0].kind);
    assert_eq!(posts[1].body, b"aaa");
    assert_eq!(posts[1].answered, 202);
    assert_eq!(posts[1].conn, 1, "a new connection after the refused stream");
    assert!(outcome.stderr.contains("413"), "{}", outcome.stderr);
    assert_no_panic(&outcome);
}

#[test]
fn with_ureq_the_stream_is_posted_whole() {
    if !ureq() {
        return;
    }
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"chunks":3,"bytes":4}"#));
    emu.push(Event::json(r#"{"fail_after":2,"bytes":4}"#));
    let (posts, _) = posts_then_kill(&emu, spawn_stream(&emu, Arch::X86_64, "release", "stream"), 2);
    assert_eq!(posts[0].body, letters(3, 4));
    assert_eq!(posts[0].header("lambda-runtime-function-response-mode"), None);
    assert_eq!(posts[0].header("content-type"), Some("application/octet-stream"));
    assert!(matches!(posts[1].kind, Kind::Error(_)), "{:?}", posts[1].kind);
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Stream.Failed"));
}

/// In this process (the test crate built with `--features stream`): `std::io::Write`, the
/// invocation id on a stream, and the prelude and content type refused once the stream began.
/// (A test crate built with `ureq` too buffers the stream: not this test's subject.)
#[cfg(all(feature = "stream", feature = "std", not(feature = "ureq")))]
#[test]
fn in_process_io_write_and_late_prelude() {
    use std::io::Write;

    use lambda_bootstrap::in_process::{Stop, serve};
    use lambda_bootstrap::stream::{STREAM_ERROR_TYPE, Stream, handler};
    use lambda_bootstrap::{Context, Error};
    use lambda_emulator::Fault;

    if ureq() {
        return;
    }
    let emu = Emulator::start();
    let event = Event::new(b"x".to_vec()).header("Lambda-Runtime-Invocation-Id", "inv-9");
    emu.push(event);
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
    let stop = serve(
        &emu.runtime_api(),
        handler(|event: &[u8], _: &Context, out: &mut Stream| -> Result<(), Error> {
            assert!(!out.started());
            out.set_content_type("text/plain")?;
            write!(out, "{} and ", event.len())?;
            Write::flush(out)?;
            assert!(out.started());
            let late = out.http_prelude(200, &[], &[]).unwrap_err();
            assert_eq!(late.error_type(), STREAM_ERROR_TYPE);
            assert!(out.set_content_type("text/html").is_err());
            out.write(b"more")?;
            Ok(())
        }),
    );
    assert_eq!(stop, Stop::Status("GET /next", 500));
    let posts = emu.posts();
    assert_eq!(posts.len(), 1);
    assert_streamed(&posts[0], "text/plain");
    assert_eq!(posts[0].header("lambda-runtime-invocation-id"), Some("inv-9"));
    assert_eq!(posts[0].body_str(), "1 and more");
    assert_eq!(posts[0].chunks, [6, 4]);
    assert!(posts[0].trailers.is_empty());
}
