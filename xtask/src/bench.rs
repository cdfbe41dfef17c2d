//! `cargo xtask bench`: start-up, latency, memory and connections of our `bootstrap`s between a
//! floor (`bench/floor`: a hand-written `#![no_std]` echo on the `libc` crate alone that does the
//! least a Runtime API client can do) and the async baseline (`bench/async-baseline`: the same echo
//! on `lambda_runtime` + tokio), each run as a process against the Runtime API emulator on
//! loopback. Every figure is given as a ratio to both, measured in the same run.
//!
//! The programs: the floor, `echo` (default features, started by `lambda_bootstrap::main!`), the same echo
//! under a plain `fn main` (`echo (fn main)`: with std's runtime set-up), `echo` with
//! `--no-default-features --features std`,
//! `nostd` (when `examples/nostd.rs` exists) and the baseline, all x86_64 musl in the size profile.
//! Runs are interleaved (A B C D, B C D A, …) so that drift of the machine hits every program
//! alike, and rotated so that no program always follows the same one. A run is one fresh process
//! on a fresh emulator: the event is queued, the process spawned (cold invocation), then warm
//! events are pushed one at a time, each once the function waits in `GET /next`, so that every
//! round trip is measured alone. Times come from the emulator's own clock readings:
//!
//! - start-up: spawn → the first `GET /next` fully read ([`Request::at`]);
//! - cold invocation: spawn → the first response fully read;
//! - warm round trip: the emulator starts writing a `/next` answer ([`Emulator::writing_at`]) →
//!   the response fully read; median and p99 over every warm invocation of every run;
//! - peak RSS: `VmHWM` of `/proc/PID/status`, read after the last invocation, before the kill;
//! - connections: TCP connections the emulator accepted from the process;
//! - for events of 64 B, 1 MiB and 6 MiB (the largest Lambda delivers), framed as the RIE does:
//!   `Content-Length` up to 2 KiB, chunked above.
//!
//! By default the whole xtask process (the emulator's threads) and the function are pinned to one
//! CPU: a Lambda function with up to 1769 MB of memory has at most one vCPU, so an async runtime's
//! extra threads cannot run beside it there either. `--unpin` leaves the scheduler free. The
//! figures are only as good as the machine is quiet: the report says how much CPU time other
//! processes took while it ran.
//!
//! The emulator runs inside this process, so the measuring is done by an optimised build of xtask
//! (`target/xtask-optimised`; `cargo xtask` itself is unoptimised). A function's output goes to
//! `target/bench-logs/NAME.log`.
//!
//! The figures go to stdout and, for a full run, into the `## Start-up and latency` section of
//! `size-report.md` (only that section is replaced). `--quick` is for CI, to keep the command from
//! rotting: a few short runs, and nothing is written unless `--write` is given too. Nothing here
//! asserts a figure: the targets tables say where each program stands.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cargo_bootstrap::bench::machine::{CpuTimes, Machine, Others, pin_to_one_cpu};
use cargo_bootstrap::bench::run::measure;
use cargo_bootstrap::bench::stats::{Figures, duration, kib, ratio};
use cargo_bootstrap::bench::{HUGE, LARGE, Program, SMALL};

use super::{Arch, root, run, setup};

const USAGE: &str = "usage: cargo xtask bench [--quick] [--write] [--unpin] [--verbose] [--alloc | --concurrency | --extensions] [--runs N] [--invocations N] [--large-invocations N] [--huge-invocations N]
  --quick                  2 runs of 30 (64 B), 3 (1 MiB) and 2 (6 MiB) warm invocations; writes nothing
  --write                  write size-report.md even with --quick
  --unpin                  do not pin the emulator and the function to one CPU
  --verbose                print every run's figures to stderr
  --alloc                  the JSON-heavy `orders` example on musl's malloc and on mimalloc instead
  --concurrency            N = 1, 4, 16, 64 invocations at once (sleepy against lambda_runtime's
                           run_concurrent) on 1 and 2 CPUs instead; --quick: N = 1, 4 on 1 CPU
  --extensions             only the extension start-up against lambda-extension (its section)
  --runs N                 runs per program and event size (default 40)
  --invocations N          warm invocations per run with 64 B events (default 500)
  --large-invocations N    warm invocations per run with 1 MiB events (default 30)
  --huge-invocations N     warm invocations per run with 6 MiB events (default 10)";

