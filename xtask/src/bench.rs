//! `cargo xtask bench`: start-up, latency, memory and connections of our `bootstrap`s against the
//! async baseline (`bench/async-baseline`: the same echo on `lambda_runtime` + tokio), each run
//! as a process against the Runtime API emulator on loopback.
//!
//! The programs: `echo` (default features, started by `lambda_bootstrap::main!`), the same echo
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
//! - for events of 64 B and 1 MiB (framed as the RIE does: `Content-Length` up to 2 KiB, chunked
//!   above).
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
//! asserts a figure: the targets table says where each program stands.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lambda_emulator::{Emulator, Event, Kind, Options, Process, Request};

use super::{Arch, root, run, setup};

const USAGE: &str = "usage: cargo xtask bench [--quick] [--write] [--unpin] [--verbose] [--alloc] [--runs N] [--invocations N] [--large-invocations N]
  --quick                  2 runs of 30 (64 B) and 3 (1 MiB) warm invocations; writes nothing
  --write                  write size-report.md even with --quick
  --unpin                  do not pin the emulator and the function to one CPU
  --verbose                print every run's figures to stderr
  --alloc                  the JSON-heavy `orders` example on musl's malloc and on mimalloc instead
  --runs N                 runs per program and event size (default 40)
  --invocations N          warm invocations per run with 64 B events (default 500)
  --large-invocations N    warm invocations per run with 1 MiB events (default 30)";

