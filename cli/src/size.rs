//! `size`: what a bootstrap costs. The stripped size, the size of its deterministic
//! `bootstrap.zip` (what Lambda is sent), the largest contributors by crate (from the symbol
//! table of an unstripped copy of the same build), a budget, and what grew since a previous
//! run's JSON.

use std::path::Path;
use std::process::Command;

use miniserde::{Deserialize, Serialize};

/// One measured bootstrap, as `size --json` writes it and `--baseline` reads it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub bin: String,
    pub arch: String,
    /// Bytes of the stripped executable.
    pub stripped: u64,
    /// Bytes of its `bootstrap.zip`.
    pub zip: u64,
    /// The budget it was held to, in bytes.
    pub budget: Option<u64>,
    /// Symbol bytes by crate, largest first.
    pub crates: Vec<Crate>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Crate {
    pub name: String,
    pub bytes: u64,
}

/// `24KiB`, `1.5MiB`, `450000`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let scale = match unit {
        "" | "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "KB" => 1000.0,
        "MB" => 1e6,
        _ => return Err(format!("unknown size unit in {text:?}: use B, KiB, MiB, KB or MB")),
    };
    let n: f64 = number.trim().parse().map_err(|_| format!("not a size: {text:?}"))?;
    Ok((n * scale).round() as u64)
}

pub fn file_size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("{}: {e}", path.display()))
}

/// The size of a deterministic `bootstrap.zip` holding the binary.
pub fn zipped_size(binary: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(binary).map_err(|e| format!("{}: {e}", binary.display()))?;
    Ok(crate::zip::zip_one("bootstrap", &bytes, crate::zip::DOS_EPOCH)?.len() as u64)
}

/// Symbol sizes of an unstripped executable (`nm`), summed by crate, largest first.
pub fn contributors(unstripped: &Path) -> Result<Vec<Crate>, String> {
    let out = Command::new("nm")
        .args(["--size-sort", "-S", "-C"])
        .arg(unstripped)
        .output()
        .map_err(|e| format!("nm: {e} (install binutils)"))?;
    if !out.status.success() {
        return Err(format!("nm {}: {}", unstripped.display(), String::from_utf8_lossy(&out.stderr).trim()));
    }
    let mut sums: Vec<Crate> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.splitn(4, ' ');
        let (_, Some(size), Some(_), Some(name)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(size) = u64::from_str_radix(size, 16) else { continue };
        let name = crate_of(name);
        match sums.iter_mut().find(|c| c.name == name) {
            Some(c) => c.bytes += size,
            None => sums.push(Crate { name, bytes: size }),
        }
    }
    sums.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
    Ok(sums)
}

/// The crate a demangled symbol belongs to: its first path segment (inside `<…>` for impls);
/// `musl` for a plain C name, `other` otherwise.
pub fn crate_of(symbol: &str) -> String {
    let trimmed =
        symbol.trim_start_matches(['<', '&', '*', ' ']).trim_start_matches("dyn ").trim_start_matches("mut ");
    match trimmed.split_once("::") {
        Some((first, _)) if !first.is_empty() && first.chars().all(|c| c.is_alphanumeric() || c == '_') => {
            first.to_string()
        }
        _ if symbol.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.') => "musl".to_string(),
        _ => "other".to_string(),
    }
}

impl Report {
    /// The human-readable report: sizes, the largest `top` crates, the budget's verdict.
    pub fn render(&self, top: usize) -> String {
        let mut out = format!(
            "{} ({}): {} stripped, {} zipped\n",
            self.bin,
            self.arch,
            bytes(self.stripped),
            bytes(self.zip)
        );
        out += "largest contributors by crate (symbol bytes of an unstripped copy):\n";
        for c in self.crates.iter().take(top) {
            out += &format!("  {:<24} {:>9}\n", c.name, c.bytes);
        }
        out
    }

