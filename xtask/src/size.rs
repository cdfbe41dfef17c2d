//! `cargo xtask size`: builds every feature row for both musl targets in the size profile,
//! writes the "Sizes" section of `size-report.md`, and with `--check` fails when a row is over
//! its budget (`size-budgets.txt`) or the checked-in report is stale.
//!
//! Every row is compared with `examples/reference.rs`, a plain std `TcpStream` echo built in the
//! same run: its size moves with the toolchain, so the crate's own cost is the delta.
//!
//! `sqs_batch on lambda_runtime` is the `sqs_batch` example's function on `lambda_runtime` +
//! `aws_lambda_events` (`bench/sqs-baseline`, its own workspace and Cargo.lock), and
//! `serde_http on lambda_runtime` the `serde_http` example's (`bench/serde-baseline`), and
//! `log on lambda_runtime` the `logs` example's with lambda_runtime's tracing subscriber
//! (`bench/log-baseline`): comparison rows, shown with their delta but never budgeted.
//! `extension on lambda-extension` is the `extension` example's external extension on
//! `lambda-extension` (`bench/extension-baseline`).
//!
//! Without `--check`, when a nightly toolchain with `rust-src` and a target's std is installed,
//! the `nostd`, `echo std` and `hello default` rows are built once more with `-Zbuild-std` and
//! `panic = "immediate-abort"` into a `## Nightly sizes` section: for information, never budgeted
//! nor checked (nightly moves daily, and CI may have none).
//!
//! On someone else's function: `cargo xtask size --manifest-path PATH [--bin NAME] [--arch A]
//! --budget 450KiB` builds it the same way and exits non-zero when it is over budget.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_bootstrap::function::Function;
use cargo_bootstrap::size::{file_size, parse_size, zipped_size};

use super::{Arch, root, run};

