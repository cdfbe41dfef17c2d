//! One whole invocation: start an emulator, run a bootstrap against it, hand it
//! one event and wait for its answer. The `lambda-emulator` CLI and `cargo xtask`
//! are built on [`invoke_once`].

use std::ffi::OsString;
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::{Deadlines, Emulator, Event, Kind, Options, Process, Request};

/// The answer of one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// [`Kind::Response`], [`Kind::Error`] (with the request id) or [`Kind::InitError`].
    pub kind: Kind,
    /// The response body, or the error body.
    pub body: Vec<u8>,
    /// `Lambda-Runtime-Function-Error-Type` of an error post, or of a streamed response's
    /// trailer (a failure mid-stream); `None` for a response, or when it was not sent.
    pub error_type: Option<String>,
    /// The response was streamed (`Lambda-Runtime-Function-Response-Mode: streaming`): `body`
    /// holds the bytes streamed before it ended.
    pub streamed: bool,
    /// A failure mid-stream: the `Lambda-Runtime-Function-Error-Body` trailer (base64 of the error
    /// document), as sent.
    pub error_body: Option<String>,
    /// From spawning the bootstrap to its first `GET /next` (to its
    /// `/init/error` post if it never asked for an event).
    pub startup: Duration,
    /// From serving the event to the complete `/response` or `/error` post (zero
    /// for an init error).
    pub invocation: Duration,
}

impl Invocation {
    /// Whether the function failed (`/error` or `/init/error`).
    pub fn is_error(&self) -> bool {
        !matches!(self.kind, Kind::Response(_))
    }

    /// The body as text (lossy UTF-8).
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Run `bootstrap[0]` with arguments `bootstrap[1..]` against a fresh
/// [`Emulator`], give it `event`, and wait up to `timeout` for its first
/// `/response`, `/error` or `/init/error` post. The process is killed afterwards.
///
/// Its stderr is inherited and its stdout goes to our stderr too, so its logs
/// show while our stdout stays free for the result. `Err` describes why there is
/// no answer: the bootstrap could not start, exited first, timed out, or its post
/// was rejected (e.g. 413 for an oversized response).
pub fn invoke_once(bootstrap: &[OsString], event: Vec<u8>, timeout: Duration) -> Result<Invocation, String> {
    let mut run = invoke_all(bootstrap, &[], vec![event], timeout, &mut |_| {});
    match (run.invocations.pop(), run.failure) {
        (Some(invocation), _) => Ok(invocation),
        (None, failure) => Err(failure.unwrap_or_else(|| "no invocation".to_string())),
    }
}

/// What [`invoke_all`] saw: every invocation that was answered, in order, then why the run
/// stopped early or how the process ended after its last answer, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The answered invocations.
    pub invocations: Vec<Invocation>,
    /// Why no more invocations were answered: the bootstrap could not start, exited (say, a
    /// panic under `panic = "abort"` after its `/error` post), timed out, or its post was
    /// rejected. `None` when every event was answered and the process then asked for the next.
    pub failure: Option<String>,
    /// The emulator's lifecycle lines ([`Emulator::lifecycle`]): extensions, init, the shutdown.
    pub lifecycle: Vec<String>,
}

/// Like [`invoke_once`], for several events handed to one process one after the other (each once
/// the previous one is answered): the first invocation is cold, the others warm. Stops after an
/// `/init/error`. `env` is added to the environment Lambda sets (and may override it, except
/// `AWS_LAMBDA_RUNTIME_API`). `timeout` is per event. Each data chunk of a streamed response
/// goes to `on_chunk` as it arrives, before its invocation is complete. After the last answer it waits for the
/// process to ask for the next event or to exit, so an abort right after an answer is reported.
pub fn invoke_all(
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    events: Vec<Vec<u8>>,
    timeout: Duration,
    on_chunk: &mut dyn FnMut(&[u8]),
) -> Run {
    invoke_with_extensions(bootstrap, env, &[], events, timeout, on_chunk)
}

/// [`invoke_all`] with external extensions: each `extensions` entry is a command line (an
/// executable, or a runner such as qemu and the executable last, whose file name is the
/// extension's name). They start before the bootstrap and must register first, as on Lambda;
/// after the last answer the function is shut down as Lambda does ([`Emulator::shut_down`]).
pub fn invoke_with_extensions(
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    extensions: &[Vec<OsString>],
    events: Vec<Vec<u8>>,
    timeout: Duration,
    on_chunk: &mut dyn FnMut(&[u8]),
) -> Run {
    let mut done = Vec::new();
    let mut lifecycle = Vec::new();
    let failure =
        invoke_into(&mut done, &mut lifecycle, bootstrap, env, extensions, events, timeout, on_chunk).err();
    Run { invocations: done, failure, lifecycle }
}

