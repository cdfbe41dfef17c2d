//! A local AWS Lambda Runtime API server, for testing a runtime client.
//!
//! [`Emulator`] is a real HTTP/1.1 server on loopback (std threads, no async). By
//! default it behaves like AWS's Runtime Interface Emulator (RIE, classic mode):
//!
//! - `GET {prefix}/2018-06-01/runtime/invocation/next` blocks until an [`Event`] is
//!   [pushed](Emulator::push), then answers `200` with the event's body and the
//!   `Content-Type`, `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` and
//!   `Lambda-Runtime-Invoked-Function-Arn` headers. Bodies up to 2048 bytes come with
//!   `Content-Length`, larger ones chunked. After an accepted `/init/error` it answers
//!   `403 InvalidStateTransition`.
//! - `POST .../invocation/{id}/response` and `.../{id}/error`: `202 {"status":"OK"}`;
//!   `400 InvalidRequestID` for an id never served; `403 InvalidStateTransition` for an
//!   invocation already answered; `413 RequestEntityTooLarge` for a response body over
//!   [`Options::max_response`]; `400 InvalidFunctionResponseMode` when
//!   `Lambda-Runtime-Function-Response-Mode` is present but not `streaming`.
//! - `POST .../runtime/init/error`: `202`.
//! - anything else: `404`; a request that does not parse: `400` and close; a body cut
//!   short: `400 TruncatedHTTPRequest` and close.
//!
//! - `/2020-01-01/extension/...`: the Extensions API, and Lambda's lifecycle around it
//!   (external extensions started first, init gated on every extension's `next`, `INVOKE`s,
//!   shutdown with SIGTERM, `SHUTDOWN` and SIGKILL): see [`Emulator::shut_down`] and the
//!   `extensions` module.
//!
//! Unlike the classic RIE, two concurrent `/next` requests get different events (the
//! second waits for the next push, as in LMI mode), and a `/next` whose client went
//! away while waiting does not take an event. So it serves a worker pool as the Managed
//! Instances Runtime API does: each connection's `/next` blocks until an event is there,
//! no event is handed out twice, any number of invocations are in flight at once, and
//! each post is matched to its invocation by the request id in its path.
//! [`Emulator::hold_results`] keeps result posts unanswered until released, so a test can
//! see N invocations in flight at once ([`Emulator::wait_held`]); [`invoke_concurrent`]
//! hands a process N events at once.
//!
//! Every request is recorded ([`Emulator::requests`]) with the status it was answered,
//! *before* the answer is written. [`Emulator::served_at`], [`Emulator::writing_at`]
//! and [`Request::at`] time an invocation from the server's side (`cargo xtask bench`
//! measures with them). [`Options`] switch to cargo-lambda's quirks,
//! [`Fault`]s and [`Event::reply`] play misbehaviours on demand. [`Emulator::command`]
//! and [`Emulator::spawn`] run a runtime binary against the server and capture its
//! output; [`invoke_once`] does one whole invocation (the `lambda-emulator` CLI), [`invoke_all`]
//! several through one process.
//!
//! ```no_run
//! use std::time::Duration;
//! use lambda_emulator::{Emulator, Event, Kind};
//!
//! let emulator = Emulator::start();
//! let event = Event::json(r#"{"name":"world"}"#);
//! let id = event.request_id().to_owned();
//! emulator.push(event);
//! let process = emulator.spawn(emulator.command("target/release/bootstrap"));
//! let posts = emulator.wait_posts(1, Duration::from_secs(5));
//! assert_eq!(posts[0].kind, Kind::Response(id));
//! assert_eq!(posts[0].answered, 202);
//! let outcome = process.kill();
//! println!("{}", outcome.stderr);
//! ```

#![deny(missing_docs)]

mod connection;
mod event;
mod extensions;
mod invoke;
mod lifecycle;
mod process;
mod server;
mod state;
mod wire;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::Arc;

