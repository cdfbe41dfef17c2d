//! `cargo xtask build | invoke | size` as a user runs them on a crate of their own: a real crate
//! in a scratch directory outside the workspace (a path dependency on this checkout), real
//! builds, and what came out.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the checkout").to_path_buf()
}

/// A fresh, empty directory for one test (per process, so concurrent runs do not meet).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The raw echo of the brief, as a user would write it.
const ECHO: &str = "fn main() {
    lambda_bootstrap::run(|e: &[u8], _: &lambda_bootstrap::Context| -> Result<Vec<u8>, lambda_bootstrap::Error> {
        Ok(e.to_vec())
    })
}
";

/// A user's crate `name` in `dir` with `main_rs`, depending on this checkout by path, with the
/// checkout's `Cargo.lock` (the same dependency versions, no index update).
fn user_crate(dir: &Path, name: &str, main_rs: &str) -> PathBuf {
    let manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
         lambda-bootstrap = {{ path = {:?} }}\n\n[workspace]\n",
        checkout().display().to_string()
    );
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    std::fs::copy(checkout().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir.join("Cargo.toml")
}

fn xtask(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(args).current_dir(cwd).envs(env.iter().copied());
    cmd.output().expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeded(output: &Output) -> String {
    assert!(output.status.success(), "xtask failed:\n{}\n{}", text(&output.stdout), text(&output.stderr));
    text(&output.stdout)
}

fn failed(output: &Output) -> String {
    assert!(!output.status.success(), "xtask should have failed:\n{}", text(&output.stdout));
    text(&output.stderr)
}

/// `readelf` on `binary` with `flag` (`-S` sections, `-l` program headers).
fn readelf(flag: &str, binary: &Path) -> String {
    let output =
        Command::new("readelf").args([flag, "--wide"]).arg(binary).output().expect("readelf (binutils)");
    assert!(output.status.success(), "readelf {flag} {}", binary.display());
    text(&output.stdout)
}

#[test]
fn every_command_answers_help() {
    for command in ["build", "invoke", "package", "size", "bench", "soak", "cargo-lambda"] {
        for flag in ["--help", "-h"] {
            let output = xtask(&[command, flag], &checkout(), &[]);
            let usage = succeeded(&output);
            assert!(usage.starts_with(&format!("usage: cargo xtask {command}")), "{command} {flag}: {usage}");
        }
    }
    let usage = succeeded(&xtask(&["--help"], &checkout(), &[]));
    assert!(usage.starts_with("usage: cargo xtask <setup"), "{usage}");
}

/// Reads its configuration at init, as a real function does, and shows what it saw.
const CONFIGURED: &str = r#"fn main() {
    let setting = |key: &str| std::env::var(key).unwrap_or_else(|_| "-".into());
    let seen = format!(
        "GREETING={} TABLE={} AWS_REGION={} HOME={}",
        setting("GREETING"), setting("TABLE"), setting("AWS_REGION"), setting("HOME")
    );
    lambda_bootstrap::run(move |e: &[u8], _: &lambda_bootstrap::Context| -> Result<Vec<u8>, lambda_bootstrap::Error> {
        Ok(format!("{seen} event={}", String::from_utf8_lossy(e)).into_bytes())
    })
}
"#;

