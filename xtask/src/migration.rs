//! `cargo xtask migration [--check]`: what moving a `lambda_runtime` function to lambda-bootstrap
//! changes, measured. Builds `examples/serde_http.rs` (feature `serde`) and `bench/serde-baseline`
//! (the same HTTP API function on `lambda_runtime` + tokio, its own Cargo.lock) for x86_64 musl in
//! the size profile, measures the start-up of both side by side, and counts the lines that differ
//! between the two sources (their leading `//!` comments aside). Both are size rows of
//! `cargo xtask size` (`serde_http` and `serde_http on lambda_runtime`), built the same way here;
//! the figures and the diff go into `docs/migrating-from-lambda-runtime.md` between its two
//! markers.
//!
//! Start-up is what `cargo xtask bench` measures (spawn → the first `GET /next` fully read by the
//! emulator, in an optimised xtask, pinned to one CPU), here with `examples/events/http-api-v2.json`
//! queued: each run must also answer it. [`RUNS`] runs of each program, interleaved.
//!
//! `--check` (CI) writes nothing, measures no time, and fails when the document is stale. Sizes
//! and the diff are deterministic and rebuilt; timings are not, so the write records them in the
//! block (a `<!-- start-up … -->` line: runs, medians and p99s in µs, how busy the rest of the
//! machine was, the machine) and `--check` renders the block again from that record: the figures
//! must be present and well formed, the table cells and ratios must be the ones the record gives,
//! and as they were measured in the same run as the sizes beside them, a change that moves a size
//! makes the whole block stale, and the next `cargo xtask migration` measures both again.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use cargo_bootstrap::bench::Program;
use cargo_bootstrap::bench::machine::{CpuTimes, Machine, pin_to_one_cpu};
use cargo_bootstrap::bench::run::startups;
use cargo_bootstrap::bench::stats::{duration, percentile};
use cargo_bootstrap::size::{file_size, zipped_size};

use super::{Arch, root};

const DOC: &str = "docs/migrating-from-lambda-runtime.md";
const BEGIN: &str = "<!-- begin: written by `cargo xtask migration` -->";
const END: &str = "<!-- end: written by `cargo xtask migration` -->";
const OURS: &str = "examples/serde_http.rs";
const THEIRS: &str = "bench/serde-baseline/src/main.rs";
/// The event both programs are started with (and must answer).
const EVENT: &str = "examples/events/http-api-v2.json";
/// Start-up runs of each program.
const RUNS: usize = 40;
/// How the start-up record starts; it ends with ` -->`.
const RECORD: &str = "<!-- start-up (µs, median p99): ";

const USAGE: &str = "usage: cargo xtask migration [--check]
  builds examples/serde_http.rs and bench/serde-baseline (the same function on lambda_runtime) for
  x86_64 musl in the size profile, measures the start-up of both, and writes their sizes, their
  start-up and the port's diff into docs/migrating-from-lambda-runtime.md; --check measures no
  time and fails when the document is stale";

pub fn main(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => return Err(USAGE.into()),
    };
    if !check && cfg!(debug_assertions) {
        // The emulator runs inside xtask: measured start-ups include its reading of `/next`.
        return super::optimised("migration", args);
    }
    super::setup(&[Arch::X86_64])?;
    eprintln!("migration: building serde_http and bench/serde-baseline (the size rows of both)");
    let ours = super::size::binary("serde_http", Arch::X86_64)?;
    let theirs = super::size::binary("serde_http on lambda_runtime", Arch::X86_64)?;
    let doc_path = root().join(DOC);
    let doc = std::fs::read_to_string(&doc_path).map_err(|e| format!("{}: {e}", doc_path.display()))?;
    let startup = if check {
        Startup::recorded(&doc).ok_or(format!(
            "{DOC} has no start-up record ({RECORD}…): run `cargo xtask migration` and commit it"
        ))?
    } else {
        Startup::measure(&ours, &theirs)?
    };
    let table = table(sizes(&ours)?, sizes(&theirs)?, &startup);
    let (before, after) = (source(THEIRS)?, source(OURS)?);
    let diff = diff(&before, &after);
    let block = doc_block(&table, &diff);

    let new_doc = replace_between(&doc, &block).ok_or(format!("{DOC} lacks the markers {BEGIN} … {END}"))?;
    if check {
        return if new_doc == doc {
            Ok(())
        } else {
            Err(format!("{DOC} is stale: run `cargo xtask migration` and commit it"))
        };
    }
    println!("{block}");
    std::fs::write(&doc_path, new_doc).map_err(|e| format!("{}: {e}", doc_path.display()))?;
    println!("wrote {DOC}");
    Ok(())
}

/// Stripped and zipped size of a binary.
fn sizes(binary: &Path) -> Result<(u64, u64), String> {
    Ok((file_size(binary)?, zipped_size(binary)?))
}