/// The heading of the section of `size-report.md` this command owns.
const SECTION: &str = "## Start-up and latency";
/// Where we must land, as ratios to the async baseline.
const STARTUP_TARGET: f64 = 0.5;
const WARM_TARGET: f64 = 0.3;
const RSS_TARGET: f64 = 0.3;
/// Where we must land against the floor (issue #16), per event size: start-up, warm median,
/// warm p99 (ratios), and peak RSS in every run (KiB).
const FLOOR_TARGETS: [(&str, FloorTarget); 2] = [
    ("64 B", FloorTarget { startup: Some(1.10), warm: Some(1.15), p99: None, rss_kib: Some(256) }),
    ("1 MiB", FloorTarget { startup: None, warm: Some(1.2), p99: Some(1.5), rss_kib: Some(2253) }),
];

struct FloorTarget {
    startup: Option<f64>,
    warm: Option<f64>,
    p99: Option<f64>,
    /// At most this much peak RSS in every run (2253 KiB: 2.2 MiB).
    rss_kib: Option<u64>,
}

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    let config = Config::parse(args)?;
    if cfg!(debug_assertions) {
        // The emulator runs inside xtask: debug-built, its HTTP parsing would sit inside every
        // measured round trip (about 400 µs instead of 40 µs for a 64 B echo here).
        return super::optimised("bench", args);
    }
    if config.alloc {
        return super::bench_alloc::allocators(&config);
    }
    if config.concurrency {
        return super::bench_concurrency::concurrency(&config);
    }
    if config.extensions {
        let extension = super::bench_ext::startup(&config)?;
        println!("{extension}");
        if config.write {
            super::write_section(super::bench_ext::SECTION, &extension)?;
        }
        return Ok(());
    }
    let machine = Machine::describe(&root());
    let programs = build_all()?;
    let cpu = if config.pin { Some(pin_to_one_cpu()?) } else { None };
    let started = Instant::now();
    let cpu_before = CpuTimes::now();
    let mut tables = Vec::new();
    let sizes =
        [(SMALL, config.invocations), (LARGE, config.large_invocations), (HUGE, config.huge_invocations)];
    for (size, invocations) in sizes {
        let samples = measure(&programs, size, config.runs, invocations, config.verbose)?;
        tables.push(Table {
            size: size.0,
            invocations,
            figures: samples.iter().map(|s| Figures::of(s)).collect(),
        });
    }
    let elapsed = started.elapsed();
    let others = CpuTimes::now().zip(cpu_before).map(|(after, before)| after.others_since(&before));
    let report = render(&Report {
        config: &config,
        machine: &machine,
        cpu,
        programs: &programs,
        tables,
        elapsed,
        others,
    });
    println!("{report}");
    // External extensions: ours against lambda-extension, start-up only (`bench_ext.rs`).
    let extension = super::bench_ext::startup(&config)?;
    println!("{extension}");
    if config.write {
        super::write_section(SECTION, &report)?;
        super::write_section(super::bench_ext::SECTION, &extension)?;
        eprintln!(
            "bench: wrote the \"{SECTION}\" and \"{}\" sections of size-report.md",
            super::bench_ext::SECTION
        );
    } else {
        eprintln!("bench: --quick: size-report.md left alone (add --write to write it)");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Options

pub struct Config {
    pub runs: usize,
    pub invocations: usize,
    pub large_invocations: usize,
    pub huge_invocations: usize,
    pub pin: bool,
    pub write: bool,
    pub quick: bool,
    /// Print every run's figures to stderr.
    pub verbose: bool,
    /// Compare allocators on the JSON-heavy `orders` example instead (`--alloc`).
    pub alloc: bool,
    /// Many invocations at once instead (`--concurrency`).
    pub concurrency: bool,
    /// Only the extension start-up section (`--extensions`).
    pub extensions: bool,
    /// The command line, for the report.
    pub command: String,
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut config = Config {
            runs: if quick { 2 } else { 40 },
            invocations: if quick { 30 } else { 500 },
            large_invocations: if quick { 3 } else { 30 },
            huge_invocations: if quick { 2 } else { 10 },
            pin: true,
            write: !quick,
            quick,
            verbose: false,
            alloc: false,
            concurrency: false,
            extensions: false,
            command: ["cargo xtask bench"]
                .into_iter()
                .chain(args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut count = || -> Result<usize, String> {
                let value = it.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
                match value.parse() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!("{flag} needs a positive number, not {value:?}")),
                }
            };
            match flag.as_str() {
                "--quick" => {}
                "--write" => config.write = true,
                "--unpin" => config.pin = false,
                "--verbose" => config.verbose = true,
                "--alloc" => config.alloc = true,
                "--concurrency" => config.concurrency = true,
                "--extensions" => config.extensions = true,
                "--runs" => config.runs = count()?,
                "--invocations" => config.invocations = count()?,
                "--large-invocations" => config.large_invocations = count()?,
                "--huge-invocations" => config.huge_invocations = count()?,
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(config)
    }
}

// ---------------------------------------------------------------------------------------------
// The programs

/// Builds every program (before pinning, so the builds use every CPU). The floor comes first and
/// the async baseline last: the tables give every figure as a ratio to both.
fn build_all() -> Result<Vec<Program>, String> {
    setup(&[Arch::X86_64, Arch::Arm64])?;
    let mut programs = vec![
        build_floor()?,
        build_example("echo", "echo", &[])?,
        build_example("echo (fn main)", "echo_fn_main", &[])?,
        build_example("echo (std only)", "echo", &["--no-default-features", "--features", "std"])?,
    ];
    if root().join("examples/nostd.rs").is_file() {
        programs.push(build_example("nostd", "nostd", &["--no-default-features"])?);
    } else {
        eprintln!("bench: examples/nostd.rs does not exist yet: the nostd example is skipped");
    }

    programs.push(build_outside("async baseline", "async-baseline")?);
    Ok(programs)
}

/// Builds the floor (`bench/floor`) for both arches, so that its aarch64 build cannot rot;
/// returns the x86_64 one.
fn build_floor() -> Result<Program, String> {
    // The aarch64 build only checks that it builds; the x86_64 one is measured.
    run(super::builds::workspace(&root(), Arch::Arm64)
        .args(["--quiet", "--locked", "--manifest-path"])
        .arg(root().join("bench/floor/Cargo.toml"))
        .arg("--target-dir")
        .arg(super::baselines_dir(Arch::Arm64)))?;
    build_outside("floor", "floor")
}

/// Builds the comparison program `bench/DIR` (its own workspace and Cargo.lock) for x86_64 in the
/// size profile, in the target directory the size report's comparison rows use; its binary is
/// named DIR.
pub fn build_outside(name: &'static str, dir: &str) -> Result<Program, String> {
    let triple = Arch::X86_64.triple();
    let target_dir = super::baselines_dir(Arch::X86_64);
    eprintln!("bench: building {name} (bench/{dir})");
    run(super::builds::workspace(&root(), Arch::X86_64)
        .args(["--quiet", "--locked", "--manifest-path"])
        .arg(root().join("bench").join(dir).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir))?;
    let shown = target_dir.strip_prefix(root()).unwrap_or(&target_dir).display().to_string();
    let build = format!(
        "cargo build --release --target {triple} --manifest-path bench/{dir}/Cargo.toml --target-dir {shown}"
    );
    program(name, build, target_dir.join(triple).join("release").join(dir))
}

/// Builds one example in the size profile for x86_64, in the target directory of the size rows
/// (their dependencies are built already), and measures a hard link to the linker's output: a
/// build of the same example with other features replaces the file at cargo's path, not the
/// linked one. Not a copy: a copied binary measured 364 KiB peak RSS against 256 KiB for the
/// linker's own file (page cache), same bytes.
pub fn build_example(name: &'static str, example: &str, features: &[&str]) -> Result<Program, String> {
    let triple = Arch::X86_64.triple();
    eprintln!("bench: building {name}");
    let mut args = vec!["build", "--release", "--target", triple, "--example", example];
    args.extend_from_slice(features);
    let target_dir = super::size::target_dir(Arch::X86_64);
    // `cargo build --release --target …` with the path remapping every xtask build has.
    let mut cmd = super::builds::workspace(&root(), Arch::X86_64);
    if features.iter().any(|f| f.contains("mimalloc")) {
        super::c_compiler_env(&mut cmd, Arch::X86_64)?;
    }
    run(cmd.arg("--quiet").args(&args[4..]).arg("--target-dir").arg(&target_dir))?;
    let built = target_dir.join(triple).join("release/examples").join(example);
    let link = root().join("target/bench-bin").join(name.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    std::fs::create_dir_all(link.parent().expect("has a parent")).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&link);
    std::fs::hard_link(&built, &link).map_err(|e| format!("{}: {e}", built.display()))?;
    program(name, format!("cargo {}", args.join(" ")), link)
}

/// A program whose output goes to `target/bench-logs/NAME.log`.
fn program(name: &str, build: String, binary: PathBuf) -> Result<Program, String> {
    Program::new(name, build, binary, &root().join("target/bench-logs"))
}

// ---------------------------------------------------------------------------------------------
// The report

struct Table {
    size: &'static str,
    invocations: usize,
    /// In the order of the programs.
    figures: Vec<Figures>,
}

struct Report<'a> {
    config: &'a Config,
    machine: &'a Machine,
    cpu: Option<usize>,
    programs: &'a [Program],
    tables: Vec<Table>,
    elapsed: Duration,
    /// CPU time of other processes and of the hypervisor during the run.
    others: Option<Others>,
}

