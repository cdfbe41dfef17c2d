//! Graceful shutdown (feature `shutdown`): a hook that runs when Lambda shuts the function down.
//!
//! Lambda sends the runtime SIGTERM at shutdown only when an extension is registered, and gives
//! it a little time before SIGKILL (500 ms with internal extensions only, 300 ms beside external
//! ones). [`on_shutdown`] therefore registers an *internal* extension that asks for no events
//! (internal extensions may not ask for `SHUTDOWN`), and runs the hook when SIGTERM arrives —
//! also while the function's thread is blocked in `/next` — then exits with status 0.
//!
//! How, in order, on the calling thread (before the runtime's first `/next`, as Lambda requires):
//! 1. SIGTERM is blocked on this thread; threads started afterwards (the loop, any worker pool)
//!    inherit the mask, so the signal stays pending instead of killing the process;
//! 2. a `signalfd` is opened for it;
//! 3. `POST /2020-01-01/extension/register` with `{"events":[]}`; the answer's identifier is kept;
//! 4. `GET /extension/event/next` is sent on that connection (Lambda's init ends only once every
//!    extension waits there), and one thread is started (`pthread_create`, as the worker pool's
//!    are: `std::thread` added about 24 KB).
//!
//! That thread `poll`s the `signalfd` and the extension's connection together: no code runs in a
//! signal handler, and one thread does both waits. On SIGTERM it runs the hook (once: the hook is
//! process-wide, however many loops serve) and exits 0. A panic in the hook is reported on stderr
//! and the process ends all the same (exit 1, or an abort under `panic = "abort"`). Should the
//! `event/next` ever be answered (no event was asked for), it is asked again; should the
//! connection break, the thread keeps waiting for SIGTERM alone.
//!
//! | step | outcome | action |
//! |---|---|---|
//! | `on_shutdown` called twice | — | stderr line; the first hook stays |
//! | blocking SIGTERM, `signalfd` or the thread fails | — | stderr line; no hook, the function serves on |
//! | `POST /extension/register` | 200 with `Lambda-Extension-Identifier` | armed |
//! | `POST /extension/register` | any other status, no identifier, or no answer | stderr line; no hook (Lambda will not send SIGTERM), the function serves on |
//! | `GET /extension/event/next` | 200 | asked again |
//! | `GET /extension/event/next` | another status, or the connection breaks | stderr line; the hook still runs on SIGTERM |
//! | SIGTERM | — | the hook runs, then exit 0 |
//!
//! Threads started *before* `on_shutdown` still have SIGTERM unblocked, and a SIGTERM delivered to
//! one of them would end the process at once: call it first thing in `main`.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::extension_api as api;
use crate::stop::log_status;
use crate::sys::{self, Level, signal};
use crate::transport::raw::Raw;
use crate::transport::{Framing, Transport};

/// The internal extension's name (what Lambda's logs show).
const NAME: &str = "lambda-bootstrap-shutdown";

/// The shutdown thread's stack: std's default for a spawned thread (what the hook had when this
/// was a `std::thread`). Address space only: the pages the hook touches are what counts.
const HOOK_STACK: usize = 2 << 20;

/// Runs `hook` when Lambda shuts the function down (SIGTERM), then exits with status 0.
///
/// Call it in `main` before [`run`](crate::run) (and before starting any thread): it registers
/// an internal extension with the Extensions API, which must happen before the runtime's first
/// `/next`. The hook runs on a thread of its own, possibly while an invocation is in flight; it
/// has the time Lambda gives (about 500 ms). Failures to register are one stderr line and leave
/// the function serving without a hook (see the module's table).
///
/// ```no_run
/// use lambda_bootstrap::{Context, Error};
///
/// fn main() {
///     lambda_bootstrap::on_shutdown(|| eprintln!("flushing before the end"));
///     lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> { Ok(event.to_vec()) })
/// }
/// ```
pub fn on_shutdown<F: FnOnce() + Send + 'static>(hook: F) {
    arm(Box::new(hook));
}

