//! `cargo xtask bench --concurrency`: many invocations at once (Lambda Managed Instances), our
//! blocking workers (`examples/sleepy.rs`, feature `concurrency`) against `lambda_runtime`'s
//! `run_concurrent` on tokio (`bench/concurrent-baseline`, the same function).
//!
//! A run is one fresh process with `AWS_LAMBDA_MAX_CONCURRENCY=N` on a fresh emulator, kept at N
//! invocations in flight (closed loop: each answer makes the driver push the next event). The
//! first N answers (each worker's first, cold) are not measured; then, over the next ones:
//!
//! - throughput: answers per second, from the last unmeasured answer to the last answer;
//! - latency: the emulator's clock, from handing an event out on `/next` to the response fully
//!   read (the handler's own time included); p50 and p99 over every measured invocation;
//! - peak RSS (`VmHWM`), threads (`Threads:` of `/proc/PID/status`) and connections (accepted by
//!   the emulator) at the end of the run.
//!
//! Two handlers: `{"ms":10}` waits 10 ms (an I/O-bound handler: sleepy blocks its worker thread,
//! the baseline awaits `tokio::time::sleep`), and `{"spin":N}` burns about a millisecond of CPU
//! (the same hash in both). N = 1, 4, 16, 64; the emulator, the driver and the function pinned to
//! one CPU, then to two. Programs alternate run by run. `--quick` (CI): N = 1 and 4 on one CPU,
//! a few invocations each, nothing written unless `--write`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use cargo_bootstrap::bench::Program;
use cargo_bootstrap::bench::machine::{allowed_cpus, pin_to};
use cargo_bootstrap::bench::session::{command, peak_rss_kib, settle, spawn};
use cargo_bootstrap::bench::stats::{duration, kib, percentile, ratio};
use lambda_emulator::{Emulator, Event, Kind, Options};

use super::bench::{Config, build_example, build_outside};
use super::{Arch, setup};

const SECTION: &str = "## Concurrency (Lambda Managed Instances)";
/// Where we must land against the tokio baseline: throughput at least equal, peak RSS at most half.
const THROUGHPUT_TARGET: f64 = 1.0;
const RSS_TARGET: f64 = 0.5;
/// Rounds of the hash for the CPU-bound handler: about a millisecond here.
const SPIN: u64 = 1_000_000;
/// The longest a run may take before it is a failure.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// What one run measured.
struct Sample {
    /// Answers per second.
    throughput: f64,
    /// Every measured invocation's latency, sorted.
    latencies: Vec<Duration>,
    peak_rss_kib: u64,
    threads: usize,
    connections: usize,
}

/// One line of the table: a handler, CPUs, N, and each program's runs.
struct Cell {
    handler: &'static str,
    cpus: usize,
    n: usize,
    /// Per program (ours first), the runs' samples.
    samples: Vec<Vec<Sample>>,
}