/// One build in the table.
struct Row {
    name: &'static str,
    example: &'static str,
    /// Cargo feature arguments.
    features: &'static [&'static str],
    /// Needs a C compiler for the target (mimalloc's C code).
    c_code: bool,
    /// A comparison program outside the workspace (its own `Cargo.toml` and `Cargo.lock`):
    /// `example` is then its binary, built with `--locked` into `target/baselines/ARCH`. Such a row
    /// has no budget.
    manifest: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row { name: "reference", example: "reference", features: &[], c_code: false, manifest: None },
    Row {
        name: "nostd",
        example: "nostd",
        features: &["--no-default-features"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "echo std",
        example: "echo",
        features: &["--no-default-features", "--features", "std"],
        c_code: false,
        manifest: None,
    },
    Row { name: "hello default", example: "hello", features: &[], c_code: false, manifest: None },
    Row { name: "sqs_batch", example: "sqs_batch", features: &[], c_code: false, manifest: None },
    Row {
        name: "stream",
        example: "stream",
        features: &["--features", "stream"],
        c_code: false,
        manifest: None,
    },
    Row { name: "log", example: "logs", features: &["--features", "log"], c_code: false, manifest: None },
    Row {
        name: "tracing",
        example: "logs_tracing",
        features: &["--features", "tracing"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "log on lambda_runtime",
        example: "log-baseline",
        features: &[],
        c_code: false,
        manifest: Some("bench/log-baseline/Cargo.toml"),
    },
    Row {
        name: "concurrency",
        example: "sleepy",
        features: &["--features", "concurrency"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "graceful",
        example: "graceful",
        features: &["--no-default-features", "--features", "shutdown"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "extension",
        example: "extension",
        features: &["--no-default-features", "--features", "extension"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "extension on lambda-extension",
        example: "extension-baseline",
        features: &[],
        c_code: false,
        manifest: Some("bench/extension-baseline/Cargo.toml"),
    },
    Row {
        name: "sqs_batch on lambda_runtime",
        example: "sqs-baseline",
        features: &[],
        c_code: false,
        manifest: Some("bench/sqs-baseline/Cargo.toml"),
    },
    Row {
        name: "hello mimalloc",
        example: "hello",
        features: &["--features", "mimalloc"],
        c_code: true,
        manifest: None,
    },
    Row {
        name: "echo ureq",
        example: "echo",
        features: &["--features", "ureq"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "hello ureq,json,mimalloc",
        example: "hello",
        features: &["--features", "ureq,json,mimalloc"],
        c_code: true,
        manifest: None,
    },
    Row {
        name: "serde_http",
        example: "serde_http",
        features: &["--features", "serde"],
        c_code: false,
        manifest: None,
    },
    Row {
        name: "serde_http on lambda_runtime",
        example: "serde-baseline",
        features: &[],
        c_code: false,
        manifest: Some("bench/serde-baseline/Cargo.toml"),
    },
];

const ARCHES: [Arch; 2] = [Arch::X86_64, Arch::Arm64];

/// A budget: a size in bytes, or an allowance over another row of the same arch built in the
/// same run (`reference + 24KiB`, `hello default + 16KiB`).
#[derive(Clone, Debug, PartialEq)]
enum Budget {
    Bytes(u64),
    Over { row: String, extra: u64 },
}

struct Measured {
    row: &'static str,
    /// Held to a budget (comparison programs are not).
    budgeted: bool,
    arch: Arch,
    size: u64,
    zipped: u64,
}

const USAGE: &str = "usage: cargo xtask size [--check]
       cargo xtask size --manifest-path PATH [--bin NAME] [--arch x86_64|arm64] [--budget 450KiB]
  Without --manifest-path: builds every feature row for both arches, writes the \"Sizes\" section
  of size-report.md; --check fails when a row is over its budget (size-budgets.txt) or the report
  is stale. With --manifest-path: builds that crate's binary (--bin when it has several) as
  `cargo xtask build` does, prints its size, and fails when it is over --budget.";

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    let mut check = false;
    let mut user = UserBuild::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--check" => check = true,
            "--manifest-path" => user.manifest = Some(super::user_path(&value()?)?),
            "--bin" => user.bin = Some(value()?),
            "--arch" => user.arch = Some(super::parse_arch(&value()?)?),
            "--budget" => user.budget = Some(parse_size(&value()?)?),
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    if user.manifest.is_some() || user.bin.is_some() {
        return user.run();
    }
    super::setup(&ARCHES)?;
    let measured = measure_all()?;
    let budgets = read_budgets()?;
    let section = report(&measured, &budgets)?;
    print!("{section}");
    let over = over_budget(&measured, &budgets)?;
    let path = root().join("size-report.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if !over.is_empty() {
            return Err(format!("over budget: {}", over.join(", ")));
        }
        if section_of(&current, SECTION).map(str::trim_end) != Some(section.trim_end()) {
            return Err("size-report.md is stale: run `cargo xtask size` and commit it".into());
        }
        return Ok(());
    }
    super::write_section(SECTION, &section)?;
    println!("wrote the \"{SECTION}\" section of {}", path.display());
    match nightly_report(&measured).unwrap_or_else(|e| {
        eprintln!(
            "size: the nightly rows failed to build ({e}); the \"{NIGHTLY_SECTION}\" section is left as it is"
        );
        None
    }) {
        Some(nightly) => {
            print!("{nightly}");
            super::write_section(NIGHTLY_SECTION, &nightly)?;
            println!("wrote the \"{NIGHTLY_SECTION}\" section of {}", path.display());
        }
        None => println!("no nightly rows written: the \"{NIGHTLY_SECTION}\" section is left as it is"),
    }
    if over.is_empty() { Ok(()) } else { Err(format!("over budget: {}", over.join(", "))) }
}

const SECTION: &str = "## Sizes";
const NIGHTLY_SECTION: &str = "## Nightly sizes";
/// The rows built again on nightly.
const NIGHTLY_ROWS: [&str; 3] = ["nostd", "echo std", "hello default"];
/// What the nightly builds add to the size profile: flags, then one `--config` value.
const NIGHTLY_FLAGS: [&str; 2] = ["-Zbuild-std=core,alloc,std,panic_abort", "-Zpanic-immediate-abort"];
const NIGHTLY_CONFIG: &str = "profile.release.panic=\"immediate-abort\"";

/// Every row for both arches: one thread per arch, each with target directories of its own (a
/// size-profile link is one codegen unit on one core: two of them keep both cores busy).
fn measure_all() -> Result<Vec<Measured>, String> {
    let per_arch = |arch: Arch| -> Result<Vec<Measured>, String> {
        let mut out = Vec::new();
        for row in ROWS {
            let binary = build(row, arch)?;
            let size = file_size(&binary)?;
            let budgeted = row.manifest.is_none();
            out.push(Measured { row: row.name, budgeted, arch, size, zipped: zipped_size(&binary)? });
        }
        Ok(out)
    };
    let results: Vec<Result<Vec<Measured>, String>> = std::thread::scope(|scope| {
        let threads: Vec<_> = ARCHES.map(|arch| scope.spawn(move || per_arch(arch))).into();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err("a size thread panicked".into())))
            .collect()
    });
    Ok(results.into_iter().collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
}

/// The target directory of the rows of `arch` (the benchmark builds its examples there too).
pub fn target_dir(arch: Arch) -> PathBuf {
    root().join("target/size").join(arch.name())
}

/// Builds one row in the size profile; returns a copy of the binary under `target/size/`.
fn build(row: &Row, arch: Arch) -> Result<PathBuf, String> {
    if let Some(manifest) = row.manifest {
        return build_outside(row, manifest, arch);
    }
    let target_dir = target_dir(arch);
    let mut cmd = super::builds::workspace(&root(), arch);
    cmd.args(["--quiet", "--example", row.example]);
    cmd.args(row.features).arg("--target-dir").arg(&target_dir);
    if row.c_code {
        super::c_compiler_env(&mut cmd, arch)?;
    }
    run(&mut cmd)?;
    let built = target_dir.join(arch.triple()).join("release/examples").join(row.example);
    let copy = target_dir.join("rows").join(arch.triple()).join(row.name.replace([' ', ','], "-"));
    std::fs::create_dir_all(copy.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    std::fs::copy(&built, &copy).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(copy)
}

/// Builds a comparison program outside the workspace in its own size profile, with its own
/// Cargo.lock; returns a copy of the binary under `target/size/`.
fn build_outside(row: &Row, manifest: &str, arch: Arch) -> Result<PathBuf, String> {
    // One target directory per arch for every comparison program (the benchmark's too): tokio,
    // hyper, serde and lambda_runtime are built once and shared wherever their versions and
    // features agree (CI time).
    let target_dir = super::baselines_dir(arch);
    let mut cmd = super::builds::workspace(&root(), arch);
    cmd.args(["--quiet", "--locked", "--manifest-path"]);
    run(cmd.arg(root().join(manifest)).arg("--target-dir").arg(&target_dir))?;
    let built = target_dir.join(arch.triple()).join("release").join(row.example);
    let copy = root().join("target/size/rows").join(arch.triple()).join(row.name.replace([' ', ','], "-"));
    std::fs::create_dir_all(copy.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    std::fs::copy(&built, &copy).map_err(|e| format!("{}: {e}", built.display()))?;
    Ok(copy)
}

/// Builds the row named `name` for `arch` as the report does: the binary it measures.
pub fn binary(name: &str, arch: Arch) -> Result<PathBuf, String> {
    let row = ROWS.iter().find(|r| r.name == name).ok_or(format!("no size row {name:?}"))?;
    build(row, arch)
}

/// `size-budgets.txt`: `row | arch | budget | reason` lines; `#` starts a comment.
fn read_budgets() -> Result<Vec<(String, Arch, Budget)>, String> {
    let path = root().join("size-budgets.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut budgets = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [row, arch, budget, reason] = fields[..] else {
            return Err(format!("size-budgets.txt: expected `row | arch | budget | reason`: {line}"));
        };
        if reason.is_empty() {
            return Err(format!("size-budgets.txt: every budget needs a reason: {line}"));
        }
        let arches: Vec<Arch> = match arch {
            "*" => ARCHES.to_vec(),
            a => vec![super::parse_arch(a)?],
        };
        let budget = parse_budget(budget)?;
        if let Budget::Over { row: base, .. } = &budget
            && !ROWS.iter().any(|r| r.name == base && r.manifest.is_none())
        {
            return Err(format!("size-budgets.txt: {base:?} is not a row of the workspace: {line}"));
        }
        for arch in arches {
            budgets.push((row.to_string(), arch, budget.clone()));
        }
    }
    Ok(budgets)
}

/// `450000`, `24KiB`, or `ROW + SIZE`: SIZE over the row named ROW.
fn parse_budget(text: &str) -> Result<Budget, String> {
    match text.rsplit_once('+') {
        Some((row, extra)) => {
            Ok(Budget::Over { row: row.trim().to_string(), extra: parse_size(extra.trim())? })
        }
        None => Ok(Budget::Bytes(parse_size(text)?)),
    }
}

/// The budget in bytes of a row on `arch`, given the rows measured in the same run.
fn limit(budget: &Budget, measured: &[Measured], arch: Arch) -> Result<u64, String> {
    match budget {
        Budget::Bytes(n) => Ok(*n),
        Budget::Over { row, extra } => measured
            .iter()
            .find(|m| m.arch == arch && m.row == row)
            .map(|m| m.size + extra)
            .ok_or(format!("a budget is over {row:?}, which was not measured on {}", arch.name())),
    }
}

fn reference_size(measured: &[Measured], arch: Arch) -> u64 {
    measured.iter().find(|m| m.arch == arch && m.row == "reference").map_or(0, |m| m.size)
}

fn budget_for<'a>(budgets: &'a [(String, Arch, Budget)], m: &Measured) -> Option<&'a Budget> {
    budgets.iter().find(|(row, arch, _)| row == m.row && *arch == m.arch).map(|(_, _, b)| b)
}

fn over_budget(measured: &[Measured], budgets: &[(String, Arch, Budget)]) -> Result<Vec<String>, String> {
    let mut over = Vec::new();
    for m in measured.iter().filter(|m| m.row != "reference" && m.budgeted) {
        let budget = budget_for(budgets, m).ok_or(format!("no budget for {} on {}", m.row, m.arch.name()))?;
        let limit = limit(budget, measured, m.arch)?;
        if m.size > limit {
            over.push(format!("{} on {} is {} bytes, budget {limit}", m.row, m.arch.name(), m.size));
        }
    }
    Ok(over)
}

/// The "Sizes" section, from heading to the end of its text.
fn report(measured: &[Measured], budgets: &[(String, Arch, Budget)]) -> Result<String, String> {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{SECTION}\n");
    let _ = writeln!(
        w,
        "Written by `cargo xtask size` from a real build; `cargo xtask size --check` (CI) fails when a"
    );
    let _ = writeln!(
        w,
        "row is over its budget (`size-budgets.txt`, one reason per number) or this section is stale."
    );
    let _ = writeln!(
        w,
        "Size profile (`opt-level = \"z\"`, LTO, one codegen unit, `panic = \"abort\"`, stripped),"
    );
    let _ = writeln!(w, "static non-PIE musl executables. `zip` is the deterministic `bootstrap.zip` that");
    let _ = writeln!(
        w,
        "`cargo xtask package` writes. Delta is over `reference`, a plain std `TcpStream` echo built in"
    );
    let _ = writeln!(w, "the same run.\n");
    let _ = writeln!(w, "Toolchain: `{}`\n", super::rustc_version());
    let _ = writeln!(w, "| build | arch | stripped | zip | delta over reference | budget | |");
    let _ = writeln!(w, "|---|---|---:|---:|---:|---:|---|");
    for m in measured {
        let reference = reference_size(measured, m.arch);
        let (delta, budget, verdict) = if m.row == "reference" {
            ("—".to_string(), "—".to_string(), "")
        } else if !m.budgeted {
            (format!("{:+}", m.size as i64 - reference as i64), "—".to_string(), "comparison")
        } else {
            let budget =
                budget_for(budgets, m).ok_or(format!("no budget for {} on {}", m.row, m.arch.name()))?;
            let limit = limit(budget, measured, m.arch)?;
            let delta = m.size as i64 - reference as i64;
            (format!("{delta:+}"), limit.to_string(), if m.size <= limit { "ok" } else { "**over**" })
        };
        let (size, zipped) = (m.size, m.zipped);
        let _ = writeln!(
            w,
            "| {} | {} | {size} | {zipped} | {delta} | {budget} | {verdict} |",
            m.row,
            m.arch.name()
        );
    }
    let _ = writeln!(
        w,
        "\nLargest contributors to `hello default` on x86_64, by crate (from the symbol table of an"
    );
    let _ = writeln!(w, "unstripped copy; `musl` is the C library, `other` has no crate path):\n");
    let _ = writeln!(w, "| crate | bytes |\n|---|---:|");
    for (krate, bytes) in contributors()? {
        let _ = writeln!(w, "| {krate} | {bytes} |");
    }
    let _ =
        writeln!(w, "\nNightly rows (`-Zbuild-std` with `panic = \"immediate-abort\"`): {}", nightly_note());
    Ok(out)
}

/// Symbol sizes of an unstripped `hello` (default features, x86_64), summed by crate.
fn contributors() -> Result<Vec<(String, u64)>, String> {
    let target_dir = root().join("target/size-unstripped");
    let triple = Arch::X86_64.triple();
    let mut cmd = super::builds::workspace(&root(), Arch::X86_64);
    cmd.args(["--quiet", "--example", "hello", "--target-dir"]);
    run(cmd.arg(&target_dir).env("CARGO_PROFILE_RELEASE_STRIP", "false"))?;
    let binary = target_dir.join(triple).join("release/examples/hello");
    let mut sums: Vec<(String, u64)> =
        cargo_bootstrap::size::contributors(&binary)?.into_iter().map(|c| (c.name, c.bytes)).collect();
    sums.truncate(10);
    Ok(sums)
}

/// Where the nightly rows are. A fixed text, so this section does not depend on what a machine
/// happens to have installed.
fn nightly_note() -> &'static str {
    "in `## Nightly sizes` below, written when a nightly toolchain with `rust-src` is installed; \
     not budgeted, not checked."
}

