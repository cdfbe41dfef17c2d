//! `cargo xtask <command>`: the project's own tooling. Every command installs what it needs first
//! (rustup targets, qemu-user for arm64), so a fresh machine needs no other step.
//!
//! - `setup`: rustup targets, rustfmt/clippy, qemu-aarch64-static.
//! - `build [--arch x86_64|arm64] [--example NAME]`: a static, stripped musl `bootstrap`.
//! - `invoke [--arch ..] [--example NAME] [--data JSON | --data-file FILE]`: build it, run it on
//!   the embedded Runtime API emulator, print the response.
//! - `test`: formatting, clippy, and the whole test suite (both arches).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

const USAGE: &str = "usage: cargo xtask <setup | build | invoke | test> [options]
  build  [--arch x86_64|arm64] [--example NAME]       static musl bootstrap (default: hello)
  invoke [--arch x86_64|arm64] [--example NAME] [--data JSON | --data-file FILE]
                                                      run it on the local Runtime API emulator
  test                                                fmt, clippy and every test, both arches";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(&[Arch::X86_64, Arch::Arm64]),
        Some("build") => Opts::parse(&args[1..]).and_then(|o| build(&o).map(|p| println!("{}", p.display()))),
        Some("invoke") => Opts::parse(&args[1..]).and_then(|o| invoke(&o)),
        Some("test") => test(),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-musl",
            Arch::Arm64 => "aarch64-unknown-linux-musl",
        }
    }

    fn host() -> Arch {
        if cfg!(target_arch = "aarch64") { Arch::Arm64 } else { Arch::X86_64 }
    }

    /// The binary needs qemu-user to run here.
    fn emulated(self) -> bool {
        self != Arch::host()
    }
}

struct Opts {
    arch: Arch,
    example: String,
    data: Option<Vec<u8>>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        let mut opts = Opts { arch: Arch::host(), example: "hello".into(), data: None };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value\n{USAGE}"));
            match flag.as_str() {
                "--arch" => {
                    opts.arch = match value()?.as_str() {
                        "x86_64" | "amd64" => Arch::X86_64,
                        "arm64" | "aarch64" => Arch::Arm64,
                        other => return Err(format!("unknown arch {other:?}: use x86_64 or arm64")),
                    }
                }
                "--example" => opts.example = value()?,
                "--data" => opts.data = Some(value()?.into_bytes()),
                "--data-file" => {
                    let path = value()?;
                    opts.data = Some(std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?);
                }
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(opts)
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{cmd:?} failed: {status}")) }
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Installs what building and running for `arches` needs, skipping what is there.
fn setup(arches: &[Arch]) -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"]);
    for arch in arches {
        if !installed.lines().any(|t| t.trim() == arch.triple()) {
            run(Command::new("rustup").args(["target", "add", arch.triple()]))?;
        }
    }
    if arches.iter().any(|a| a.emulated()) && !on_path("qemu-aarch64-static") && !on_path("qemu-aarch64") {
        let sudo = if output("id", &["-u"]).trim() == "0" { vec![] } else { vec!["sudo"] };
        let apt = |args: &[&str]| {
            let mut cmd = Command::new(sudo.first().copied().unwrap_or("apt-get"));
            if !sudo.is_empty() {
                cmd.arg("apt-get");
            }
            cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut cmd)
        };
        apt(&["update", "-qq"])?;
        apt(&["install", "-y", "-qq", "qemu-user-static"])?;
    }
    Ok(())
}

/// Builds `--example` for `--arch` in the size profile; returns the binary's path.
fn build(opts: &Opts) -> Result<PathBuf, String> {
    setup(&[opts.arch])?;
    let triple = opts.arch.triple();
    run(cargo().args(["build", "--quiet", "--release", "--target", triple, "--example", &opts.example]))?;
    Ok(root().join("target").join(triple).join("release/examples").join(&opts.example))
}

/// Builds, runs on the emulator, prints the response and the figures.
fn invoke(opts: &Opts) -> Result<(), String> {
    let binary = build(opts)?;
    let size = std::fs::metadata(&binary).map_err(|e| e.to_string())?.len();
    let event = match &opts.data {
        Some(data) => data.clone(),
        None if opts.example == "hello" => br#"{"name":"Ada"}"#.to_vec(),
        None => {
            let mut stdin = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut stdin).map_err(|e| e.to_string())?;
            stdin
        }
    };
    let mut argv: Vec<OsString> = Vec::new();
    if opts.arch.emulated() {
        argv.push(if on_path("qemu-aarch64-static") { "qemu-aarch64-static" } else { "qemu-aarch64" }.into());
    }
    argv.push(binary.clone().into());
    let done = lambda_emulator::invoke_once(&argv, event, Duration::from_secs(30))?;
    let ok = done.error_type.is_none();
    if ok {
        println!("{}", String::from_utf8_lossy(&done.body));
    } else {
        println!(
            "error ({}): {}",
            done.error_type.as_deref().unwrap_or(""),
            String::from_utf8_lossy(&done.body)
        );
    }
    eprintln!(
        "{} ({}, {size} bytes): start-up {:.2?}, invocation {:.2?}",
        binary.display(),
        opts.arch.triple(),
        done.startup,
        done.invocation,
    );
    if ok { Ok(()) } else { Err("the function returned an error".into()) }
}

/// Feature combinations CI checks with clippy (each must compile and lint clean on its own).
const FEATURE_SETS: &[&[&str]] = &[
    &[],
    &["--no-default-features"],
    &["--no-default-features", "--features", "std"],
    &["--no-default-features", "--features", "json"],
    &["--features", "ureq"],
    &["--features", "mimalloc"],
    &["--all-features"],
];

/// The whole suite: formatting, clippy with warnings denied over the feature space, docs, every
/// test on both arches, and the integration tests again over the ureq transport.
fn test() -> Result<(), String> {
    setup(&[Arch::X86_64, Arch::Arm64])?;
    for component in ["rustfmt", "clippy"] {
        let tool = if component == "rustfmt" { "fmt" } else { "clippy" };
        if !cargo().args([tool, "--version"]).output().is_ok_and(|o| o.status.success()) {
            run(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    for features in FEATURE_SETS {
        let mut cmd = cargo();
        cmd.args(["clippy", "--quiet", "-p", "lambda-bootstrap", "--all-targets"]).args(*features);
        run(cmd.args(["--", "-D", "warnings"]))?;
    }
    run(cargo()
        .args(["doc", "--quiet", "--no-deps", "-p", "lambda-bootstrap", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    run(cargo().args(["test", "--workspace"]))?;
    let integration = ["--test", "runtime", "--test", "faults", "--test", "aarch64"];
    run(cargo().args(["test", "-p", "lambda-bootstrap"]).args(integration).env("LB_FEATURES", "ureq"))
}
