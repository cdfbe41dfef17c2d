//! `lambda-emulator`: invoke a Lambda `bootstrap` once, locally.
//!
//! ```text
//! lambda-emulator [--data JSON | --data-file FILE] [--timeout SECS] BOOTSTRAP [ARGS...]
//! ```
//!
//! Without `--data` or `--data-file` the event is read from stdin. The response body
//! is printed to stdout (exit 0); an error is printed to stderr as
//! `error (<error type>): <body>` (exit 1); no answer at all (the bootstrap exited,
//! timed out, or its answer was rejected) is a one-line message (exit 2).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: lambda-emulator [--data JSON | --data-file FILE] [--timeout SECS] BOOTSTRAP [ARGS...]

Runs BOOTSTRAP against a local Lambda Runtime API, hands it one event (from
--data, --data-file, or stdin), and prints the response body to stdout.
An /error answer is printed to stderr (exit 1); no answer exits 2.
The bootstrap's own output (stdout and stderr) goes to stderr.

  --data JSON        the event
  --data-file FILE   read the event from FILE
  --timeout SECS     give up after SECS seconds (default 30)";

/// What the command line asks for.
struct Args {
    event: Option<Source>,
    timeout: Duration,
    bootstrap: Vec<OsString>,
}

enum Source {
    Data(Vec<u8>),
    File(OsString),
}

fn main() -> ExitCode {
    let args = match parse(std::env::args_os().skip(1).collect()) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("lambda-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let event = match args.event {
        Some(Source::Data(data)) => data,
        Some(Source::File(path)) => match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) => {
                eprintln!("lambda-emulator: cannot read {}: {e}", path.to_string_lossy());
                return ExitCode::from(2);
            }
        },
        None => {
            let mut data = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut data) {
                eprintln!("lambda-emulator: cannot read the event from stdin: {e}");
                return ExitCode::from(2);
            }
            data
        }
    };

    match lambda_emulator::invoke_once(&args.bootstrap, event, args.timeout) {
        Ok(invocation) if invocation.is_error() => {
            let error_type = invocation.error_type.as_deref().unwrap_or("no error type");
            eprintln!("error ({error_type}): {}", invocation.body_str());
            ExitCode::from(1)
        }
        Ok(invocation) => {
            let mut stdout = std::io::stdout().lock();
            let written = stdout
                .write_all(&invocation.body)
                .and_then(|()| stdout.write_all(b"\n"))
                .and_then(|()| stdout.flush());
            if written.is_err() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("lambda-emulator: {message}");
            ExitCode::from(2)
        }
    }
}

/// Options come first; the first other argument is the bootstrap, and everything
/// after it belongs to the bootstrap. `Ok(None)` means `--help`.
fn parse(args: Vec<OsString>) -> Result<Option<Args>, String> {
    let mut parsed = Args { event: None, timeout: Duration::from_secs(30), bootstrap: Vec::new() };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (text.clone(), None),
        };
        let value = |args: &mut std::vec::IntoIter<OsString>| -> Result<OsString, String> {
            match &inline {
                // `--data=...` is re-sliced from the raw argument to keep non-UTF-8 bytes.
                Some(_) => Ok(OsString::from_vec(arg.clone().into_vec().split_off(name.len() + 1))),
                None => args.next().ok_or(format!("{name} needs a value")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--data" | "--data-file" if parsed.event.is_some() => {
                return Err("give the event only once (--data or --data-file)".into());
            }
            "--data" => parsed.event = Some(Source::Data(value(&mut args)?.into_vec())),
            "--data-file" => parsed.event = Some(Source::File(value(&mut args)?)),
            "--timeout" => {
                let secs = value(&mut args)?;
                let secs = secs.to_string_lossy();
                parsed.timeout = secs
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or(format!("invalid --timeout {secs:?}"))?;
            }
            "--" => {
                parsed.bootstrap.extend(args);
                break;
            }
            _ if name.starts_with('-') && name.len() > 1 => {
                return Err(format!("unknown option {name}"));
            }
            _ => {
                parsed.bootstrap.push(arg);
                parsed.bootstrap.extend(args);
                break;
            }
        }
    }
    if parsed.bootstrap.is_empty() {
        return Err("missing BOOTSTRAP".into());
    }
    Ok(Some(parsed))
}