use std::time::{Duration, Instant};

pub use event::{AUTO_CONTENT_LENGTH_MAX, DEFAULT_ARN, Event, EventFraming, Fault, Framing};
pub use extensions::{Extension, ExtensionCall, INIT_TIMEOUT};
pub use invoke::{Invocation, Run, invoke_all, invoke_concurrent, invoke_once, invoke_with_extensions};
pub use lifecycle::{Deadlines, Shutdown};
pub use process::{Outcome, Process};

use state::Shared;

/// The largest `/response` body RAPID accepts: 6 MiB + 100 bytes.
pub const MAX_RESPONSE: usize = 6 * 1024 * 1024 + 100;

/// The function name in the environment and in the cargo-lambda prefix.
pub const FUNCTION_NAME: &str = "test_function";

/// How the emulator behaves. [`Options::default`] is the RIE;
/// [`Options::cargo_lambda`] is `cargo lambda watch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Bind `[::1]:0` instead of `127.0.0.1:0`.
    pub ipv6: bool,
    /// [`Emulator::runtime_api`] starts with `http://`.
    pub scheme: bool,
    /// A path prefix such as `/.rt/test_function`: requests must use
    /// `PREFIX/2018-06-01/...`; other paths get 404. Also part of
    /// [`Emulator::runtime_api`].
    pub prefix: Option<String>,
    /// Send `Lambda-Runtime-Deadline-Ms` as the relative value `600000` (a
    /// cargo-lambda quirk) instead of absolute epoch milliseconds.
    pub relative_deadline: bool,
    /// The status of accepted `/response`, `/error` and `/init/error` posts:
    /// 202 (RIE) or 200 (cargo-lambda).
    pub accept_status: u16,
    /// After a 413 to an oversized response, close the connection (LMI behaviour).
    pub close_after_413: bool,
    /// Largest accepted `/response` body; larger ones get 413.
    pub max_response: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ipv6: false,
            scheme: false,
            prefix: None,
            relative_deadline: false,
            accept_status: 202,
            close_after_413: false,
            max_response: MAX_RESPONSE,
        }
    }
}

impl Options {
    /// What `cargo lambda watch` looks like: `http://` scheme, prefix
    /// `/.rt/test_function`, relative deadline, accepted posts answered 200.
    pub fn cargo_lambda() -> Options {
        Options {
            scheme: true,
            prefix: Some(format!("/.rt/{FUNCTION_NAME}")),
            relative_deadline: true,
            accept_status: 200,
            ..Options::default()
        }
    }
}

/// What a recorded request was, by method and path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `GET /runtime/invocation/next`.
    Next,
    /// `POST /runtime/invocation/{id}/response`, with the id from the path.
    Response(String),
    /// `POST /runtime/invocation/{id}/error`, with the id from the path.
    Error(String),
    /// `POST /runtime/init/error`.
    InitError,
    /// A request to the Extensions API (`/2020-01-01/extension/...`).
    Extension(ExtensionCall),
    /// Anything else (404), including requests that did not parse (400).
    Other,
}

/// A request the emulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Index of the TCP connection it came on (0-based, in accept order).
    pub conn: usize,
    /// The method as sent (best guess for a request that did not parse).
    pub method: String,
    /// The path as sent, prefix and query string included.
    pub path: String,
    /// Header names lower-cased, values as sent (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// How the body was framed (`Chunked { chunk: 0 }` for a chunked body).
    pub framing: Framing,
    /// The decoded body (what arrived of it if it was cut short; the raw bytes
    /// received for a request that did not parse).
    pub body: Vec<u8>,
    /// The sizes of the data chunks of a chunked body, in order.
    pub chunks: Vec<usize>,
    /// The trailers of a chunked body (names lower-cased).
    pub trailers: Vec<(String, String)>,
    /// What the request was.
    pub kind: Kind,
    /// The status the emulator answered; 0 if it closed without answering (or,
    /// for a `/next`, while it is still waiting for an event).
    pub answered: u16,
    /// When the request had been read completely.
    pub at: Instant,
}

