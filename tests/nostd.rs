//! The `#![no_std]` echo (`examples/nostd.rs`, built with `--no-default-features`) passes the same
//! checks as `echo`, on both arches: its own allocator, no std, same protocol handling.

mod common;

use common::*;

fn spawn_nostd(emu: &Emulator, arch: Arch) -> Process {
    emu.spawn(command_for(emu, arch, &nostd(arch)))
}

fn echoes_events(arch: Arch) {
    let emu = Emulator::start();
    let sent = [
        b"tiny".to_vec(),
        vec![b'n'; 3000],
        vec![7u8; 1 << 20],
        Vec::new(),
        vec![b'z'; 6 * 1024 * 1024 + 100],
    ];
    for body in &sent {
        emu.push(Event::new(body.clone()).header("Lambda-Runtime-Invocation-Id", "inv"));
    }
    let (posts, outcome) = posts_then_kill(&emu, spawn_nostd(&emu, arch), sent.len());
    assert_echoed(&posts, &sent);
    for post in &posts {
        assert_eq!(post.header("lambda-runtime-invocation-id"), Some("inv"));
    }
    assert_eq!(emu.connections(), 1);
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn nostd_echoes_on_x86_64() {
    echoes_events(Arch::X86_64);
}

#[test]
fn nostd_echoes_on_aarch64() {
    echoes_events(Arch::Aarch64);
}

#[test]
fn nostd_recovers_from_a_broken_answer_and_a_413() {
    let emu =
        Emulator::start_with(Options { max_response: 100, close_after_413: true, ..Options::default() });
    emu.push(Event::new(b"cut".to_vec()).fault(Fault::CloseMidBody));
    emu.push(Event::new(vec![b'L'; 101]));
    emu.push(Event::new(b"after".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn_nostd(&emu, Arch::X86_64), 3);
    assert_eq!(String::from_utf8_lossy(&posts[0].body), "cut");
    assert_eq!(posts[1].answered, 413);
    assert_eq!(String::from_utf8_lossy(&posts[2].body), "after");
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 2, "{}", outcome.stderr);
    assert!(lines[0].contains("GET /next") && lines[0].ends_with("reconnecting"));
    assert!(lines[1].contains("POST /response answered 413"));
}

#[test]
fn nostd_exits_on_a_bad_runtime_api_value() {
    let emu = Emulator::start();
    let mut cmd = emu.command(nostd(Arch::X86_64));
    cmd.env("AWS_LAMBDA_RUNTIME_API", "https://127.0.0.1:1");
    let outcome = emu.spawn(cmd).wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["AWS_LAMBDA_RUNTIME_API is unusable", "only plain http://"]);
}

#[test]
fn nostd_exits_when_next_fails() {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
    let outcome = spawn_nostd(&emu, Arch::X86_64).wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["GET /next answered 500", "exiting"]);
}
