//! Shared test plumbing: build the real static example binaries once, run them as processes
//! against the emulator, and check what they printed.
#![allow(dead_code, unused_imports)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

pub use lambda_emulator::{Emulator, Event, Fault, Options, Outcome, Process, Request};

/// How long any one process may run in a test before it is killed (and the test fails).
pub const LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Aarch64 => "aarch64-unknown-linux-musl",
        }
    }
}

/// Extra crate features for the whole run, from `LB_FEATURES` (e.g. `ureq`): the suite runs once
/// per transport with the same assertions.
pub fn features() -> String {
    std::env::var("LB_FEATURES").unwrap_or_default()
}

/// The run is against the ureq transport: its error texts differ from the built-in one's.
pub fn ureq() -> bool {
    features().split(',').any(|f| f.trim() == "ureq")
}

/// The (arch, profile, features) builds done by this test binary.
type Builds = HashSet<(Arch, &'static str, String)>;
static BUILT: Mutex<Option<Builds>> = Mutex::new(None);

/// Builds the examples once per (arch, profile, features) with cargo; `features` None means
/// `--no-default-features` (the `#![no_std]` build). Every feature set builds in the main target
/// directory (the dependencies, dev-dependencies among them, are built once for all of them);
/// the binaries are then copied to a directory of their own per feature set, which is returned:
/// a build with other features cannot replace a binary under a running test.
fn examples_dir(arch: Arch, profile: &'static str, features: Option<&str>) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let variant = match features {
        None => "nostd".to_string(),
        Some("") => "default".to_string(),
        Some(f) => f.replace(',', "-"),
    };
    let target_dir = root.join("target");
    let copies = target_dir.join("examples-of").join(arch.triple()).join(profile).join(&variant);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.get_or_insert_with(HashSet::new).insert((arch, profile, variant)) {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "--examples", "--profile", profile, "--target", arch.triple()]);
        match features {
            None => cmd.arg("--no-default-features"),
            Some(f) => cmd.args(["--features", f]),
        };
        // The executables this build made (or found fresh), as cargo lists them: not whatever
        // an earlier build with other features left in the examples directory.
        cmd.arg("--message-format=json-render-diagnostics").stderr(std::process::Stdio::inherit());
        let out = cmd.arg("--target-dir").arg(&target_dir).current_dir(&root).output().expect("cargo runs");
        assert!(out.status.success(), "building the examples for {arch:?} failed (run `cargo xtask setup`)");
        let _ = std::fs::remove_dir_all(&copies);
        std::fs::create_dir_all(&copies).expect("a directory for the copies");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let message: serde_json::Value = serde_json::from_str(line).expect("cargo's JSON messages");
            if let Some(executable) = message["executable"].as_str().map(PathBuf::from) {
                let name = executable.file_name().expect("a file name");
                std::fs::copy(&executable, copies.join(name)).expect("an example copied");
            }
        }
    }
    copies
}

/// Example `name` alone for `arch` in cargo profile `profile`, built with the run's `LB_FEATURES`
/// plus `extra` (one example's build instead of every example's, for a feature only it uses),
/// once per test binary. It is built in the main target directory (it shares the dependencies
/// already built for the others), then copied to a path of its own per feature set: the same
/// example built with other features cannot replace it under a running test.
pub fn one_example(arch: Arch, profile: &str, extra: &str, name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = features_with(extra);
    let variant = all.replace(',', "-");
    let target_dir = root.join("target");
    let copy = root.join("target/one-example").join(arch.triple()).join(profile).join(&variant).join(name);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.get_or_insert_with(HashSet::new).insert((arch, "one", format!("{profile} {variant} {name}"))) {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "--example", name, "--profile", profile, "--target", arch.triple()]);
        let status = cmd
            .args(["--features", &all])
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building {name} for {arch:?} failed (run `cargo xtask setup`)");
        let path = target_dir.join(arch.triple()).join(profile).join("examples").join(name);
        std::fs::create_dir_all(copy.parent().unwrap()).expect("a directory for the copy");
        // A new file (not rewritten in place): a process still running an older copy keeps it.
        let _ = std::fs::remove_file(&copy);
        std::fs::copy(&path, &copy).unwrap_or_else(|e| panic!("{} is missing: {e}", path.display()));
    }
    copy
}