/// The heading of the section of `size-report.md` this command owns.
const SECTION: &str = "## Start-up and latency";
/// The event sizes measured: (label, bytes).
const SMALL: (&str, usize) = ("64 B", 64);
const LARGE: (&str, usize) = ("1 MiB", 1 << 20);
/// The longest the benchmark waits for one step of a function (a request, its exit).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a wait looks whether the function died.
const POLL: Duration = Duration::from_millis(100);
/// Where we must land, as ratios to the async baseline.
const STARTUP_TARGET: f64 = 0.5;
const WARM_TARGET: f64 = 0.3;
const RSS_TARGET: f64 = 0.3;

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
        return allocators(&config);
    }
    let machine = Machine::describe();
    let programs = build_all()?;
    let cpu = if config.pin { Some(pin_to_one_cpu()?) } else { None };
    let started = Instant::now();
    let cpu_before = CpuTimes::now();
    let mut tables = Vec::new();
    for (size, invocations) in [(SMALL, config.invocations), (LARGE, config.large_invocations)] {
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
    if config.write {
        super::write_section(SECTION, &report)?;
        eprintln!("bench: wrote the \"{SECTION}\" section of size-report.md");
    } else {
        eprintln!("bench: --quick: size-report.md left alone (add --write to write it)");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Options

struct Config {
    runs: usize,
    invocations: usize,
    large_invocations: usize,
    pin: bool,
    write: bool,
    quick: bool,
    /// Print every run's figures to stderr.
    verbose: bool,
    /// Compare allocators on the JSON-heavy `orders` example instead (`--alloc`).
    alloc: bool,
    /// The command line, for the report.
    command: String,
}

impl Config {
    fn parse(args: &[String]) -> Result<Config, String> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut config = Config {
            runs: if quick { 2 } else { 40 },
            invocations: if quick { 30 } else { 500 },
            large_invocations: if quick { 3 } else { 30 },
            pin: true,
            write: !quick,
            quick,
            verbose: false,
            alloc: false,
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
                "--runs" => config.runs = count()?,
                "--invocations" => config.invocations = count()?,
                "--large-invocations" => config.large_invocations = count()?,
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        Ok(config)
    }
}

// ---------------------------------------------------------------------------------------------
// The programs

/// One program under test.
struct Program {
    /// Its name in the tables.
    name: &'static str,
    /// How it is built (for the report).
    build: String,
    binary: PathBuf,
    size: u64,
}

/// Builds every program (before pinning, so the builds use every CPU). The async baseline comes
/// last: the tables give every figure as a ratio to the last program's.
fn build_all() -> Result<Vec<Program>, String> {
    setup(&[Arch::X86_64])?;
    let triple = Arch::X86_64.triple();
    let target = root().join("target");
    let mut programs = vec![
        build_example("echo", "echo", &[], None)?,
        build_example("echo (fn main)", "echo_fn_main", &[], None)?,
        build_example(
            "echo (std only)",
            "echo",
            &["--no-default-features", "--features", "std"],
            Some("bench-std"),
        )?,
    ];
    if root().join("examples/nostd.rs").is_file() {
        programs.push(build_example("nostd", "nostd", &["--no-default-features"], Some("bench-nostd"))?);
    } else {
        eprintln!("bench: examples/nostd.rs does not exist yet: the nostd example is skipped");
    }

    let manifest = root().join("bench/async-baseline/Cargo.toml");
    let target_dir = target.join("async-baseline");
    eprintln!("bench: building the async baseline (bench/async-baseline)");
    run(super::builds::workspace(Arch::X86_64)
        .args(["--quiet", "--locked"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir))?;
    let build = format!(
        "cargo build --release --target {triple} --manifest-path bench/async-baseline/Cargo.toml --target-dir target/async-baseline"
    );
    programs.push(program("async baseline", build, target_dir.join(triple).join("release/async-baseline"))?);
    Ok(programs)
}

/// Builds one example in the size profile, in `target/DIR` when the features differ from the
/// defaults (so that builds with different features do not overwrite each other).
fn build_example(
    name: &'static str,
    example: &str,
    features: &[&str],
    dir: Option<&str>,
) -> Result<Program, String> {
    let triple = Arch::X86_64.triple();
    eprintln!("bench: building {name}");
    let mut args = vec!["build", "--release", "--target", triple, "--example", example];
    args.extend_from_slice(features);
    let target_dir = dir.map_or_else(|| root().join("target"), |d| root().join("target").join(d));
    // `cargo build --release --target …` with the path remapping every xtask build has.
    let mut cmd = super::builds::workspace(Arch::X86_64);
    if features.iter().any(|f| f.contains("mimalloc")) {
        super::c_compiler_env(&mut cmd, Arch::X86_64)?;
    }
    run(cmd.arg("--quiet").args(&args[4..]).arg("--target-dir").arg(&target_dir))?;
    let shown_dir = dir.map(|d| format!(" --target-dir target/{d}")).unwrap_or_default();
    let build = format!("cargo {}{shown_dir}", args.join(" "));
    program(name, build, target_dir.join(triple).join("release/examples").join(example))
}

impl Program {
    /// Where the output of its latest run goes: `target/bench-logs/NAME.log`.
    fn log(&self) -> PathBuf {
        let slug: String =
            self.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        root().join("target/bench-logs").join(format!("{slug}.log"))
    }
}

fn program(name: &'static str, build: String, binary: PathBuf) -> Result<Program, String> {
    let size =
        std::fs::metadata(&binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?.len();
    Ok(Program { name, build, binary, size })
}

// ---------------------------------------------------------------------------------------------
// Pinning

/// Pins the calling thread, and so every thread and process it starts afterwards, to the first
/// CPU it may run on. Called on the main thread before any emulator thread exists, it pins the
/// emulator and every function process alike. Returns the CPU.
fn pin_to_one_cpu() -> Result<usize, String> {
    // SAFETY: `cpu_set_t` is plain data (all-zero is the empty set); both calls get a valid
    // pointer to it and its exact size, and the CPU_* macros index inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut set) != 0 {
            return Err(format!("sched_getaffinity: {}", std::io::Error::last_os_error()));
        }
        let cpu = (0..libc::CPU_SETSIZE as usize).find(|&c| libc::CPU_ISSET(c, &set)).unwrap_or(0);
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, size, &set) != 0 {
            return Err(format!("sched_setaffinity to CPU {cpu}: {}", std::io::Error::last_os_error()));
        }
        Ok(cpu)
    }
}

// ---------------------------------------------------------------------------------------------
// Allocators

const ALLOC_SECTION: &str = "## Allocator: musl malloc and mimalloc";

/// `--alloc`: the JSON-heavy `orders` example (a batch of 2,000 orders, ~480 KB of JSON, in; a
/// summary per customer out: thousands of small strings and vectors per invocation) with musl's
/// malloc and with the `mimalloc` feature. Warm round trips, interleaved run by run.
fn allocators(config: &Config) -> Result<(), String> {
    setup(&[Arch::X86_64])?;
    let programs = [
        build_example("orders, musl malloc", "orders", &[], None)?,
        build_example("orders, mimalloc", "orders", &["--features", "mimalloc"], Some("bench-mimalloc"))?,
    ];
    if config.pin {
        pin_to_one_cpu()?;
    }
    let event = orders_event(2_000);
    let invocations = if config.quick { 5 } else { 50 };
    let mut warm: [Vec<Duration>; 2] = Default::default();
    let mut rss: [Vec<u64>; 2] = Default::default();
    let mut expected = Vec::new();
    for round in 0..config.runs.min(10) {
        for i in (0..2).map(|k| (round + k) % 2) {
            let (times, peak, response) = orders_run(&programs[i], &event, &expected, invocations)
                .map_err(|e| format!("{}: {e}", programs[i].name))?;
            expected = response; // both builds must answer alike, every time
            warm[i].extend(times);
            rss[i].push(peak);
        }
    }
    let mut out = format!("{ALLOC_SECTION}\n\n");
    out += &format!(
        "Written by `{}` ({} runs × {invocations} warm invocations, interleaved; pinned: {}). One event of \
         {} bytes: 2,000 orders of 1–8 items, summed per customer (`examples/orders.rs`).\n\n",
        config.command,
        config.runs.min(10),
        config.pin,
        event.len()
    );
    out += "| allocator | warm round trip (median) | p99 | peak RSS | binary size |\n|---|---|---|---|---|\n";
    let medians: Vec<Duration> = warm
        .iter_mut()
        .map(|w| {
            w.sort_unstable();
            percentile(w, 0.5)
        })
        .collect();
    for (i, program) in programs.iter().enumerate() {
        rss[i].sort_unstable();
        out += &format!(
            "| {} | {} ({}) | {} | {} | {} |\n",
            program.name,
            duration(medians[i]),
            ratio(medians[i].as_secs_f64(), medians[0].as_secs_f64()),
            duration(percentile(&warm[i], 0.99)),
            kib(percentile(&rss[i], 0.5)),
            kib(program.size / 1024),
        );
    }
    println!("{out}");
    if config.write {
        super::write_section(ALLOC_SECTION, &out)?;
        eprintln!("bench: wrote the \"{ALLOC_SECTION}\" section of size-report.md");
    }
    Ok(())
}

/// A batch of `orders` orders as JSON, the same bytes every time.
fn orders_event(orders: usize) -> Vec<u8> {
    let mut json = String::from(r#"{"orders":["#);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for id in 0..orders {
        let customer = next(300);
        json += &format!(r#"{{"id":{id},"customer":"customer-{customer}","items":["#);
        for item in 0..1 + next(8) {
            let (sku, qty, cents) = (next(5_000), 1 + next(9), 50 + next(20_000));
            let comma = if item == 0 { "" } else { "," };
            json += &format!(
                r#"{comma}{{"sku":"SKU-{sku:05}","qty":{qty},"price":{}.{:02}}}"#,
                cents / 100,
                cents % 100
            );
        }
        json += if id + 1 == orders { "]}" } else { "]}," };
    }
    json += "]}";
    json.into_bytes()
}

/// One process: a cold invocation, then `invocations` warm ones; their round trips, the peak
/// RSS, and the response (which must equal `expected` when that is not empty).
fn orders_run(
    program: &Program,
    event: &[u8],
    expected: &[u8],
    invocations: usize,
) -> Result<(Vec<Duration>, u64, Vec<u8>), String> {
    let (emulator, first_id) = fresh_emulator(event)?;
    let log = program.log();
    let process = spawn(&emulator, program, command(&emulator, program, &log)?)?;
    let mut session = Session { emulator: &emulator, process, seen: 0, log: &log };
    let response = session.wait_for_response(&first_id, expected)?.body;
    let mut times = Vec::with_capacity(invocations);
    for _ in 0..invocations {
        times.push(session.warm_invocation(event, &response)?.0);
    }
    session.wait_for("GET /next", |r| r.kind == Kind::Next)?;
    let peak = peak_rss_kib(session.process.id())?;
    session.process.kill();
    Ok((times, peak, response))
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// What one run of one program measured.
struct Sample {
    startup: Duration,
    cold: Duration,
    warm: Vec<Duration>,
    /// For each warm invocation: the response came on another connection than the event.
    switched: Vec<bool>,
    peak_rss_kib: u64,
    connections: usize,
}

/// `runs` rounds, each running every program once (A B C D, then B C D A, …): interleaved so that
/// drift of the machine hits every program alike, and rotated so that none always runs right
/// after the same one (in trials, the program that always followed the baseline started slower).
fn measure(
    programs: &[Program],
    size: (&str, usize),
    runs: usize,
    invocations: usize,
    verbose: bool,
) -> Result<Vec<Vec<Sample>>, String> {
    let body = event_body(size.1);
    let mut samples: Vec<Vec<Sample>> = programs.iter().map(|_| Vec::new()).collect();
    for round in 0..runs {
        eprintln!("bench: {} events, run {}/{runs} ({invocations} warm invocations each)", size.0, round + 1);
        for i in (0..programs.len()).map(|k| (round + k) % programs.len()) {
            let program = &programs[i];
            let sample = run_once(program, &body, invocations)
                .map_err(|e| format!("{} ({} events): {e}", program.name, size.0))?;
            if verbose {
                eprintln!("  {:<16} {}", program.name, sample.summary());
            }
            samples[i].push(sample);
        }
    }
    Ok(samples)
}

/// A JSON event of exactly `len` bytes, `{"data":"xx…x"}` (the baseline takes JSON only; its
/// serde_json round trip gives back the same bytes).
fn event_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"data":""#.to_vec();
    body.resize(len.saturating_sub(2).max(body.len()), b'x');
    body.extend_from_slice(br#""}"#);
    body
}

/// A new emulator (once the last one's threads are gone) with `event` queued; returns its id.
fn fresh_emulator(event: &[u8]) -> Result<(Emulator, String), String> {
    settle();
    let emulator = Emulator::try_start_with(Options::default())
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let event = Event::new(event.to_vec());
    let id = event.request_id().to_owned();
    emulator.push(event);
    Ok((emulator, id))
}

/// The command that runs `program` on `emulator`, its output going to `log` (opened now, so that
/// creating the file is not part of a measured start-up).
fn command(emulator: &Emulator, program: &Program, log: &Path) -> Result<Command, String> {
    let mut command = emulator.command(&program.binary);
    let (stdout, stderr) = output_files(log)?;
    command.stdout(stdout).stderr(stderr);
    Ok(command)
}

/// Starts `command` (from [`command`]) on `emulator`.
fn spawn(emulator: &Emulator, program: &Program, command: Command) -> Result<Process, String> {
    emulator.try_spawn(command).map_err(|e| format!("cannot run {}: {e}", program.binary.display()))
}

/// One fresh process on one fresh emulator: the cold invocation, then the warm ones.
fn run_once(program: &Program, body: &[u8], invocations: usize) -> Result<Sample, String> {
    let (emulator, first_id) = fresh_emulator(body)?;
    let log = program.log();
    let command = command(&emulator, program, &log)?;
    let spawned = Instant::now();
    let process = spawn(&emulator, program, command)?;
    let mut session = Session { emulator: &emulator, process, seen: 0, log: &log };

    let first_next = session.wait_for("its first GET /next", |r| r.kind == Kind::Next)?;
    let first_post = session.wait_for_response(&first_id, body)?;
    let (mut warm, mut switched) = (Vec::with_capacity(invocations), Vec::with_capacity(invocations));
    for _ in 0..invocations {
        let (round_trip, other_connection) = session.warm_invocation(body, body)?;
        warm.push(round_trip);
        switched.push(other_connection);
    }
    // Parked in `GET /next` again: nothing is in flight when the memory is read.
    session.wait_for("GET /next", |r| r.kind == Kind::Next)?;
    let peak_rss_kib = peak_rss_kib(session.process.id())?;
    let connections = emulator.connections();
    session.process.kill();
    Ok(Sample {
        startup: first_next.at.saturating_duration_since(spawned),
        cold: first_post.at.saturating_duration_since(spawned),
        warm,
        switched,
        peak_rss_kib,
        connections,
    })
}

impl Sample {
    /// One line for `--verbose`, with the warm round trips split by whether the response came
    /// on the connection that carried the event.
    fn summary(&self) -> String {
        let mut warm = self.warm.clone();
        warm.sort_unstable();
        let (mut same, mut other): (Vec<_>, Vec<_>) =
            self.warm.iter().zip(&self.switched).partition(|(_, s)| !**s);
        same.sort_unstable();
        other.sort_unstable();
        let median = |v: &[(&Duration, &bool)]| {
            v.get(v.len().saturating_sub(1) / 2).map_or("-".into(), |(d, _)| duration(**d))
        };
        format!(
            "start-up {}, cold {}, warm median {} p99 {}, peak RSS {}, {} connection(s); {} responses on \
             another connection (median {}), {} on the same (median {})",
            duration(self.startup),
            duration(self.cold),
            duration(percentile(&warm, 0.5)),
            duration(percentile(&warm, 0.99)),
            kib(self.peak_rss_kib),
            self.connections,
            other.len(),
            median(&other),
            same.len(),
            median(&same),
        )
    }
}

/// Waits (at most a second) until the emulator threads of the previous run are gone: a dropped
/// emulator's connection threads end on their own, and on the pinned CPU they would otherwise
/// still be winding down while the next program starts.
fn settle() {
    let deadline = Instant::now() + Duration::from_secs(1);
    while own_threads() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The number of threads of this process.
fn own_threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(1, Iterator::count)
}

/// A running function and the requests of it read so far.
struct Session<'a> {
    emulator: &'a Emulator,
    process: Process,
    /// How many of the emulator's recorded requests were looked at.
    seen: usize,
    /// Where its stdout and stderr go.
    log: &'a Path,
}

impl Session<'_> {
    /// Waits for the function to ask for the next event, pushes one, waits for its response:
    /// returns the round trip as the emulator saw it.
    /// Also says whether the response came on another connection than the event.
    fn warm_invocation(&mut self, body: &[u8], expected: &[u8]) -> Result<(Duration, bool), String> {
        let next = self.wait_for("GET /next", |r| r.kind == Kind::Next)?;
        let event = Event::new(body.to_vec());
        let id = event.request_id().to_owned();
        self.emulator.push(event);
        let post = self.wait_for_response(&id, expected)?;
        let writing =
            self.emulator.writing_at(&id).ok_or(format!("the emulator has no start time for {id}"))?;
        Ok((post.at.saturating_duration_since(writing), post.conn != next.conn))
    }

    /// Waits for the `/response` post of `id` and checks it is `expected` (for an echo, the
    /// event; empty: anything).
    fn wait_for_response(&mut self, id: &str, expected: &[u8]) -> Result<Request, String> {
        let wanted = Kind::Response(id.to_owned());
        let post = self.wait_for("the response", |r| r.kind == wanted)?;
        if !expected.is_empty() && post.body != expected {
            return Err(format!(
                "the response is not the expected one: {} bytes instead of {}",
                post.body.len(),
                expected.len()
            ));
        }
        Ok(post)
    }

    /// Waits for the next recorded request that is `wanted`; anything but `/next` and accepted
    /// `/response` posts on the way is an error, and so is the function exiting or a step
    /// taking more than [`STEP_TIMEOUT`].
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&Request) -> bool) -> Result<Request, String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            for request in self.emulator.wait_requests_from(self.seen, POLL) {
                self.seen += 1;
                let expected = request.kind == Kind::Next
                    || (matches!(request.kind, Kind::Response(_)) && (200..300).contains(&request.answered));
                if !expected {
                    return Err(format!(
                        "unexpected request while waiting for {what}: {request}{}",
                        self.stderr()
                    ));
                }
                if wanted(&request) {
                    return Ok(request);
                }
            }
            if let Some(status) = self.process.try_wait() {
                return Err(format!(
                    "the function exited ({status}) while we waited for {what}{}",
                    self.stderr()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!("no {what} within {STEP_TIMEOUT:?}{}", self.stderr()));
            }
        }
    }

    fn stderr(&self) -> String {
        let output = std::fs::read_to_string(self.log).unwrap_or_default();
        if output.is_empty() { String::new() } else { format!("; its output:\n{output}") }
    }
}

