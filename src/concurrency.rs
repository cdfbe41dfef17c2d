//! Lambda Managed Instances (feature `concurrency`): up to `AWS_LAMBDA_MAX_CONCURRENCY`
//! invocations at once, each on a blocking worker thread with its own connection and loop.
//!
//! ```no_run
//! use lambda_bootstrap::{Context, Error};
//!
//! fn main() {
//!     // Called once per worker, before any worker starts: each gets its own handler.
//!     lambda_bootstrap::concurrency::run(|worker: usize| {
//!         let mut served = 0u64; // per-worker state, no lock
//!         move |event: &[u8], ctx: &Context| -> Result<Vec<u8>, Error> {
//!             served += 1;
//!             Ok(format!("worker {worker}, event {served} ({}): {} bytes", ctx.request_id, event.len()).into())
//!         }
//!     })
//! }
//! ```
//!
//! **The handler's shape.** [`run`] takes a *factory*, `FnMut(usize) -> H`, where `H` is any
//! handler [`crate::run`] takes (raw bytes, typed miniserde, [`serde::handler`](crate::serde),
//! [`stream::handler`](crate::stream)) and is `Send`. The factory is called once per worker, with
//! the worker's index (0, 1, …), on the calling thread, before any thread starts or any
//! connection opens: per-worker state (a buffer, a cache, a client) needs no lock, and an init
//! failure in the factory happens before Lambda saw a worker. Each handler is `'static`, as for
//! `std::thread::spawn` (the workers outlive every stack frame but `main`'s): share state through
//! an `Arc` or a `static`. A handler shared by every worker is a factory that lends a `'static`
//! one: `concurrency::run(move |_| handler)` with `handler: &'static (impl Fn(...) + Sync)`
//! (a `static`, or `Box::leak`), or `move |_| f` for a closure that captures nothing (it is
//! `Copy`).
//!
//! **The workers.** With `AWS_LAMBDA_MAX_CONCURRENCY` absent, empty, 0 or 1 (or without this
//! feature) nothing changes: one loop on the calling thread, no thread created, and
//! `_X_AMZN_TRACE_ID` set per event as [`crate::run`] does. Above 1, N workers: the calling thread
//! is worker 0 and N − 1 threads are started, each running its own loop (`GET /next` → handler →
//! post) on its own keep-alive connection with its own buffers; Lambda's capacity is the number
//! of workers waiting in `/next`. A value that is not a number is read as 1, with one stderr
//! line; one above [`MAX_CONCURRENCY`] (the most Lambda allows) as that.
//!
//! **Trace ids.** With more than one worker `_X_AMZN_TRACE_ID` is removed at start and never set:
//! one process environment cannot hold N trace ids, and setting it while other threads read it
//! is a data race. Each invocation's trace id is in its [`Context`] (`xray_trace_id`).
//!
//! **Stacks.** Worker threads get [`DEFAULT_STACK_SIZE`] (256 KiB) unless [`Workers::stack_size`]
//! says otherwise; worker 0 keeps the main thread's stack. A stack is reserved address space:
//! only the pages a handler touches become memory, so a worker costs its touched stack (a few
//! pages), its buffers and a socket, not its stack size. 256 KiB is an eighth of std's 2 MiB
//! default and twice musl's 128 KiB: room for serde_json's recursion limit (128 levels) and for
//! deep handlers; a handler that recurses deeper asks for more, one that must stay tiny for
//! less. The threads are the C library's (`pthread_create`), not `std::thread`'s, whose spawn
//! costs about 20 KB of code (names, spawn hooks, join packets, a signal stack per thread) that
//! a worker which never returns does not use. Everything of std works on them
//! (`std::thread::current()` is unnamed); a stack overflow ends in a plain `SIGSEGV` on the
//! C library's guard page, without std's "has overflowed its stack" line.
//!
//! | what happens | outcome |
//! |---|---|
//! | a handler fails or panics (`panic = "unwind"`) | its invocation's `/error`; that worker and the others go on |
//! | a handler panics under `panic = "abort"` | the hook posts `/error` for that worker's own invocation (each thread records its own), then the process aborts |
//! | a worker loses the Runtime API (or is told to stop) | one stderr line, exit status 1: Lambda replaces the environment. A second worker stopping meanwhile adds no line |
//! | [`report_init_error`](crate::report_init_error) on several workers at once | one `/init/error` post, exit 1; the other callers wait for the end |
//! | a worker thread cannot be started | one stderr line; the workers started serve |

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::handler::{Handler, Sink};
use crate::runtime::Runtime;
use crate::sys::{self, Level};
use crate::{Context, Error, protocol};

/// The most invocations Lambda Managed Instances hands one execution environment at once
/// (`PerExecutionEnvironmentMaxConcurrency`, 1 to 1600).
pub const MAX_CONCURRENCY: u32 = 1600;

/// The stack of each worker thread unless [`Workers::stack_size`] says otherwise: 256 KiB.
pub const DEFAULT_STACK_SIZE: usize = 256 << 10;

/// How the worker pool is set up: [`Workers::new`], then [`Workers::run`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Workers {
    /// The stack size of each worker thread, in bytes.
    pub stack_size: usize,
}

impl Default for Workers {
    fn default() -> Workers {
        Workers::new()
    }
}

impl Workers {
    /// The defaults: [`DEFAULT_STACK_SIZE`].
    pub const fn new() -> Workers {
        Workers { stack_size: DEFAULT_STACK_SIZE }
    }

