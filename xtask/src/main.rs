//! `cargo xtask <command>`: the project's own tooling. Every command installs what it needs first
//! (rustup targets, qemu-user for arm64), so a fresh machine needs no other step.
//!
//! - `setup`: rustup targets, rustfmt/clippy, qemu-aarch64-static.
//! - `build [--arch x86_64|arm64] [--example NAME | --bin NAME | --manifest-path PATH]`: a
//!   static, stripped musl `bootstrap` (see `invoke.rs`; how it is built: `builds.rs`).
//! - `invoke [--arch ..] [--example NAME | --bin NAME | --manifest-path PATH] [--data JSON |
//!   --data-file FILE] [--env KEY=VALUE]... [--env-file FILE]`: build it, run it on the embedded
//!   Runtime API emulator, print each response (a file with one JSON document per line gives
//!   several events: warm invocations).
//! - `package`: a deterministic `bootstrap.zip` per arch (see `package.rs`).
//! - `size [--check]`: the size report and its budgets (see `size.rs`).
//! - `bench [--quick]`: start-up and latency against the async baseline (see `bench.rs`).
//! - `soak [--quick]`: one echo process through many invocations (see `soak.rs`).
//! - `cargo-lambda`: a user's crate through cargo-lambda (see `cargo_lambda.rs`).
//! - `migration [--check]`: `serde_http` beside the same function on `lambda_runtime` (see
//!   `migration.rs`).
//! - `user-cli`: `cargo bootstrap` installed and used on a crate outside the repository (see
//!   `user_cli.rs`).
//! - `test`: formatting, clippy, docs, the whole test suite (both arches, both transports), the
//!   size budgets and the deployment templates.
//!
//! The logic users need too (builds, invoke, package, size and bench measurement) is the
//! `cargo-bootstrap` crate's library (`cli/`); these commands add what only this repository
//! needs (its examples, size-report.md, the budgets of every feature row, soak, fuzz, the suite).

mod bench;
mod bench_alloc;
mod bench_concurrency;
mod bench_ext;
mod cargo_lambda;
mod invoke;
mod migration;
mod package;
mod size;
mod soak;
mod user_cli;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

pub use cargo_bootstrap::setup::{ZIGLANG, add_targets, pip_install, setup};
pub use cargo_bootstrap::{Arch, builds, on_path, output, parse_arch, run};

const USAGE: &str = "usage: cargo xtask <setup | build | invoke | package | size | bench | soak | cargo-lambda | test> [options]
  build   [--arch x86_64|arm64] [--example NAME | --bin NAME | --manifest-path PATH]
                                                      static musl bootstrap (default: hello)
  invoke  [--arch x86_64|arm64] [--example NAME | --bin NAME | --manifest-path PATH]
          [--data JSON | --data-file FILE (one JSON per line: several events)]
          [--env KEY=VALUE]... [--env-file FILE]
                                                      run it on the local Runtime API emulator
  package [--arch x86_64|arm64|both] [--example NAME | --bin NAME | --manifest-path PATH]
                                                      reproducible target/lambda/<name>/<arch>/bootstrap.zip
  size    [--check] | [--manifest-path PATH] [--bin NAME] [--arch A] [--budget 450KiB]
                                                      size-report.md and its budgets
  bench   [--quick] [--unpin] [--alloc]               start-up and latency against lambda_runtime (tokio)
  soak    [--invocations N | --quick]                 one process, many invocations: nothing lost, RSS flat
  cargo-lambda                                        a user's crate built, packaged and invoked with cargo-lambda
  migration [--check]                                 serde_http beside lambda_runtime: sizes, start-up, diff (docs/migrating-from-lambda-runtime.md)
  user-cli                                            cargo bootstrap installed and run on a new crate outside the repository
  test                                                fmt, clippy, docs, every test, sizes, bench, soak, fuzz, deploy