/// Start-up of both programs, from one run.
#[derive(Debug, PartialEq)]
struct Startup {
    /// Runs of each program.
    runs: usize,
    /// Median and p99, in µs: ours, then `lambda_runtime`'s.
    ours: [u64; 2],
    theirs: [u64; 2],
    /// CPU time other processes and interrupts took meanwhile, in tenths of a second.
    others_ds: u64,
    /// The machine, as `cargo xtask bench` describes it.
    machine: String,
}

impl Startup {
    /// [`RUNS`] start-ups of each program, interleaved, pinned to one CPU (this process stays
    /// pinned).
    fn measure(ours: &Path, theirs: &Path) -> Result<Startup, String> {
        let m = Machine::describe(&root());
        let logs = root().join("target/bench-logs");
        let programs = [
            Program::new("serde_http", OURS.into(), ours.to_path_buf(), &logs)?,
            Program::new("serde_http on lambda_runtime", THEIRS.into(), theirs.to_path_buf(), &logs)?,
        ];
        let event = std::fs::read(root().join(EVENT)).map_err(|e| format!("{EVENT}: {e}"))?;
        let cpu = pin_to_one_cpu()?;
        eprintln!("migration: start-up of both, {RUNS} runs each, interleaved, pinned to CPU {cpu}");
        let before = CpuTimes::now();
        let runs = startups(&programs, &event, RUNS)?;
        let others = CpuTimes::now().zip(before).map(|(after, before)| after.others_since(&before).busy);
        let spread = |runs: &[Duration]| {
            let mut sorted = runs.to_vec();
            sorted.sort_unstable();
            [0.5, 0.99].map(|p| percentile(&sorted, p).as_micros() as u64)
        };
        Ok(Startup {
            runs: RUNS,
            ours: spread(&runs[0]),
            theirs: spread(&runs[1]),
            others_ds: others.map_or(0, |d| (d.as_secs_f64() * 10.0).round() as u64),
            machine: format!("{}, nproc {}, {}", m.cpu, m.nproc, m.kernel),
        })
    }

    /// The record line kept in the document.
    fn record(&self) -> String {
        let [a, b] = self.ours;
        let [c, d] = self.theirs;
        format!(
            "{RECORD}runs={} ours={a},{b} theirs={c},{d} others={}.{} machine={} -->",
            self.runs,
            self.others_ds / 10,
            self.others_ds % 10,
            self.machine
        )
    }

    /// The record in `doc`, if there is one and it is well formed.
    fn recorded(doc: &str) -> Option<Startup> {
        let line = doc.lines().find_map(|l| l.strip_prefix(RECORD))?.strip_suffix(" -->")?;
        let (fields, machine) = line.split_once(" machine=")?;
        let mut fields = fields.split(' ');
        let mut field = |key: &str| fields.next()?.strip_prefix(key)?.strip_prefix('=');
        let runs = field("runs")?.parse().ok()?;
        let pair = |text: &str| -> Option<[u64; 2]> {
            let (a, b) = text.split_once(',')?;
            Some([a.parse().ok()?, b.parse().ok()?])
        };
        let (ours, theirs) = (pair(field("ours")?)?, pair(field("theirs")?)?);
        let (seconds, tenths) = field("others")?.split_once('.')?;
        let others_ds = seconds.parse::<u64>().ok()? * 10 + tenths.parse::<u64>().ok().filter(|t| *t < 10)?;
        (fields.next().is_none() && !machine.is_empty() && tenths.len() == 1).then(|| Startup {
            runs,
            ours,
            theirs,
            others_ds,
            machine: machine.to_string(),
        })
    }
}

/// The table: sizes and start-up of both programs, and ours as a share of theirs; then how the
/// start-up was measured, and its record.
fn table((size, zip): (u64, u64), (their_size, their_zip): (u64, u64), startup: &Startup) -> String {
    let share = |a: u64, b: u64| format!("{:.0} %", 100.0 * a as f64 / b as f64);
    let us = |n: u64| duration(Duration::from_micros(n));
    let ([median, p99], [their_median, their_p99]) = (startup.ours, startup.theirs);
    let mut t = String::new();
    let _ = writeln!(t, "x86_64 musl, size profile, toolchain `{}`.\n", super::rustc_version());
    let _ = writeln!(t, "| `serde_http` on | stripped | zip | start-up | start-up p99 |");
    let _ = writeln!(t, "|---|---:|---:|---:|---:|");
    let _ =
        writeln!(t, "| lambda-bootstrap, feature `serde` | {size} | {zip} | {} | {} |", us(median), us(p99));
    let _ = writeln!(
        t,
        "| `lambda_runtime` + tokio (`bench/serde-baseline`) | {their_size} | {their_zip} | {} | {} |",
        us(their_median),
        us(their_p99)
    );
    let _ = writeln!(
        t,
        "| lambda-bootstrap as a share | {} | {} | {} | {} |\n",
        share(size, their_size),
        share(zip, their_zip),
        share(median, their_median),
        share(p99, their_p99)
    );
    let _ = writeln!(
        t,
        "Start-up: spawn → the first `GET /next` fully read by the Runtime API emulator, as `cargo xtask \
         bench` measures it; median and p99 (nearest rank, so the slowest run) of {} runs of each, \
         interleaved, each a fresh process on a fresh emulator with `{EVENT}` queued (and answered), \
         pinned to one CPU, measured in the same run as the sizes on {}; meanwhile other processes \
         and interrupts kept the CPUs busy for {}.{} s (the figures are only as steady as the \
         machine was quiet).",
        startup.runs,
        startup.machine,
        startup.others_ds / 10,
        startup.others_ds % 10
    );
    let _ = writeln!(t, "{}", startup.record());
    t
}