/// The nightly arches: those whose std the nightly toolchain has (the musl start files come
/// from it), when it has `rust-src` at all.
fn nightly_arches() -> Vec<Arch> {
    let sysroot = super::output("rustup", &["run", "nightly", "rustc", "--print", "sysroot"]);
    let rustlib = Path::new(sysroot.trim()).join("lib/rustlib");
    if sysroot.trim().is_empty() || !rustlib.join("src/rust/library").is_dir() {
        return Vec::new();
    }
    ARCHES.into_iter().filter(|a| rustlib.join(a.triple()).join("lib/self-contained").is_dir()).collect()
}

/// The `## Nightly sizes` section, or `None` without a usable nightly.
fn nightly_report(stable: &[Measured]) -> Result<Option<String>, String> {
    let arches = nightly_arches();
    if arches.is_empty() {
        return Ok(None);
    }
    let version = super::output("rustup", &["run", "nightly", "rustc", "-V"]);
    let command =
        format!("cargo +nightly build --release {} --config '{NIGHTLY_CONFIG}'", NIGHTLY_FLAGS.join(" "));
    let mut w = String::new();
    let _ = writeln!(
        w,
        "{NIGHTLY_SECTION}
"
    );
    let _ = writeln!(
        w,
        "For information, not budgeted, not checked by `--check`: written by `cargo xtask size` when a nightly \
         toolchain with `rust-src` and the target's std is installed (here: `{}`, {}). The same rows \
         rebuilt with `{}`: std itself compiled in the size profile, and panics \
         that stop at once. **Under `immediate-abort` a panic runs no hook**: it is not reported to \
         `/error`, and Lambda only sees the process die.\n",
        version.trim(),
        arches.iter().map(|a| a.name()).collect::<Vec<_>>().join(" and "),
        command
    );
    let _ = writeln!(w, "| build | arch | stable | nightly | saved |\n|---|---|---:|---:|---:|");
    for arch in arches {
        for row in ROWS.iter().filter(|r| NIGHTLY_ROWS.contains(&r.name)) {
            let size = file_size(&build_nightly(row, arch)?)?;
            let before = stable.iter().find(|m| m.row == row.name && m.arch == arch).map_or(0, |m| m.size);
            let saved = before as i64 - size as i64;
            let _ = writeln!(w, "| {} | {} | {before} | {size} | {saved} |", row.name, arch.name());
        }
    }
    Ok(Some(w))
}