`cargo xtask <command> --help` tells more.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(&[Arch::X86_64, Arch::Arm64]),
        Some("build") => invoke::build_main(&args[1..]),
        Some("invoke") => invoke::main(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench::main(&args[1..]),
        Some("package") => package::main(&args[1..]),
        Some("size") => size::main(&args[1..]),
        Some("soak") => soak::main(&args[1..]),
        Some("migration") => migration::main(&args[1..]),
        Some("cargo-lambda") => cargo_lambda::main(&args[1..]),
        Some("user-cli") => user_cli::main(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
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

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// A path the user gave, made absolute against the directory `cargo xtask` was run in (cargo
/// runs its alias there), since xtask's own cargo commands run from the checkout; without `..`
/// when it exists (it is a prefix to remap, see `builds.rs`).
fn user_path(path: &str) -> Result<PathBuf, String> {
    cargo_bootstrap::user_path(Path::new(path))
}

/// The target directory of the comparison programs outside the workspace (`bench/*`) for `arch`,
/// shared by the size report and the benchmark.
fn baselines_dir(arch: Arch) -> PathBuf {
    root().join("target/baselines").join(arch.name())
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// With `-h` or `--help` among `args`, prints `usage` and says so.
fn help_asked(args: &[String], usage: &str) -> bool {
    let asked = args.iter().any(|a| a == "-h" || a == "--help");
    if asked {
        println!("{usage}");
    }
    asked
}

/// Points cargo's C builds (mimalloc) for `arch` at `zig cc` from PyPI's `ziglang` (see
/// `cargo_bootstrap::setup`), its wrapper scripts in `target/zig-cc`.
fn c_compiler_env(cmd: &mut Command, arch: Arch) -> Result<(), String> {
    cargo_bootstrap::setup::c_compiler_env(cmd, arch, &root().join("target/zig-cc"))
}

/// Replaces the section of `size-report.md` that starts with `heading` (up to the next `## `
/// heading) by `section`, or appends it; the other commands' sections stay as they are.
fn write_section(heading: &str, section: &str) -> Result<(), String> {
    let path = root().join("size-report.md");
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "# Size report\n".to_string(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    std::fs::write(&path, replace_section(&existing, heading, section))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn replace_section(existing: &str, heading: &str, section: &str) -> String {
    let section = format!("{}\n", section.trim_end());
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == heading) else {
        let before = existing.trim_end();
        return if before.is_empty() { section } else { format!("{before}\n\n{section}") };
    };
    let end =
        lines[start + 1..].iter().position(|l| l.starts_with("## ")).map_or(lines.len(), |i| start + 1 + i);
    let before: String = lines[..start].concat();
    let after: String = lines[end..].concat();
    if after.is_empty() { format!("{before}{section}") } else { format!("{before}{section}\n{after}") }
}

/// Runs `cargo xtask <subcommand> <args>` again from an optimised build of xtask (opt-level 3,
/// no LTO, unwinding panics; its own target directory, so the usual debug build stays). `bench`
/// and `soak` measure with the emulator inside xtask, which must not be the debug build.
fn optimised(subcommand: &str, args: &[String]) -> Result<(), String> {
    let target_dir = root().join("target/xtask-optimised");
    eprintln!("{subcommand}: building an optimised xtask in {}", target_dir.display());
    let mut cmd = cargo();
    cmd.args(["build", "--quiet", "--release", "--package", "xtask", "--target-dir"]).arg(&target_dir);
    for (key, value) in [("OPT_LEVEL", "3"), ("LTO", "false"), ("CODEGEN_UNITS", "16"), ("PANIC", "unwind")] {
        cmd.env(format!("CARGO_PROFILE_RELEASE_{key}"), value);
    }
    run(cmd.env("CARGO_PROFILE_RELEASE_STRIP", "false"))?;
    run(Command::new(target_dir.join("release/xtask")).arg(subcommand).args(args))
}

fn rustc_version() -> String {
    output("rustc", &["--version"]).trim().to_string()
}

/// Feature combinations CI checks with clippy (each must compile and lint clean on its own).
const FEATURE_SETS: &[&[&str]] = &[
    &[],
    &["--no-default-features"],
    &["--no-default-features", "--features", "std"],
    &["--no-default-features", "--features", "json"],
    &["--features", "ureq"],
    &["--features", "mimalloc"],
    &["--no-default-features", "--features", "serde"],
    &["--features", "stream"],
    &["--no-default-features", "--features", "stream"],
    &["--features", "stream,ureq"],
    &["--features", "concurrency"],
    &["--no-default-features", "--features", "concurrency"],
    &["--features", "log"],
    &["--features", "tracing"],
    &["--features", "shutdown"],
    &["--features", "shutdown,ureq"],
    &["--features", "extension"],
    &["--features", "extension,ureq"],
    &["--all-features"],
];

/// The whole suite: formatting, clippy with warnings denied over the feature space, docs, every
/// test on both arches, and the integration tests again over the ureq transport.
fn test() -> Result<(), String> {
    // Each step's time on stderr, so the CI budget (30 minutes on 2 cores) can be watched.
    let started = std::time::Instant::now();
    let mut last = started;
    let mut lap = |step: &str| {
        let (took, total) = (last.elapsed().as_secs(), started.elapsed().as_secs());
        eprintln!("== xtask test: {step}: {took} s (total {total} s)");
        last = std::time::Instant::now();
    };
    setup(&[Arch::X86_64, Arch::Arm64])?;
    lap("setup");
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
    lap("fmt, clippy");
    run(cargo()
        .args(["doc", "--quiet", "--no-deps", "-p", "lambda-bootstrap", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    lap("doc");
    run(cargo().args(["test", "--workspace"]))?;
    // What only builds with features `log` and `concurrency`: their unit tests, the in-process
    // request ids.
    let feature_tests =
        ["--lib", "--test", "log", "--", "logger::", "concurrency::", "each_log_their_own_request_id"];
    let features = ["--features", "log,concurrency"];
    run(cargo().args(["test", "-p", "lambda-bootstrap"]).args(features).args(feature_tests))?;
    lap("test --workspace");
    let integration = ["--test", "runtime", "--test", "faults", "--test", "aarch64"];
    run(cargo().args(["test", "-p", "lambda-bootstrap"]).args(integration).env("LB_FEATURES", "ureq"))?;
    lap("tests over ureq");
    // The allocator changes nothing the tests see; run the behaviour suite once on mimalloc.
    let mut mimalloc = cargo();
    mimalloc.args(["test", "-p", "lambda-bootstrap", "--test", "runtime", "--test", "aarch64"]);
    c_compiler_env(&mut mimalloc, Arch::X86_64)?;
    c_compiler_env(&mut mimalloc, Arch::Arm64)?;
    run(mimalloc.env("LB_FEATURES", "mimalloc"))?;
    lap("tests over mimalloc");
    publishable()?;
    lap("publishable");
    run(cargo().args(["xtask", "size", "--check"]))?;
    lap("size --check");
    // The migration guide's figures and diff (its builds are the size rows just built); it times
    // nothing: the start-up cells are rendered again from the record the last write left.
    run(cargo().args(["xtask", "migration", "--check"]))?;
    lap("migration --check");
    // A few runs only, so the benchmark cannot rot; it writes nothing (no timing gates CI).
    run(cargo().args(["xtask", "bench", "--quick"]))?;
    run(cargo().args(["xtask", "bench", "--alloc", "--quick"]))?;
    run(cargo().args(["xtask", "bench", "--concurrency", "--quick"]))?;
    lap("bench --quick");
    // 20,000 mixed-size invocations through one process: nothing lost, peak RSS flat.
    run(cargo().args(["xtask", "soak", "--quick"]))?;
    lap("soak --quick");
    // Every network parser under libFuzzer for a short while (nightly; installs cargo-fuzz).
    run(Command::new("bash").arg(root().join("fuzz/run.sh")).arg("10"))?;
    lap("fuzz");
    // A user's crate built with cargo-lambda (glibc), packaged by xtask, invoked under its watch.
    run(cargo().args(["xtask", "cargo-lambda"]))?;
    lap("cargo-lambda");
    // `cargo bootstrap` installed, and every command run on a new crate outside the repository.
    run(cargo().args(["xtask", "user-cli"]))?;
    lap("user-cli");
    // cfn-lint on deploy/*.yaml (installed from PyPI if missing) and SAM's make targets.
    run(Command::new("bash").arg(root().join("deploy/check.sh")))?;
    lap("deploy");
    Ok(())
}

/// Cargo unpacks the packages it verifies together into `$CARGO_HOME/registry/src/<overlay>/`
/// and never unpacks a name and version again once there (nor rebuilds what it built from them):
/// on a machine that kept its cargo home from an earlier run, the verify step compiled last run's
/// sources (seen in CI: the CLI built against an emulator without the functions it calls).
/// Remove our own packages from there; the caller verifies in a target directory of its own.
fn forget_unpacked(names: &[&str]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let Ok(sources) = std::fs::read_dir(home.join("registry/src")) else { return Ok(()) };
    for source in sources.flatten() {
        let Ok(unpacked) = std::fs::read_dir(source.path()) else { continue };
        for dir in unpacked.flatten() {
            let file_name = dir.file_name();
            let name = file_name.to_string_lossy();
            let version = |n: &&str| name.strip_prefix(n).and_then(|v| v.strip_prefix('-'));
            let ours = names.iter().filter_map(version).any(|v| v.starts_with(|c: char| c.is_ascii_digit()));
            if ours {
                std::fs::remove_dir_all(dir.path()).map_err(|e| format!("{}: {e}", dir.path().display()))?;
            }
        }
    }
    Ok(())
}

/// `cargo package` builds the library from its packaged sources (no path dependencies, the
/// files it lists), and the documentation examples pass there too, outside this workspace; the
/// CLI and the emulator package as they are.
fn publishable() -> Result<(), String> {
    run(cargo().args(["package", "--quiet", "-p", "lambda-bootstrap", "--allow-dirty"]))?;
    // The installable tools and the emulator they embed, verified together (cargo resolves the
    // emulator's version from the package it just made).
    forget_unpacked(&["lambda-emulator", "cargo-bootstrap"])?;
    let verify = root().join("target/package-verify");
    let _ = std::fs::remove_dir_all(&verify);
    let tools = ["package", "--quiet", "-p", "lambda-emulator", "-p", "cargo-bootstrap", "--allow-dirty"];
    run(cargo().args(tools).arg("--target-dir").arg(&verify))?;
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = "))
        .map(|v| v.trim_matches('"'))
        .ok_or("no version in Cargo.toml")?;
    let packaged = root().join(format!("target/package/lambda-bootstrap-{version}"));
    let outside = std::env::temp_dir().join(format!("lambda-bootstrap-packaged-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outside);
    run(Command::new("cp").arg("-r").arg(&packaged).arg(&outside))?;
    let doc_tests = run(cargo()
        .args(["test", "--quiet", "--doc", "--target-dir"])
        .arg(root().join("target/packaged"))
        .current_dir(&outside));
    let _ = std::fs::remove_dir_all(&outside);
    doc_tests
}

#[cfg(test)]
mod tests {
    use super::{Arch, replace_section, root};
    use cargo_bootstrap::builds::{LINKER, RUSTFLAGS, SIZE_PROFILE, toml_string};

    /// The lines of `text` from `[header]` to the next table, without blanks and comments.
    fn table<'a>(text: &'a str, header: &str) -> Vec<&'a str> {
        let mut lines = text.lines().map(str::trim).skip_while(|l| *l != header).skip(1);
        let mut out = Vec::new();
        for line in lines.by_ref().take_while(|l| !l.starts_with('[')) {
            if !line.is_empty() && !line.starts_with('#') {
                out.push(line);
            }
        }
        out
    }

    /// What `cargo bootstrap` gives a user's crate is what this workspace's files say.
    #[test]
    fn the_size_profile_is_the_workspace_release_profile() {
        let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
        let written: Vec<String> = SIZE_PROFILE.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        assert_eq!(table(&manifest, "[profile.release]"), written);
    }

    #[test]
    fn the_link_settings_are_the_workspace_config() {
        let config = std::fs::read_to_string(root().join(".cargo/config.toml")).unwrap();
        let flags: Vec<String> = RUSTFLAGS.iter().map(|f| toml_string(f)).collect();
        for arch in Arch::BOTH {
            assert_eq!(
                table(&config, &format!("[target.{}]", arch.triple())),
                [format!("linker = {}", toml_string(LINKER)), format!("rustflags = [{}]", flags.join(", "))],
                "{}",
                arch.triple()
            );
        }
    }

    const HEADING: &str = "## Start-up and latency";

    #[test]
    fn a_section_is_appended_to_a_missing_or_other_file() {
        let section = format!("{HEADING}\n\nnew\n");
        assert_eq!(replace_section("", HEADING, &section), section);
        assert_eq!(
            replace_section("# Sizes\n\n## Budgets\n\nx\n", HEADING, &section),
            format!("# Sizes\n\n## Budgets\n\nx\n\n{section}")
        );
    }

    #[test]
    fn only_the_section_is_replaced() {
        let section = format!("{HEADING}\n\nnew\n");
        let old =
            format!("# Sizes\n\n## Budgets\n\na\n\n{HEADING}\n\nold\n### sub\nold\n\n## Features\n\nb\n");
        assert_eq!(
            replace_section(&old, HEADING, &section),
            format!("# Sizes\n\n## Budgets\n\na\n\n{HEADING}\n\nnew\n\n## Features\n\nb\n")
        );
        let last = format!("## Budgets\n\na\n\n{HEADING}\n\nold\n");
        assert_eq!(
            replace_section(&last, HEADING, &section),
            format!("## Budgets\n\na\n\n{HEADING}\n\nnew\n")
        );
    }
}
