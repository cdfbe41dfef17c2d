//! The aarch64 (Graviton) builds, run under qemu-user against the same emulator.

mod common;

use common::*;

fn spawn_arm(emu: &Emulator, name: &str) -> Process {
    let binary = example_in(Arch::Aarch64, "release", name);
    emu.spawn(command_for(emu, Arch::Aarch64, &binary))
}

#[test]
fn echo_on_aarch64() {
    let emu = Emulator::start();
    let sent = [b"small".to_vec(), vec![b'g'; 200_000]];
    for body in &sent {
        emu.push(Event::new(body.clone()));
    }
    let (posts, outcome) = posts_then_kill(&emu, spawn_arm(&emu, "echo"), 2);
    assert_echoed(&posts, &sent);
    for post in &posts {
        assert!(
            post.header("user-agent").unwrap().contains("(aarch64; musl)"),
            "{:?}",
            post.header("user-agent")
        );
    }
    assert_eq!(emu.connections(), 1);
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn hello_on_aarch64() {
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"name":"Ada"}"#));
    emu.push(Event::json("[]"));
    let (posts, _) = posts_then_kill(&emu, spawn_arm(&emu, "hello"), 2);
    assert!(body(&posts[0]).starts_with(r#"{"greeting":"hello Ada""#), "{}", body(&posts[0]));
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Runtime.UnmarshalError"));
}

#[test]
fn reconnect_and_panic_report_on_aarch64() {
    let emu = Emulator::start();
    emu.push(Event::new(b"first".to_vec()).fault(Fault::CloseMidBody));
    emu.push(Event::new(br#"{"panic":true}"#.to_vec()));
    let process = spawn_arm(&emu, "panic");
    let posts = emu.wait_posts(2, LIMIT);
    let outcome = process.wait(LIMIT);
    assert_eq!(body(&posts[0]), "first");
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert!(
        !outcome.timed_out && outcome.code() != Some(0),
        "the abort ends the process: {:?}",
        outcome.status
    );
}
