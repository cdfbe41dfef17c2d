//! A tiny, synchronous AWS Lambda runtime client for `provided.al2023`.
//!
//! Your function links this crate and is built into one static executable named `bootstrap`.
//! It opens one keep-alive connection to the Runtime API and loops `next → handle → respond`
//! on the calling thread: no async runtime, no threads, no boxing on the hot path.
//!
//! ```no_run
//! // The derives write `miniserde::…` paths: `self` brings the re-export into scope, so
//! // `lambda-bootstrap` can be the only dependency.
//! use lambda_bootstrap::miniserde::{self, Deserialize, Serialize};
//! use lambda_bootstrap::{Context, Error};
//!
//! #[derive(Deserialize)]
//! struct Request { name: String }
//! #[derive(Serialize)]
//! struct Response { greeting: String }
//!
//! fn main() {
//!     lambda_bootstrap::run(|req: Request, ctx: &Context| -> Result<Response, Error> {
//!         Ok(Response { greeting: format!("hello {} ({})", req.name, ctx.request_id) })
//!     })
//! }
//! ```
//!
//! Raw handlers take and return bytes, and work with every feature off:
//!
//! ```no_run
//! use lambda_bootstrap::{Context, Error};
//!
//! fn main() {
//!     lambda_bootstrap::run(|event: &[u8], _ctx: &Context| -> Result<Vec<u8>, Error> {
//!         Ok(event.to_vec())
//!     })
//! }
//! ```
//!
//! A handler that takes `&mut Vec<u8>` gets the event's own buffer, to keep or return without a
//! copy (`std::mem::take(event)`).
//!
//! What miniserde's derives support: field renames (`#[serde(rename = "orderId")]`), `Option`
//! fields (absent or `null` → `None`), `Vec`, `BTreeMap`, and with `std` also `HashMap`. Not
//! supported: container attributes such as `rename_all` (they compile and are ignored), `default`,
//! `flatten`, `skip_serializing_if`, enums with data. An event that does not fit the type is
//! `Runtime.UnmarshalError` naming the type and the path of the value refused, e.g.
//! `Request: at $.items[2].price (byte 118), a string is not accepted`.
//!
//! Types written for serde (every serde attribute, the types of `aws_lambda_events`) work as they
//! are with the `serde` feature: `lambda_bootstrap::serde::run(handler)`, see the `serde` module.
//!
//! Errors, panics and init failures are reported to the Runtime API; see [`Error`], [`run`] and
//! [`report_init_error`]. A handler's unit test builds its context with [`Context::for_test`].
//!
//! # Modules
//! - `endpoint` and `protocol`: where the Runtime API is; its paths, header names and error
//!   body (no I/O);
//! - `config` and `context`: the environment and one invocation's metadata;
//! - `transport`: the phases of an HTTP/1.1 exchange; over one libc socket (`raw`, `answer`), or
//!   over ureq (feature `ureq`);
//! - `handler`: what `run` accepts, and the sink a response goes into;
//! - `runtime`: the loop as a value, and what each Runtime API answer leads to;
//! - `stop`: why a loop stops; the loop returns it, and only this file exits ([`run`],
//!   [`report_init_error`], the panic hook's report);
//! - `panic`: panics reported to `/error`; `current`: the invocation this thread serves (for the
//!   panic hook and the logger);
//! - `logger`: logs in Lambda's format with the request id (feature `log`); `subscriber`: the
//!   same for `tracing` events (feature `tracing`);
//! - `json`: typed handlers over miniserde (feature `json`);
//! - `unmarshal`: why an event did not decode (the path and byte of the refused value);
//! - `stream`: response streaming (feature `stream`): a handler that writes its response as
//!   it goes, each flush one HTTP chunk, a late failure as HTTP trailers;
//! - `serde`: typed handlers over serde types through serde_json (feature `serde`), for code
//!   and event types written for `lambda_runtime`;
//! - `shutdown`: a hook run on SIGTERM through an internal extension (feature `shutdown`);
//!   `extension`: an external extension as a blocking program (feature `extension`);
//!   `extension_api`: the Extensions API's paths and header names;
//! - `sys`: the libc edge; `allocator`: `PageAlloc` for `#![no_std]` programs, mimalloc (feature
//!   `mimalloc`).

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs, unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

extern crate alloc;

