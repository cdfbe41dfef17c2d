//! `cargo xtask cargo-lambda`: this crate under cargo-lambda, as a user would use it.
//!
//! A crate of the user's in `target/cargo-lambda/echo-fn` (a path dependency on this checkout,
//! a raw echo) is built with `cargo lambda build --release` (glibc by default, x86_64, linked by
//! zig); `cargo xtask package --binary` must accept that bootstrap as a glibc executable that
//! `provided.al2023` runs. Then `cargo lambda watch` serves the crate and `cargo lambda invoke`
//! must answer with the echoed event. cargo-lambda (PyPI `cargo-lambda`, a prebuilt binary) and
//! its zig (PyPI `ziglang`) are installed at pinned versions first. `docs/cargo-lambda.md` says
//! what works and what does not.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Arch, root, run};

const USAGE: &str = "usage: cargo xtask cargo-lambda
  Installs cargo-lambda (PyPI, pinned), builds a user's echo crate with `cargo lambda build
  --release`, checks `cargo xtask package --binary` accepts it, and invokes it under
  `cargo lambda watch`.";

/// The exact cargo-lambda (PyPI `cargo-lambda`) this check and `docs/cargo-lambda.md` are about.
pub const CARGO_LAMBDA: &str = "1.9.2";

/// How long the first invoke may take: `watch` compiles the crate's dev build first.
const FIRST_INVOKE: Duration = Duration::from_secs(600);
/// How long `watch` may take to listen.
const WATCH_START: Duration = Duration::from_secs(60);

const NAME: &str = "echo-fn";
const EVENT: &str = r#"{"hello":"cargo-lambda"}"#;

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    if let Some(other) = args.first() {
        return Err(format!("unknown option {other:?}\n{USAGE}"));
    }
    super::pip_install("cargo-lambda", CARGO_LAMBDA)?;
    super::pip_install("ziglang", super::ZIGLANG)?;
    let dir = root().join("target/cargo-lambda");
    let project = dir.join(NAME);
    user_crate(&project)?;

    eprintln!("cargo-lambda: cargo lambda build --release in {}", project.display());
    run(cargo_lambda(&project).args(["build", "--release"]))?;
    let bootstrap = project.join("target/lambda").join(NAME).join("bootstrap");
    let out = dir.join("package");
    let packaged = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["package", "--arch", Arch::X86_64.name(), "--binary"])
        .arg(&bootstrap)
        .arg("--out")
        .arg(&out)
        .output()
        .map_err(|e| format!("cannot run xtask package: {e}"))?;
    let note = String::from_utf8_lossy(&packaged.stderr);
    if !packaged.status.success() || !note.contains("dynamically linked against glibc") {
        return Err(format!("xtask package did not accept cargo-lambda's glibc bootstrap: {note}"));
    }
    eprint!("cargo-lambda: {note}");

    let port = free_port()?;
    eprintln!("cargo-lambda: cargo lambda watch on 127.0.0.1:{port}, then cargo lambda invoke");
    let log = std::fs::File::create(dir.join("watch.log")).map_err(|e| e.to_string())?;
    let mut watch = cargo_lambda(&project);
    watch.args(["watch", "--ignore-changes", "--invoke-address", "127.0.0.1", "--invoke-port", &port]);
    let mut watch = Group::spawn(watch.stdout(log.try_clone().map_err(|e| e.to_string())?).stderr(log))?;
    watch.wait_listening(&port)?;
    let mut invoke = cargo_lambda(&project);
    invoke.args([
        "invoke",
        NAME,
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        &port,
        "--data-ascii",
        EVENT,
    ]);
    let answer = output_within(invoke, FIRST_INVOKE);
    drop(watch);
    let answer = answer?;
    if answer.trim() != EVENT {
        return Err(format!("cargo lambda invoke answered {answer:?}, not the event {EVENT}"));
    }
    println!("cargo-lambda: built, packaged and invoked with cargo-lambda {CARGO_LAMBDA}: ok");
    Ok(())
}

/// `cargo lambda …` in `project`.
fn cargo_lambda(project: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("lambda").current_dir(project);
    cmd
}

/// The user's crate: a raw echo with this checkout as a path dependency and its `Cargo.lock`
/// (the same dependency versions). Its `target/` is kept between runs.
fn user_crate(project: &Path) -> Result<(), String> {
    let manifest = format!(
        "[package]\nname = \"{NAME}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
         lambda-bootstrap = {{ path = {:?} }}\n\n[workspace]\n",
        root().display().to_string()
    );
    let main = "fn main() {
    lambda_bootstrap::run(|e: &[u8], _: &lambda_bootstrap::Context| -> Result<Vec<u8>, lambda_bootstrap::Error> {
        Ok(e.to_vec())
    })
}
";
    let write = |path: PathBuf, text: &str| {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(project.join("src")).map_err(|e| e.to_string())?;
    write(project.join("Cargo.toml"), &manifest)?;
    write(project.join("src/main.rs"), main)?;
    std::fs::copy(root().join("Cargo.lock"), project.join("Cargo.lock")).map_err(|e| e.to_string())?;
    Ok(())
}

/// A loopback port nobody listens on now.
fn free_port() -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port().to_string())
}

/// The stdout of `cmd`, which must succeed within `limit` (it is killed otherwise).
fn output_within(mut cmd: Command, limit: Duration) -> Result<String, String> {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut out = String::new();
            if let Some(mut stdout) = child.stdout.take() {
                std::io::Read::read_to_string(&mut stdout, &mut out).map_err(|e| e.to_string())?;
            }
            return if status.success() { Ok(out) } else { Err(format!("{cmd:?} failed: {status}")) };
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{cmd:?} did not answer within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A child in a process group of its own (`cargo lambda watch` starts `cargo run`): dropping it
/// ends the whole group. The function (cargo-lambda puts it in a group of its own) exits by
/// itself once its Runtime API is gone.
struct Group(Child);

impl Group {
    fn spawn(cmd: &mut Command) -> Result<Group, String> {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0).spawn().map(Group).map_err(|e| format!("cannot run {cmd:?}: {e}"))
    }

    /// Waits until something listens on the loopback `port`, while the child lives.
    fn wait_listening(&mut self, port: &str) -> Result<(), String> {
        let started = Instant::now();
        while std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Err(format!(
                    "cargo lambda watch exited ({status}): see target/cargo-lambda/watch.log"
                ));
            }
            if started.elapsed() > WATCH_START {
                return Err(format!("cargo lambda watch did not listen on {port} within {WATCH_START:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let Ok(group) = i32::try_from(self.0.id()) else { return };
        // SAFETY: kill(2) with the negated id of the group this child leads; no memory involved.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}