/// [`on_shutdown`] without its generics.
fn arm(hook: Box<dyn FnOnce() + Send>) {
    static ARMED: AtomicBool = AtomicBool::new(false);
    if ARMED.swap(true, Ordering::Relaxed) {
        sys::log(Level::Warn, &[b"on_shutdown: a shutdown hook is already set; this one is ignored"]);
        return;
    }
    // Without a Runtime API `run` says why and exits; nothing to add here.
    let Ok(config) = Config::from_env() else { return };
    let config: &'static Config = Box::leak(Box::new(config));
    if let Err(e) = signal::block_sigterm(true) {
        return off(b"cannot block SIGTERM: ", e.describe().as_bytes());
    }
    let sigterm = match signal::SigtermFd::new() {
        Ok(sigterm) => sigterm,
        Err(e) => {
            let _ = signal::block_sigterm(false);
            return off(b"signalfd: ", e.describe().as_bytes());
        }
    };
    let Some(waiter) = register(config) else {
        let _ = signal::block_sigterm(false);
        return;
    };
    if let Err(e) = sys::spawn_thread(HOOK_STACK, Box::new(move || wait(waiter, sigterm, hook))) {
        let _ = signal::block_sigterm(false);
        off(b"cannot start its thread: ", e.describe().as_bytes());
    }
}

/// The stderr line of a hook that will not run.
fn off(what: &[u8], why: &[u8]) {
    sys::log(Level::Warn, &[b"graceful shutdown is off: ", what, why]);
}

/// The extension's connection, with `/event/next` sent and its answer awaited.
struct Waiter {
    api: Raw,
    path: Vec<u8>,
    id: alloc::string::String,
    body: Vec<u8>,
}

/// Registers the internal extension and sends its first `/event/next`.
/// `None` after the stderr line that says why not.
fn register(config: &'static Config) -> Option<Waiter> {
    const WHAT: &[u8] = b"graceful shutdown is off: POST /extension/register";
    let mut waiter = Waiter {
        api: Raw::new(&config.endpoint),
        path: Vec::new(),
        id: Default::default(),
        body: Vec::new(),
    };
    api::path(&mut waiter.path, &config.endpoint.prefix, "register");
    let id = &mut waiter.id;
    let on_header = &mut |name: &str, value: &[u8]| {
        if crate::protocol::eq_ignore_case(name.as_bytes(), api::IDENTIFIER.as_bytes()) {
            id.push_str(sys::utf8(value).unwrap_or_default());
        }
    };
    let headers = [(api::NAME, NAME), ("Content-Type", "application/json")];
    let body = Some(&br#"{"events":[]}"#[..]);
    match waiter.api.request("POST", &waiter.path, &headers, body, on_header, &mut waiter.body) {
        Ok(200) if !waiter.id.is_empty() => {}
        Ok(200) => {
            sys::log(Level::Warn, &[WHAT, b" answered no Lambda-Extension-Identifier"]);
            return None;
        }
        Ok(status) => {
            log_status(Level::Warn, WHAT, status, &waiter.body, b"");
            return None;
        }
        Err(e) => {
            e.log(Level::Warn, WHAT, b"");
            return None;
        }
    }
    api::path(&mut waiter.path, &config.endpoint.prefix, "event/next");
    waiter.ask();
    Some(waiter)
}

impl Waiter {
    /// Sends `GET /extension/event/next`; a failure drops the connection.
    fn ask(&mut self) {
        self.api.head("GET", &self.path, &[(api::IDENTIFIER, &self.id)], Framing::None);
        if let Err(e) = self.api.send_head() {
            self.lost(e);
        }
    }

    fn lost(&mut self, e: crate::transport::TransportError) {
        e.log(Level::Warn, b"GET /extension/event/next", b"; the shutdown hook still runs on SIGTERM");
        self.api.disconnect();
    }
}

/// The shutdown thread: waits for SIGTERM (and the extension's answers), runs the hook, exits.
fn wait(mut waiter: Waiter, sigterm: signal::SigtermFd, hook: Box<dyn FnOnce() + Send>) {
    loop {
        match signal::wait(&sigterm, waiter.api.socket()) {
            signal::Ready::Sigterm => break,
            signal::Ready::Socket => match waiter.api.answer(&mut |_, _| {}, &mut waiter.body) {
                Ok(200) => waiter.ask(),
                Ok(status) => {
                    log_status(
                        Level::Warn,
                        b"GET /extension/event/next",
                        status,
                        &waiter.body,
                        b"; the shutdown hook still runs on SIGTERM",
                    );
                    waiter.api.disconnect();
                }
                Err(e) => waiter.lost(e),
            },
        }
    }
    sigterm.take();
    run_hook(hook);
    sys::exit(0)
}

/// Runs the hook; a panic is one stderr line and exit 1 (under `panic = "abort"` the panic
/// message is std's, and the process aborts).
fn run_hook(hook: Box<dyn FnOnce() + Send>) {
    #[cfg(panic = "unwind")]
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)).is_err() {
        sys::log(Level::Error, &[b"the shutdown hook panicked; exiting"]);
        sys::exit(1)
    }
    #[cfg(not(panic = "unwind"))]
    hook();
}
