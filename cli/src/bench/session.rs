//! A function under measurement: a fresh emulator, the process on it, and the requests it made,
//! read in order.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lambda_emulator::{Emulator, Event, Kind, Options, Process, Request};

use super::Program;

/// The longest the benchmark waits for one step of a function (a request, its exit).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a wait looks whether the function died.
const POLL: Duration = Duration::from_millis(100);

/// A new emulator (once the last one's threads are gone) with `event` queued; returns its id.
pub fn fresh_emulator(event: &[u8]) -> Result<(Emulator, String), String> {
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
pub fn command(emulator: &Emulator, program: &Program, log: &Path) -> Result<Command, String> {
    let mut command = emulator.command(&program.binary);
    let (stdout, stderr) = output_files(log)?;
    command.stdout(stdout).stderr(stderr);
    Ok(command)
}

/// Starts `command` (from [`command`]) on `emulator`.
pub fn spawn(emulator: &Emulator, program: &Program, command: Command) -> Result<Process, String> {
    emulator.try_spawn(command).map_err(|e| format!("cannot run {}: {e}", program.binary.display()))
}

/// Waits (at most a second) until the emulator threads of the previous run are gone: a dropped
/// emulator's connection threads end on their own, and on the pinned CPU they would otherwise
/// still be winding down while the next program starts.
pub fn settle() {
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
pub struct Session<'a> {
    pub emulator: &'a Emulator,
    pub process: Process,
    /// How many of the emulator's recorded requests were looked at.
    pub seen: usize,
    /// Where its stdout and stderr go.
    pub log: &'a Path,
}

impl Session<'_> {
    /// Waits for the function to ask for the next event, pushes one, waits for its response:
    /// returns the round trip as the emulator saw it.
    /// Also says whether the response came on another connection than the event.
    pub fn warm_invocation(&mut self, body: &[u8], expected: &[u8]) -> Result<(Duration, bool), String> {
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
    pub fn wait_for_response(&mut self, id: &str, expected: &[u8]) -> Result<Request, String> {
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
    pub fn wait_for(&mut self, what: &str, wanted: impl Fn(&Request) -> bool) -> Result<Request, String> {
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
pub fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or(format!("no VmHWM line in {path}"))
}
