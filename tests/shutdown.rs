//! Graceful shutdown (feature `shutdown`), end to end: the real static `graceful` example against
//! the emulator, which serves the Extensions API and shuts the function down as Lambda does
//! (SIGTERM only when an extension is registered, a deadline, SIGKILL). Ordering is proved by
//! what the emulator recorded, never by timing; the deadlines are Lambda's ten times over, so that
//! a loaded machine or qemu cannot make a test fail.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use lambda_emulator::{Deadlines, ExtensionCall, Kind};

const HOOK_LINE: &str = "graceful: shutting down after";

fn graceful(emu: &Emulator, arch: Arch, profile: &str) -> Command {
    command_for(emu, arch, &one_example(arch, profile, "shutdown", "graceful"))
}

/// Waits until the runtime waits in `/next` and (if `registered`) the internal extension in its
/// `/extension/event/next`; returns the requests so far.
fn wait_idle(emu: &Emulator, registered: bool) -> Vec<Request> {
    let start = std::time::Instant::now();
    loop {
        let requests = emu.requests();
        let runtime_waits = requests.iter().any(|r| r.kind == Kind::Next && r.answered == 0);
        let ext_waits = requests.iter().any(|r| r.kind == Kind::Extension(ExtensionCall::Next));
        if runtime_waits && (ext_waits || !registered) {
            return requests;
        }
        assert!(start.elapsed() < LIMIT, "the runtime never waited in /next: {requests:#?}");
        emu.wait_change(Duration::from_millis(50));
    }
}

/// The hook runs on SIGTERM while the main thread is blocked in `/next`, prints its line, and the
/// process exits 0; the internal extension registered (asking for no events) before the
/// runtime's first `/next` and waits in its own `next`.
fn hook_runs_while_next_blocks(arch: Arch) {
    let emu = Emulator::start();
    let process = emu.spawn(graceful(&emu, arch, "release"));
    let requests = wait_idle(&emu, true);
    let position = |kind: &Kind| requests.iter().position(|r| &r.kind == kind).unwrap();
    let register = &requests[position(&Kind::Extension(ExtensionCall::Register))];
    assert_eq!(register.answered, 200);
    assert_eq!(register.header("lambda-extension-name"), Some("lambda-bootstrap-shutdown"));
    assert_eq!(register.body_str(), r#"{"events":[]}"#);
    assert!(position(&Kind::Extension(ExtensionCall::Register)) < position(&Kind::Next), "{requests:#?}");
    let ext = &emu.extensions()[0];
    assert!(!ext.external && ext.events.is_empty());
    let next = &requests[position(&Kind::Extension(ExtensionCall::Next))];
    assert_eq!(next.header("lambda-extension-identifier"), Some(ext.id.as_str()));

    let shutdown = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10));
    assert!(shutdown.sigterm);
    assert_exit(&shutdown.runtime, 0);
    assert_eq!(shutdown.runtime.stdout, "graceful: shutting down after 0 invocations\n");
    assert!(runtime_lines(&shutdown.runtime).is_empty(), "{}", shutdown.runtime.stderr);
    let log = emu.lifecycle().join("\n");
    assert!(
        log.contains("SIGTERM to the runtime") && log.contains("the runtime exited: exit status: 0"),
        "{log}"
    );
}

#[test]
fn hook_runs_while_next_blocks_x86_64() {
    hook_runs_while_next_blocks(Arch::X86_64);
}

#[test]
fn hook_runs_while_next_blocks_aarch64() {
    hook_runs_while_next_blocks(Arch::Aarch64);
}

/// Invocations are served as usual with the hook armed; the hook sees their effects.
#[test]
fn hook_runs_after_invocations() {
    let emu = Emulator::start();
    let sent = [b"one".to_vec(), b"two".to_vec()];
    for body in &sent {
        emu.push(Event::new(body.clone()));
    }
    let process = emu.spawn(graceful(&emu, Arch::X86_64, "release"));
    let posts = emu.wait_posts(3, LIMIT); // the register, then two responses
    assert_echoed(&posts[1..], &sent);
    wait_idle(&emu, true);
    let shutdown = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10));
    assert_exit(&shutdown.runtime, 0);
    assert_eq!(shutdown.runtime.stdout, "graceful: shutting down after 2 invocations\n");
}

/// Without a registered extension Lambda sends no SIGTERM: the runtime is killed, no hook runs.
#[test]
fn no_extension_no_sigterm() {
    let emu = Emulator::start();
    let process = emu.spawn(emu.command(example("echo")));
    wait_idle(&emu, false);
    let shutdown = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10));
    assert!(!shutdown.sigterm);
    assert_eq!(shutdown.runtime.signal(), Some(libc::SIGKILL));
    assert!(emu.lifecycle().iter().any(|l| l.contains("no extension registered: no SIGTERM")));
}