mod allocator;
#[cfg(feature = "concurrency")]
pub mod concurrency;
mod config;
mod context;
#[cfg(any(all(feature = "std", panic = "abort"), feature = "log"))]
mod current;
mod endpoint;
mod error;
#[cfg(feature = "extension")]
pub mod extension;
#[cfg(any(feature = "shutdown", feature = "extension"))]
mod extension_api;
mod handler;
#[cfg(feature = "json")]
mod json;
#[cfg(feature = "log")]
pub mod logger;
mod panic;
mod protocol;
mod runtime;
#[cfg(feature = "serde")]
pub mod serde;
#[cfg(feature = "shutdown")]
mod shutdown;
mod stop;
#[cfg(feature = "stream")]
pub mod stream;
#[cfg(feature = "tracing")]
mod subscriber;
mod sys;
// With `ureq`, the built-in transport serves only the unit tests and the fuzz targets.
#[cfg_attr(feature = "ureq", allow(dead_code))]
mod transport;
#[cfg(feature = "json")]
mod unmarshal;

pub use allocator::PageAlloc;
pub use config::{Config, ConfigError};
pub use context::Context;
pub use endpoint::{Endpoint, EndpointError, Host};
pub use error::{DEFAULT_ERROR_TYPE, DEFAULT_INIT_ERROR_TYPE, Error};
pub use handler::Handler;
#[cfg(feature = "log")]
pub use log;
#[cfg(feature = "json")]
pub use miniserde;
pub use panic::PANIC_ERROR_TYPE;
#[cfg(feature = "shutdown")]
pub use shutdown::on_shutdown;
#[cfg(feature = "tracing")]
pub use tracing;

use handler::DynHandler;
use runtime::Runtime;
use stop::Stop;

/// Serves Lambda invocations with `handler` until the Runtime API goes away; never returns.
///
/// Reads `AWS_LAMBDA_RUNTIME_API` (and the rest of the function's environment) once, connects,
/// then for each event: sets `_X_AMZN_TRACE_ID` (or removes it), calls the handler, and posts
/// its result to `/response` or its [`Error`] to `/error`. A panic in the handler is reported to
/// `/error` with errorType `Panic` (under `panic = "abort"` just before the process aborts).
///
/// Exits with status 1, after one line on stderr, when the Runtime API address is missing or
/// malformed, when it cannot be reached, when `/next` answers anything but an event, or when
/// the API answers 5xx. See the `runtime` module for every case.
pub fn run<M, H: Handler<M>>(mut handler: H) -> ! {
    serve(&mut |event, ctx, out| handler.call(event, ctx, out))
}

/// [`run`] without its generics: one loop on this thread, `_X_AMZN_TRACE_ID` set per event.
pub(crate) fn serve(handler: DynHandler<'_>) -> ! {
    let mut rt = Runtime::new(config());
    rt.set_trace_env(true);
    #[cfg(all(feature = "std", panic = "abort"))]
    panic::install(report_panic);
    let stop = rt.serve(handler);
    exit(stop, rt.last_answer())
}

/// The function's environment, read once for the life of the process; exits if there is no
/// Runtime API to talk to.
fn config() -> &'static Config {
    // A worker pool reads it first and keeps it: a factory's init error, or one worker's loop,
    // reads no environment again (nor says its garbage twice).
    #[cfg(feature = "concurrency")]
    if let Some(config) = concurrency::CONFIG.get() {
        return config;
    }
    match Config::from_env() {
        Ok(config) => alloc::boxed::Box::leak(alloc::boxed::Box::new(config)),
        Err(e) => exit(Stop::Config(e), &[]),
    }
}

/// The one way out: the line that says why (quoting `answer`, the last answer's body, where the
/// status says it), then exit status 1, as Lambda expects. With several workers, the first to
/// get here exits and the others wait for the end: one line, one status.
pub(crate) fn exit(stop: Stop, answer: &[u8]) -> ! {
    #[cfg(feature = "concurrency")]
    concurrency::claim_exit();
    stop.log(answer);
    sys::exit(1)
}

/// The panic hook's report of the invocation in flight; a failure to report ends the process
/// at once, as any [`Stop`] does.
#[cfg(all(feature = "std", panic = "abort"))]
pub(crate) fn report_panic(
    config: &'static Config,
    request_id: &str,
    invocation_id: Option<&str>,
    error: &Error,
) {
    let mut rt = Runtime::new(config);
    if let Err(stop) = rt.report_error_for(request_id, invocation_id, error) {
        exit(stop, rt.last_answer())
    }
}