impl Request {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The first value of a trailer (name case-insensitive).
    pub fn trailer(&self, name: &str) -> Option<&str> {
        find(&self.trailers, name)
    }

    /// The body as text (lossy UTF-8).
    pub fn body_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The request id in the path of a `/response` or `/error` post.
    pub fn request_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Response(id) | Kind::Error(id) => Some(id),
            _ => None,
        }
    }

    /// Whether it is a POST.
    pub fn is_post(&self) -> bool {
        self.method == "POST"
    }
}

/// `start + timeout`, saturating at a far future instead of overflowing.
pub(crate) fn deadline(start: Instant, timeout: Duration) -> Instant {
    start
        .checked_add(timeout)
        .or_else(|| start.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(start)
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// One line: `conn 0 POST /2018-06-01/... [chunked, 12 bytes] -> 202`.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let framing = match self.framing {
            Framing::None => "no body".to_owned(),
            Framing::ContentLength(n) => format!("content-length {n}"),
            Framing::Chunked { .. } => format!("chunked x{}", self.chunks.len()),
        };
        write!(
            f,
            "conn {} {} {} [{framing}, {} bytes] -> {}",
            self.conn,
            self.method,
            self.path,
            self.body.len(),
            self.answered
        )
    }
}

/// A running Runtime API server. Dropping it shuts it down: it stops accepting,
/// closes every connection and releases blocked `/next` requests (promptly, even
/// with a client still connected).
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Emulator {
    /// Start with [`Options::default`] (the RIE). Panics if it cannot bind.
    pub fn start() -> Emulator {
        Emulator::start_with(Options::default())
    }

    /// Bind a free loopback port and serve it from background threads; returns at
    /// once. Panics if it cannot bind (see [`Emulator::try_start_with`]).
    pub fn start_with(opts: Options) -> Emulator {
        match Emulator::try_start_with(opts) {
            Ok(emulator) => emulator,
            Err(e) => panic!("lambda-emulator: cannot bind a loopback port: {e}"),
        }
    }

    /// Like [`Emulator::start_with`], but returns the bind error (e.g. no IPv6).
    pub fn try_start_with(mut opts: Options) -> io::Result<Emulator> {
        if let Some(prefix) = opts.prefix.take() {
            let trimmed = prefix.trim_matches('/');
            opts.prefix = (!trimmed.is_empty()).then(|| format!("/{trimmed}"));
        }
        let ip = if opts.ipv6 { Ipv6Addr::LOCALHOST.into() } else { Ipv4Addr::LOCALHOST.into() };
        let listener = TcpListener::bind(SocketAddr::new(ip, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(opts));
        if let Err(e) = server::serve(&shared, listener) {
            shared.shutdown();
            return Err(e);
        }
        Ok(Emulator { shared, addr })
    }

    /// The options in effect (the prefix normalised to `/a/b`).
    pub fn options(&self) -> &Options {
        &self.shared.opts
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `AWS_LAMBDA_RUNTIME_API` value: `127.0.0.1:PORT`, `[::1]:PORT`, or with
    /// scheme and prefix `http://127.0.0.1:PORT/.rt/test_function`.
    pub fn runtime_api(&self) -> String {
        let opts = &self.shared.opts;
        let scheme = if opts.scheme { "http://" } else { "" };
        format!("{scheme}{}{}", self.addr, opts.prefix.as_deref().unwrap_or(""))
    }

    /// Queue an event (first in, first out).
    pub fn push(&self, event: Event) {
        self.shared.lock().queue.push_back(event);
        self.shared.notify();
    }

    /// From now on, `/response` and `/error` posts wait unanswered (and unrecorded) once their
    /// body is read, until [`Emulator::release_results`]: how a test holds several invocations
    /// in flight at once and proves it ([`Emulator::wait_held`]) without timing anything.
    pub fn hold_results(&self) {
        self.shared.lock().hold = true;
        self.shared.notify();
    }

    /// Answers the held result posts (each as it would have been) and stops holding.
    pub fn release_results(&self) {
        self.shared.lock().hold = false;
        self.shared.notify();
    }

    /// Block until at least `n` result posts are held at once, then return them as
    /// (connection, request id) in arrival order; `None` after `timeout`.
    pub fn wait_held(&self, n: usize, timeout: Duration) -> Option<Vec<(usize, String)>> {
        let deadline = deadline(Instant::now(), timeout);
        let mut state = self.shared.lock();
        loop {
            if state.held.len() >= n {
                return Some(state.held.clone());
            }
            let now = Instant::now();
            if now >= deadline || state.shutdown {
                return None;
            }
            state = self.shared.wait(state, deadline - now);
        }
    }

    /// Events still queued.
    pub fn pending(&self) -> usize {
        self.shared.lock().queue.len()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// TCP connections currently open (accepted and not yet closed by the server,
    /// which notices a client's close when it next reads, or within 50 ms while a
    /// `/next` waits for an event).
    pub fn open_connections(&self) -> usize {
        self.shared.lock().open_connections()
    }

    /// Every request received so far, in arrival order (`/next` requests from the
    /// moment they arrive, malformed ones included).
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// [`Emulator::requests`] that are POSTs.
    pub fn posts(&self) -> Vec<Request> {
        self.shared.lock().requests.iter().filter(|r| r.is_post()).cloned().collect()
    }

    /// Block until at least `n` POSTs were recorded, then return [`Emulator::posts`].
    /// Panics after `timeout`, listing what was recorded.
    pub fn wait_posts(&self, n: usize, timeout: Duration) -> Vec<Request> {
        self.wait_for(n, timeout, "POST requests", Request::is_post)
    }

    /// Block until at least `n` requests were recorded, then return
    /// [`Emulator::requests`]. Panics after `timeout`, listing what was recorded.
    pub fn wait_requests(&self, n: usize, timeout: Duration) -> Vec<Request> {
        self.wait_for(n, timeout, "requests", |_| true)
    }

    fn wait_for(&self, n: usize, timeout: Duration, what: &str, keep: fn(&Request) -> bool) -> Vec<Request> {
        let deadline = deadline(Instant::now(), timeout);
        let mut state = self.shared.lock();
        loop {
            if state.requests.iter().filter(|r| keep(r)).count() >= n {
                return state.requests.iter().filter(|r| keep(r)).cloned().collect();
            }
            let now = Instant::now();
            if now >= deadline {
                let mut message = format!(
                    "lambda-emulator: waited {timeout:?} for {n} {what}; {} connections, {} events pending, recorded:",
                    state.connections,
                    state.queue.len()
                );
                for request in &state.requests {
                    message.push_str(&format!("\n  {request}"));
                }
                drop(state);
                panic!("{message}");
            }
            state = self.shared.wait(state, deadline - now);
        }
    }

    /// A command for a runtime binary: an empty environment except `PATH` and the
    /// Lambda variables (`AWS_LAMBDA_RUNTIME_API` pointing here, function name
    /// `test_function`, `$LATEST`, 3008 MB, log group and stream, `us-east-1`,
    /// `_HANDLER=bootstrap`, `on-demand`, `LAMBDA_TASK_ROOT=/var/task`, `TZ=:UTC`);
    /// stdin null, stdout and stderr piped.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command
            .env("AWS_LAMBDA_RUNTIME_API", self.runtime_api())
            .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{FUNCTION_NAME}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/28/[$LATEST]0123456789abcdef")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("_HANDLER", "bootstrap")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .env("TZ", ":UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Spawn the command and capture its piped output in full. Panics if it cannot
    /// be spawned (see [`Emulator::try_spawn`]).
    pub fn spawn(&self, command: Command) -> Process {
        let program = command.get_program().to_owned();
        match self.try_spawn(command) {
            Ok(process) => process,
            Err(e) => panic!("lambda-emulator: cannot spawn {program:?}: {e}"),
        }
    }

    /// Like [`Emulator::spawn`], but returns the spawn error.
    pub fn try_spawn(&self, mut command: Command) -> io::Result<Process> {
        command.spawn().map(Process::new)
    }

    /// When the invocation with this request id was last served by `/next`.
    pub fn served_at(&self, request_id: &str) -> Option<Instant> {
        self.shared.lock().invocations.get(request_id).map(|i| i.served_at)
    }

    /// When the server began writing the `/next` answer that served the invocation with
    /// this request id: after [`served_at`](Emulator::served_at) and after building the
    /// answer (for a large event, chunk-encoding it), just before its first byte goes to
    /// the socket. With [`Request::at`] of the post that answers it, this is the round
    /// trip the function's side of the socket sees. `None` for an invocation not served
    /// yet, or served with a [`Fault`].
    pub fn writing_at(&self, request_id: &str) -> Option<Instant> {
        self.shared.lock().invocations.get(request_id).and_then(|i| i.writing_at)
    }

    /// The requests recorded from index `first` on (`requests()[first..]`, without
    /// copying the earlier ones), waiting up to `timeout` for there to be at least one;
    /// empty if none came. It never panics: long runs poll with it as they go
    /// (`cargo xtask bench`).
    pub fn wait_requests_from(&self, first: usize, timeout: Duration) -> Vec<Request> {
        let deadline = deadline(Instant::now(), timeout);
        let mut state = self.shared.lock();
        loop {
            if state.taken + state.requests.len() > first {
                return state.requests[first.saturating_sub(state.taken)..].to_vec();
            }
            let now = Instant::now();
            if now >= deadline || state.shutdown {
                return Vec::new();
            }
            state = self.shared.wait(state, deadline - now);
        }
    }

    /// Removes every request recorded so far and returns them, for runs too long to keep
    /// them all (`cargo xtask soak`): [`Emulator::requests`] and the waits then see only
    /// requests recorded later, while indices (as in [`Emulator::wait_requests_from`]) keep
    /// counting the ones taken. A `/next` taken while it still waits for an event keeps
    /// `answered` 0 in the copy returned.
    pub fn take_requests(&self) -> Vec<Request> {
        let mut state = self.shared.lock();
        state.taken += state.requests.len();
        std::mem::take(&mut state.requests)
    }

    /// The data chunks of chunked request bodies received so far, each as soon as it arrived
    /// whole (a request is recorded only once its body is complete): how a test sees a response
    /// stream while it is still being written.
    pub fn live_chunks(&self) -> Vec<Vec<u8>> {
        self.shared.lock().live_chunks.clone()
    }

    /// Block until at least `n` data chunks arrived ([`Emulator::live_chunks`]), then return
    /// them; `None` after `timeout`.
    pub fn wait_live_chunks(&self, n: usize, timeout: Duration) -> Option<Vec<Vec<u8>>> {
        let deadline = deadline(Instant::now(), timeout);
        let mut state = self.shared.lock();
        loop {
            if state.live_chunks.len() >= n {
                return Some(state.live_chunks.clone());
            }
            let now = Instant::now();
            if now >= deadline || state.shutdown {
                return None;
            }
            state = self.shared.wait(state, deadline - now);
        }
    }

    /// Wait until something happens (a request recorded, an event queued), at most
    /// `timeout`.
    pub fn wait_change(&self, timeout: Duration) {
        let state = self.shared.lock();
        drop(self.shared.wait(state, timeout));
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator").field("addr", &self.addr).field("opts", &self.shared.opts).finish()
    }
}
