//! `cargo xtask bench`'s extension section: the start-up of the `extension` example (std only)
//! against the same extension on `lambda-extension` + tokio (`bench/extension-baseline`), each
//! started by the emulator as Lambda starts an external extension. Start-up is spawn → its first
//! `GET /extension/event/next` fully read (the emulator's clock): what an extension adds to every
//! cold start before the function may run. Runs are interleaved; a run is a fresh emulator and a
//! fresh process, SIGKILLed once measured. Under `--quick` (CI) only ours runs, so that the
//! code cannot rot without the baseline's minutes of building.

use std::process::Stdio;
use std::time::{Duration, Instant};

use cargo_bootstrap::bench::Program;
use cargo_bootstrap::bench::stats::{duration, percentile, ratio};
use lambda_emulator::{Emulator, ExtensionCall, Kind};

use super::bench::{Config, build_example, build_outside};

pub const SECTION: &str = "## Extension start-up";

/// Builds both extensions, measures them interleaved, and returns the section (heading included).
pub fn startup(config: &Config) -> Result<String, String> {
    let ours = build_example(
        "extension (std only)",
        "extension",
        &["--no-default-features", "--features", "extension"],
    )?;
    let mut programs = vec![ours];
    // `--extensions` asks for the comparison even with --quick.
    // Under --quick (CI) the baseline is not built: its tokio and hyper would cost minutes.
    if !config.quick || config.extensions {
        programs.push(baseline()?);
    }
    if config.extensions && config.pin {
        // Alone (`--extensions`), after the builds; in a whole run `bench.rs` has pinned already.
        cargo_bootstrap::bench::machine::pin_to_one_cpu()?;
    }
    let runs = if config.quick { 2 } else { config.runs };
    let n = programs.len();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); n];
    for round in 0..runs {
        for i in (0..n).map(|k| (round + k) % n) {
            times[i].push(once(&programs[i]).map_err(|e| format!("{}: {e}", programs[i].name))?);
        }
    }
    let mut out = format!("{SECTION}\n\n");
    out += &format!(
        "Written by `{}` ({runs} runs each, interleaved; pinned: {}). Start-up: spawn → the first \
         `GET /extension/event/next` fully read, the extension started by the emulator as Lambda \
         starts `/opt/extensions/*`.\n\n",
        config.command, config.pin
    );
    out += "| extension | start-up (median) | min | max | vs lambda-extension | binary size |\n|---|---|---|---|---|---|\n";
    let medians: Vec<Duration> = times
        .iter_mut()
        .map(|t| {
            t.sort_unstable();
            percentile(t, 0.5)
        })
        .collect();
    for (i, program) in programs.iter().enumerate() {
        let t = &times[i];
        out += &format!(
            "| {} | {} | {} | {} | {} | {} B |\n",
            program.name,
            duration(medians[i]),
            duration(t[0]),
            duration(t[t.len() - 1]),
            if n > 1 { ratio(medians[i].as_secs_f64(), medians[n - 1].as_secs_f64()) } else { "—".into() },
            program.size
        );
    }
    Ok(out)
}

/// `bench/extension-baseline`, in the size profile.
fn baseline() -> Result<Program, String> {
    build_outside("extension on lambda-extension", "extension-baseline")
}

/// One run: spawn → the first `/extension/event/next`.
fn once(program: &Program) -> Result<Duration, String> {
    let emulator = Emulator::try_start_with(Default::default()).map_err(|e| e.to_string())?;
    let name = program.binary.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut command = emulator.command(&program.binary);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let spawned = Instant::now();
    let mut process = emulator.start_extension(&name, command).map_err(|e| e.to_string())?;
    let deadline = spawned + Duration::from_secs(10);
    loop {
        let next = emulator.requests().into_iter().find(|r| r.kind == Kind::Extension(ExtensionCall::Next));
        if let Some(next) = next {
            process.try_wait();
            drop(process); // SIGKILL
            return Ok(next.at.saturating_duration_since(spawned));
        }
        if let Some(status) = process.try_wait() {
            return Err(format!("exited ({status}) before its first next"));
        }
        if Instant::now() >= deadline {
            return Err("no /extension/event/next within 10 s".into());
        }
        emulator.wait_change(Duration::from_millis(5));
    }
}
