//! `cargo bootstrap bench`: any bootstraps measured side by side against our echo (the first
//! program), at both event sizes; the figures as a Markdown table (each a ratio to our echo) and
//! as JSON.

use std::fmt::Write as _;
use std::time::Duration;

use miniserde::Serialize;

use super::stats::{Figures, duration, kib, ratio};
use super::{LARGE, Program, SMALL, machine, run};

/// How much to measure.
pub struct Settings {
    pub runs: usize,
    /// Warm invocations per run with 64 B events.
    pub invocations: usize,
    /// Warm invocations per run with 1 MiB events.
    pub large_invocations: usize,
    pub pin: bool,
    pub verbose: bool,
}

impl Settings {
    /// A few short runs: enough to see the command work, too few to rely on.
    pub fn quick() -> Settings {
        Settings { runs: 2, invocations: 30, large_invocations: 3, pin: true, verbose: false }
    }

    pub fn full() -> Settings {
        Settings { runs: 20, invocations: 300, large_invocations: 20, pin: true, verbose: false }
    }
}

/// The figures of every program at one event size, in the order of the programs.
pub struct Table {
    pub size: &'static str,
    pub bytes: usize,
    pub invocations: usize,
    pub figures: Vec<Figures>,
}

/// Measures every program at both event sizes, interleaved, pinned to one CPU unless
/// `settings.pin` is off (from then on, this whole process stays pinned). Returns the tables and
/// the CPU.
pub fn side_by_side(
    programs: &[Program],
    settings: &Settings,
) -> Result<(Vec<Table>, Option<usize>), String> {
    let cpu = if settings.pin { Some(machine::pin_to_one_cpu()?) } else { None };
    let mut tables = Vec::new();
    for (size, invocations) in [(SMALL, settings.invocations), (LARGE, settings.large_invocations)] {
        let samples = run::measure(programs, size, settings.runs, invocations, settings.verbose)?;
        let figures = samples.iter().map(|s| Figures::of(s)).collect();
        tables.push(Table { size: size.0, bytes: size.1, invocations, figures });
    }
    Ok((tables, cpu))
}

/// The ratios a chart shows, per program: (label, ours / our echo's).
pub fn ratios(table: &Table) -> Vec<[(&'static str, f64); 5]> {
    let Some(base) = table.figures.first() else { return Vec::new() };
    let r = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let secs = Duration::as_secs_f64;
    table
        .figures
        .iter()
        .map(|f| {
            [
                ("start-up", r(secs(&f.startup.0), secs(&base.startup.0))),
                ("cold", r(secs(&f.cold.0), secs(&base.cold.0))),
                ("warm median", r(secs(&f.warm.0), secs(&base.warm.0))),
                ("warm p99", r(secs(&f.warm.1), secs(&base.warm.1))),
                ("peak RSS", r(f.peak_rss_kib as f64, base.peak_rss_kib as f64)),
            ]
        })
        .collect()
}

/// The Markdown report: the programs, then one table per event size; (×) is the ratio to the
/// first program, our echo.
pub fn markdown(programs: &[Program], tables: &[Table], settings: &Settings, cpu: Option<usize>) -> String {
    let mut out = String::new();
    let pinned = cpu.map_or("not pinned".to_string(), |c| format!("pinned to CPU {c}"));
    let _ = writeln!(
        out,
        "{} runs per program and event size, interleaved, {pinned}; (×) is the ratio to `{}`.\n",
        settings.runs,
        programs.first().map_or("", |p| p.name.as_str())
    );
    let base_size = programs.first().map_or(0, |p| p.size);
    let _ = writeln!(out, "| program | binary | size |\n|---|---|---|");
    for p in programs {
        let size = format!("{:.1} KiB ({})", p.size as f64 / 1024.0, ratio(p.size as f64, base_size as f64));
        let _ = writeln!(out, "| {} | `{}` | {size} |", p.name, p.build);
    }
    for table in tables {
        let _ = writeln!(out, "\n{} events, {} warm invocations per run:\n", table.size, table.invocations);
        let _ = writeln!(
            out,
            "| program | start-up | cold | warm median | warm p99 | peak RSS | connections |\n|---|---|---|---|---|---|---|"
        );
        let Some(base) = table.figures.first() else { continue };
        for (p, f) in programs.iter().zip(&table.figures) {
            let time = |ours: Duration, theirs: Duration| {
                format!("{} ({})", duration(ours), ratio(ours.as_secs_f64(), theirs.as_secs_f64()))
            };
            let connections = match f.connections {
                (a, b) if a == b => a.to_string(),
                (a, b) => format!("{a}–{b}"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} ({}) | {connections} |",
                p.name,
                time(f.startup.0, base.startup.0),
                time(f.cold.0, base.cold.0),
                time(f.warm.0, base.warm.0),
                time(f.warm.1, base.warm.1),
                kib(f.peak_rss_kib),
                ratio(f.peak_rss_kib as f64, base.peak_rss_kib as f64),
            );
        }
    }
    out
}

#[derive(Serialize)]
struct JsonReport {
    runs: usize,
    pinned_cpu: Option<u64>,
    programs: Vec<JsonProgram>,
    tables: Vec<JsonTable>,
}

#[derive(Serialize)]
struct JsonProgram {
    name: String,
    binary: String,
    size: u64,
}

#[derive(Serialize)]
struct JsonTable {
    event_bytes: u64,
    warm_invocations: u64,
    rows: Vec<JsonRow>,
}

#[derive(Serialize)]
struct JsonRow {
    program: String,
    startup_us: f64,
    cold_us: f64,
    warm_median_us: f64,
    warm_p99_us: f64,
    peak_rss_kib: u64,
    connections_min: u64,
    connections_max: u64,
    /// Ratios to our echo, in the order of the chart: start-up, cold, warm median, warm p99,
    /// peak RSS.
    ratios: Vec<f64>,
}

/// The same figures as JSON (times in microseconds).
pub fn json(programs: &[Program], tables: &[Table], settings: &Settings, cpu: Option<usize>) -> String {
    let us = |d: Duration| (d.as_secs_f64() * 1e7).round() / 10.0;
    let report = JsonReport {
        runs: settings.runs,
        pinned_cpu: cpu.map(|c| c as u64),
        programs: programs
            .iter()
            .map(|p| JsonProgram {
                name: p.name.clone(),
                binary: p.binary.display().to_string(),
                size: p.size,
            })
            .collect(),
        tables: tables
            .iter()
            .map(|t| JsonTable {
                event_bytes: t.bytes as u64,
                warm_invocations: t.invocations as u64,
                rows: programs
                    .iter()
                    .zip(&t.figures)
                    .zip(ratios(t))
                    .map(|((p, f), r)| JsonRow {
                        program: p.name.clone(),
                        startup_us: us(f.startup.0),
                        cold_us: us(f.cold.0),
                        warm_median_us: us(f.warm.0),
                        warm_p99_us: us(f.warm.1),
                        peak_rss_kib: f.peak_rss_kib,
                        connections_min: f.connections.0 as u64,
                        connections_max: f.connections.1 as u64,
                        ratios: r.iter().map(|(_, v)| (v * 1000.0).round() / 1000.0).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    miniserde::json::to_string(&report)
}
