//! `cargo xtask migration [--check]`: what moving a `lambda_runtime` function to lambda-bootstrap
//! changes, measured. Builds `examples/serde_http.rs` (feature `serde`) and `bench/serde-baseline`
//! (the same HTTP API function on `lambda_runtime` + tokio, its own Cargo.lock) for x86_64 musl in
//! the size profile, and counts the lines that differ between the two sources (their leading `//!`
//! comments aside). Both are size rows of `cargo xtask size` (`serde_http` and `serde_http on
//! lambda_runtime`), built the same way here; the figures and the diff go into
//! `docs/migrating-from-lambda-runtime.md` between its two markers. `--check` writes nothing and
//! fails when the document is stale.
//!
//! Start-up is not measured here: it is the runtime's, not the handler's, and `cargo xtask bench`
//! measures it for the echo on both runtimes ("Start-up and latency" in `size-report.md`).

use std::fmt::Write as _;

use super::{Arch, root};

const DOC: &str = "docs/migrating-from-lambda-runtime.md";
const BEGIN: &str = "<!-- begin: written by `cargo xtask migration` -->";
const END: &str = "<!-- end: written by `cargo xtask migration` -->";
const OURS: &str = "examples/serde_http.rs";
const THEIRS: &str = "bench/serde-baseline/src/main.rs";

const USAGE: &str = "usage: cargo xtask migration [--check]
  builds examples/serde_http.rs and bench/serde-baseline (the same function on lambda_runtime) for
  x86_64 musl in the size profile, and writes their sizes and the port's diff into
  docs/migrating-from-lambda-runtime.md; --check fails when it is stale";

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
    super::setup(&[Arch::X86_64])?;
    eprintln!("migration: building serde_http and bench/serde-baseline (the size rows of both)");
    let ours = super::size::measure("serde_http", Arch::X86_64)?;
    let theirs = super::size::measure("serde_http on lambda_runtime", Arch::X86_64)?;
    let table = table(ours, theirs);
    let (before, after) = (source(THEIRS)?, source(OURS)?);
    let diff = diff(&before, &after);
    let block = doc_block(&table, &diff);

    let doc_path = root().join(DOC);
    let doc = std::fs::read_to_string(&doc_path).map_err(|e| format!("{}: {e}", doc_path.display()))?;
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

/// The size table: both programs, and ours as a share of theirs.
fn table((size, zip): (u64, u64), (their_size, their_zip): (u64, u64)) -> String {
    let share = |a: u64, b: u64| format!("{:.0} %", 100.0 * a as f64 / b as f64);
    let mut t = String::new();
    let _ = writeln!(t, "x86_64 musl, size profile, toolchain `{}`.\n", super::rustc_version());
    let _ = writeln!(t, "| `serde_http` on | stripped | zip |");
    let _ = writeln!(t, "|---|---:|---:|");
    let _ = writeln!(t, "| lambda-bootstrap, feature `serde` | {size} | {zip} |");
    let _ = writeln!(t, "| `lambda_runtime` + tokio (`bench/serde-baseline`) | {their_size} | {their_zip} |");
    let _ = writeln!(
        t,
        "| lambda-bootstrap as a share | {} | {} |",
        share(size, their_size),
        share(zip, their_zip)
    );
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
