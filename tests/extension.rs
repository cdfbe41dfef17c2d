//! External extensions (feature `extension`), end to end: the real static `extension` example
//! started by the emulator before the function, as Lambda does, then the function (`echo`); the
//! emulator serves the Extensions API, delivers `INVOKE`s, and shuts down with `SHUTDOWN`. Ordering
//! is proved by what the emulator recorded; deadlines are Lambda's ten times over.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use lambda_emulator::{Deadlines, ExtensionCall, Kind};

fn extension(emu: &Emulator, arch: Arch) -> std::process::Command {
    command_for(emu, arch, &one_example(arch, "release", "extension", "extension"))
}

fn ext_requests(emu: &Emulator, call: ExtensionCall) -> Vec<Request> {
    emu.requests().into_iter().filter(|r| r.kind == Kind::Extension(call.clone())).collect()
}

/// The extension registers under its file name for INVOKE and SHUTDOWN before the function
/// starts; no event reaches the function before the extension waits in its `next`; each
/// invocation is an INVOKE to it; at shutdown the runtime gets SIGTERM (an extension is
/// registered), then the extension its SHUTDOWN, and it prints its count and exits 0.
fn registration_and_event_sequence(arch: Arch) {
    let emu = Emulator::start();
    let mut started =
        vec![("extension".to_string(), emu.start_extension("extension", extension(&emu, arch)).unwrap())];
    emu.wait_registered(&mut started).unwrap();
    let register = &ext_requests(&emu, ExtensionCall::Register)[0];
    assert_eq!(register.header("lambda-extension-name"), Some("extension"));
    assert_eq!(register.body_str(), r#"{"events":["INVOKE","SHUTDOWN"]}"#);

    let sent = [b"one".to_vec(), b"two".to_vec()];
    let ids: Vec<String> = sent
        .iter()
        .map(|body| {
            let event = Event::new(body.clone()).header("Lambda-Runtime-Trace-Id", "Root=1-abc");
            let id = event.request_id().to_string();
            emu.push(event);
            id
        })
        .collect();
    let runtime = emu.spawn(command_for(&emu, arch, &example_in(arch, "release", "echo")));
    let posts = emu.wait_posts(3, LIMIT); // the register, then two responses
    assert_echoed(&posts[1..], &sent);
    let ext = &emu.extensions()[0];
    assert!(ext.external && ext.ready);
    // The extension asked for its first event before the function got its first.
    let first_next = &ext_requests(&emu, ExtensionCall::Next)[0];
    assert!(first_next.at <= emu.served_at(&ids[0]).unwrap());
    assert_eq!(first_next.header("lambda-extension-identifier"), Some(ext.id.as_str()));

    let process = started.pop().unwrap().1;
    let shutdown = emu.shut_down(runtime, vec![process], "spindown", Deadlines::scaled(10));
    assert!(shutdown.sigterm);
    assert_eq!(shutdown.runtime.signal(), Some(libc::SIGTERM), "echo has no hook: SIGTERM ends it");
    let outcome = &shutdown.extensions[0];
    assert_exit(outcome, 0);
    assert_eq!(outcome.stdout, "extension: 2 invocations, shutdown (spindown)\n");
    let delivered = &emu.extensions()[0].delivered;
    assert_eq!(
        delivered,
        &[format!("INVOKE {}", ids[0]), format!("INVOKE {}", ids[1]), "SHUTDOWN spindown".into()]
    );
    let log = emu.lifecycle().join("\n");
    let sigterm = log.find("SIGTERM to the runtime").unwrap();
    assert!(sigterm < log.find("SHUTDOWN (spindown) to extension").unwrap(), "{log}");
}

#[test]
fn registration_and_event_sequence_x86_64() {
    registration_and_event_sequence(Arch::X86_64);
}

#[test]
fn registration_and_event_sequence_aarch64() {
    registration_and_event_sequence(Arch::Aarch64);
}

/// An init error is posted with its type, the extension exits 1 with one line, and init fails:
/// the function never gets its event.
fn init_error(arch: Arch) {
    let emu = Emulator::start();
    let mut command = extension(&emu, arch);
    command.env("EXTENSION_INIT_FAILS", "1");
    let process = emu.start_extension("extension", command).unwrap();
    let outcome = process.wait(LIMIT);
    assert_eq!(outcome.code(), Some(1), "{}", outcome.stderr);
    assert_one_line(
        &outcome,
        &["POST /extension/init/error", "Extension.ConfigInvalid", "EXTENSION_INIT_FAILS is set"],
    );
    let post = &ext_requests(&emu, ExtensionCall::InitError)[0];
    assert_eq!(post.header("lambda-extension-function-error-type"), Some("Extension.ConfigInvalid"));
    assert_eq!(post.header("lambda-extension-identifier"), Some(emu.extensions()[0].id.as_str()));
    assert!(post.body_str().contains(r#""errorType":"Extension.ConfigInvalid""#));
    assert_eq!(
        emu.init_failure().as_deref(),
        Some(r#"init failed: extension "extension" reported an init error: Extension.ConfigInvalid"#)
    );
}

#[test]
fn init_error_x86_64() {
    init_error(Arch::X86_64);
}

#[test]
fn init_error_aarch64() {
    init_error(Arch::Aarch64);
}

/// An exit error at SHUTDOWN is posted, and the extension exits 1.
#[test]
fn exit_error() {
    let emu = Emulator::start();
    let mut command = extension(&emu, Arch::X86_64);
    command.env("EXTENSION_EXIT_FAILS", "1");
    let mut started = vec![("extension".to_string(), emu.start_extension("extension", command).unwrap())];
    emu.wait_registered(&mut started).unwrap();
    let runtime = emu.spawn(emu.command(example("echo")));
    while ext_requests(&emu, ExtensionCall::Next).is_empty() {
        emu.wait_change(Duration::from_millis(50));
    }
    let shutdown = emu.shut_down(runtime, vec![started.pop().unwrap().1], "spindown", Deadlines::scaled(10));
    let outcome = &shutdown.extensions[0];
    assert_eq!(outcome.code(), Some(1), "{}", outcome.stderr);
    assert_one_line(outcome, &["POST /extension/exit/error", "Extension.FlushFailed"]);
    assert_eq!(emu.extensions()[0].exit_error.as_deref(), Some("Extension.FlushFailed"));
}

/// One request on a fresh connection; returns the answer's head and body as text.
fn http(emu: &Emulator, head: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    let request =
        format!("{head}\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// An extension that registers and never calls `next` holds init up; past the init timeout init
/// fails with a message that names it, and the function never gets the event.
#[test]
fn extension_that_never_calls_next_fails_init() {
    let emu = Emulator::start();
    emu.set_init_timeout(Duration::from_millis(500));
    let answer = http(
        &emu,
        "POST /2020-01-01/extension/register HTTP/1.1\r\nLambda-Extension-Name: sleepy",
        r#"{"events":[]}"#,
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    emu.push(Event::new(b"held".to_vec()));
    let runtime = emu.spawn(emu.command(example("echo")));
    while emu.init_failure().is_none() {
        emu.wait_change(Duration::from_millis(50));
    }
    let failure = emu.init_failure().unwrap();
    assert!(
        failure.contains("extension sleepy did not call /extension/event/next within 500ms"),
        "{failure}"
    );
    assert_eq!(emu.pending(), 1, "the event stays queued");
    assert!(emu.posts().iter().all(|p| !matches!(p.kind, Kind::Response(_))));
    runtime.kill();
}

/// The Extensions API refuses what Lambda refuses (RAPID's error types).
#[test]
fn extensions_api_refusals() {
    let emu = Emulator::start();
    let register = "POST /2020-01-01/extension/register HTTP/1.1";
    let cases = [
        (format!("{register}\r\nX: y"), r#"{"events":[]}"#, "Extension.InvalidExtensionName"),
        (format!("{register}\r\nLambda-Extension-Name: a"), "not json", "InvalidRequestFormat"),
        (
            format!("{register}\r\nLambda-Extension-Name: a"),
            r#"{"events":["RESTORE"]}"#,
            "Extension.InvalidEventType",
        ),
        // Internal extensions (not started as executables) cannot ask for SHUTDOWN.
        (
            format!("{register}\r\nLambda-Extension-Name: a"),
            r#"{"events":["SHUTDOWN"]}"#,
            "Extension.InvalidEventType",
        ),
        ("GET /2020-01-01/extension/event/next HTTP/1.1".into(), "", "Extension.MissingExtensionIdentifier"),
        (
            "GET /2020-01-01/extension/event/next HTTP/1.1\r\nLambda-Extension-Identifier: nope".into(),
            "",
            "Extension.InvalidExtensionIdentifier",
        ),
    ];
    for (head, body, error_type) in cases {
        let answer = http(&emu, &head, body);
        assert!(answer.starts_with("HTTP/1.1 403") && answer.contains(error_type), "{head}: {answer}");
    }
    let answer = http(&emu, &format!("{register}\r\nLambda-Extension-Name: a"), r#"{"events":["INVOKE"]}"#);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("Lambda-Extension-Identifier: "),
        "{answer}"
    );
    let again = http(&emu, &format!("{register}\r\nLambda-Extension-Name: a"), r#"{"events":[]}"#);
    assert!(again.starts_with("HTTP/1.1 403") && again.contains("Extension.InvalidExtensionName"), "{again}");
}

/// Bad Extensions API answers to the extension client (the fault catalogue's `Ex` rows): each
/// ends the extension with one stderr line and exit 1, but an event type it does not know (the
/// loop goes on) and a connection closed once (asked again on a fresh one).
#[test]
fn bad_answers_to_the_extension() {
    // (call, status, body, words of the line; none: it goes on to the SHUTDOWN)
    let cases: [(ExtensionCall, u16, &str, &[&str]); 7] = [
        (
            ExtensionCall::Register,
            403,
            r#"{"errorType":"Extension.RegistrationClosed"}"#,
            &["POST /extension/register answered 403", "RegistrationClosed"],
        ),
        (ExtensionCall::Register, 200, "{}", &["answered no Lambda-Extension-Identifier"]),
        (ExtensionCall::Next, 500, "boom", &["GET /extension/event/next answered 500: boom"]),
        (
            ExtensionCall::Next,
            200,
            "[]",
            &["GET /extension/event/next answered a body that is not a JSON object"],
        ),
        (ExtensionCall::Next, 200, r#"{"requestId":"r"}"#, &["an event without eventType"]),
        (ExtensionCall::Next, 200, r#"{"eventType":"RESTORE"}"#, &[]),
        (ExtensionCall::Next, 0, "", &[]),
    ];
    for (call, status, body, words) in cases {
        let emu = Emulator::start();
        emu.extension_reply(call.clone(), status, body);
        let process = emu.start_extension("extension", extension(&emu, Arch::X86_64)).unwrap();
        if words.is_empty() {
            // It asks again, then gets its SHUTDOWN like any other.
            while ext_requests(&emu, ExtensionCall::Next).len() < 2 {
                emu.wait_change(Duration::from_millis(50));
            }
            let runtime = emu.spawn(emu.command(example("echo")));
            let outcome =
                emu.shut_down(runtime, vec![process], "spindown", Deadlines::scaled(10)).extensions.remove(0);
            assert_exit(&outcome, 0);
            assert!(runtime_lines(&outcome).is_empty(), "{call:?} {status}: {}", outcome.stderr);
            assert_eq!(outcome.stdout, "extension: 0 invocations, shutdown (spindown)\n");
        } else {
            let outcome = process.wait(LIMIT);
            assert_eq!(outcome.code(), Some(1), "{call:?} {status}: {}", outcome.stderr);
            assert_one_line(&outcome, words);
        }
    }
}