/// The whole section, heading included, as Markdown.
fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{SECTION}\n");
    render_preamble(&mut out, report);
    render_programs(&mut out, report.programs);
    for table in &report.tables {
        render_table(&mut out, report.programs, table);
    }
    render_targets(&mut out, report);
    out
}

fn render_preamble(out: &mut String, report: &Report) {
    let (config, machine) = (report.config, report.machine);
    let quick = if config.quick { " A `--quick` run: too short for figures to rely on." } else { "" };
    let _ = writeln!(
        out,
        "Measured by `{}` (the run took {:.0} s), never typed in.{quick} Machine: {}, nproc {}, {}; \
         toolchain: {}.\n",
        config.command,
        report.elapsed.as_secs_f64(),
        machine.cpu,
        machine.nproc,
        machine.kernel,
        machine.rustc,
    );
    if let Some(others) = &report.others {
        let _ = writeln!(
            out,
            "While it ran, other processes and interrupts kept the CPUs busy for {:.1} s and the hypervisor took {:.1} s: \
             the figures are only as steady as the machine was quiet.\n",
            others.busy.as_secs_f64(),
            others.steal.as_secs_f64()
        );
    }
    let pinning = match report.cpu {
        Some(cpu) => format!(
            "The emulator (every thread of the xtask process) and the function are pinned to CPU {cpu}: a Lambda \
             function with up to 1769 MB of memory has at most one vCPU, so an async runtime's extra threads get \
             no second core there either (tokio then starts one worker)."
        ),
        None => "Not pinned (`--unpin`): the emulator and the function may use every CPU.".to_owned(),
    };
    let _ = writeln!(
        out,
        "Each program runs {} times per event size, interleaved (A B C D, B C D A, …) so that drift of the \
         machine hits all alike and none always follows the same one; a run is a fresh process on a fresh \
         Runtime API emulator on loopback. {pinning}\n",
        config.runs
    );
    let _ = writeln!(
        out,
        "- start-up: spawn → the first `GET /next` fully read by the emulator\n\
         - cold invocation: spawn → the first response fully read (the event is queued before the spawn)\n\
         - warm round trip: the emulator starts writing a `/next` answer → the response fully read; events \
         pushed one at a time, each once the function waits in `/next`; over every warm invocation of every run\n\
         - medians, and p99 by nearest rank (with {} runs the p99 of start-up and cold invocation is the slowest run)\n\
         - peak RSS: `VmHWM` after the last invocation, median of the runs; connections: TCP connections the \
         process opened, per run\n\
         - events are JSON (`{{\"data\":\"xx…\"}}`), those over 2 KiB chunked as the RIE sends them (6 MiB is \
         the largest event Lambda delivers); the baseline's handler takes and returns a `serde_json::Value` \
         (lambda_runtime has no raw-bytes handler), ours echo the bytes\n\
         - the floor (`bench/floor`) is a hand-written `#![no_std]` echo on the `libc` crate alone, not on this \
         crate: one `write` for `GET /next`, `read`s into one buffer that only grows (so it stays faulted in), \
         a chunked event de-chunked in place, the response head and body in one `writev`; it leaves out \
         what a runtime must do besides (error reports, limits, host names)\n\
         - (a× / b×): the ratio to the floor, then to the async baseline, in the same run\n",
        config.runs
    );
}