#[test]
fn invoke_gives_the_function_env_and_reads_paths_from_the_callers_directory() {
    let dir = scratch("env");
    user_crate(&dir, "configured", CONFIGURED);
    std::fs::write(dir.join("fn.env"), "# the function's settings\nTABLE=orders\nGREETING=from the file\n")
        .unwrap();
    std::fs::write(dir.join("events.jsonl"), "{\"n\":1}\n{\"n\":2}\n").unwrap();
    // Every path relative, run from the crate's directory (as from a shell there).
    let args = [
        "invoke",
        "--manifest-path",
        "Cargo.toml",
        "--data-file",
        "events.jsonl",
        "--env-file",
        "fn.env",
        "--env",
        "GREETING=hello world",
    ];
    let stdout = succeeded(&xtask(&args, &dir, &[("HOME", "/home/caller")]));
    let seen = "GREETING=hello world TABLE=orders AWS_REGION=us-east-1 HOME=-";
    assert_eq!(stdout, format!("{seen} event={{\"n\":1}}\n{seen} event={{\"n\":2}}\n"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn size_asks_which_binary_of_several() {
    let dir = scratch("bins");
    user_crate(&dir, "first", ECHO);
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(dir.join("src/bin/second.rs"), "fn main() {}\n").unwrap();
    let stderr = failed(&xtask(&["size", "--manifest-path", "Cargo.toml"], &dir, &[]));
    assert!(stderr.contains("2 binaries (first, second): choose one with --bin NAME"), "{stderr}");
    let args = ["size", "--manifest-path", "Cargo.toml", "--bin", "second", "--budget", "1MiB"];
    let stdout = succeeded(&xtask(&args, &dir, &[]));
    let second = dir.join("target/x86_64-unknown-linux-musl/release/second");
    assert!(stdout.starts_with(&format!("{} (x86_64-unknown-linux-musl): ", second.display())), "{stdout}");
    assert!(stdout.contains("within budget"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn user_crates_are_built_in_the_size_profile() {
    let dir = scratch("profile");
    let manifest = user_crate(&dir, "echo_fn", ECHO);
    let output = xtask(&["build", "--manifest-path", manifest.to_str().unwrap()], &checkout(), &[]);
    let binary = PathBuf::from(succeeded(&output).trim());
    let told = text(&output.stderr);
    for applied in [
        "opt-level=\"z\"",
        "lto=true",
        "panic=\"abort\"",
        "strip=true",
        "linker rust-lld",
        "relocation-model=static",
    ] {
        assert!(told.contains(applied), "stderr does not say {applied}: {told}");
    }
    let ours = std::fs::read(&binary).unwrap();
    assert!(!readelf("-S", &binary).contains(".symtab"), "stripped");
    let headers = readelf("-l", &binary);
    assert!(headers.contains("Elf file type is EXEC"), "static, non-PIE: {headers}");
    assert!(!headers.contains("INTERP"), "no interpreter: {headers}");

    // The same crate under the user's own release profile, as plain cargo builds it.
    let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
    let plain = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--target", "x86_64-unknown-linux-musl"])
        .current_dir(&dir)
        .output()
        .expect("cargo runs");
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let plain_binary = dir.join("target/x86_64-unknown-linux-musl/release/echo_fn");
    let plain_size = std::fs::metadata(&plain_binary).unwrap().len();
    assert!(
        (ours.len() as u64) < plain_size,
        "size profile {} bytes, plain release {plain_size} bytes",
        ours.len()
    );
    assert!(readelf("-S", &plain_binary).contains(".symtab"), "the plain build keeps its symbols");
    let _ = std::fs::remove_dir_all(dir);
}

/// A cargo home at `dir` that is the real one under another name: its registry (and config) are
/// symlinks, so nothing is downloaded.
fn cargo_home_at(dir: &Path) {
    let real = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    std::fs::create_dir_all(dir).unwrap();
    for entry in ["registry", "git", "config.toml", "config"] {
        if real.join(entry).exists() {
            std::os::unix::fs::symlink(real.join(entry), dir.join(entry)).unwrap();
        }
    }
}

#[test]
fn builds_do_not_depend_on_where_the_cargo_home_is() {
    let dir = scratch("homes");
    let manifest = user_crate(&dir.join("function"), "echo_fn", ECHO);
    let mut built = Vec::new();
    for home in ["a", "a-much-longer-cargo-home"] {
        let home = dir.join(home);
        cargo_home_at(&home);
        let args = ["build", "--manifest-path", manifest.to_str().unwrap()];
        let output = xtask(&args, &checkout(), &[("CARGO_HOME", home.to_str().unwrap())]);
        let binary = PathBuf::from(succeeded(&output).trim());
        let bytes = std::fs::read(&binary).unwrap();
        let registry = home.join("registry").display().to_string();
        assert!(
            !bytes.windows(registry.len()).any(|w| w == registry.as_bytes()),
            "{registry} is in the binary"
        );
        built.push(bytes);
    }
    assert!(built[0] == built[1], "the same crate built under two cargo homes differs");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn invoke_prints_every_answer_before_an_abort() {
    let dir = scratch("abort");
    let three = "{\"a\":1}\n{\"b\":2}\n{\"panic\":true}\n";
    std::fs::write(dir.join("events.jsonl"), three).unwrap();
    std::fs::write(dir.join("more.jsonl"), format!("{three}{{\"c\":3}}\n")).unwrap();
    for (file, ended) in [("events.jsonl", "after its answer"), ("more.jsonl", "without answering")] {
        let output = xtask(&["invoke", "--example", "panic", "--data-file", file], &dir, &[]);
        let stderr = failed(&output);
        let stdout = text(&output.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[..2], ["{\"a\":1}", "{\"b\":2}"], "{file}: {stdout}");
        assert!(
            lines[2].starts_with("error (Panic): {\"errorMessage\":\"the handler gave up"),
            "{file}: {stdout}"
        );
        assert_eq!(lines.len(), 3, "{file}: {stdout}");
        let last = stderr.lines().last().unwrap_or_default();
        assert!(last.contains("SIGABRT") && last.contains(ended), "{file}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `invoke --example stream` prints each chunk as it arrives: the handler waits, after chunk k,
/// for a file that this test creates only once it has read chunk k from invoke's stdout (a
/// chunk held back anywhere would stall it until the example gives up, failing the run). Then a
/// failure mid-stream is printed with its error type and the decoded error document.
#[test]
fn invoke_prints_a_stream_as_it_arrives_then_how_it_ended() {
    use std::io::Read;
    let dir = scratch("stream");
    let gate = dir.join("gate");
    std::fs::create_dir_all(&gate).unwrap();
    let event = format!(r#"{{"chunks":3,"bytes":5,"gate":{:?}}}"#, gate.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["invoke", "--example", "stream", "--data", &event])
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xtask runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for k in 0..3u8 {
        let chunk = vec![b'a' + k; 5];
        let mut byte = [0u8; 1];
        while !seen.ends_with(&chunk) {
            assert_eq!(stdout.read(&mut byte).unwrap(), 1, "stdout ended before chunk {k}: {}", text(&seen));
            seen.push(byte[0]);
        }
        std::fs::write(gate.join(k.to_string()), b"").unwrap();
    }
    stdout.read_to_end(&mut seen).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&seen), "aaaaabbbbbccccc\n");
    assert!(text(&output.stderr).contains("the stream ended: 15 bytes"), "{}", text(&output.stderr));

    let output =
        xtask(&["invoke", "--example", "stream", "--data", r#"{"fail_after":2,"bytes":3}"#], &dir, &[]);
    failed(&output);
    assert_eq!(
        text(&output.stdout),
        "aaabbb\nerror (Stream.Failed) mid-stream, after 6 bytes: \
         {\"errorMessage\":\"failed after 2 chunks\",\"errorType\":\"Stream.Failed\",\"stackTrace\":[]}\n"
    );
    let _ = std::fs::remove_dir_all(dir);
}