/// Builds one row with nightly's `-Zbuild-std` and `immediate-abort`.
fn build_nightly(row: &Row, arch: Arch) -> Result<PathBuf, String> {
    let target_dir = root().join("target/size-nightly");
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root()).env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO").env_remove("RUSTC");
    cmd.args([
        "+nightly",
        "build",
        "--quiet",
        "--release",
        "--target",
        arch.triple(),
        "--example",
        row.example,
    ]);
    cmd.args(NIGHTLY_FLAGS)
        .args(["--config", NIGHTLY_CONFIG, "--config", &super::builds::remap_config(&root(), arch)])
        .args(row.features)
        .arg("--target-dir")
        .arg(&target_dir);
    run(&mut cmd)?;
    Ok(target_dir.join(arch.triple()).join("release/examples").join(row.example))
}

/// The section starting at `heading` up to the next `## ` heading (exclusive), if present.
fn section_of<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let start = text.find(&format!("{heading}\n"))?;
    let rest = &text[start..];
    let end = rest[heading.len()..].find("\n## ").map_or(rest.len(), |i| heading.len() + i + 1);
    Some(&rest[..end])
}

/// `--manifest-path` / `--bin` / `--budget`: hold a user's own bootstrap to a budget.
#[derive(Default)]
struct UserBuild {
    manifest: Option<PathBuf>,
    bin: Option<String>,
    arch: Option<Arch>,
    budget: Option<u64>,
}

