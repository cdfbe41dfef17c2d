//! `invoke`: a bootstrap run on the local Runtime API emulator, one event or several (the first
//! invocation cold, the rest warm), each response printed.
//!
//! The function's environment is what Lambda sets (see `Emulator::command`) plus the user's
//! `--env-file` lines and `--env` pairs, in that order (a later one wins); nothing else of the
//! caller's environment reaches it. An arm64 bootstrap runs under qemu-user.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use crate::{Arch, setup, shown};

/// `KEY=VALUE` with a key Lambda would take (no `=`, no white space, not empty).
pub fn env_pair(text: &str) -> Option<(String, String)> {
    let (key, value) = text.split_once('=')?;
    let valid = !key.is_empty() && !key.contains(char::is_whitespace);
    valid.then(|| (key.to_string(), value.to_string()))
}

/// An `--env-file`: `KEY=VALUE` lines, the value as written up to the end of the line (no
/// quoting); blank lines and lines starting with `#` are skipped.
pub fn env_lines(text: &str) -> Result<Vec<(String, String)>, String> {
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

/// `--data-file` contents: one JSON document, or one per line (several events, the first cold
/// and the others warm); anything else is one event of raw bytes.
pub fn split_events(bytes: Vec<u8>) -> Vec<Vec<u8>> {
    let is_json = |text: &str| miniserde::json::from_str::<miniserde::json::Value>(text).is_ok();
    let Ok(text) = std::str::from_utf8(&bytes) else { return vec![bytes] };
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if is_json(text) || lines.len() < 2 || !lines.iter().all(|l| is_json(l)) {
        return vec![bytes];
    }
    lines.into_iter().map(|l| l.as_bytes().to_vec()).collect()
}

/// The environment of `--env-file` files (in order) then `--env` pairs.
pub fn environment(files: &[impl AsRef<Path>], pairs: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut env = Vec::new();
    for path in files {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        env.extend(env_lines(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    for pair in pairs {
        env.push(
            env_pair(pair)
                .ok_or(format!("--env {pair:?}: needs KEY=VALUE with a non-empty KEY without spaces"))?,
        );
    }
    Ok(env)
}

/// The events of `--data`, else `--data-file`, else stdin.
pub fn events(data: Option<&str>, data_file: Option<&Path>) -> Result<Vec<Vec<u8>>, String> {
    if let Some(data) = data {
        return Ok(vec![data.as_bytes().to_vec()]);
    }
    if let Some(path) = data_file {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Ok(split_events(bytes));
    }
    let mut stdin = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut stdin).map_err(|e| e.to_string())?;
    Ok(split_events(stdin))
}

/// Runs `binary` (built for `arch`) on the emulator with `env` and `events`; prints each
/// answered invocation on stdout, times on stderr, then why the run stopped early or how the
/// process ended, if it did. An error response is an error.
pub fn run(binary: &Path, arch: Arch, env: &[(String, String)], events: Vec<Vec<u8>>) -> Result<(), String> {
    run_with_extensions(binary, arch, env, events, &[])
}

/// [`run`] with external extensions: each path is an executable or a directory of them (Lambda's
/// `/opt/extensions`), started before the function as Lambda does; the emulator's lifecycle
/// (registrations, init, the shutdown) is printed on stderr at the end whenever an extension
/// took part.
pub fn run_with_extensions(
    binary: &Path,
    arch: Arch,
    env: &[(String, String)],
    events: Vec<Vec<u8>>,
    extensions: &[std::path::PathBuf],
) -> Result<(), String> {
    let (size, argv, env) = process(binary, arch, env)?;
    // A streamed response is printed as it arrives, chunk by chunk.
    let mut print_chunk = |chunk: &[u8]| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(chunk).and_then(|()| out.flush());
    };
    let mut runner: Vec<OsString> = argv[..argv.len() - 1].to_vec();
    let mut commands = Vec::new();
    for path in extensions {
        let mut files = vec![path.clone()];
        if path.is_dir() {
            files = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
        }
        for file in files {
            runner.push(file.into());
            commands.push(runner.clone());
            runner.pop();
        }
    }
    let run = lambda_emulator::invoke_with_extensions(
        &argv,
        &env,
        &commands,
        events,
        Duration::from_secs(30),
        &mut print_chunk,
    );
    eprintln!("{} ({}, {size} bytes)", shown(binary).display(), arch.triple());
    let mut failed = false;
    for (i, invocation) in run.invocations.iter().enumerate() {
        match &invocation.error_type {
            None if invocation.streamed => {
                println!();
                eprintln!("  the stream ended: {} bytes", invocation.body.len());
            }
            Some(error_type) if invocation.streamed => {
                failed = true;
                println!();
                let document = invocation.error_body.as_deref().map(decode_base64).unwrap_or_default();
                println!(
                    "error ({error_type}) mid-stream, after {} bytes: {document}",
                    invocation.body.len()
                );
            }
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
    if !run.lifecycle.is_empty() {
        eprintln!("  lifecycle (the emulator's log):");
        for line in &run.lifecycle {
            eprintln!("    {line}");
        }
    }
    match run.failure {
        Some(failure) => Err(failure),
        None if failed => Err("the function returned an error".into()),
        None => Ok(()),
    }
}

/// Runs `binary` on the local emulator with `AWS_LAMBDA_MAX_CONCURRENCY=concurrency` and hands it
/// `events` all at once (repeated up to `concurrency` events when fewer are given), as Lambda
/// Managed Instances does; prints each answer in the order it came, with its request id and how
/// long the invocation took, then how many were answered in how long.
pub fn run_concurrent(
    binary: &Path,
    arch: Arch,
    env: &[(String, String)],
    events: Vec<Vec<u8>>,
    concurrency: usize,
) -> Result<(), String> {
    let (size, argv, env) = process(binary, arch, env)?;
    let count = events.len().max(concurrency);
    let events: Vec<Vec<u8>> = events.iter().cycle().take(count).cloned().collect();
    let started = std::time::Instant::now();
    let run = lambda_emulator::invoke_concurrent(&argv, &env, events, concurrency, Duration::from_secs(30));
    let elapsed = started.elapsed();
    eprintln!("{} ({}, {size} bytes), {concurrency} at once", shown(binary).display(), arch.triple());
    let mut failed = false;
    for invocation in &run.invocations {
        let id = match &invocation.kind {
            lambda_emulator::Kind::Response(id) | lambda_emulator::Kind::Error(id) => id.as_str(),
            _ => "init",
        };
        if invocation.is_error() {
            failed = true;
            let error_type = invocation.error_type.as_deref().unwrap_or("no error type");
            println!("{id} error ({error_type}): {}", invocation.body_str());
        } else {
            println!("{id} {}", invocation.body_str());
        }
        eprintln!("  {id}: {:.2?}", invocation.invocation);
    }
    eprintln!(
        "  {} of {count} answered in {elapsed:.2?} (emulator and process start included)",
        run.invocations.len()
    );
    match run.failure {
        Some(failure) => Err(failure),
        None if failed => Err("the function returned an error".into()),
        None => Ok(()),
    }
}

/// A base64 trailer as text (lossy), or what it was when it is not base64.
fn decode_base64(text: &str) -> String {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(text) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => format!("{text} (not base64)"),
    }
}

/// A process environment as the OS takes it.
type Env = Vec<(OsString, OsString)>;

/// What the emulator starts: the binary's size, its command line (under qemu-user for an
/// emulated arch, set up first) and `env` as the OS wants it.
fn process(binary: &Path, arch: Arch, env: &[(String, String)]) -> Result<(u64, Vec<OsString>, Env), String> {
    let size = std::fs::metadata(binary).map_err(|e| format!("{}: {e}", binary.display()))?.len();
    setup::setup(&[arch])?;
    let mut argv: Vec<OsString> = Vec::new();
    if arch.emulated() {
        argv.push(setup::qemu().ok_or("no qemu-aarch64 on PATH")?.into());
    }
    argv.push(binary.into());
    let env = env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    Ok((size, argv, env))
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
    fn env_files_come_first_then_pairs() {
        let dir = std::env::temp_dir().join(format!("cargo-bootstrap-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("fn.env");
        std::fs::write(&file, "A=from file\nB=2\n").unwrap();
        let env = environment(&[&file], &["A=from flag".into(), "C=x=y".into()]).unwrap();
        assert_eq!(env, [pair("A", "from file"), pair("B", "2"), pair("A", "from flag"), pair("C", "x=y")]);
        assert!(environment(&[&file], &["NOEQUALS".into()]).is_err());
        assert!(environment(&[dir.join("missing")], &[]).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
