//! `cargo xtask user-cli`: `cargo bootstrap` as a user meets it. Installs the CLI into a
//! temporary root (`cargo install --path cli --locked`, its build kept in
//! `target/cli-install`), then, from a crate made in a temporary directory outside the
//! repository, runs `new`, `cargo test`, `build` for both arches, `invoke` with `--env`,
//! `package` twice (the same SHA-256), `size --budget` once passing and once failing (with
//! `--baseline`), and `bench --quick` against the `reference` example (a plain std echo).
//!
//! Only the crate's dependency line points at this checkout (`new --path`): no command runs in
//! the repository or names a file in it, and no cargo variable of this process is passed on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{Arch, builds, root, run};

const USAGE: &str = "usage: cargo xtask user-cli
  Installs cargo-bootstrap into a temporary root and drives every command on a new crate
  outside the repository (part of `cargo xtask test`).";

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    let tmp = std::env::temp_dir().join(format!("cargo-bootstrap-user-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let result = check(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn check(tmp: &Path) -> Result<(), String> {
    let bin = install(&tmp.join("install"))?;
    let user = User {
        path: std::env::join_paths(
            std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
        )
        .map_err(|e| e.to_string())?,
    };
    for command in ["new", "build", "invoke", "package", "size", "bench"] {
        let help = user.ok(tmp, &["bootstrap", command, "--help"])?;
        expect(help.contains("Usage: cargo bootstrap"), &format!("{command} --help"), &help)?;
    }
    user.ok(tmp, &["bootstrap", "new", "hello-fn", "--path", &root().to_string_lossy()])?;
    let crate_dir = tmp.join("hello-fn");
    user.ok(&crate_dir, &["test", "--quiet"])?;
    for arch in ["x86_64", "arm64"] {
        let path = user.ok(&crate_dir, &["bootstrap", "build", "--arch", arch])?;
        expect(Path::new(path.trim()).is_file(), &format!("build --arch {arch}"), &path)?;
    }
    let answer =
        user.ok(&crate_dir, &["bootstrap", "invoke", "--data", r#"{"name":"Ada"}"#, "--env", "GREETING=hi"])?;
    expect(answer.contains(r#"{"greeting":"hi Ada ("#), "invoke --env GREETING=hi", &answer)?;
    let first = user.ok(&crate_dir, &["bootstrap", "package"])?;
    let second = user.ok(&crate_dir, &["bootstrap", "package"])?;
    expect(first.lines().count() == 2 && first.contains("sha256:"), "package: one line per arch", &first)?;
    expect(first == second, "package twice: the same zips", &format!("{first}{second}"))?;
    let json = user.ok(&crate_dir, &["bootstrap", "size", "--budget", "1MiB", "--json"])?;
    std::fs::write(tmp.join("size.json"), &json).map_err(|e| e.to_string())?;
    let text = user.ok(&crate_dir, &["bootstrap", "size", "--budget", "1MiB"])?;
    print!("{text}");
    let over =
        user.output(&crate_dir, &["bootstrap", "size", "--budget", "100KiB", "--baseline", "../size.json"])?;
    let stderr = String::from_utf8_lossy(&over.stderr);
    expect(over.status.code() == Some(1), "size over budget exits 1", &stderr)?;
    expect(
        stderr.lines().last().unwrap_or("").contains("over budget: hello-fn is"),
        "size: the reason",
        &stderr,
    )?;
    expect(String::from_utf8_lossy(&over.stdout).contains("since the baseline"), "size --baseline", "")?;
    let reference = reference()?;
    let bench = user.ok(
        &crate_dir,
        &["bootstrap", "bench", "--quick", "--out", "../bench", &reference.to_string_lossy()],
    )?;
    print!("{bench}");
    let svg = std::fs::read_to_string(tmp.join("bench/bench.svg")).map_err(|e| format!("bench.svg: {e}"))?;
    expect(svg.matches("<title>").count() == 10, "bench.svg: 5 figures × 2 programs", &svg)?;
    expect(
        bench.matches("| echo (lambda-bootstrap) |").count() == 3,
        "bench: our echo listed and in both tables",
        &bench,
    )
}

/// `cargo install --path cli --root DIR --locked`, optimised for speed rather than size and
/// without LTO (the measuring emulator runs inside it; the build stays quick); returns `DIR/bin`.
fn install(dir: &Path) -> Result<PathBuf, String> {
    let mut cmd = super::cargo();
    cmd.args(["install", "--quiet", "--locked", "--path", "cli", "--root"]).arg(dir);
    cmd.arg("--target-dir").arg(root().join("target/cli-install"));
    for (key, value) in [("OPT_LEVEL", "3"), ("LTO", "false"), ("CODEGEN_UNITS", "16"), ("STRIP", "false")] {
        cmd.env(format!("CARGO_PROFILE_RELEASE_{key}"), value);
    }
    run(&mut cmd)?;
    Ok(dir.join("bin"))
}

/// The `reference` example (a plain std `TcpStream` echo), the second bootstrap of the bench.
fn reference() -> Result<PathBuf, String> {
    let mut cmd = builds::workspace(&root(), Arch::X86_64);
    cmd.args(["--example", "reference"]);
    cargo_bootstrap::cargo::executable(&mut cmd)
}

/// A user's shell: their PATH with the installed CLI first, none of xtask's cargo variables.
struct User {
    path: std::ffi::OsString,
}

impl User {
    fn output(&self, dir: &Path, args: &[&str]) -> Result<Output, String> {
        let mut cmd = Command::new("cargo");
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if (key.starts_with("CARGO") && key != "CARGO_HOME") || key.starts_with("RUSTUP_TOOLCHAIN") {
                cmd.env_remove(&*key);
            }
        }
        cmd.args(args).current_dir(dir).env("PATH", &self.path);
        eprintln!("user-cli: (in {}) cargo {}", dir.display(), args.join(" "));
        cmd.output().map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))
    }

    /// Runs and returns stdout; a failure is an error with stderr.
    fn ok(&self, dir: &Path, args: &[&str]) -> Result<String, String> {
        let out = self.output(dir, args)?;
        if !out.status.success() {
            return Err(format!(
                "cargo {} failed ({}):\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn expect(holds: bool, what: &str, output: &str) -> Result<(), String> {
    if holds { Ok(()) } else { Err(format!("{what}: not as expected:\n{output}")) }
}