impl UserBuild {
    fn run(self) -> Result<(), String> {
        let arch = self.arch.unwrap_or(Arch::X86_64);
        super::setup(&[arch])?;
        let binary = match &self.manifest {
            Some(manifest) => Function::resolve(Some(manifest), self.bin.as_deref())?.build(arch)?,
            None => {
                let mut cmd = super::builds::workspace(&root(), arch);
                cmd.args(["--bin", self.bin.as_deref().unwrap_or_default()]);
                cargo_bootstrap::cargo::executable(&mut cmd)?
            }
        };
        let size = file_size(&binary)?;
        println!("{} ({}): {size} bytes", binary.display(), arch.triple());
        match self.budget {
            Some(budget) if size > budget => Err(format!("over budget: {size} bytes > {budget} bytes")),
            Some(budget) => {
                println!("within budget: {size} <= {budget} bytes");
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_is_found_up_to_the_next_heading() {
        let text = "# Size report\n\n## Sizes\n\nrows\n\n## Start-up and latency\n\nbench\n";
        assert_eq!(section_of(text, SECTION), Some("## Sizes\n\nrows\n\n"));
        assert_eq!(section_of("## Sizes\n\nrows\n", SECTION), Some("## Sizes\n\nrows\n"));
        assert_eq!(section_of("# Size report\n", SECTION), None);
    }

    #[test]
    fn budgets_are_bytes_or_an_allowance_over_another_row_of_the_same_arch() {
        assert_eq!(parse_budget("24KiB"), Ok(Budget::Bytes(24 * 1024)));
        let over = |row: &str, extra| Budget::Over { row: row.into(), extra };
        assert_eq!(parse_budget("reference + 64KiB"), Ok(over("reference", 64 * 1024)));
        assert_eq!(parse_budget("hello default + 16KiB"), Ok(over("hello default", 16 * 1024)));
        assert!(parse_budget("hello default + lots").is_err());
        let row = |row, arch, size| Measured { row, budgeted: true, arch, size, zipped: 0 };
        let measured = [
            row("reference", Arch::X86_64, 400_000),
            row("hello default", Arch::X86_64, 440_000),
            row("hello default", Arch::Arm64, 410_000),
        ];
        let sqs = over("hello default", 16 * 1024);
        assert_eq!(limit(&sqs, &measured, Arch::X86_64), Ok(440_000 + 16384));
        assert_eq!(limit(&sqs, &measured, Arch::Arm64), Ok(410_000 + 16384));
        assert_eq!(limit(&over("reference", 10), &measured, Arch::X86_64), Ok(400_010));
        assert!(limit(&over("reference", 10), &measured, Arch::Arm64).is_err());
        assert_eq!(limit(&Budget::Bytes(7), &measured, Arch::Arm64), Ok(7));
    }
}