pub fn concurrency(config: &Config) -> Result<(), String> {
    setup(&[Arch::X86_64])?;
    let programs = [
        // In the main target directory, as the other benchmarked examples are (their dependencies
        // are built once; only this example has the feature).
        build_example("sleepy (workers)", "sleepy", &["--features", "concurrency"])?,
        build_baseline()?,
    ];
    let allowed = allowed_cpus()?;
    let cpu_counts: &[usize] = if config.quick { &[1] } else { &[1, 2] };
    let ns: &[usize] = if config.quick { &[1, 4] } else { &[1, 4, 16, 64] };
    let runs = if config.quick { 1 } else { config.runs.min(3) };
    let handlers: [(&str, Vec<u8>); 2] = [
        ("wait 10 ms", br#"{"ms":10}"#.to_vec()),
        ("CPU ~1 ms", format!(r#"{{"spin":{SPIN}}}"#).into_bytes()),
    ];
    let started = Instant::now();
    let mut cells = Vec::new();
    for &cpus in cpu_counts {
        if allowed.len() < cpus {
            eprintln!("bench: {} CPU(s) available: the {cpus}-CPU rows are skipped", allowed.len());
            continue;
        }
        pin_to(&allowed[..cpus])?;
        for (handler, event) in &handlers {
            for &n in ns {
                // Enough answers to see the steady state: at least 10 per worker.
                let total = if config.quick { 4 * n.max(5) } else { (10 * n).max(100) };
                let mut samples: Vec<Vec<Sample>> = programs.iter().map(|_| Vec::new()).collect();
                for round in 0..runs {
                    for i in (0..programs.len()).map(|k| (round + k + n) % programs.len()) {
                        eprintln!(
                            "bench: {handler}, {cpus} CPU(s), N = {n}: {} ({total} invocations)",
                            programs[i].name
                        );
                        let sample = run_once(&programs[i], n, event, total)
                            .map_err(|e| format!("{} ({handler}, N = {n}): {e}", programs[i].name))?;
                        if config.verbose {
                            eprintln!(
                                "  {:.0}/s, p50 {}, p99 {}, peak RSS {}, {} threads, {} connections",
                                sample.throughput,
                                duration(percentile(&sample.latencies, 0.5)),
                                duration(percentile(&sample.latencies, 0.99)),
                                kib(sample.peak_rss_kib),
                                sample.threads,
                                sample.connections
                            );
                        }
                        samples[i].push(sample);
                    }
                }
                cells.push(Cell { handler, cpus, n, samples });
            }
        }
    }
    pin_to(&allowed)?;
    let report = render(config, &programs, &cells, runs, started.elapsed());
    println!("{report}");
    if config.write {
        super::write_section(SECTION, &report)?;
        eprintln!("bench: wrote the \"{SECTION}\" section of size-report.md");
    } else {
        eprintln!("bench: --quick: size-report.md left alone (add --write to write it)");
    }
    Ok(())
}

/// Builds the baseline in the async baseline's target directory (their dependencies are the
/// same crates, built once).
fn build_baseline() -> Result<Program, String> {
    build_outside("lambda_runtime run_concurrent", "concurrent-baseline")
}

/// One process kept at `n` invocations in flight until `n + total` were answered.
fn run_once(program: &Program, n: usize, event: &[u8], total: usize) -> Result<Sample, String> {
    settle();
    let emulator = Emulator::try_start_with(Options::default())
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    for _ in 0..n {
        emulator.push(Event::new(event.to_vec()));
    }
    let mut cmd = command(&emulator, program, &program.log)?;
    cmd.env("AWS_LAMBDA_MAX_CONCURRENCY", n.to_string());
    let mut process = spawn(&emulator, program, cmd)?;
    let (warm_up, wanted) = (n, n + total);
    let (mut seen, mut answered, mut pushed) = (0, 0, n);
    let (mut first, mut last) = (None, None);
    let mut latencies = Vec::with_capacity(total);
    let deadline = Instant::now() + RUN_TIMEOUT;
    let output = || std::fs::read_to_string(&program.log).unwrap_or_default();
    while answered < wanted {
        for request in emulator.wait_requests_from(seen, Duration::from_millis(100)) {
            seen += 1;
            let id = match &request.kind {
                Kind::Next => continue,
                Kind::Response(id) if (200..300).contains(&request.answered) => id,
                _ => return Err(format!("unexpected request {request}; its output:\n{}", output())),
            };
            answered += 1;
            if pushed < wanted {
                emulator.push(Event::new(event.to_vec()));
                pushed += 1;
            }
            if answered == warm_up {
                first = Some(request.at);
            } else if answered > warm_up {
                let served = emulator.served_at(id).ok_or(format!("no start time for {id}"))?;
                latencies.push(request.at.saturating_duration_since(served));
                last = Some(request.at);
            }
        }
        if let Some(status) = process.try_wait() {
            return Err(format!("the function exited ({status}); its output:\n{}", output()));
        }
        if Instant::now() >= deadline {
            return Err(format!("{answered} of {wanted} answered within {RUN_TIMEOUT:?}"));
        }
    }
    let pid = process.id();
    let peak_rss_kib = peak_rss_kib(pid)?;
    let threads = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count);
    let connections = emulator.connections();
    process.kill();
    let elapsed = match (first, last) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => return Err("no measured invocation".into()),
    };
    latencies.sort_unstable();
    Ok(Sample {
        throughput: total as f64 / elapsed.as_secs_f64().max(1e-9),
        latencies,
        peak_rss_kib,
        threads,
        connections,
    })
}

/// A program's figures in one cell: median throughput of the runs, latencies over every run,
/// median peak RSS, the most threads and connections.
struct Figures {
    throughput: f64,
    p50: Duration,
    p99: Duration,
    peak_rss_kib: u64,
    threads: usize,
    connections: usize,
}

fn figures(samples: &[Sample]) -> Figures {
    let mut throughput: Vec<f64> = samples.iter().map(|s| s.throughput).collect();
    throughput.sort_by(f64::total_cmp);
    let mut latencies: Vec<Duration> = samples.iter().flat_map(|s| s.latencies.iter().copied()).collect();
    latencies.sort_unstable();
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    rss.sort_unstable();
    Figures {
        throughput: throughput.get(throughput.len().saturating_sub(1) / 2).copied().unwrap_or(0.0),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
        peak_rss_kib: percentile(&rss, 0.5),
        threads: samples.iter().map(|s| s.threads).max().unwrap_or(0),
        connections: samples.iter().map(|s| s.connections).max().unwrap_or(0),
    }
}

fn render(config: &Config, programs: &[Program], cells: &[Cell], runs: usize, elapsed: Duration) -> String {
    let mut out = format!("{SECTION}\n\n");
    let quick = if config.quick { " A `--quick` run: too short for figures to rely on." } else { "" };
    let _ = writeln!(
        out,
        "Measured by `{}` (the run took {:.0} s), never typed in.{quick} Each process runs with \
         `AWS_LAMBDA_MAX_CONCURRENCY=N` and is kept at N invocations in flight (each answer makes the driver push \
         the next event); the first N answers are not measured. {runs} run(s) per program and line, alternating.\n",
        config.command,
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "- throughput: answers per second (median of the runs); latency: the emulator hands the event out → \
         the response fully read, handler included (p50, p99 over every run)\n\
         - peak RSS: `VmHWM` at the end (median of the runs); threads and connections: the most in a run\n\
         - handlers: `{{\"ms\":10}}` waits 10 ms (ours blocks its worker thread, the baseline awaits \
         `tokio::time::sleep`); `{{\"spin\":{SPIN}}}` burns about a millisecond of CPU (the same hash in both)\n\
         - CPUs: the emulator, the driver and the function pinned to 1 (then 2) CPUs\n\
         - (×) is the ratio to `{}` on the same line\n",
        programs.last().map_or("", |p| p.name.as_str())
    );
    let _ = writeln!(out, "| program | built with | binary size |\n|---|---|---|");
    for program in programs {
        let _ = writeln!(out, "| {} | `{}` | {} |", program.name, program.build, kib(program.size / 1024));
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "| handler | CPUs | N | program | throughput | p50 | p99 | peak RSS | threads | connections |\n\
         |---|---|---|---|---|---|---|---|---|---|"
    );
    let mut targets = Vec::new();
    for cell in cells {
        let all: Vec<Figures> = cell.samples.iter().map(|s| figures(s)).collect();
        let Some(base) = all.last() else { continue };
        for (program, f) in programs.iter().zip(&all) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {:.0}/s ({}) | {} | {} | {} ({}) | {} | {} |",
                cell.handler,
                cell.cpus,
                cell.n,
                program.name,
                f.throughput,
                ratio(f.throughput, base.throughput),
                duration(f.p50),
                duration(f.p99),
                kib(f.peak_rss_kib),
                ratio(f.peak_rss_kib as f64, base.peak_rss_kib as f64),
                f.threads,
                f.connections,
            );
        }
        let ours = &all[0];
        let t = ours.throughput / base.throughput.max(1e-9);
        let r = ours.peak_rss_kib as f64 / (base.peak_rss_kib as f64).max(1.0);
        targets.push((cell.handler, cell.cpus, cell.n, t, r));
    }
    let _ = writeln!(
        out,
        "\n### Targets (sleepy against the baseline)\n\n\
         | handler | CPUs | N | throughput ≥ {THROUGHPUT_TARGET}× | peak RSS ≤ {RSS_TARGET}× |\n|---|---|---|---|---|"
    );
    let check = |r: f64, met: bool| format!("{r:.3}× {}", if met { "met" } else { "**missed**" });
    for (handler, cpus, n, t, r) in targets {
        let _ = writeln!(
            out,
            "| {handler} | {cpus} | {n} | {} | {} |",
            check(t, t >= THROUGHPUT_TARGET),
            check(r, r <= RSS_TARGET)
        );
    }
    out
}