/// The function's stdout and stderr go to one file rather than to the emulator's pipes: reading
/// pipes takes two threads of ours, which would start beside the function on the pinned CPU and
/// add to its start-up.
fn output_files(path: &Path) -> Result<(std::fs::File, std::fs::File), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let file = std::fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let clone = file.try_clone().map_err(|e| format!("cannot share {}: {e}", path.display()))?;
    Ok((file, clone))
}

/// The peak resident set size of a running process (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or(format!("no VmHWM line in {path}"))
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// One program's figures at one event size, over all its runs.
struct Figures {
    startup: (Duration, Duration),
    cold: (Duration, Duration),
    warm: (Duration, Duration),
    /// Median over the runs.
    peak_rss_kib: u64,
    /// The fewest and the most connections in one run.
    connections: (usize, usize),
}

impl Figures {
    fn of(samples: &[Sample]) -> Figures {
        let spread = |mut values: Vec<Duration>| {
            values.sort_unstable();
            (percentile(&values, 0.5), percentile(&values, 0.99))
        };
        let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
        rss.sort_unstable();
        let connections = samples.iter().map(|s| s.connections);
        Figures {
            startup: spread(samples.iter().map(|s| s.startup).collect()),
            cold: spread(samples.iter().map(|s| s.cold).collect()),
            warm: spread(samples.iter().flat_map(|s| s.warm.iter().copied()).collect()),
            peak_rss_kib: percentile(&rss, 0.5),
            connections: (connections.clone().min().unwrap_or(0), connections.max().unwrap_or(0)),
        }
    }
}

