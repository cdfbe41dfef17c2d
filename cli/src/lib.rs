//! `cargo bootstrap`'s library: the tools that turn a function crate on `lambda-bootstrap` into a
//! static musl `bootstrap`, run it, package it, measure it. The `cargo-bootstrap` binary
//! (`main.rs`) and the repository's own `cargo xtask` both call these modules, so every piece of
//! logic exists once.
//!
//! Nothing here knows where the lambda-bootstrap repository is: a path it needs (a checkout to
//! remap, a directory for helper scripts) is an argument.
//!
//! - [`builds`]: the size profile, the link settings and the path remapping of every build.
//! - [`cargo`]: `cargo metadata`, a crate's binaries, the executable a build produced.
//! - [`setup`]: rustup targets, qemu-user, the pinned `ziglang` for C code.
//! - [`invoke`]: events and environment from the command line, a run on the emulator.
//! - [`package`]: the deterministic `bootstrap.zip` ([`zip`]) after the ELF check ([`elf`]).
//! - [`size`]: sizes, budgets, the largest contributors by crate, comparison with a baseline.
//! - [`bench`]: start-up, latency, memory and connections of bootstraps side by side.
//! - [`new`]: a new function crate, and the echo crate `bench` measures against.

pub mod bench;
pub mod builds;
pub mod cargo;
pub mod elf;
pub mod function;
pub mod invoke;
pub mod new;
pub mod package;
pub mod setup;
pub mod size;
pub mod zip;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A Lambda architecture and its musl target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub const BOTH: [Arch; 2] = [Arch::X86_64, Arch::Arm64];

    /// As Lambda spells it.
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Arm64 => "aarch64-unknown-linux-musl",
        }
    }

    pub fn host() -> Arch {
        if cfg!(target_arch = "aarch64") { Arch::Arm64 } else { Arch::X86_64 }
    }

    /// The binary needs qemu-user to run here.
    pub fn emulated(self) -> bool {
        self != Arch::host()
    }
}

impl std::str::FromStr for Arch {
    type Err = String;

    fn from_str(value: &str) -> Result<Arch, String> {
        parse_arch(value)
    }
}

pub fn parse_arch(value: &str) -> Result<Arch, String> {
    match value {
        "x86_64" | "amd64" => Ok(Arch::X86_64),
        "arm64" | "aarch64" => Ok(Arch::Arm64),
        other => Err(format!("unknown arch {other:?}: use x86_64 or arm64")),
    }
}

/// A path the user gave, made absolute against the current directory; without `..` when it
/// exists (it is a prefix to remap, see `builds.rs`).
pub fn user_path(path: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `path` relative to the current directory when it lies below it.
pub fn shown(path: &Path) -> &Path {
    match std::env::current_dir() {
        Ok(cwd) => path.strip_prefix(cwd).unwrap_or(path),
        Err(_) => path,
    }
}

/// The cargo that runs us (`$CARGO` under `cargo bootstrap`), or `cargo`.
pub fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

pub fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {status}")) }
}

/// What `program args` prints on stdout, or nothing when it cannot run.
pub fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(path, mode).map_err(|e| format!("cannot chmod {}: {e}", path.display()))
}
