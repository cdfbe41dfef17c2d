//! `cargo xtask build` and `cargo xtask invoke`: a function as a static musl `bootstrap`, and
//! that bootstrap run on the local Runtime API emulator.
//!
//! ```text
//! cargo xtask build  [--arch A] [--example NAME | --bin NAME | --manifest-path PATH [--bin NAME]]
//! cargo xtask invoke [the same] [--data JSON | --data-file FILE] [--env KEY=VALUE]... [--env-file FILE]
//! ```
//!
//! The function's environment is what Lambda sets (see `Emulator::command`) plus the user's
//! `--env-file` lines and `--env` pairs, in that order (a later one wins); nothing else of the
//! caller's environment reaches it. Paths are the caller's: relative ones are read from the
//! directory `cargo xtask` was run in.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{Arch, builds};

pub const BUILD_USAGE: &str = "usage: cargo xtask build [--arch x86_64|arm64] [--example NAME | --bin NAME]
                        [--manifest-path PATH [--bin NAME]]
  Builds a static, stripped musl bootstrap in the size profile (default: the hello example) and
  prints its path. A crate of your own (--manifest-path) gets the size profile and the link
  settings of this workspace as cargo --config overrides.";

pub const INVOKE_USAGE: &str = "usage: cargo xtask invoke [--arch x86_64|arm64] [--example NAME | --bin NAME]
                         [--manifest-path PATH [--bin NAME]]
                         [--data JSON | --data-file FILE] [--env KEY=VALUE]... [--env-file FILE]
  Builds the bootstrap as `build` does, runs it on the local Runtime API emulator and prints
  each response. --data-file: one JSON document, or one per line (several events to one
  process: the first cold, the rest warm); without --data or --data-file the event is read
  from stdin (hello: {\"name\":\"Ada\"}). The function sees Lambda's variables plus
  --env-file's KEY=VALUE lines (`#` starts a comment line) and each --env (a later one wins).";

pub struct Opts {
    arch: Arch,
    example: String,
    /// A binary of a user's crate instead of an example.
    bin: Option<String>,
    /// A user's crate: its manifest, absolute (relative to the caller's directory).
    manifest: Option<PathBuf>,
    /// The events: `--data`, or `--data-file` (one JSON document, or one per line).
    events: Option<Vec<Vec<u8>>>,
    /// `--env-file` lines, then `--env` pairs.
    env: Vec<(String, String)>,
}

impl Opts {
    /// One of the workspace's examples.
    pub fn example(arch: Arch, name: &str) -> Opts {
        Opts { arch, example: name.into(), bin: None, manifest: None, events: None, env: Vec::new() }
    }

    /// Parses `build` options (`invoke`: `with_events`); `Ok(None)` when help was asked.
    pub fn parse(args: &[String], with_events: bool) -> Result<Option<Opts>, String> {
        let usage = if with_events { INVOKE_USAGE } else { BUILD_USAGE };
        if super::help_asked(args, usage) {
            return Ok(None);
        }
        let mut opts = Opts::example(Arch::host(), "hello");
        let (mut env_file, mut env) = (Vec::new(), Vec::new());
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value\n{usage}"));
            match flag.as_str() {
                "--arch" => opts.arch = super::parse_arch(&value()?)?,
                "--example" => opts.example = value()?,
                "--bin" => opts.bin = Some(value()?),
                "--manifest-path" => opts.manifest = Some(super::user_path(&value()?)?),
                "--data" if with_events => opts.events = Some(vec![value()?.into_bytes()]),
                "--data-file" if with_events => {
                    let path = value()?;
                    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
                    opts.events = Some(split_events(bytes));
                }
                "--env" if with_events => {
                    env.push(env_pair(&value()?).ok_or(format!(
                        "--env needs KEY=VALUE with a non-empty KEY without spaces\n{usage}"
                    ))?)
                }
                "--env-file" if with_events => {
                    let path = value()?;
                    let text =
                        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
                    env_file.extend(env_lines(&text).map_err(|e| format!("{path}: {e}"))?);
                }
                other => return Err(format!("unknown option {other:?}\n{usage}")),
            }
        }
        opts.env = env_file.into_iter().chain(env).collect();
        Ok(Some(opts))
    }
}

/// `KEY=VALUE` with a key Lambda would take (no `=`, no white space, not empty).
fn env_pair(text: &str) -> Option<(String, String)> {
    let (key, value) = text.split_once('=')?;
    let valid = !key.is_empty() && !key.contains(char::is_whitespace);
    valid.then(|| (key.to_string(), value.to_string()))
}

/// An `--env-file`: `KEY=VALUE` lines, the value as written up to the end of the line (no
/// quoting); blank lines and lines starting with `#` are skipped.
fn env_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        pairs.push(env_pair(trimmed).ok_or(format!("line {}: expected KEY=VALUE: {line}", n + 1))?);
    }
    Ok(pairs)
}

