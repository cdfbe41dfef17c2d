//! One run of one program, and runs interleaved: what a sample is and how it is taken.

use std::time::{Duration, Instant};

use super::Program;
use super::session::{Session, command, fresh_emulator, peak_rss_kib, spawn};
use super::stats::{duration, kib, percentile};
use lambda_emulator::Kind;

/// What one run of one program measured.
pub struct Sample {
    pub startup: Duration,
    pub cold: Duration,
    pub warm: Vec<Duration>,
    /// For each warm invocation: the response came on another connection than the event.
    pub switched: Vec<bool>,
    pub peak_rss_kib: u64,
    pub connections: usize,
}

/// `runs` rounds, each running every program once (A B C D, then B C D A, …): interleaved so that
/// drift of the machine hits every program alike, and rotated so that none always runs right
/// after the same one (in trials, the program that always followed the baseline started slower).
pub fn measure(
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
pub fn event_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"data":""#.to_vec();
    body.resize(len.saturating_sub(2).max(body.len()), b'x');
    body.extend_from_slice(br#""}"#);
    body
}

/// One fresh process on one fresh emulator: the cold invocation, then the warm ones.
pub fn run_once(program: &Program, body: &[u8], invocations: usize) -> Result<Sample, String> {
    let (emulator, first_id) = fresh_emulator(body)?;
    let command = command(&emulator, program, &program.log)?;
    let spawned = Instant::now();
    let process = spawn(&emulator, program, command)?;
    let mut session = Session { emulator: &emulator, process, seen: 0, log: &program.log };

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

/// Start-up only, for a function that is not an echo: `runs` rounds, each starting every
/// program once (interleaved and rotated as [`measure`] does) on a fresh emulator with `event`
/// queued; returns each program's start-ups, in the order of its runs.
pub fn startups(programs: &[Program], event: &[u8], runs: usize) -> Result<Vec<Vec<Duration>>, String> {
    let mut startups: Vec<Vec<Duration>> = programs.iter().map(|_| Vec::new()).collect();
    for round in 0..runs {
        for i in (0..programs.len()).map(|k| (round + k) % programs.len()) {
            let program = &programs[i];
            let startup =
                startup_once(program, event).map_err(|e| format!("{} (start-up): {e}", program.name))?;
            startups[i].push(startup);
        }
    }
    Ok(startups)
}

/// One fresh process on one fresh emulator with `event` queued: spawn → its first `GET /next`
/// (the start-up [`run_once`] measures). The function must then answer the event (any 2xx
/// response: no `/error`, no exit) before it is killed, so that a start-up is never one of a
/// function that does not work.
pub fn startup_once(program: &Program, event: &[u8]) -> Result<Duration, String> {
    let (emulator, id) = fresh_emulator(event)?;
    let command = command(&emulator, program, &program.log)?;
    let spawned = Instant::now();
    let process = spawn(&emulator, program, command)?;
    let mut session = Session { emulator: &emulator, process, seen: 0, log: &program.log };
    let first_next = session.wait_for("its first GET /next", |r| r.kind == Kind::Next)?;
    session.wait_for_response(&id, &[])?;
    session.process.kill();
    Ok(first_next.at.saturating_duration_since(spawned))
}

impl Sample {
    /// One line for `--verbose`, with the warm round trips split by whether the response came
    /// on the connection that carried the event.
    pub fn summary(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_exact_size() {
        assert_eq!(event_body(64).len(), 64);
        assert_eq!(event_body(1 << 20).len(), 1 << 20);
        assert!(event_body(64).starts_with(br#"{"data":"xx"#) && event_body(64).ends_with(br#"x"}"#));
    }
}