/// The body of [`invoke_all`]: pushes each answered invocation into `done`.
#[allow(clippy::too_many_arguments)]
fn invoke_into(
    done: &mut Vec<Invocation>,
    lifecycle: &mut Vec<String>,
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    extensions: &[Vec<OsString>],
    events: Vec<Vec<u8>>,
    timeout: Duration,
    on_chunk: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    if bootstrap.is_empty() {
        return Err("no bootstrap given".into());
    }
    let emulator = Emulator::try_start_with(Options::default())
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let mut started = crate::lifecycle::start_all(&emulator, extensions, env);
    let mut process = None;
    let result = match started.as_mut().map_err(|e| e.clone()) {
        Ok(started) => emulator.wait_registered(started).and_then(|()| {
            invoke_events(done, &emulator, &mut process, bootstrap, env, events, timeout, on_chunk)
        }),
        Err(e) => Err(e),
    };
    if let Some(process) = process {
        let extensions = started.unwrap_or_default().into_iter().map(|(_, p)| p).collect();
        emulator.shut_down(process, extensions, "spindown", Deadlines::LAMBDA);
    }
    *lifecycle = emulator.lifecycle();
    result
}

/// The events of [`invoke_into`], handed one after the other to the bootstrap it starts in
/// `process` (left there for the shutdown).
#[allow(clippy::too_many_arguments)]
fn invoke_events(
    done: &mut Vec<Invocation>,
    emulator: &Emulator,
    process: &mut Option<Process>,
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    events: Vec<Vec<u8>>,
    timeout: Duration,
    on_chunk: &mut dyn FnMut(&[u8]),
) -> Result<(), String> {
    let (program, args) = bootstrap.split_first().ok_or("no bootstrap given")?;
    let mut spawned = Instant::now();
    let mut chunks = Chunks { on_chunk, handed: 0 };
    for event in events {
        let event = Event::new(event);
        let request_id = event.request_id().to_owned();
        emulator.push(event);
        let process = match process {
            Some(process) => process,
            None => {
                // The first event is queued before the start: a cold invocation, as on Lambda.
                let mut command = emulator.command(program);
                command.args(args).stderr(Stdio::inherit());
                for (key, value) in env.iter().filter(|(key, _)| key != "AWS_LAMBDA_RUNTIME_API") {
                    command.env(key, value);
                }
                match std::io::stderr().as_fd().try_clone_to_owned() {
                    Ok(fd) => command.stdout(Stdio::from(fd)),
                    Err(_) => command.stdout(Stdio::inherit()),
                };
                spawned = Instant::now();
                let started = emulator
                    .try_spawn(command)
                    .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
                process.insert(started)
            }
        };
        let post = wait_result(emulator, process, done.len(), timeout, &mut chunks)?;
        if !(200..300).contains(&post.answered) {
            let mut message = format!("the bootstrap's POST {} was answered {}", post.path, post.answered);
            if post.answered == 413 {
                let max = emulator.options().max_response;
                message.push_str(&format!(" (response of {} bytes, more than {max})", post.body.len()));
            }
            return Err(message);
        }
        let requests = emulator.requests();
        let first_next = requests.iter().find(|r| r.kind == Kind::Next).map_or(post.at, |r| r.at);
        let served = emulator.served_at(&request_id);
        let init_failed = post.kind == Kind::InitError;
        let error_type = match post.kind {
            Kind::Response(_) => post.trailer(ERROR_TYPE),
            _ => post.header(ERROR_TYPE),
        };
        done.push(Invocation {
            error_type: error_type.map(str::to_owned),
            streamed: post.header("lambda-runtime-function-response-mode") == Some("streaming"),
            error_body: post.trailer("lambda-runtime-function-error-body").map(str::to_owned),
            startup: first_next.saturating_duration_since(spawned),
            invocation: served.map_or(Duration::ZERO, |at| post.at.saturating_duration_since(at)),
            kind: post.kind,
            body: post.body,
        });
        if init_failed {
            break;
        }
    }
    let Some(process) = process else { return Ok(()) };
    let ended = if done.last().is_some_and(|i| i.kind != Kind::InitError) {
        wait_next_or_exit(emulator, process, done.len(), timeout)
    } else {
        None
    };
    ended.map_or(Ok(()), Err)
}

/// After `answered` answers: waits for the process to ask for one more event (`None`) or to exit
/// (`Some`, how it ended), up to `timeout` (`None`: nothing to report).
fn wait_next_or_exit(
    emulator: &Emulator,
    process: &mut Process,
    answered: usize,
    timeout: Duration,
) -> Option<String> {
    let deadline = crate::deadline(Instant::now(), timeout);
    loop {
        if emulator.requests().iter().filter(|r| r.kind == Kind::Next).count() > answered {
            return None;
        }
        if let Some(status) = process.try_wait() {
            return Some(format!("the bootstrap exited ({status}) after its answer"));
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        emulator.wait_change((deadline - now).min(Duration::from_millis(20)));
    }
}

const ERROR_TYPE: &str = "lambda-runtime-function-error-type";

/// The chunks of streamed bodies, handed to a callback in the order they arrived.
struct Chunks<'a> {
    on_chunk: &'a mut dyn FnMut(&[u8]),
    handed: usize,
}

