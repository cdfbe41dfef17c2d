//! `cargo xtask soak [--invocations N | --quick] [--queue K] [--seed S]`: one `echo` process (the
//! x86_64 size-profile build) serves N invocations (default 1,000,000; `--quick` 20,000) from
//! the in-process emulator, and the soak checks that nothing is lost and nothing leaks:
//!
//! - event sizes are mixed: 90% 64 B–4 KiB, 9% up to 64 KiB, 1% up to 1 MiB (the first four
//!   events are 64 B, 4 KiB, 64 KiB and 1 MiB, so the largest buffers exist from the start), each
//!   its index then random bytes; large ones reach the client chunked, small ones with
//!   `Content-Length`;
//! - every event gets exactly one response, accepted (202), whose body equals the event; posts
//!   equal events; the whole run uses one connection and the process says nothing on stderr;
//! - the process's peak RSS (`VmHWM` in `/proc/<pid>/status`) is read after 10k, 100k and 1M
//!   invocations and at the end; after the first 10k it may grow by at most 1 MiB.
//!
//! Events are queued a few ahead (`--queue`, default 8) so the client never waits for the
//! driver; the emulator's record of requests is drained as the run goes
//! ([`Emulator::take_requests`]), so the driver's memory stays flat too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lambda_emulator::{Emulator, Event, Kind};

const USAGE: &str = "usage: cargo xtask soak [--invocations N | --quick] [--queue K] [--seed S]";

/// Peak RSS may grow by at most this much after the first checkpoint.
const GROWTH_LIMIT_KIB: u64 = 1024;
/// Where peak RSS is read (and at the end of the run).
const CHECKPOINTS: [u64; 3] = [10_000, 100_000, 1_000_000];
/// A run that makes no progress for this long has failed.
const STALL: Duration = Duration::from_secs(60);

struct Args {
    invocations: u64,
    queue: usize,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args { invocations: 1_000_000, queue: 8, seed: 0x5eed_1234_abcd_ef01 };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut number = || -> Result<u64, String> {
            let value = it.next().ok_or(format!("{flag} needs a value\n{USAGE}"))?;
            value.replace('_', "").parse().map_err(|_| format!("{flag}: not a number: {value:?}\n{USAGE}"))
        };
        match flag.as_str() {
            "--invocations" | "-n" => out.invocations = number()?.max(1),
            "--quick" => out.invocations = 20_000,
            "--queue" => out.queue = number()?.clamp(1, 1024) as usize,
            "--seed" => out.seed = number()? | 1,
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        }
    }
    Ok(out)
}