/// A source without its leading `//!` comment, as lines.
fn source(path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}"))?;
    Ok(text.lines().skip_while(|l| l.starts_with("//!")).map(str::to_string).collect())
}

/// A line of a diff: `' '` kept, `'-'` removed, `'+'` added.
type Line = (char, String);

/// The shortest line diff from `before` to `after` (longest common subsequence).
fn diff(before: &[String], after: &[String]) -> Vec<Line> {
    let (n, m) = (before.len(), after.len());
    // common[i][j]: the longest common subsequence of before[i..] and after[j..].
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if before[i] == after[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && before[i] == after[j] {
            out.push((' ', before[i].clone()));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            out.push(('-', before[i].clone()));
            i += 1;
        } else {
            out.push(('+', after[j].clone()));
            j += 1;
        }
    }
    out
}

/// What goes between the doc's markers.
fn doc_block(table: &str, diff: &[Line]) -> String {
    let count = |c: char| diff.iter().filter(|(k, _)| *k == c).count();
    let (removed, added, kept) = (count('-'), count('+'), count(' '));
    let mut b = String::new();
    let _ = writeln!(b, "{BEGIN}\n");
    let _ = writeln!(
        b,
        "The port of the function (`{THEIRS}` → `{OURS}`, leading `//!` comments aside): \
         **{} lines changed** ({removed} removed, {added} added), {kept} lines unchanged.\n",
        removed + added
    );
    let _ = writeln!(b, "```diff");
    for (kind, line) in diff {
        let _ = writeln!(b, "{}", format!("{kind}{line}").trim_end());
    }
    let _ = writeln!(b, "```\n");
    let _ = writeln!(b, "{table}");
    let _ = write!(b, "{END}");
    b
}

/// `doc` with the text from [`BEGIN`] to [`END`] replaced by `block`, or `None` without markers.
fn replace_between(doc: &str, block: &str) -> Option<String> {
    let start = doc.find(BEGIN)?;
    let end = doc[start..].find(END)? + start + END.len();
    Some(format!("{}{block}{}", &doc[..start], &doc[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup() -> Startup {
        let machine = "CPU X, nproc 2, Linux 6".into();
        Startup { runs: 40, ours: [512, 901], theirs: [1430, 2210], others_ds: 13, machine }
    }

    #[test]
    fn the_start_up_record_reads_back_what_was_written() {
        let table = table((600, 300), (1000, 500), &startup());
        assert_eq!(Startup::recorded(&table), Some(startup()));
        let line = table.lines().find(|l| l.starts_with("| lambda-bootstrap as a share")).unwrap();
        assert_eq!(line, "| lambda-bootstrap as a share | 60 % | 60 % | 36 % | 41 % |");
        assert!(table.contains("| 600 | 300 | 512 µs | 901 µs |"), "{table}");
        assert!(table.contains("| 1000 | 500 | 1.43 ms | 2.21 ms |"), "{table}");
        assert!(table.contains("busy for 1.3 s"), "{table}");
    }

    #[test]
    fn a_missing_or_malformed_start_up_record_is_none() {
        let record = startup().record();
        assert_eq!(Startup::recorded("no record here"), None);
        for broken in [
            record.replace("ours=512,901", "ours=512"),
            record.replace("runs=40", "runs=forty"),
            record.replace(" -->", ""),
            record.replace("machine=CPU X, nproc 2, Linux 6", "machine="),
            record.replace(" theirs=", " extra=1 theirs="),
            record.replace("others=1.3", "others=1.34"),
            record.replace("others=1.3", "others=13"),
        ] {
            assert_eq!(Startup::recorded(&broken), None, "{broken}");
        }
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn the_diff_is_the_shortest_one() {
        let d = diff(&lines("a\nb\nc\nd"), &lines("a\nx\nc\nd\ne"));
        let shown: String = d.iter().map(|(k, l)| format!("{k}{l}\n")).collect();
        assert_eq!(shown, " a\n-b\n+x\n c\n d\n+e\n");
        assert!(diff(&lines("a"), &lines("a")).iter().all(|(k, _)| *k == ' '));
    }

    #[test]
    fn only_the_marked_block_is_replaced() {
        let doc = format!("intro\n{BEGIN}\nold\n{END}\nrest\n");
        assert_eq!(replace_between(&doc, "new"), Some("intro\nnew\nrest\n".to_string()));
        assert_eq!(replace_between("no markers", "new"), None);
    }
}