/// Defines the program's C `main` to serve `handler` ([`run`]), skipping std's runtime set-up:
/// the fastest start a std bootstrap can have. Put `#![cfg_attr(not(test), no_main)]` at the top
/// of the program (under `cargo test` the test harness is the entry point, and the macro defines
/// nothing):
///
/// ```no_run
/// #![cfg_attr(not(test), no_main)]
/// use lambda_bootstrap::{Context, Error};
///
/// lambda_bootstrap::main!(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> { Ok(event.to_vec()) });
/// ```
///
/// Without `no_main`, rustc answers "`main` function not found". `handler` is anything
/// [`run`] takes; a closure names its argument types.
///
/// What std's set-up would have done and this does not (x86_64 musl: 11 system calls, a
/// signal stack and its page faults before the first request): SIGPIPE is still ignored
/// (done here, with `std`), but a stack overflow ends in a plain `SIGSEGV` instead of std's
/// "has overflowed its stack" line, `std::env::args()` is empty on musl (Lambda starts
/// `bootstrap` without arguments anyway), and standard descriptors are not checked for being
/// open (Lambda opens them). Everything else in std works as usual. `cargo xtask bench` measures
/// both forms side by side (`echo` uses this macro, `echo (fn main)` does not).
#[macro_export]
macro_rules! main {
    ($handler:expr $(,)?) => {
        #[cfg(not(test))]
        #[unsafe(no_mangle)]
        extern "C" fn main(
            _: ::core::ffi::c_int,
            _: *const *const ::core::ffi::c_char,
        ) -> ::core::ffi::c_int {
            $crate::__run_from_c_main($handler)
        }
    };
}

/// [`main!`]'s body: the part of std's set-up a Lambda bootstrap needs, then [`run`].
#[doc(hidden)]
pub fn __run_from_c_main<M, H: Handler<M>>(handler: H) -> ! {
    #[cfg(feature = "std")]
    sys::ignore_sigpipe();
    run(handler)
}

/// Reports a failed initialisation to `/runtime/init/error` and exits with status 1, as Lambda
/// expects. Lambda serves the error to the pending invoke and starts the function afresh for the
/// next one. An [`Error::msg`] is reported with errorType `Runtime.InitError`.
///
/// ```no_run
/// let table = std::env::var("TABLE_NAME").unwrap_or_else(|_| {
///     lambda_bootstrap::report_init_error(lambda_bootstrap::Error::msg("TABLE_NAME is not set"))
/// });
/// ```
///
/// With several workers (feature `concurrency`) the first call reports and exits; a call on
/// another worker meanwhile waits for the process to end, so Lambda hears of one init error.
pub fn report_init_error(error: Error) -> ! {
    #[cfg(feature = "concurrency")]
    concurrency::claim_exit();
    let mut rt = Runtime::new(config());
    let stop = rt.report_init_error(&error);
    exit(stop, rt.last_answer())
}

/// Aborts the process: what a `#![no_std]` bootstrap's `#[panic_handler]` can call.
pub fn abort() -> ! {
    sys::abort()
}

/// Hooks for the fuzz targets in `fuzz/`: thin wrappers over the code that parses bytes from the
/// network. **Not public API**: hidden from the documentation, outside any semver promise, and
/// free to change or vanish in any release.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::transport::TransportError;
    pub use crate::transport::memory::fuzzing::{Answer, decode_chunked, read_answers};

    /// The wire vocabulary and the endpoint parser, for the `context` and `endpoint` targets.
    pub mod protocol {
        pub use crate::endpoint::{Host, parse_endpoint, parse_ipv4, parse_ipv6};
        pub use crate::protocol::*;
    }

    /// A [`Context`](crate::Context) filled from `headers` the way the runtime fills it from the
    /// headers of a `/next` answer.
    pub fn context(headers: &[(&str, &[u8])]) -> crate::Context {
        let mut ctx = crate::Context::for_test("");
        for (name, value) in headers {
            ctx.absorb(name, value);
        }
        ctx
    }
}

/// A loop driven in-process, for the crate's own tests against the emulator. **Not public API**:
/// hidden from the documentation, outside any semver promise.
#[doc(hidden)]
pub mod in_process {
    pub use crate::stop::Stop;
    use crate::{Config, Handler, Runtime};

    /// Serves `handler` on the calling thread against the Runtime API at `runtime_api` (the
    /// rest of the configuration empty, `_X_AMZN_TRACE_ID` left alone) until it says stop.
    pub fn serve<M, H: Handler<M>>(runtime_api: &str, mut handler: H) -> Stop {
        let config = match Config::for_runtime_api(runtime_api) {
            Ok(config) => alloc::boxed::Box::leak(alloc::boxed::Box::new(config)),
            Err(e) => return Stop::Config(e),
        };
        Runtime::new(config).serve(&mut |event, ctx, out| handler.call(event, ctx, out))
    }

    /// The line the logger (feature `log`) would write on this thread for `message` at INFO from
    /// the logger `target`, in JSON or Text, without writing it.
    #[cfg(feature = "log")]
    pub fn log_line(json: bool, target: &str, message: &str) -> alloc::vec::Vec<u8> {
        let mut line = alloc::vec::Vec::new();
        crate::logger::render(&mut line, json, crate::sys::Level::Info, target, &mut |out| {
            crate::logger::push_escaped(out, message.as_bytes(), json)
        });
        line
    }
}