/// The nearest-rank percentile of sorted values (`p` in 0..=1); the default for none.
fn percentile<T: Copy + Default>(sorted: &[T], p: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------------------------------------
// The report

struct Machine {
    nproc: String,
    cpu: String,
    kernel: String,
    rustc: String,
}

impl Machine {
    /// Read before pinning (`nproc` counts the CPUs this process may use).
    fn describe() -> Machine {
        let text = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .current_dir(root())
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "unknown".into())
        };
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        Machine {
            nproc: text("nproc", &[]),
            cpu,
            kernel: text("uname", &["-sr"]),
            rustc: text("rustc", &["--version"]),
        }
    }
}

/// Clock ticks of the whole machine and of this process, from `/proc`: to tell whether
/// something else ran during the benchmark (the figures are only as good as the machine is quiet).
struct CpuTimes {
    /// Every CPU busy (user, nice, system, irq, softirq), all processes.
    busy: u64,
    /// Time the hypervisor took from this machine's CPUs.
    steal: u64,
    /// This process, its threads and its reaped children (the functions).
    ours: u64,
}

/// What ran besides the benchmark.
struct Others {
    busy: Duration,
    steal: Duration,
}

impl CpuTimes {
    fn now() -> Option<CpuTimes> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> =
            stat.lines().next()?.split_whitespace().skip(1).map_while(|v| v.parse().ok()).collect();
        let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = cpu[..] else {
            return None;
        };
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name (which may hold spaces) start at `state` (field 3);
        // utime, stime, cutime and cstime are fields 14 to 17.
        let fields: Vec<u64> = own
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .skip(11)
            .take(4)
            .map_while(|v| v.parse().ok())
            .collect();
        Some(CpuTimes { busy: user + nice + system + irq + softirq, steal, ours: fields.iter().sum() })
    }

    fn others_since(&self, before: &CpuTimes) -> Others {
        // SAFETY: sysconf only reads a configuration value.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let seconds = |t: u64| Duration::from_secs_f64(t as f64 / ticks);
        let busy =
            (self.busy - before.busy.min(self.busy)).saturating_sub(self.ours.saturating_sub(before.ours));
        Others { busy: seconds(busy), steal: seconds(self.steal.saturating_sub(before.steal)) }
    }
}

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
         - events are JSON (`{{\"data\":\"xx…\"}}`), 1 MiB ones chunked as the RIE sends them; the baseline's handler \
         takes and returns a `serde_json::Value` (lambda_runtime has no raw-bytes handler), ours echo the bytes\n\
         - (×) is the ratio to the async baseline in the same run\n",
        config.runs
    );
}

