//! `cargo bootstrap`: new, build, invoke, package, size and bench a function on lambda-bootstrap,
//! from any directory, on any crate. The logic lives in the library (`lib.rs`); this file is the
//! command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cargo_bootstrap::bench::{Program, compare, machine::Machine, svg};
use cargo_bootstrap::function::Function;
use cargo_bootstrap::{Arch, cargo, invoke, new, package, size, write_file};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo", bin_name = "cargo")]
enum Cargo {
    /// Build, run, package and measure a static musl `bootstrap` for AWS Lambda (provided.al2023).
    #[command(subcommand, version)]
    Bootstrap(Command),
}

#[derive(Subcommand)]
enum Command {
    New(NewArgs),
    Build(BuildArgs),
    Invoke(InvokeArgs),
    Package(PackageArgs),
    Size(SizeArgs),
    Bench(BenchArgs),
}

/// A new function crate (handler, unit test, CI workflow)
///
/// A handler with a unit test, and a GitHub Actions workflow that builds both arches, runs the
/// tests and holds the bootstrap to a size budget. Works offline.
#[derive(Args)]
struct NewArgs {
    /// The crate's name; its directory is created here.
    name: String,
    /// A local lambda-bootstrap checkout: the dependency becomes `{ path = "DIR" }`. Without it
    /// the dependency is the git repository
    /// (`{ git = "https://github.com/lambda-bootstrap/lambda-bootstrap" }`): the library is not
    /// on crates.io yet.
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
}

/// Which crate and binary: by default the crate cargo finds from the current directory and its
/// only binary.
#[derive(Args)]
struct Crate {
    /// The function crate's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// The binary target that becomes `bootstrap` (when the crate has several).
    #[arg(long, value_name = "NAME")]
    bin: Option<String>,
}

/// Build the static musl `bootstrap`; prints its path
///
/// A static, stripped musl `bootstrap` in the size profile (opt-level "z", LTO, one codegen
/// unit, panic = "abort", strip) with static, non-PIE rust-lld linking, given to cargo as
/// `--config` overrides: your Cargo.toml needs nothing. Installs the rustup target, and zig
/// (PyPI `ziglang` 0.17.1) when a dependency compiles C code. Prints the binary's path.
#[derive(Args)]
struct BuildArgs {
    #[command(flatten)]
    krate: Crate,
    #[arg(long, default_value = "x86_64", value_name = "x86_64|arm64")]
    arch: Arch,
}

/// Build and run on the local Runtime API emulator
///
/// Builds the bootstrap and runs it on the local Runtime API emulator (arm64 under qemu-user),
/// printing each response. Events: --data, --data-file (one JSON document, or one per line:
/// several events to one process, the first cold, the rest warm), or stdin. The function sees
/// Lambda's variables plus --env-file lines and --env pairs (a later one wins).
#[derive(Args)]
struct InvokeArgs {
    #[command(flatten)]
    krate: Crate,
    #[arg(long, default_value = "x86_64", value_name = "x86_64|arm64")]
    arch: Arch,
    /// The event.
    #[arg(long, value_name = "JSON", conflicts_with = "data_file")]
    data: Option<String>,
    /// A file of one event, or of one JSON event per line.
    #[arg(long, value_name = "FILE")]
    data_file: Option<PathBuf>,
    /// KEY=VALUE for the function's environment (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// A file of KEY=VALUE lines (`#` starts a comment line; repeatable).
    #[arg(long, value_name = "FILE")]
    env_file: Vec<PathBuf>,
}