/// A refused registration: one stderr line, the function serves on without a hook, and a SIGTERM
/// (which Lambda would not send) ends it the default way, with no hook.
#[test]
fn refused_registration_serves_on_without_hook() {
    let emu = Emulator::start();
    emu.extension_reply(ExtensionCall::Register, 403, r#"{"errorType":"Extension.RegistrationClosed"}"#);
    emu.push(Event::new(b"still served".to_vec()));
    let process = emu.spawn(graceful(&emu, Arch::X86_64, "release"));
    let posts = emu.wait_posts(2, LIMIT);
    assert_echoed(&posts[1..], &[b"still served".to_vec()]);
    wait_idle(&emu, false);
    assert!(emu.extensions().is_empty());
    // SAFETY: kill(2) on the child we spawned, still running (it waits in /next).
    unsafe { libc::kill(process.id() as libc::pid_t, libc::SIGTERM) };
    let outcome = process.wait(LIMIT);
    assert_eq!(outcome.signal(), Some(libc::SIGTERM), "{}", outcome.stderr);
    assert!(!outcome.stdout.contains(HOOK_LINE));
    assert_one_line(
        &outcome,
        &["graceful shutdown is off", "POST /extension/register answered 403", "RegistrationClosed"],
    );
}

/// Bad Extensions API answers to the internal extension (the fault catalogue's `Sx` rows): each is
/// one stderr line; the function always serves; the hook runs on SIGTERM when it registered.
#[test]
fn bad_extension_answers() {
    // (call, status, body, registered, words of the line)
    let cases: [(ExtensionCall, u16, &str, bool, &[&str]); 5] = [
        (ExtensionCall::Register, 200, "{}", false, &["register answered no Lambda-Extension-Identifier"]),
        (ExtensionCall::Register, 0, "", false, &["POST /extension/register", "closed"]),
        (ExtensionCall::Register, 500, "oops", false, &["register answered 500: oops"]),
        (
            ExtensionCall::Next,
            403,
            "nope",
            true,
            &["/extension/event/next answered 403", "still runs on SIGTERM"],
        ),
        (ExtensionCall::Next, 200, r#"{"eventType":"INVOKE"}"#, true, &[]), // unasked: asked again
    ];
    for (call, status, body, registered, words) in cases {
        let emu = Emulator::start();
        emu.extension_reply(call.clone(), status, body);
        emu.push(Event::new(b"x".to_vec()));
        let process = emu.spawn(graceful(&emu, Arch::X86_64, "release"));
        let posts = emu.wait_posts(2, LIMIT);
        assert!(posts.iter().any(|p| matches!(p.kind, Kind::Response(_))), "{call:?} {status}: {posts:#?}");
        wait_idle(&emu, false);
        // The played answer is written before SIGTERM is sent (the emulator records it once
        // written); the runtime reads an answer that is there before it acts on SIGTERM.
        let played = |r: &Request| r.kind == Kind::Extension(call.clone()) && r.answered == status;
        while status != 0 && !emu.requests().iter().any(played) {
            emu.wait_change(Duration::from_millis(50));
        }
        if status == 200 && call == ExtensionCall::Next {
            // The extension asked again after the unasked event.
            let nexts = |r: &Vec<Request>| {
                r.iter().filter(|r| r.kind == Kind::Extension(ExtensionCall::Next)).count()
            };
            while nexts(&emu.requests()) < 2 {
                emu.wait_change(Duration::from_millis(50));
            }
        }
        let shutdown = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10));
        assert_eq!(shutdown.sigterm, registered, "{call:?} {status}");
        assert_eq!(shutdown.runtime.stdout.contains(HOOK_LINE), registered, "{call:?} {status}");
        if registered {
            assert_exit(&shutdown.runtime, 0);
        }
        let lines = runtime_lines(&shutdown.runtime);
        assert_eq!(
            lines.len(),
            usize::from(!words.is_empty()),
            "{call:?} {status}: {}",
            shutdown.runtime.stderr
        );
        for word in words {
            assert!(lines[0].contains(word), "{call:?} {status}: {:?} lacks {word:?}", lines[0]);
        }
    }
}

/// A hook that panics still ends the process: under `panic = "abort"` with std's panic message
/// and an abort; under `panic = "unwind"` with one runtime line and exit status 1.
#[test]
fn panicking_hook_still_exits() {
    for (profile, unwind) in [("release", false), ("unwind", true)] {
        let emu = Emulator::start();
        let mut command = graceful(&emu, Arch::X86_64, profile);
        command.env("GRACEFUL_HOOK_PANICS", "1");
        let process = emu.spawn(command);
        wait_idle(&emu, true);
        let outcome = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10)).runtime;
        assert!(!outcome.timed_out, "{profile}: {}", outcome.stderr);
        assert!(outcome.stderr.contains("the hook was asked to panic"), "{profile}: {}", outcome.stderr);
        if unwind {
            assert_eq!(outcome.code(), Some(1), "{}", outcome.stderr);
            assert_eq!(runtime_lines(&outcome), ["lambda-bootstrap: the shutdown hook panicked; exiting"]);
        } else {
            assert_eq!(outcome.signal(), Some(libc::SIGABRT), "{}", outcome.stderr);
        }
    }
}