    /// Each worker thread's stack, in bytes (the C library rounds it up to whole pages and to
    /// its minimum).
    pub const fn stack_size(mut self, bytes: usize) -> Workers {
        self.stack_size = bytes;
        self
    }

    /// Serves Lambda invocations with one handler per worker, made by `factory`; never
    /// returns. See the [module](self) documentation.
    pub fn run<F, M, H>(self, mut factory: F) -> !
    where
        F: FnMut(usize) -> H,
        H: Handler<M> + Send + 'static,
    {
        let config = crate::config();
        let _ = CONFIG.set(config);
        let n = config.max_concurrency.max(1) as usize;
        let mut handlers: Vec<Worker> = Vec::with_capacity(n);
        for i in 0..n {
            let mut handler = factory(i);
            handlers.push(Box::new(move |event: &mut Vec<u8>, ctx: &Context, out: &mut Sink| {
                handler.call(event, ctx, out)
            }));
        }
        start(config, self.stack_size, handlers)
    }
}

/// Serves Lambda invocations with one handler per worker, made by `factory`, with the default
/// [`Workers`]; never returns. See the [module](self) documentation.
pub fn run<F, M, H>(factory: F) -> !
where
    F: FnMut(usize) -> H,
    H: Handler<M> + Send + 'static,
{
    Workers::new().run(factory)
}

/// One worker's handler, erased: the pool's code exists once however many handler types use it.
type Worker = Box<dyn FnMut(&mut Vec<u8>, &Context, &mut Sink) -> Result<(), Error> + Send>;

/// Starts the pool: every worker but the first on a thread of its own, the first on this one;
/// one worker is [`crate::run`]'s loop, no thread. The one place the pool begins (a shutdown hook
/// that must see every worker starts here too).
fn start(config: &'static Config, stack_size: usize, mut handlers: Vec<Worker>) -> ! {
    let rest = handlers.split_off(1.min(handlers.len()));
    let Some(mut first) = handlers.pop() else { sys::exit(1) };
    if rest.is_empty() {
        crate::serve(&mut *first)
    }
    #[cfg(panic = "abort")]
    crate::panic::install(crate::report_panic);
    // Before any thread runs: nothing else reads the environment yet.
    sys::set_trace_env(None, &mut Vec::new());
    let mut started = 1u64;
    for mut handler in rest {
        match sys::spawn_thread(stack_size, Box::new(move || serve(config, &mut *handler))) {
            Ok(()) => started += 1,
            Err(errno) => {
                let mut count = Vec::new();
                protocol::push_decimal(&mut count, started);
                let why = errno.describe().as_bytes();
                sys::log(
                    Level::Warn,
                    &[b"cannot start a worker thread (", why, b"); serving with ", &count, b" workers"],
                );
                break;
            }
        }
    }
    serve(config, &mut *first)
}

/// One worker's loop, until the Runtime API says stop; then the process exits.
fn serve(config: &'static Config, handler: crate::handler::DynHandler<'_>) -> ! {
    let mut rt = Runtime::new(config);
    let stop = rt.serve(handler);
    crate::exit(stop, rt.last_answer())
}

/// The configuration the pool read, for whatever reads it again (`crate::config`).
pub(crate) static CONFIG: std::sync::OnceLock<&'static Config> = std::sync::OnceLock::new();

/// Lets one thread on to exit (again and again: `report_init_error` claims before its post, then
/// exits); any other waits here until the process ends.
pub(crate) fn claim_exit() {
    static EXITING: AtomicBool = AtomicBool::new(false);
    std::thread_local! {
        static CLAIMED: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }
    if CLAIMED.get() {
        return;
    }
    if EXITING.swap(true, Ordering::AcqRel) {
        sys::wait_forever();
    }
    CLAIMED.set(true);
}

/// `AWS_LAMBDA_MAX_CONCURRENCY` as a worker count: absent, empty or 0 → 1; garbage → 1 with one
/// stderr line; above [`MAX_CONCURRENCY`] → that, with one stderr line.
pub(crate) fn max_concurrency(value: &str) -> u32 {
    let value = value.trim();
    if value.is_empty() {
        return 1;
    }
    match protocol::parse_u64(value.as_bytes()) {
        Some(0) => 1,
        Some(n) if n <= u64::from(MAX_CONCURRENCY) => n as u32,
        Some(_) => {
            sys::log(
                Level::Warn,
                &[b"AWS_LAMBDA_MAX_CONCURRENCY is above 1600 (the most Lambda allows): serving 1600 at once"],
            );
            MAX_CONCURRENCY
        }
        None => {
            let shown = value.as_bytes().get(..40).unwrap_or(value.as_bytes());
            sys::log(
                Level::Warn,
                &[
                    b"AWS_LAMBDA_MAX_CONCURRENCY is not a number (",
                    shown,
                    b"): serving one invocation at a time",
                ],
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_concurrency_reads_numbers_and_falls_back_to_one() {
        for (value, n) in [
            ("", 1),
            ("0", 1),
            ("1", 1),
            ("4", 4),
            (" 16\n", 16),
            ("1600", 1600),
            ("1601", 1600),
            ("99999999999999999999999", 1),
            ("four", 1),
            ("-2", 1),
            ("4.0", 1),
        ] {
            assert_eq!(max_concurrency(value), n, "{value:?}");
        }
    }
}
