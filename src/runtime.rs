//! The blocking loop: `next → handle → respond | error`, and what happens when a step fails.
//!
//! | step | answer | action |
//! |---|---|---|
//! | `GET /next` | 200 with a request id | handle the event |
//! | `GET /next` | any other status, or 200 without a request id | stderr line, exit 1 |
//! | `GET /next` | broken connection or malformed answer | reconnect and ask once more, then exit 1 |
//! | `GET /next` | the Runtime API cannot be reached (refused, no address) | stderr line, exit 1 |
//! | any request | interim 1xx answers | skipped by the transport; the final answer counts |
//! | any request | bytes beyond the answer's framing | the connection is dropped; the next request opens a new one |
//! | `POST` result | 2xx | next event |
//! | `POST` result | 413 | stderr line, no `/error` post (Lambda already failed the invoke), reconnect, next event |
//! | `POST` result | 5xx | stderr line, exit 1 |
//! | `POST` result | 400, 403, 410, other | stderr line, next event |
//! | `POST` result | broken connection or malformed answer | reconnect and post once more, then exit 1 |

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::config::Config;
use crate::context::Context;
use crate::error::{DEFAULT_ERROR_TYPE, DEFAULT_INIT_ERROR_TYPE, Error};
use crate::protocol;
use crate::sys;
use crate::transport::Transport;

/// The erased handler the loop calls: event and context in, response bytes out. The handler may
/// take the event's buffer (it is refilled for the next event).
pub type DynHandler<'a> = &'a mut dyn FnMut(&mut Vec<u8>, &Context, &mut Vec<u8>) -> Result<(), Error>;

/// Serves invocations until the Runtime API is lost; never returns.
pub fn run(handler: DynHandler<'_>, content_type: Option<&'static str>) -> ! {
    let mut rt = Runtime::start();
    crate::panic::install(rt.config);
    loop {
        // Free the last response before the next event arrives: the handler hands back a new
        // buffer, and the last one would otherwise still be alive beside the next event and the
        // next response (3 MiB instead of 1 for a 1 MiB echo that takes its event).
        rt.out = Vec::new();
        rt.next();
        sys::set_trace_env(rt.ctx.xray_trace_id.as_deref(), &mut rt.scratch);
        match crate::panic::call(&mut *handler, &mut rt.event, &rt.ctx, &mut rt.out) {
            Ok(()) => rt.respond(content_type),
            Err(error) => rt.report_error(&error),
        }
    }
}

/// Reports an initialisation failure to `/runtime/init/error` and exits with status 1.
pub fn report_init_error(error: &Error) -> ! {
    let mut rt = Runtime::start();
    let error_type = error.error_type_or(DEFAULT_INIT_ERROR_TYPE);
    sys::log(&[b"init failed: ", error_type.as_bytes(), b": ", error.message().as_bytes()]);
    protocol::init_error_path(&mut rt.path, &rt.config.endpoint.prefix);
    protocol::error_body(&mut rt.out, error_type, error.message());
    let headers = [("Content-Type", "application/json"), (protocol::ERROR_TYPE, error_type)];
    post(&mut rt.api, &rt.path, &rt.out, &mut rt.answer, b"POST /init/error", &headers);
    sys::exit(1)
}

/// Reports `error` for one invocation on a fresh connection (used by the panic hook, whose
/// process is about to abort).
#[cfg(all(feature = "std", panic = "abort"))]
pub fn report_error_once(
    config: &'static Config,
    request_id: &str,
    invocation_id: Option<&str>,
    error: &Error,
) {
    let mut rt = Runtime::with_config(config);
    rt.ctx.request_id.push_str(request_id);
    rt.ctx.invocation_id = invocation_id.map(alloc::string::String::from);
    rt.report_error(error);
}

/// The loop's state: the connection and every buffer, reused for each invocation.
struct Runtime {
    config: &'static Config,
    api: Api,
    ctx: Context,
    /// The event body.
    event: Vec<u8>,
    /// The response or error body.
    out: Vec<u8>,
    /// The request path being built.
    path: Vec<u8>,
    /// The body of the answer to a post.
    answer: Vec<u8>,
    /// Room for the trace id as a C string.
    scratch: Vec<u8>,
}

#[cfg(not(feature = "ureq"))]
type Api = crate::transport::raw::Raw;
#[cfg(feature = "ureq")]
type Api = crate::transport::ureq::Ureq;

impl Runtime {
    /// Reads the environment and connects; a failure is one stderr line and exit 1.
    fn start() -> Runtime {
        match Config::from_env() {
            Ok(config) => Runtime::with_config(Box::leak(Box::new(config))),
            Err(e) => {
                e.log();
                sys::exit(1)
            }
        }
    }