fn render_programs(out: &mut String, programs: &[Program]) {
    let baseline = programs.last().map_or(0, |p| p.size);
    let _ = writeln!(out, "| program | built with | binary size |\n|---|---|---|");
    for program in programs {
        let size = format!(
            "{:.1} KiB ({})",
            program.size as f64 / 1024.0,
            ratio(program.size as f64, baseline as f64)
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
    let Some(base) = table.figures.last() else {
        return;
    };
    for (program, f) in programs.iter().zip(&table.figures) {
        let time = |ours: Duration, theirs: Duration| {
            format!("{} ({})", duration(ours), ratio(ours.as_secs_f64(), theirs.as_secs_f64()))
        };
        let connections = match f.connections {
            (a, b) if a == b => a.to_string(),
            (a, b) => format!("{a}–{b}"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} ({}) | {connections} |",
            program.name,
            time(f.startup.0, base.startup.0),
            time(f.startup.1, base.startup.1),
            time(f.cold.0, base.cold.0),
            time(f.cold.1, base.cold.1),
            time(f.warm.0, base.warm.0),
            time(f.warm.1, base.warm.1),
            kib(f.peak_rss_kib),
            ratio(f.peak_rss_kib as f64, base.peak_rss_kib as f64),
        );
    }
    out.push('\n');
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
        for (program, f) in report.programs.iter().zip(&table.figures).take(ours) {
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
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 { format!("{:.2}×", ours / theirs) } else { "n/a".to_owned() }
}

/// Three significant digits (at least), in µs or ms.
fn duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    match us {
        _ if us < 9.95 => format!("{us:.1} µs"),
        _ if us < 999.5 => format!("{us:.0} µs"),
        _ if us < 9_995.0 => format!("{:.2} ms", us / 1000.0),
        _ if us < 99_950.0 => format!("{:.1} ms", us / 1000.0),
        _ => format!("{:.0} ms", us / 1000.0),
    }
}

fn kib(kib: u64) -> String {
    if kib < 1024 { format!("{kib} KiB") } else { format!("{:.1} MiB", kib as f64 / 1024.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_exact_size() {
        assert_eq!(event_body(64).len(), 64);
        assert_eq!(event_body(1 << 20).len(), 1 << 20);
        assert!(event_body(64).starts_with(br#"{"data":"xx"#) && event_body(64).ends_with(br#"x"}"#));
    }

    #[test]
    fn durations_keep_three_digits_across_units() {
        let us = |n: f64| duration(Duration::from_secs_f64(n / 1e6));
        assert_eq!(us(5.0), "5.0 µs");
        assert_eq!(us(38.2), "38 µs");
        assert_eq!(us(999.6), "1.00 ms");
        assert_eq!(us(9_996.0), "10.0 ms");
        assert_eq!(us(123_456.0), "123 ms");
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let values: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&values, 0.5), 5);
        assert_eq!(percentile(&values, 0.99), 10);
        assert_eq!(percentile(&[7u32], 0.5), 7);
        assert_eq!(percentile::<u32>(&[], 0.5), 0);
    }

    #[test]
    fn options() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let quick = Config::parse(&args("--quick")).unwrap();
        assert!(quick.quick && !quick.write && quick.pin);
        assert!(Config::parse(&args("--quick --write")).unwrap().write);
        let full = Config::parse(&args("--unpin --runs 3")).unwrap();
        assert!(full.write && !full.pin && full.runs == 3 && full.invocations == 500);
        assert_eq!(full.command, "cargo xtask bench --unpin --runs 3");
        assert!(Config::parse(&args("--runs 0")).is_err());
        assert!(Config::parse(&args("--runs")).is_err());
        assert!(Config::parse(&args("--fast")).is_err());
    }
}