/// `cargo xtask build`.
pub fn build_main(args: &[String]) -> Result<(), String> {
    let Some(opts) = Opts::parse(args, false)? else { return Ok(()) };
    build(&opts).map(|path| println!("{}", path.display()))
}

/// Builds `--example` (or a user's `--bin` / `--manifest-path` crate) for `--arch` in the size
/// profile; returns the binary's path.
pub fn build(opts: &Opts) -> Result<PathBuf, String> {
    super::setup(&[opts.arch])?;
    let mut cmd = match (&opts.manifest, &opts.bin) {
        (Some(manifest), bin) => {
            let bin = match bin {
                Some(bin) => bin.clone(),
                None => super::package::only_binary_of(manifest)?,
            };
            let mut cmd = builds::user(manifest, opts.arch);
            cmd.args(["--bin", &bin]);
            cmd
        }
        (None, Some(bin)) => {
            let mut cmd = builds::workspace(opts.arch);
            cmd.args(["--bin", bin]);
            cmd
        }
        (None, None) => {
            let mut cmd = builds::workspace(opts.arch);
            cmd.args(["--example", &opts.example]);
            cmd
        }
    };
    executable(&mut cmd)
}

/// Runs a `cargo build` quietly and returns the one executable it reports.
pub fn executable(cmd: &mut Command) -> Result<PathBuf, String> {
    cmd.args(["--quiet", "--message-format", "json"]);
    let output = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the build failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    let built = super::size::executables(&String::from_utf8_lossy(&output.stdout));
    match &built[..] {
        [one] => Ok(PathBuf::from(one)),
        [] => Err("the build produced no executable".into()),
        many => {
            Err(format!("the build produced several executables, pick one with --bin: {}", many.join(", ")))
        }
    }
}

/// `--data-file` contents: one JSON document, or one per line (several events, the first cold
/// and the others warm); anything else is one event of raw bytes.
fn split_events(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    let is_json = |text: &str| miniserde::json::from_str::<miniserde::json::Value>(text).is_ok();
    let Ok(text) = std::str::from_utf8(&bytes) else { return vec![bytes] };
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if is_json(text) || lines.len() < 2 || !lines.iter().all(|l| is_json(l)) {
        return vec![bytes];
    }
    lines.into_iter().map(|l| l.as_bytes().to_vec()).collect()
}

