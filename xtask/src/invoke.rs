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

use std::path::PathBuf;

use cargo_bootstrap::function::Function;
use cargo_bootstrap::invoke::{env_lines, env_pair, split_events};

use super::{Arch, builds, root};

pub const BUILD_USAGE: &str = "usage: cargo xtask build [--arch x86_64|arm64] [--example NAME | --bin NAME]
                        [--manifest-path PATH [--bin NAME]]
  Builds a static, stripped musl bootstrap in the size profile (default: the hello example) and
  prints its path. A crate of your own (--manifest-path) gets the size profile and the link
  settings of this workspace as cargo --config overrides.";

pub const INVOKE_USAGE: &str = "usage: cargo xtask invoke [--arch x86_64|arm64] [--example NAME | --bin NAME]
                         [--manifest-path PATH [--bin NAME]]
                         [--data JSON | --data-file FILE] [--env KEY=VALUE]... [--env-file FILE]
                         [--concurrency N]
                         [--extension PATH]...
  Builds the bootstrap as `build` does, runs it on the local Runtime API emulator and prints
  each response. --data-file: one JSON document, or one per line (several events to one
  process: the first cold, the rest warm); without --data or --data-file the event is read
  from stdin (hello: {\"name\":\"Ada\"}). The function sees Lambda's variables plus
  --env-file's KEY=VALUE lines (`#` starts a comment line) and each --env (a later one wins).
  --concurrency N: AWS_LAMBDA_MAX_CONCURRENCY=N, and the events (repeated up to N) handed to
  the process all at once, as Lambda Managed Instances does (try --example sleepy).
  --extension: an external extension (an executable, or a directory of them, as /opt/extensions),
  started before the function as Lambda does; the emulator's lifecycle is printed at the end
  (`cargo xtask build --example extension` prints the extension example's path).";

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
    /// `--concurrency N`: N events at once to N workers.
    concurrency: Option<usize>,
    /// `--extension` paths: executables or directories of them, started before the function.
    extensions: Vec<PathBuf>,
}

impl Opts {
    /// One of the workspace's examples.
    pub fn example(arch: Arch, name: &str) -> Opts {
        Opts {
            arch,
            example: name.into(),
            bin: None,
            manifest: None,
            events: None,
            env: Vec::new(),
            concurrency: None,
            extensions: Vec::new(),
        }
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
                "--concurrency" if with_events => {
                    let n = value()?;
                    match n.parse() {
                        Ok(n) if n > 0 => opts.concurrency = Some(n),
                        _ => return Err(format!("--concurrency needs a positive number, not {n:?}")),
                    }
                }
                "--extension" if with_events => opts.extensions.push(super::user_path(&value()?)?),
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

/// `cargo xtask build`.
pub fn build_main(args: &[String]) -> Result<(), String> {
    let Some(opts) = Opts::parse(args, false)? else { return Ok(()) };
    build(&opts).map(|path| println!("{}", path.display()))
}

/// Builds `--example` (or a user's `--bin` / `--manifest-path` crate) for `--arch` in the size
/// profile; returns the binary's path.
pub fn build(opts: &Opts) -> Result<PathBuf, String> {
    super::setup(&[opts.arch])?;
    if let Some(manifest) = &opts.manifest {
        return Function::resolve(Some(manifest), opts.bin.as_deref())?.build(opts.arch);
    }
    let mut cmd = builds::workspace(&root(), opts.arch);
    match &opts.bin {
        Some(bin) => cmd.args(["--bin", bin]),
        None => {
            let features = required_features(&opts.example)?;
            if !features.is_empty() {
                cmd.args(["--features", &features.join(",")]);
            }
            cmd.args(["--example", &opts.example])
        }
    };
    cargo_bootstrap::cargo::executable(&mut cmd)
}

/// The `required-features` of the workspace's example `name` (`stream` needs `stream`), so
/// that `--example NAME` builds every example as it is.
fn required_features(name: &str) -> Result<Vec<String>, String> {
    let manifest =
        std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut example = None;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            example = None;
            if line == "[[example]]" {
                example = Some(String::new());
            }
        } else if let (Some(current), Some(value)) = (&mut example, line.strip_prefix("name = ")) {
            *current = value.trim_matches('"').to_string();
        } else if let (Some(current), Some(list)) = (&example, line.strip_prefix("required-features = "))
            && current == name
        {
            let list = list.trim_start_matches('[').trim_end_matches(']');
            return Ok(list.split(',').map(|f| f.trim().trim_matches('"').to_string()).collect());
        }
    }
    Ok(Vec::new())
}

/// `cargo xtask invoke`: builds, runs on the emulator, prints each answered invocation, then
/// why the run stopped early or how the process ended, if it did.
pub fn main(args: &[String]) -> Result<(), String> {
    let Some(opts) = Opts::parse(args, true)? else { return Ok(()) };
    let binary = build(&opts)?;
    let events = match &opts.events {
        Some(events) => events.clone(),
        None if opts.example == "hello" && opts.bin.is_none() && opts.manifest.is_none() => {
            vec![br#"{"name":"Ada"}"#.to_vec()]
        }
        None if opts.example == "sleepy" && opts.bin.is_none() && opts.manifest.is_none() => {
            vec![br#"{"ms":100}"#.to_vec()]
        }
        None => cargo_bootstrap::invoke::events(None, None)?,
    };
    match opts.concurrency {
        Some(_) if !opts.extensions.is_empty() => {
            Err("--concurrency and --extension do not go together yet".to_string())
        }
        Some(n) => cargo_bootstrap::invoke::run_concurrent(&binary, opts.arch, &opts.env, events, n),
        None => cargo_bootstrap::invoke::run_with_extensions(
            &binary,
            opts.arch,
            &opts.env,
            events,
            &opts.extensions,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn examples_build_with_their_required_features() {
        assert_eq!(required_features("stream").unwrap(), ["stream", "json"]);
        assert_eq!(required_features("panic").unwrap(), ["std", "json"]);
        assert!(required_features("nostd").unwrap().is_empty());
        assert!(required_features("no such example").unwrap().is_empty());
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