impl Chunks<'_> {
    /// Hands over the chunks that arrived since the last call.
    fn hand_over(&mut self, emulator: &Emulator) {
        let arrived = emulator.live_chunks();
        for chunk in arrived.get(self.handed..).unwrap_or_default() {
            (self.on_chunk)(chunk);
        }
        self.handed = self.handed.max(arrived.len());
    }
}

/// Waits for result post number `index` (0-based: `/response`, `/error` or `/init/error`),
/// handing the chunks of a streamed body to `on_chunk` as they arrive.
fn wait_result(
    emulator: &Emulator,
    process: &mut Process,
    index: usize,
    timeout: Duration,
    chunks: &mut Chunks,
) -> Result<Request, String> {
    let deadline = crate::deadline(Instant::now(), timeout);
    loop {
        chunks.hand_over(emulator);
        if let Some(post) = nth_result(emulator, index) {
            chunks.hand_over(emulator); // those that came just before the body ended
            return Ok(post);
        }
        if let Some(failure) = emulator.init_failure() {
            return Err(failure);
        }
        if let Some(status) = process.try_wait() {
            return nth_result(emulator, index)
                .ok_or(format!("the bootstrap exited ({status}) without answering the invocation"));
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!("no answer from the bootstrap within {timeout:?}"));
        }
        emulator.wait_change((deadline - now).min(Duration::from_millis(20)));
    }
}

/// Result post number `index` (`/response`, `/error` or `/init/error`), if it came.
fn nth_result(emulator: &Emulator, index: usize) -> Option<Request> {
    emulator
        .posts()
        .into_iter()
        .filter(|r| matches!(r.kind, Kind::Response(_) | Kind::Error(_) | Kind::InitError))
        .nth(index)
}

/// Like [`invoke_all`], but the events are all queued before the process starts, with
/// `AWS_LAMBDA_MAX_CONCURRENCY` set to `concurrency` (unless `env` sets it): a process that runs
/// that many workers serves them at once, as on Lambda Managed Instances. Waits up to `timeout`
/// in all for every event to be answered; the invocations are in the order their answers came.
/// Stops at an `/init/error`.
pub fn invoke_concurrent(
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    events: Vec<Vec<u8>>,
    concurrency: usize,
    timeout: Duration,
) -> Run {
    let mut done = Vec::new();
    let failure = concurrent_into(&mut done, bootstrap, env, events, concurrency, timeout).err();
    Run { invocations: done, failure, lifecycle: Vec::new() }
}

/// The body of [`invoke_concurrent`].
fn concurrent_into(
    done: &mut Vec<Invocation>,
    bootstrap: &[OsString],
    env: &[(OsString, OsString)],
    events: Vec<Vec<u8>>,
    concurrency: usize,
    timeout: Duration,
) -> Result<(), String> {
    let (program, args) = bootstrap.split_first().ok_or("no bootstrap given")?;
    let emulator = Emulator::try_start_with(Options::default())
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let count = events.len();
    for event in events {
        emulator.push(Event::new(event));
    }
    let mut command = emulator.command(program);
    command.args(args).stderr(Stdio::inherit());
    command.env("AWS_LAMBDA_MAX_CONCURRENCY", concurrency.to_string());
    for (key, value) in env.iter().filter(|(key, _)| key != "AWS_LAMBDA_RUNTIME_API") {
        command.env(key, value);
    }
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => command.stdout(Stdio::from(fd)),
        Err(_) => command.stdout(Stdio::inherit()),
    };
    let spawned = Instant::now();
    let mut process =
        emulator.try_spawn(command).map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
    let deadline = crate::deadline(spawned, timeout);
    let (results, outcome) = loop {
        let results: Vec<Request> = emulator
            .posts()
            .into_iter()
            .filter(|r| matches!(r.kind, Kind::Response(_) | Kind::Error(_) | Kind::InitError))
            .collect();
        if results.len() >= count || results.iter().any(|r| r.kind == Kind::InitError) {
            break (results, Ok(()));
        }
        if let Some(status) = process.try_wait() {
            let message =
                format!("the bootstrap exited ({status}) with {} of {count} events answered", results.len());
            break (results, Err(message));
        }
        let now = Instant::now();
        if now >= deadline {
            let message = format!("{} of {count} events answered within {timeout:?}", results.len());
            break (results, Err(message));
        }
        emulator.wait_change((deadline - now).min(Duration::from_millis(20)));
    };
    let first_next = emulator.requests().iter().find(|r| r.kind == Kind::Next).map(|r| r.at);
    for post in results {
        let served = post.request_id().and_then(|id| emulator.served_at(id));
        done.push(Invocation {
            error_type: post.header(ERROR_TYPE).map(str::to_owned),
            streamed: post.header("lambda-runtime-function-response-mode") == Some("streaming"),
            error_body: post.trailer("lambda-runtime-function-error-body").map(str::to_owned),
            startup: first_next.unwrap_or(post.at).saturating_duration_since(spawned),
            invocation: served.map_or(Duration::ZERO, |at| post.at.saturating_duration_since(at)),
            kind: post.kind,
            body: post.body,
        });
    }
    process.kill();
    outcome
}