/// xorshift64*: deterministic sizes and bytes from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    fn size(&mut self, index: u64) -> usize {
        match index {
            0 => 64,
            1 => 4 << 10,
            2 => 64 << 10,
            3 => 1 << 20,
            _ => match self.next() % 100 {
                0 => self.range((64 << 10) + 1, 1 << 20),
                1..=9 => self.range((4 << 10) + 1, 64 << 10),
                _ => self.range(64, 4 << 10),
            },
        }
    }

    fn fill(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

/// Random bytes to cut events from (generating a megabyte per event is slow in the debug build
/// `cargo xtask` runs): event `i` is `i` in 8 bytes, then a slice of the pool at a random offset.
struct Pool(Vec<u8>);

impl Pool {
    fn event(&self, rng: &mut Rng, index: u64, size: usize) -> Vec<u8> {
        let mut body = Vec::with_capacity(size);
        body.extend_from_slice(&index.to_le_bytes()[..size.min(8)]);
        let rest = size - body.len();
        let start = rng.range(0, self.0.len() - rest);
        body.extend_from_slice(&self.0[start..start + rest]);
        body
    }
}

/// `VmHWM` and `VmRSS` of `pid`, in KiB.
fn memory(pid: u32) -> Result<(u64, u64), String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or(format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

struct Checkpoint {
    invocations: u64,
    at: Duration,
    hwm_kib: u64,
    rss_kib: u64,
}

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    let parsed = parse(args)?;
    if cfg!(debug_assertions) {
        // The emulator's debug code cannot serve a million invocations in reasonable time.
        return super::optimised("soak", args);
    }
    let args = parsed;
    let binary = super::invoke::build(&super::invoke::Opts::example(super::Arch::X86_64, "echo"))?;
    let n = args.invocations;
    println!(
        "soak: {n} invocations of {} (x86_64 size profile), 64 B - 1 MiB events, {} queued ahead",
        binary.display(),
        args.queue
    );

    let emu = Emulator::start();
    let mut process = emu.spawn(emu.command(&binary));
    let pid = process.id();
    let mut rng = Rng(args.seed);
    let pool = Pool(rng.fill(2 << 20));
    let mut in_flight: HashMap<String, Vec<u8>> = HashMap::new();
    let (mut pushed, mut answered, mut nexts, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    let started = Instant::now();
    let mut progress = Instant::now();

    let result = (|| -> Result<(), String> {
        while answered < n {
            while pushed < n && emu.pending() < args.queue {
                let size = rng.size(pushed);
                let body = pool.event(&mut rng, pushed, size);
                let event = Event::new(body.clone());
                in_flight.insert(event.request_id().to_owned(), body);
                emu.push(event);
                pushed += 1;
            }
            let batch = emu.take_requests();
            if batch.is_empty() {
                if let Some(status) = process.try_wait() {
                    return Err(format!("the process ended after {answered} invocations: {status}"));
                }
                if progress.elapsed() > STALL {
                    return Err(format!("no progress for {STALL:?} after {answered} invocations"));
                }
                emu.wait_change(Duration::from_millis(20));
                continue;
            }
            progress = Instant::now();
            for request in batch {
                match &request.kind {
                    Kind::Next => nexts += 1,
                    Kind::Response(id) => {
                        let Some(event) = in_flight.remove(id) else {
                            return Err(format!("a response for {id}, which is not in flight (twice?)"));
                        };
                        if request.answered != 202 {
                            return Err(format!("the response for {id} was answered {}", request.answered));
                        }
                        if request.body != event {
                            return Err(format!(
                                "the response for {id} differs from its event ({} bytes, not {})",
                                request.body.len(),
                                event.len()
                            ));
                        }
                        if request.conn != 0 {
                            return Err(format!("the response for {id} came on connection {}", request.conn));
                        }
                        answered += 1;
                        bytes += event.len() as u64;
                        if CHECKPOINTS.contains(&answered) || answered == n {
                            let (hwm_kib, rss_kib) = memory(pid)?;
                            let at = started.elapsed();
                            println!(
                                "  after {answered:>9} invocations: VmHWM {hwm_kib:>6} KiB, VmRSS {rss_kib:>6} KiB, {:>7.1} s",
                                at.as_secs_f64()
                            );
                            checkpoints.push(Checkpoint { invocations: answered, at, hwm_kib, rss_kib });
                        }
                    }
                    other => return Err(format!("unexpected request {other:?}: {request}")),
                }
            }
        }
        Ok(())
    })();
    let outcome = process.kill();
    result?;

    let elapsed = started.elapsed();
    if !in_flight.is_empty() || pushed != answered {
        return Err(format!("{pushed} events, {answered} responses, {} never answered", in_flight.len()));
    }
    if nexts < n {
        return Err(format!("{nexts} GET /next for {n} events"));
    }
    if emu.connections() != 1 {
        return Err(format!("{} connections: the client reconnected", emu.connections()));
    }
    if !outcome.stderr.trim().is_empty() {
        return Err(format!("the process wrote to stderr:\n{}", outcome.stderr));
    }
    println!(
        "  {n} responses equal to their events, {:.2} GB echoed, one connection, in {:.1} s ({:.0} invocations/s)",
        bytes as f64 / 1e9,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    let first = &checkpoints[0];
    let last = checkpoints.last().unwrap_or(first);
    if checkpoints.len() < 2 {
        println!("  (fewer than 10,000 invocations: peak RSS {} KiB, not checked for growth)", last.hwm_kib);
        return Ok(());
    }
    let growth = last.hwm_kib.saturating_sub(first.hwm_kib);
    println!(
        "  VmHWM growth from {} to {} invocations: {growth} KiB (limit {GROWTH_LIMIT_KIB} KiB); VmRSS {} -> {} KiB; {:.1} s -> {:.1} s",
        first.invocations,
        last.invocations,
        first.rss_kib,
        last.rss_kib,
        first.at.as_secs_f64(),
        last.at.as_secs_f64()
    );
    if growth > GROWTH_LIMIT_KIB {
        return Err(format!(
            "peak RSS grew by {growth} KiB after the first {} invocations",
            first.invocations
        ));
    }
    println!("soak: ok");
    Ok(())
}