/// Write the deterministic bootstrap.zip (both arches)
///
/// A deterministic `bootstrap.zip` per arch: one entry `bootstrap`, mode 0755, a fixed timestamp
/// (SOURCE_DATE_EPOCH if set), after checking the binary is a static ELF of that arch (or a
/// glibc build provided.al2023 can run). Prints each zip's path, size, SHA-256 and Lambda's
/// CodeSha256. Written to <target>/lambda/<bin>/<arch>/.
#[derive(Args)]
struct PackageArgs {
    #[command(flatten)]
    krate: Crate,
    #[arg(long, default_value = "both", value_name = "x86_64|arm64|both")]
    arch: String,
    /// Package this binary as it is (built some other way) instead of building; needs one --arch.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["manifest_path", "bin"])]
    binary: Option<PathBuf>,
    /// Write DIR/<name>/<arch>/ instead.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Stripped and zip size, largest crates; exit 1 over --budget
///
/// The bootstrap's stripped size, its zip size and the largest contributors by crate; exits 1
/// with a one-line reason when over --budget.
#[derive(Args)]
struct SizeArgs {
    #[command(flatten)]
    krate: Crate,
    #[arg(long, default_value = "x86_64", value_name = "x86_64|arm64")]
    arch: Arch,
    /// Fail when the stripped bootstrap is larger: 450KiB, 1.5MiB, 460800.
    #[arg(long, value_name = "SIZE", value_parser = size::parse_size)]
    budget: Option<u64>,
    /// Print the report as JSON (keep it: it is what --baseline reads).
    #[arg(long)]
    json: bool,
    /// A previous run's --json output: say what grew, by crate.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// How many crates to list.
    #[arg(long, default_value_t = 10)]
    top: usize,
}

/// Measure bootstraps side by side against our echo
///
/// Bootstraps measured side by side against lambda-bootstrap's own echo (built here from the
/// library's source), on the embedded Runtime API emulator, interleaved and pinned to one CPU:
/// start-up, cold invocation, warm median and p99, peak RSS, connections, for 64 B and 1 MiB
/// JSON events; every figure also as a ratio to our echo. Writes bench.md, bench.json and
/// bench.svg (a chart of the ratios) to --out. Each BOOTSTRAP must echo its event back.
#[derive(Args)]
struct BenchArgs {
    /// Executables for this machine's arch (x86_64 or arm64), static or glibc.
    #[arg(value_name = "BOOTSTRAP")]
    bootstraps: Vec<PathBuf>,
    /// 2 runs of 30 (64 B) and 3 (1 MiB) warm invocations: to see it work, not for figures.
    #[arg(long)]
    quick: bool,
    /// Runs per program and event size (default 20).
    #[arg(long)]
    runs: Option<usize>,
    /// Warm invocations per run with 64 B events (default 300).
    #[arg(long)]
    invocations: Option<usize>,
    /// Do not pin the emulator and the functions to one CPU.
    #[arg(long)]
    unpin: bool,
    /// Print JSON instead of Markdown on stdout.
    #[arg(long)]
    json: bool,
    /// Print every run's figures to stderr.
    #[arg(long)]
    verbose: bool,
    /// Where the report, the chart, the echo crate and the logs go.
    #[arg(long, value_name = "DIR", default_value = "bootstrap-bench")]
    out: PathBuf,
    /// A lambda-bootstrap checkout to build the echo from (default: the path dependency of the
    /// crate here, if any, else the git repository).
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
}

fn main() -> ExitCode {
    let Cargo::Bootstrap(command) = Cargo::parse();
    let result = match command {
        Command::New(args) => new_crate(args),
        Command::Build(args) => build(args),
        Command::Invoke(args) => invoke(args),
        Command::Package(args) => package(args),
        Command::Size(args) => size(args),
        Command::Bench(args) => bench(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cargo bootstrap: {message}");
            ExitCode::FAILURE
        }
    }
}

fn resolve(krate: &Crate) -> Result<Function, String> {
    Function::resolve(krate.manifest_path.as_deref(), krate.bin.as_deref())
}

fn new_crate(args: NewArgs) -> Result<(), String> {
    let dependency = new::dependency(args.path.as_deref())?;
    let dir = Path::new(&args.name);
    for file in new::function_crate(dir, &args.name, &dependency)? {
        println!("{}", file.display());
    }
    eprintln!("next: cd {} && cargo test && cargo bootstrap invoke --data '{{\"name\":\"Ada\"}}'", args.name);
    Ok(())
}

fn build(args: BuildArgs) -> Result<(), String> {
    let binary = resolve(&args.krate)?.build(args.arch)?;
    println!("{}", binary.display());
    Ok(())
}

fn invoke(args: InvokeArgs) -> Result<(), String> {
    let env = invoke::environment(&args.env_file, &args.env)?;
    let binary = resolve(&args.krate)?.build(args.arch)?;
    let events = invoke::events(args.data.as_deref(), args.data_file.as_deref())?;
    invoke::run(&binary, args.arch, &env, events)
}

fn package(args: PackageArgs) -> Result<(), String> {
    let arches = match args.arch.as_str() {
        "both" => Arch::BOTH.to_vec(),
        one => vec![cargo_bootstrap::parse_arch(one).map_err(|e| format!("{e} or both"))?],
    };
    if let Some(binary) = &args.binary {
        let [arch] = arches[..] else {
            return Err("--binary needs the arch it was built for: --arch x86_64 or --arch arm64".into());
        };
        let out = args.out.unwrap_or_else(|| PathBuf::from("target/lambda"));
        let name = binary.file_name().and_then(|n| n.to_str()).ok_or("--binary names no file")?;
        println!("{}", package::package(binary, arch, &out.join(name).join(arch.name()))?);
        return Ok(());
    }
    let function = resolve(&args.krate)?;
    let out = args.out.unwrap_or_else(|| function.target_dir.join("lambda"));
    for arch in arches {
        let binary = function.build(arch)?;
        println!("{}", package::package(&binary, arch, &out.join(&function.bin).join(arch.name()))?);
    }
    Ok(())
}

fn size(args: SizeArgs) -> Result<(), String> {
    let function = resolve(&args.krate)?;
    let stripped = function.build(args.arch)?;
    let unstripped = function.build_unstripped(args.arch)?;
    let report = size::Report {
        bin: function.bin.clone(),
        arch: args.arch.name().to_string(),
        stripped: size::file_size(&stripped)?,
        zip: size::zipped_size(&stripped)?,
        budget: args.budget,
        crates: size::contributors(&unstripped)?,
    };
    if args.json {
        println!("{}", miniserde::json::to_string(&report));
    } else {
        print!("{}", report.render(args.top));
    }
    if let Some(path) = &args.baseline {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let before: size::Report = miniserde::json::from_str(&text)
            .map_err(|_| format!("{}: not the JSON of `cargo bootstrap size --json`", path.display()))?;
        let comparison = report.compare(&before);
        if args.json { eprint!("{comparison}") } else { print!("{comparison}") }
    }
    let verdict = report.verdict()?;
    if !verdict.is_empty() {
        eprintln!("{verdict}");
    }
    Ok(())
}

fn bench(args: BenchArgs) -> Result<(), String> {
    if cfg!(debug_assertions) {
        eprintln!(
            "cargo bootstrap: a debug build: the emulator's own parsing slows every round trip (install it with --release)"
        );
    }
    let mut settings = if args.quick { compare::Settings::quick() } else { compare::Settings::full() };
    settings.runs = args.runs.unwrap_or(settings.runs).max(1);
    settings.invocations = args.invocations.unwrap_or(settings.invocations).max(1);
    settings.pin = !args.unpin;
    settings.verbose = args.verbose;
    let out = cargo_bootstrap::user_path(&args.out)?;
    let logs = out.join("logs");
    let machine = Machine::describe(Path::new("."));
    let mut programs = vec![our_echo(&args, &out, &logs)?];
    for path in &args.bootstraps {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        cargo_bootstrap::elf::check(&bytes, Arch::host())
            .map_err(|why| format!("{}: {why}", path.display()))?;
        let binary = cargo_bootstrap::user_path(path)?;
        programs.push(Program::new(&path.display().to_string(), "as given".into(), binary, &logs)?);
    }
    let (tables, cpu) = compare::side_by_side(&programs, &settings)?;
    let markdown = format!(
        "# cargo bootstrap bench\n\nMachine: {}, nproc {}, {}; {}.\n\n{}",
        machine.cpu,
        machine.nproc,
        machine.kernel,
        machine.rustc,
        compare::markdown(&programs, &tables, &settings, cpu)
    );
    let json = compare::json(&programs, &tables, &settings, cpu);
    let names: Vec<&str> = programs.iter().map(|p| p.name.as_str()).collect();
    let chart =
        svg::chart("ratio to our echo, 64 B events (lower is better)", &names, &compare::ratios(&tables[0]));
    write_file(&out.join("bench.md"), markdown.as_bytes())?;
    write_file(&out.join("bench.json"), format!("{json}\n").as_bytes())?;
    write_file(&out.join("bench.svg"), chart.as_bytes())?;
    if args.json {
        println!("{json}")
    } else {
        print!("{markdown}")
    }
    eprintln!("wrote {}, bench.json and bench.svg beside it", out.join("bench.md").display());
    Ok(())
}

/// Writes and builds the echo crate (static musl, size profile, for this machine's arch).
fn our_echo(args: &BenchArgs, out: &Path, logs: &Path) -> Result<Program, String> {
    let checkout = match &args.path {
        Some(path) => Some(path.clone()),
        None => here_checkout(),
    };
    let dependency = new::dependency(checkout.as_deref())?;
    let manifest = new::echo_crate(&out.join("echo"), &dependency)?;
    eprintln!("bench: building our echo ({manifest:?}, lambda-bootstrap = {dependency})");
    let binary = Function::resolve(Some(&manifest), None)?.build(Arch::host())?;
    Program::new("echo (lambda-bootstrap)", format!("lambda-bootstrap = {dependency}"), binary, logs)
}

/// The lambda-bootstrap checkout the crate in the current directory depends on by path.
fn here_checkout() -> Option<PathBuf> {
    let manifest = cargo::manifest(None).ok()?;
    cargo::metadata(&manifest, Some(Arch::host())).ok()?.library_checkout()
}