/// `cargo xtask invoke`: builds, runs on the emulator, prints each answered invocation, then
/// why the run stopped early or how the process ended, if it did.
pub fn main(args: &[String]) -> Result<(), String> {
    let Some(opts) = Opts::parse(args, true)? else { return Ok(()) };
    let binary = build(&opts)?;
    let size = std::fs::metadata(&binary).map_err(|e| e.to_string())?.len();
    let events = match &opts.events {
        Some(events) => events.clone(),
        None if opts.example == "hello" && opts.bin.is_none() && opts.manifest.is_none() => {
            vec![br#"{"name":"Ada"}"#.to_vec()]
        }
        None => {
            let mut stdin = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut stdin).map_err(|e| e.to_string())?;
            split_events(stdin)
        }
    };
    let mut argv: Vec<OsString> = Vec::new();
    if opts.arch.emulated() {
        let qemu = if super::on_path("qemu-aarch64-static") { "qemu-aarch64-static" } else { "qemu-aarch64" };
        argv.push(qemu.into());
    }
    argv.push(binary.clone().into());
    let env: Vec<(OsString, OsString)> = opts.env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    let run = lambda_emulator::invoke_all(&argv, &env, events, Duration::from_secs(30));
    eprintln!("{} ({}, {size} bytes)", shown(&binary).display(), opts.arch.triple());
    let mut failed = false;
    for (i, invocation) in run.invocations.iter().enumerate() {
        match &invocation.error_type {
            None if !invocation.is_error() => println!("{}", invocation.body_str()),
            error_type => {
                failed = true;
                println!(
                    "error ({}): {}",
                    error_type.as_deref().unwrap_or("no error type"),
                    invocation.body_str()
                );
            }
        }
        if i == 0 {
            eprintln!(
                "  start-up {:.2?}, invocation 1 (cold) {:.2?}",
                invocation.startup, invocation.invocation
            );
        } else {
            eprintln!("  invocation {} (warm) {:.2?}", i + 1, invocation.invocation);
        }
    }
    match run.failure {
        Some(failure) => Err(failure),
        None if failed => Err("the function returned an error".into()),
        None => Ok(()),
    }
}

/// `path` relative to the current directory when it lies below it.
fn shown(path: &Path) -> &Path {
    std::env::current_dir().ok().and_then(|cwd| path.strip_prefix(cwd).ok()).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_hold_one_event_or_one_per_line() {
        let one = |s: &str| vec![s.as_bytes().to_vec()];
        assert_eq!(
            split_events(b"{\"a\":\n 1}\n".to_vec()),
            one("{\"a\":\n 1}\n"),
            "pretty JSON is one event"
        );
        assert_eq!(
            split_events(b"{\"a\":1}\n\n[2]\n".to_vec()),
            vec![b"{\"a\":1}".to_vec(), b"[2]".to_vec()],
            "JSON lines are several"
        );
        assert_eq!(split_events(b"{\"a\":1}\nnot json\n".to_vec()), one("{\"a\":1}\nnot json\n"));
        assert_eq!(split_events(b"hi".to_vec()), one("hi"));
        assert_eq!(split_events(vec![0xff, b'\n', 0xfe]), vec![vec![0xff, b'\n', 0xfe]]);
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn env_files_are_key_value_lines() {
        let text = "# settings\nTABLE=orders\n\n  # indented comment\nEMPTY=\nURL=http://x/?a=b # kept\n";
        assert_eq!(
            env_lines(text).unwrap(),
            [pair("TABLE", "orders"), pair("EMPTY", ""), pair("URL", "http://x/?a=b # kept")]
        );
        assert_eq!(env_lines("A=1\nnonsense\n").unwrap_err(), "line 2: expected KEY=VALUE: nonsense");
        assert!(env_lines("=1\n").is_err());
        assert!(env_lines("A B=1\n").is_err());
    }

    #[test]
    fn env_options_keep_their_order_file_first() {
        let dir = std::env::temp_dir().join(format!("xtask-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("fn.env");
        std::fs::write(&file, "A=from file\nB=2\n").unwrap();
        let args: Vec<String> =
            ["--env", "A=from flag", "--env-file", file.to_str().unwrap(), "--env", "C=x=y"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let opts = Opts::parse(&args, true).unwrap().unwrap();
        assert_eq!(
            opts.env,
            [pair("A", "from file"), pair("B", "2"), pair("A", "from flag"), pair("C", "x=y")]
        );
        let bad: Vec<String> = ["--env", "NOEQUALS"].iter().map(|s| s.to_string()).collect();
        assert!(Opts::parse(&bad, true).is_err());
        assert!(Opts::parse(&args, false).is_err(), "build takes no --env");
        let _ = std::fs::remove_dir_all(dir);
    }
}