fn render_programs(out: &mut String, programs: &[Program]) {
    let floor = programs.first().map_or(0, |p| p.size);
    let baseline = programs.last().map_or(0, |p| p.size);
    let _ = writeln!(out, "| program | built with | binary size |\n|---|---|---|");
    for program in programs {
        let size = format!(
            "{:.1} KiB ({})",
            program.size as f64 / 1024.0,
            ratios(program.size as f64, floor as f64, baseline as f64)
        );
        let _ = writeln!(out, "| {} | `{}` | {size} |", program.name, program.build);
    }
    out.push('\n');
}

fn render_table(out: &mut String, programs: &[Program], table: &Table) {
    let _ = writeln!(out, "### {} events ({} warm invocations per run)\n", table.size, table.invocations);
    let _ = writeln!(
        out,
        "| program | start-up | start-up p99 | cold invocation | cold p99 | warm round trip | warm p99 | peak RSS | connections |\n\
         |---|---|---|---|---|---|---|---|---|"
    );
    let (Some(floor), Some(base)) = (table.figures.first(), table.figures.last()) else {
        return;
    };
    for (program, f) in programs.iter().zip(&table.figures) {
        let time = |figure: fn(&Figures) -> Duration| {
            let secs = |f: &Figures| figure(f).as_secs_f64();
            format!("{} ({})", duration(figure(f)), ratios(secs(f), secs(floor), secs(base)))
        };
        let connections = match f.connections {
            (a, b) if a == b => a.to_string(),
            (a, b) => format!("{a}–{b}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} ({}) | {connections} |",
            program.name,
            time(|f| f.startup.0),
            time(|f| f.startup.1),
            time(|f| f.cold.0),
            time(|f| f.cold.1),
            time(|f| f.warm.0),
            time(|f| f.warm.1),
            kib(f.peak_rss_kib),
            ratios(f.peak_rss_kib as f64, floor.peak_rss_kib as f64, base.peak_rss_kib as f64),
        );
    }
    out.push('\n');
}

/// `a× / b×`: `value` as a ratio to the floor's, then to the baseline's.
fn ratios(value: f64, floor: f64, baseline: f64) -> String {
    format!("{} / {}", ratio(value, floor), ratio(value, baseline))
}

/// Where each of ours stands against the targets (medians against medians).
fn render_targets(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "### Targets (ratio of medians to the async baseline)\n\n\
         | program | events | start-up ≤ {STARTUP_TARGET}× | warm round trip ≤ {WARM_TARGET}× | peak RSS ≤ {RSS_TARGET}× | one connection |\n\
         |---|---|---|---|---|---|"
    );
    let ours = report.programs.len().saturating_sub(1);
    for table in &report.tables {
        let Some(base) = table.figures.last() else {
            continue;
        };
        for (program, f) in report.programs.iter().zip(&table.figures).take(ours).skip(1) {
            // Three decimals here, so that a ratio just over the target does not read as equal to it.
            let check = |ours: f64, theirs: f64, target: f64| {
                let r = ours / theirs;
                format!("{r:.3}× {}", if r <= target { "met" } else { "**missed**" })
            };
            let one = if f.connections == (1, 1) {
                "met".to_owned()
            } else {
                format!("**missed** ({}–{})", f.connections.0, f.connections.1)
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {one} |",
                program.name,
                table.size,
                check(f.startup.0.as_secs_f64(), base.startup.0.as_secs_f64(), STARTUP_TARGET),
                check(f.warm.0.as_secs_f64(), base.warm.0.as_secs_f64(), WARM_TARGET),
                check(f.peak_rss_kib as f64, base.peak_rss_kib as f64, RSS_TARGET),
            );
        }
    }
    render_floor_targets(out, report);
}

