//! `bench`: start-up, latency, memory and connections of `bootstrap`s side by side, each run as a
//! process against the embedded Runtime API emulator on loopback.
//!
//! Runs are interleaved (A B C, B C A, …) so that drift of the machine hits every program alike,
//! and rotated so that no program always follows the same one. A run is one fresh process on a
//! fresh emulator: the event is queued, the process spawned (cold invocation), then warm events
//! are pushed one at a time, each once the function waits in `GET /next`, so that every round
//! trip is measured alone. Times come from the emulator's own clock readings:
//!
//! - start-up: spawn → the first `GET /next` fully read;
//! - cold invocation: spawn → the first response fully read;
//! - warm round trip: the emulator starts writing a `/next` answer → the response fully read;
//!   median and p99 over every warm invocation of every run;
//! - peak RSS: `VmHWM` of `/proc/PID/status`, read after the last invocation, before the kill;
//! - connections: TCP connections the emulator accepted from the process;
//! - for events of 64 B and 1 MiB, and 6 MiB in `cargo xtask bench` (framed as the RIE does:
//!   `Content-Length` up to 2 KiB, chunked above).
//!
//! By default this process (the emulator's threads) and the function are pinned to one CPU: a
//! Lambda function with up to 1769 MB of memory has at most one vCPU, so an async runtime's
//! extra threads cannot run beside it there either. Nothing here asserts a figure.
//!
//! - [`run`]: one run, and runs interleaved; [`session`]: the emulator and the process;
//! - [`stats`]: medians and percentiles; [`machine`]: pinning and the machine's description;
//! - [`compare`]: programs side by side, as Markdown and JSON; [`svg`]: the chart of the ratios.

pub mod compare;
pub mod machine;
pub mod run;
pub mod session;
pub mod stats;
pub mod svg;

use std::path::{Path, PathBuf};

/// The event sizes measured: (label, bytes).
pub const SMALL: (&str, usize) = ("64 B", 64);
pub const LARGE: (&str, usize) = ("1 MiB", 1 << 20);
/// The largest event Lambda delivers (its limit is 6 MiB for a synchronous invocation).
pub const HUGE: (&str, usize) = ("6 MiB", 6 << 20);

/// One program under test.
pub struct Program {
    /// Its name in the tables.
    pub name: String,
    /// How it was built (for the report).
    pub build: String,
    pub binary: PathBuf,
    pub size: u64,
    /// Where the output of its latest run goes.
    pub log: PathBuf,
}

impl Program {
    /// `binary` under `name`; its output goes to `logs/NAME.log`.
    pub fn new(name: &str, build: String, binary: PathBuf, logs: &Path) -> Result<Program, String> {
        let size =
            std::fs::metadata(&binary).map_err(|e| format!("cannot read {}: {e}", binary.display()))?.len();
        let slug: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        let log = logs.join(format!("{slug}.log"));
        Ok(Program { name: name.to_string(), build, binary, size, log })
    }
}