/// The static, stripped example binary `name` for `arch` in cargo profile `profile`
/// (`release` = the size profile with `panic = "abort"`, `unwind` = the same with unwinding),
/// with the run's `LB_FEATURES`.
pub fn example_in(arch: Arch, profile: &'static str, name: &str) -> PathBuf {
    let path = examples_dir(arch, profile, Some(&features())).join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// The `#![no_std]` echo, built with `--no-default-features`.
pub fn nostd(arch: Arch) -> PathBuf {
    let path = examples_dir(arch, "release", None).join("nostd");
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// The x86_64 size-profile build of example `name`.
pub fn example(name: &str) -> PathBuf {
    example_in(Arch::X86_64, "release", name)
}

/// A command that runs `binary` (built for `arch`) with the emulator's Lambda environment.
pub fn command_for(emu: &Emulator, arch: Arch, binary: &PathBuf) -> Command {
    match arch {
        Arch::X86_64 => emu.command(binary),
        Arch::Aarch64 => {
            let qemu = ["qemu-aarch64-static", "qemu-aarch64"]
                .into_iter()
                .find(|q| Command::new(q).arg("--version").output().is_ok())
                .expect("qemu-user is not installed: run `cargo xtask setup`");
            let mut cmd = emu.command(qemu);
            cmd.arg(binary);
            cmd
        }
    }
}

/// Spawns the x86_64 example `name` against `emu`.
pub fn spawn(emu: &Emulator, name: &str) -> Process {
    emu.spawn(emu.command(example(name)))
}

/// Waits for `n` posts, then kills the process; returns the posts and what it printed.
pub fn posts_then_kill(emu: &Emulator, process: Process, n: usize) -> (Vec<Request>, Outcome) {
    let posts = emu.wait_posts(n, LIMIT);
    (posts, process.kill())
}

/// The process ended by itself within the limit, with `code`, and without a panic.
pub fn assert_exit(outcome: &Outcome, code: i32) {
    assert!(!outcome.timed_out, "the process hung; stderr:\n{}", outcome.stderr);
    assert_eq!(outcome.code(), Some(code), "exit status {:?}; stderr:\n{}", outcome.status, outcome.stderr);
    assert_no_panic(outcome);
}

/// Nothing in stderr says the runtime panicked.
pub fn assert_no_panic(outcome: &Outcome) {
    assert!(!outcome.stderr.contains("panicked"), "the runtime panicked:\n{}", outcome.stderr);
}

/// The runtime's own stderr lines (those starting `lambda-bootstrap: `).
pub fn runtime_lines(outcome: &Outcome) -> Vec<&str> {
    outcome.stderr.lines().filter(|l| l.starts_with("lambda-bootstrap: ")).collect()
}

/// Exactly one runtime line, containing every one of `words`.
pub fn assert_one_line(outcome: &Outcome, words: &[&str]) {
    let lines = runtime_lines(outcome);
    assert_eq!(lines.len(), 1, "expected one runtime line, stderr:\n{}", outcome.stderr);
    for word in words {
        assert!(lines[0].contains(word), "{:?} lacks {word:?}", lines[0]);
    }
}

/// The post's body as text.
pub fn body(post: &Request) -> String {
    String::from_utf8_lossy(&post.body).into_owned()
}

/// Each post answers its event with the event's own bytes, in order.
pub fn assert_echoed(posts: &[Request], sent: &[Vec<u8>]) {
    assert_eq!(posts.len(), sent.len());
    for (i, (post, body)) in posts.iter().zip(sent).enumerate() {
        assert!(matches!(post.kind, lambda_emulator::Kind::Response(_)), "{i}: {:?}", post.kind);
        assert!(post.body == *body, "{i}: {} bytes back for {}", post.body.len(), body.len());
    }
}

/// The run's `LB_FEATURES` plus `extra`.
pub fn features_with(extra: &str) -> String {
    let run = features();
    if run.is_empty() { extra.to_string() } else { format!("{run},{extra}") }
}