/// Where each of ours stands against the floor (issue #16): ratios of medians (and of p99s), and
/// the peak RSS of the largest run; a figure without a target shows its ratio alone.
fn render_floor_targets(out: &mut String, report: &Report) {
    let _ = writeln!(
        out,
        "\n### Targets against the floor (ratio to the floor in the same run; peak RSS: the largest run)\n\n\
         | program | events | start-up | warm round trip | warm p99 | peak RSS (largest run) |\n\
         |---|---|---|---|---|---|"
    );
    let ours = report.programs.len().saturating_sub(1);
    for table in &report.tables {
        let Some(floor) = table.figures.first() else {
            continue;
        };
        let target = FLOOR_TARGETS.iter().find(|(size, _)| *size == table.size).map(|(_, t)| t);
        let verdict = |met: bool| if met { "met" } else { "**missed**" };
        let check = |ours: Duration, theirs: Duration, target: Option<f64>| {
            let r = ours.as_secs_f64() / theirs.as_secs_f64();
            match target {
                Some(t) => format!("{r:.3}× ≤ {t}× {}", verdict(r <= t)),
                None => format!("{r:.3}×"),
            }
        };
        for (program, f) in report.programs.iter().zip(&table.figures).take(ours).skip(1) {
            let rss = match target.and_then(|t| t.rss_kib) {
                Some(t) => {
                    format!("{} ≤ {} {}", kib(f.peak_rss_max_kib), kib(t), verdict(f.peak_rss_max_kib <= t))
                }
                None => kib(f.peak_rss_max_kib),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {rss} |",
                program.name,
                table.size,
                check(f.startup.0, floor.startup.0, target.and_then(|t| t.startup)),
                check(f.warm.0, floor.warm.0, target.and_then(|t| t.warm)),
                check(f.warm.1, floor.warm.1, target.and_then(|t| t.p99)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let quick = Config::parse(&args("--quick")).unwrap();
        assert!(quick.quick && !quick.write && quick.pin);
        assert!(Config::parse(&args("--quick --write")).unwrap().write);
        let full = Config::parse(&args("--unpin --runs 3")).unwrap();
        assert!(full.write && !full.pin && full.runs == 3 && full.invocations == 500);
        assert_eq!((quick.huge_invocations, full.huge_invocations), (2, 10));
        assert_eq!(full.command, "cargo xtask bench --unpin --runs 3");
        assert!(Config::parse(&args("--runs 0")).is_err());
        assert!(Config::parse(&args("--runs")).is_err());
        assert!(Config::parse(&args("--fast")).is_err());
    }
}
