//! `cargo xtask package`: a function as a Lambda deployment package, the same bytes on every
//! clean build.
//!
//! ```text
//! cargo xtask package [--arch x86_64|arm64|both] [--example NAME | --bin NAME]
//!                     [--manifest-path PATH] [--binary FILE] [--out DIR]
//! ```
//!
//! For each arch (default: both) it builds the example (default `hello`) or binary with
//! `--release` (here: the size profile) for the musl target, checks that the result is a static
//! ELF executable for that arch, and writes `<target>/lambda/<name>/<arch>/bootstrap` (mode
//! 0755) and `bootstrap.zip` beside it, then prints the zip's path, size and SHA-256 (hex, and
//! base64 as Lambda reports it, `CodeSha256`).
//!
//! - `--manifest-path PATH` builds a user's own crate: its only binary, or `--bin NAME` /
//!   `--example NAME`; the package lands in that project's target directory (from
//!   `cargo metadata`). Cargo runs from the caller's directory with the size profile and this
//!   workspace's link settings as `--config` overrides (see `builds.rs`).
//! - `--binary FILE --arch A` packages a binary built some other way (e.g. `cargo zigbuild`,
//!   `cargo lambda build`): a static ELF, or one dynamically linked against glibc that
//!   `provided.al2023` can run (glibc 2.34), with a note saying so.
//! - `--out DIR` writes `DIR/<name>/<arch>/…` instead of `<target>/lambda/<name>/<arch>/…`.
//!
//! The ELF check, the zip, its timestamp and its digests are `cargo_bootstrap::package`; this
//! file says which binaries.
//!
//! Bad input (a missing file, a truncated or foreign binary) is a one-line error, never a panic.

use super::{Arch, builds, root};
use cargo_bootstrap::cargo::{Metadata, metadata};
use std::path::{Path, PathBuf};

const USAGE: &str = "usage: cargo xtask package [--arch x86_64|arm64|both] [--example NAME | --bin NAME]
                          [--manifest-path PATH] [--binary FILE] [--out DIR]";