    /// Connects to `config`'s Runtime API; a failure is one stderr line and exit 1.
    fn with_config(config: &'static Config) -> Runtime {
        let mut api = Api::new(config.endpoint.clone());
        if let Err(e) = api.connect() {
            e.log(config.endpoint.authority.as_bytes(), b"; exiting");
            sys::exit(1)
        }
        Runtime {
            config,
            api,
            ctx: Context::new(config),
            event: Vec::new(),
            out: Vec::new(),
            path: Vec::with_capacity(128),
            answer: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Waits for the next event; exits when there will be none.
    fn next(&mut self) {
        protocol::next_path(&mut self.path, &self.config.endpoint.prefix);
        for attempt in 0..2 {
            self.ctx.clear();
            let ctx = &mut self.ctx;
            match self.api.get(&self.path, &mut |name, value| ctx.absorb(name, value), &mut self.event) {
                Ok(200) if self.ctx.request_id.is_empty() => {
                    sys::log(&[
                        b"GET /next answered an event without Lambda-Runtime-Aws-Request-Id; exiting",
                    ]);
                    sys::exit(1)
                }
                Ok(200) => return,
                Ok(status) => {
                    log_status(b"GET /next", status, &self.event, b"; exiting");
                    sys::exit(1)
                }
                Err(e) if attempt == 0 && !e.unreachable() => {
                    e.log(b"GET /next", b"; reconnecting");
                    self.api.disconnect();
                }
                Err(e) => {
                    e.log(b"GET /next", b"; exiting");
                    sys::exit(1)
                }
            }
        }
    }

    /// Posts the handler's response.
    fn respond(&mut self, content_type: Option<&'static str>) {
        protocol::invocation_path(&mut self.path, &self.config.endpoint.prefix, &self.ctx.request_id, false);
        let mut headers = [("", ""); 2];
        let mut n = 0;
        if let Some(content_type) = content_type {
            headers[n] = ("Content-Type", content_type);
            n += 1;
        }
        if let Some(id) = &self.ctx.invocation_id {
            headers[n] = (protocol::INVOCATION_ID, id);
            n += 1;
        }
        post(&mut self.api, &self.path, &self.out, &mut self.answer, b"POST /response", &headers[..n]);
    }

    /// Logs the handler's error and posts it to `/error`.
    fn report_error(&mut self, error: &Error) {
        let error_type = error.error_type_or(DEFAULT_ERROR_TYPE);
        let id = self.ctx.request_id.as_bytes();
        sys::log(&[
            b"invocation ",
            id,
            b" failed: ",
            error_type.as_bytes(),
            b": ",
            error.message().as_bytes(),
        ]);
        protocol::invocation_path(&mut self.path, &self.config.endpoint.prefix, &self.ctx.request_id, true);
        protocol::error_body(&mut self.out, error_type, error.message());
        let mut headers =
            [("Content-Type", "application/json"), (protocol::ERROR_TYPE, error_type), ("", "")];
        let mut n = 2;
        if let Some(id) = &self.ctx.invocation_id {
            headers[n] = (protocol::INVOCATION_ID, id);
            n += 1;
        }
        post(&mut self.api, &self.path, &self.out, &mut self.answer, b"POST /error", &headers[..n]);
    }
}

/// Posts `body` to `path` and acts on the answer (see the module table).
fn post(
    api: &mut Api,
    path: &[u8],
    body: &[u8],
    answer: &mut Vec<u8>,
    what: &[u8],
    headers: &[(&str, &str)],
) {
    for attempt in 0..2 {
        match api.post(path, headers, body, answer) {
            Ok(200..=299) => return,
            Ok(413) => {
                log_status(what, 413, answer, b"; Lambda fails this invocation as too large; carrying on");
                api.disconnect();
                return;
            }
            Ok(status @ 500..) => {
                log_status(what, status, answer, b"; exiting");
                sys::exit(1)
            }
            Ok(status) => {
                log_status(what, status, answer, b"; carrying on");
                return;
            }
            Err(e) if attempt == 0 => e.log(what, b"; reconnecting to send it again"),
            Err(e) => {
                e.log(what, b"; exiting");
                sys::exit(1)
            }
        }
    }
}

/// `lambda-bootstrap: <what> answered <status>: <start of body><then>`.
fn log_status(what: &[u8], status: u16, body: &[u8], then: &[u8]) {
    let mut text = Vec::with_capacity(210);
    protocol::push_decimal(&mut text, u64::from(status));
    let shown = body.get(..200).unwrap_or(body);
    if !shown.is_empty() {
        text.extend_from_slice(b": ");
    }
    text.extend(shown.iter().map(|&b| if b < 0x20 || b == 0x7f { b' ' } else { b }));
    if body.len() > 200 {
        text.extend_from_slice(b"...");
    }
    sys::log(&[what, b" answered ", &text, then]);
}