    /// `Err(one line)` when over budget.
    pub fn verdict(&self) -> Result<String, String> {
        match self.budget {
            Some(budget) if self.stripped > budget => Err(format!(
                "over budget: {} is {} bytes, {} over its budget of {budget} bytes",
                self.bin,
                self.stripped,
                self.stripped - budget
            )),
            Some(budget) => Ok(format!("within budget: {} <= {budget} bytes", self.stripped)),
            None => Ok(String::new()),
        }
    }

    /// What changed since `before`: the sizes, then every crate that grew or shrank, most first.
    pub fn compare(&self, before: &Report) -> String {
        let mut out = format!(
            "since the baseline: stripped {} -> {} ({:+}), zip {} -> {} ({:+})\n",
            before.stripped,
            self.stripped,
            self.stripped as i64 - before.stripped as i64,
            before.zip,
            self.zip,
            self.zip as i64 - before.zip as i64
        );
        let mut names: Vec<&str> =
            self.crates.iter().chain(&before.crates).map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let of = |r: &Report, name: &str| r.crates.iter().find(|c| c.name == name).map_or(0, |c| c.bytes);
        let mut deltas: Vec<(&str, i64)> = names
            .into_iter()
            .map(|n| (n, of(self, n) as i64 - of(before, n) as i64))
            .filter(|(_, d)| *d != 0)
            .collect();
        deltas.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        if deltas.is_empty() {
            out += "  no crate changed\n";
        }
        for (name, delta) in deltas {
            out += &format!("  {name:<24} {delta:>+9}\n");
        }
        out
    }
}

fn bytes(n: u64) -> String {
    format!("{n} bytes ({:.1} KiB)", n as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("24KiB"), Ok(24 * 1024));
        assert_eq!(parse_size("450 KiB"), Ok(450 * 1024));
        assert_eq!(parse_size("1.5MiB"), Ok(1_572_864));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("KiB").is_err());
    }

    #[test]
    fn crates_of_symbols() {
        assert_eq!(crate_of("lambda_bootstrap::runtime::run"), "lambda_bootstrap");
        assert_eq!(crate_of("<alloc::vec::Vec<u8> as core::clone::Clone>::clone"), "alloc");
        assert_eq!(crate_of("<&mut std::io::Write>::write"), "std");
        assert_eq!(crate_of("__libc_malloc_impl"), "musl");
        assert_eq!(crate_of("_start_c"), "musl");
    }

    fn report(stripped: u64, crates: &[(&str, u64)], budget: Option<u64>) -> Report {
        Report {
            bin: "f".into(),
            arch: "x86_64".into(),
            stripped,
            zip: stripped / 2,
            budget,
            crates: crates.iter().map(|(n, b)| Crate { name: n.to_string(), bytes: *b }).collect(),
        }
    }

    #[test]
    fn budgets_give_one_line() {
        assert!(report(100, &[], Some(100)).verdict().is_ok());
        assert_eq!(
            report(101, &[], Some(100)).verdict().unwrap_err(),
            "over budget: f is 101 bytes, 1 over its budget of 100 bytes"
        );
    }

    #[test]
    fn json_round_trips_and_baselines_say_what_grew() {
        let before = report(1000, &[("std", 500), ("gone", 10), ("same", 7)], None);
        let json = miniserde::json::to_string(&before);
        assert_eq!(miniserde::json::from_str::<Report>(&json).unwrap(), before);
        let after = report(1100, &[("std", 580), ("serde", 30), ("same", 7)], Some(2000));
        let text = after.compare(&before);
        assert!(text.starts_with("since the baseline: stripped 1000 -> 1100 (+100), zip 500 -> 550 (+50)\n"));
        let lines: Vec<&str> = text.lines().skip(1).map(str::trim).collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("std") && lines[0].ends_with("+80"));
        assert!(lines[1].starts_with("serde") && lines[1].ends_with("+30"));
        assert!(lines[2].starts_with("gone") && lines[2].ends_with("-10"));
    }
}