pub fn main(args: &[String]) -> Result<(), String> {
    if super::help_asked(args, USAGE) {
        return Ok(());
    }
    let opts = Opts::parse(args)?;
    let job = Job::plan(&opts)?;
    for &arch in &opts.arches {
        let binary = job.binary(arch)?;
        let dir = job.out.join(&job.name).join(arch.name());
        println!("{}", cargo_bootstrap::package::package(&binary, arch, &dir)?);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Options and what they ask for

/// What to build: an example or a binary target (`None`: the package's only binary).
enum Kind {
    Example(String),
    Bin(Option<String>),
}

enum Source {
    Cargo { manifest: Option<PathBuf>, kind: Kind },
    Prebuilt(PathBuf),
}

struct Opts {
    arches: Vec<Arch>,
    source: Source,
    out: Option<PathBuf>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts, String> {
        let (mut arches, mut example, mut bin, mut manifest, mut binary, mut out) =
            (None, None, None, None, None, None);
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().cloned().ok_or(format!("{flag} needs a value\n{USAGE}"));
            match flag.as_str() {
                "--arch" => arches = Some(parse_arches(&value?)?),
                "--example" => example = Some(value?),
                "--bin" => bin = Some(value?),
                "--manifest-path" => manifest = Some(PathBuf::from(value?)),
                "--binary" => binary = Some(PathBuf::from(value?)),
                "--out" => out = Some(PathBuf::from(value?)),
                other => return Err(format!("unknown option {other:?}\n{USAGE}")),
            }
        }
        if binary.is_some() && (example.is_some() || bin.is_some() || manifest.is_some()) {
            return Err("--binary packages a file as it is: drop --example, --bin, --manifest-path".into());
        }
        let kind = match (example, bin) {
            (Some(_), Some(_)) => return Err("give --example or --bin, not both".into()),
            (Some(name), None) => Kind::Example(name),
            (None, Some(name)) => Kind::Bin(Some(name)),
            (None, None) if manifest.is_some() => Kind::Bin(None),
            (None, None) => Kind::Example("hello".into()),
        };
        let source = match (binary, manifest) {
            (Some(path), _) => Source::Prebuilt(path),
            // Cargo runs from the workspace root: a relative path must not be read from there.
            (None, Some(path)) => {
                Source::Cargo { manifest: Some(super::user_path(&path.to_string_lossy())?), kind }
            }
            (None, None) => Source::Cargo { manifest: None, kind },
        };
        let arches = match (arches, &source) {
            (Some(a), Source::Prebuilt(_)) if a.len() != 1 => return Err(one_arch()),
            (None, Source::Prebuilt(_)) => return Err(one_arch()),
            (a, _) => a.unwrap_or(vec![Arch::X86_64, Arch::Arm64]),
        };
        Ok(Opts { arches, source, out })
    }
}

fn one_arch() -> String {
    "--binary needs the arch it was built for: --arch x86_64 or --arch arm64".into()
}

fn parse_arches(value: &str) -> Result<Vec<Arch>, String> {
    match value {
        "both" => Ok(vec![Arch::X86_64, Arch::Arm64]),
        one => super::parse_arch(one).map(|arch| vec![arch]).map_err(|e| format!("{e} or both")),
    }
}

// ---------------------------------------------------------------------------------------------
// Finding and building the binary

/// A resolved request: the function's name, where its packages go, and how to get each binary.
struct Job {
    name: String,
    out: PathBuf,
    how: How,
}

enum How {
    Prebuilt(PathBuf),
    Build { manifest: Option<PathBuf>, example: bool },
}

impl Job {
    fn plan(opts: &Opts) -> Result<Job, String> {
        let (manifest, kind) = match &opts.source {
            Source::Prebuilt(path) => {
                let out = match &opts.out {
                    Some(out) => out.clone(),
                    None => PathBuf::from(metadata(&root().join("Cargo.toml"), None)?.target_directory)
                        .join("lambda"),
                };
                return Ok(Job { name: file_name(path)?, out, how: How::Prebuilt(path.clone()) });
            }
            Source::Cargo { manifest, kind } => (manifest, kind),
        };
        let own_manifest = manifest.clone().unwrap_or_else(|| root().join("Cargo.toml"));
        let meta: Metadata = metadata(&own_manifest, None)?;
        let (name, example) = match kind {
            Kind::Example(name) => (name.clone(), true),
            Kind::Bin(Some(name)) => (name.clone(), false),
            Kind::Bin(None) => (meta.only_binary(&own_manifest)?, false),
        };
        let target_dir = PathBuf::from(meta.target_directory);
        let out = opts.out.clone().unwrap_or_else(|| target_dir.join("lambda"));
        Ok(Job { name, out, how: How::Build { manifest: manifest.clone(), example } })
    }

    /// The binary for `arch`: built with `--release`, or the file given with `--binary`.
    fn binary(&self, arch: Arch) -> Result<PathBuf, String> {
        let (manifest, example) = match &self.how {
            How::Prebuilt(path) => return Ok(path.clone()),
            How::Build { manifest, example, .. } => (manifest, *example),
        };
        super::add_targets(&[arch])?;
        let mut cmd = match manifest {
            Some(manifest) => builds::user(manifest, arch, Some(&root())),
            None => builds::workspace(&root(), arch),
        };
        cmd.args([if example { "--example" } else { "--bin" }, &self.name]);
        cargo_bootstrap::cargo::executable(&mut cmd)
    }
}

fn file_name(path: &Path) -> Result<String, String> {
    match path.file_name().and_then(|n| n.to_str()) {
        Some(name) => Ok(name.to_string()),
        None => Err(format!("{} names no file", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let parse = |args: &[&str]| Opts::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let o = parse(&[]).unwrap();
        assert!(o.arches == [Arch::X86_64, Arch::Arm64]);
        assert!(
            matches!(o.source, Source::Cargo { manifest: None, kind: Kind::Example(ref n) } if n == "hello")
        );
        let o = parse(&["--arch", "arm64", "--manifest-path", "x/Cargo.toml"]).unwrap();
        assert!(o.arches == [Arch::Arm64]);
        let absolute = |m: &Option<PathBuf>| m.as_ref().is_some_and(|m| m.is_absolute());
        assert!(
            matches!(o.source, Source::Cargo { ref manifest, kind: Kind::Bin(None) } if absolute(manifest))
        );
        assert!(matches!(parse(&["--binary", "b", "--arch", "x86_64"]).unwrap().source, Source::Prebuilt(_)));
        assert!(parse(&["--binary", "b"]).is_err());
        assert!(parse(&["--binary", "b", "--arch", "both"]).is_err());
        assert!(parse(&["--binary", "b", "--arch", "arm64", "--bin", "x"]).is_err());
        assert!(parse(&["--binary", "b", "--arch", "arm64", "--example", "hello"]).is_err());
        assert!(parse(&["--example", "a", "--bin", "b"]).is_err());
        assert!(parse(&["--arch", "riscv"]).is_err());
        assert!(parse(&["--arch"]).is_err());
        assert!(parse(&["--frobnicate", "1"]).is_err());
    }
}
