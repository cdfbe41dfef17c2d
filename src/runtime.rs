//! The loop as a value: a [`Runtime`] owns its connection, its buffers and the invocation it
//! serves, and runs `next → handle → respond | error` until the Runtime API says stop. It never
//! exits the process: every way it can end is a [`Stop`] returned to its caller.
//!
//! | step | answer | action |
//! |---|---|---|
//! | `GET /next` | 200 with a request id | handle the event |
//! | `GET /next` | any other status, or 200 without a request id | stop (stderr line, exit 1) |
//! | `GET /next` | broken connection or malformed answer | reconnect and ask once more, then stop |
//! | `GET /next` | the Runtime API cannot be reached (refused, no address) | stop |
//! | any request | interim 1xx answers | skipped by the transport; the final answer counts |
//! | any request | bytes beyond the answer's framing | the connection is dropped; the next request opens a new one |
//! | `POST` result | 2xx | next event |
//! | `POST` result | 413 | stderr line, no `/error` post (Lambda already failed the invoke), reconnect, next event |
//! | `POST` result | 5xx | stop |
//! | `POST` result | 400, 403, 410, other | stderr line, next event |
//! | `POST` result | broken connection or malformed answer | reconnect and post once more, then stop |
//! | streamed `POST` result (feature `stream`) | 2xx / 5xx / other | as for a post: next event / stop / stderr line, next event |
//! | streamed `POST` result (feature `stream`) | broken connection or malformed answer | stderr line, next event on a new connection (a stream cannot be sent again) |

use alloc::vec::Vec;

use crate::config::Config;
use crate::context::Context;
use crate::error::{DEFAULT_ERROR_TYPE, DEFAULT_INIT_ERROR_TYPE, Error};
use crate::handler::{DynHandler, Sink};
use crate::protocol;
use crate::stop::{Stop, log_status};
use crate::sys::{self, Level};
use crate::transport::{Api, Transport};

/// One loop: the connection and every buffer, reused for each invocation, and the invocation
/// being served. Several can run at once, one per thread: nothing here is global.
pub struct Runtime {
    config: &'static Config,
    api: Api,
    ctx: Context,
    /// The event body; once the handler has run, the body of the answers to posts (what a
    /// [`Stop::Status`] quotes).
    event: Vec<u8>,
    /// The handler's response; its body buffer also holds error documents.
    sink: Sink,
    /// The request path being built.
    path: Vec<u8>,
    /// Whether to set `_X_AMZN_TRACE_ID` for each event: the single-loop case. A process-wide
    /// variable cannot describe several invocations at once, so a worker pool leaves it off.
    /// (Without `std` the trace id is only on the `Context`.)
    #[cfg(feature = "std")]
    trace_env: bool,
    /// Room for the trace id as a C string.
    #[cfg(feature = "std")]
    scratch: Vec<u8>,
}

impl Runtime {
    /// A loop for `config`'s Runtime API; it connects when it starts serving or reporting.
    pub fn new(config: &'static Config) -> Runtime {
        Runtime {
            config,
            api: Api::new(&config.endpoint),
            ctx: Context::new(config),
            event: Vec::new(),
            sink: Sink::default(),
            path: Vec::new(),
            #[cfg(feature = "std")]
            trace_env: false,
            #[cfg(feature = "std")]
            scratch: Vec::new(),
        }
    }

    /// Connects now, so that an unreachable Runtime API shows before anything else is sent.
    fn connect(&mut self) -> Result<(), Stop> {
        self.api.connect().map_err(|e| Stop::Transport(&self.config.endpoint.authority, e))
    }

    /// The body of the last answer to a request (what a [`Stop::Status`] quotes).
    pub fn last_answer(&self) -> &[u8] {
        &self.event
    }

    /// Sets `_X_AMZN_TRACE_ID` to each event's trace id (or removes it) before the handler runs.
    pub fn set_trace_env(&mut self, on: bool) {
        #[cfg(feature = "std")]
        {
            self.trace_env = on;
        }
        #[cfg(not(feature = "std"))]
        let _ = on;
    }

    /// Connects, then serves invocations until the Runtime API says stop. (With feature `log`,
    /// installs the logger first, if no logger is installed yet.)
    pub fn serve(&mut self, handler: DynHandler<'_>) -> Stop {
        #[cfg(feature = "log")]
        crate::logger::init();
        if let Err(stop) = self.connect() {
            return stop;
        }
        loop {
            if let Err(stop) = self.serve_one(&mut *handler) {
                return stop;
            }
        }
    }

    /// One invocation: the next event, the handler, its result posted.
    fn serve_one(&mut self, handler: DynHandler<'_>) -> Result<(), Stop> {
        self.recycle();
        #[cfg(feature = "log")]
        crate::current::end();
        self.next()?;
        #[cfg(feature = "log")]
        crate::current::begin(&self.ctx);
        #[cfg(feature = "std")]
        if self.trace_env {
            sys::set_trace_env(self.ctx.xray_trace_id.as_deref(), &mut self.scratch);
        }
        // A streaming handler writes on the loop's connection: lend it for the call.
        #[cfg(all(feature = "stream", not(feature = "ureq")))]
        {
            let api = core::mem::replace(&mut self.api, Api::new(&self.config.endpoint));
            self.sink.stream.api = Some(api);
        }
        let result = crate::panic::call(handler, &mut self.event, &self.ctx, &mut self.sink);
        #[cfg(all(feature = "stream", not(feature = "ureq")))]
        {
            if let Some(api) = self.sink.stream.api.take() {
                self.api = api;
            }
            if self.sink.stream.open {
                return self.end_stream(result.err());
            }
        }
        match result {
            Ok(()) => self.respond(),
            Err(error) => self.report_error(&error),
        }
    }

    /// Readies the buffers for the next event: of the last event's buffer and the last
    /// response's, the larger becomes the next event's buffer and the other is freed. A buffer
    /// that stays keeps its pages, so a steady stream of large events is read into memory that
    /// is already faulted in (an echo that takes its event hands the same buffer round and
    /// round); and the last response is not alive beside the next event and the next response
    /// (3 MiB instead of 1 for a 1 MiB echo that takes its event).
    fn recycle(&mut self) {
        let body = core::mem::take(&mut self.sink).body;
        if body.capacity() > self.event.capacity() {
            self.event = body;
        }
    }

    /// Ends a response stream that began on the wire: what is left as a last chunk, then the
    /// zero-length chunk, with the error's trailers if the handler failed; then acts on the
    /// answer. A stream cannot be sent again: a broken connection is logged and the loop goes
    /// on (the next request opens a new one).
    #[cfg(all(feature = "stream", not(feature = "ureq")))]
    fn end_stream(&mut self, error: Option<Error>) -> Result<(), Stop> {
        const WHAT: &str = "POST /response (stream)";
        let _ = self.api.chunk(&self.sink.body); // a failure shows in the answer
        let mut encoded = Vec::new();
        let result = match &error {
            None => self.api.trailers(&[]),
            Some(error) => {
                let error_type = error.error_type_or(DEFAULT_ERROR_TYPE);
                sys::log(
                    Level::Error,
                    &[
                        b"invocation ",
                        self.ctx.request_id.as_bytes(),
                        b" failed mid-stream: ",
                        error_type.as_bytes(),
                        b": ",
                        error.message().as_bytes(),
                    ],
                );
                protocol::error_body(&mut self.sink.body, error_type, error.message());
                crate::stream::base64(&mut encoded, &self.sink.body);
                let body = core::str::from_utf8(&encoded).unwrap_or_default();
                self.api.trailers(&[(protocol::ERROR_TYPE, error_type), (crate::stream::ERROR_BODY, body)])
            }
        };
        let _ = result; // a failure shows in the answer
        match self.api.answer(&mut |_, _| {}, &mut self.event) {
            Ok(200..=299) => Ok(()),
            Ok(status @ 500..) => Err(Stop::Status(WHAT, status)),
            Ok(status) => {
                let then: &[u8] = if status == 413 {
                    b"; Lambda fails this invocation as too large; carrying on"
                } else {
                    b"; carrying on"
                };
                log_status(Level::Warn, WHAT.as_bytes(), status, &self.event, then);
                if status == 413 {
                    self.api.disconnect(); // the rest of the body may still be unread
                }
                Ok(())
            }
            Err(e) => {
                e.log(Level::Warn, WHAT.as_bytes(), b"; a stream cannot be sent again; carrying on");
                self.api.disconnect();
                Ok(())
            }
        }
    }

    /// Waits for the next event.
    fn next(&mut self) -> Result<(), Stop> {
        const WHAT: &str = "GET /next";
        protocol::next_path(&mut self.path, &self.config.endpoint.prefix);
        let mut attempt = 0;
        loop {
            self.ctx.clear();
            let ctx = &mut self.ctx;
            let on_header = &mut |name: &str, value: &[u8]| ctx.absorb(name, value);
            match self.api.request("GET", &self.path, &[], None, on_header, &mut self.event) {
                Ok(200) if self.ctx.request_id.is_empty() => return Err(Stop::NoRequestId),
                Ok(200) => return Ok(()),
                Ok(status) => return Err(Stop::Status(WHAT, status)),
                Err(e) if attempt == 0 && !e.unreachable() => {
                    e.log(Level::Warn, WHAT.as_bytes(), b"; reconnecting");
                    self.api.disconnect();
                    attempt = 1;
                }
                Err(e) => return Err(Stop::Transport(WHAT, e)),
            }
        }
    }

    /// Posts the handler's response.
    fn respond(&mut self) -> Result<(), Stop> {
        protocol::invocation_path(&mut self.path, &self.config.endpoint.prefix, &self.ctx.request_id, false);
        let mut headers = [("", ""); 2];
        let mut n = 0;
        if let Some(content_type) = self.sink.content_type {
            headers[n] = ("Content-Type", content_type);
            n += 1;
        }
        if let Some(id) = &self.ctx.invocation_id {
            headers[n] = (protocol::INVOCATION_ID, id);
            n += 1;
        }
        post(&mut self.api, &self.path, &headers[..n], &self.sink.body, &mut self.event, "POST /response")
    }

    /// Logs the handler's error and posts it to `/error`.
    fn report_error(&mut self, error: &Error) -> Result<(), Stop> {
        let error_type = error.error_type_or(DEFAULT_ERROR_TYPE);
        let id = self.ctx.request_id.as_bytes();
        sys::log(
            Level::Error,
            &[b"invocation ", id, b" failed: ", error_type.as_bytes(), b": ", error.message().as_bytes()],
        );
        protocol::invocation_path(&mut self.path, &self.config.endpoint.prefix, &self.ctx.request_id, true);
        protocol::error_body(&mut self.sink.body, error_type, error.message());
        let mut headers =
            [("Content-Type", "application/json"), (protocol::ERROR_TYPE, error_type), ("", "")];
        let mut n = 2;
        if let Some(id) = &self.ctx.invocation_id {
            headers[n] = (protocol::INVOCATION_ID, id);
            n += 1;
        }
        post(&mut self.api, &self.path, &headers[..n], &self.sink.body, &mut self.event, "POST /error")
    }

    /// Reports `error` for the invocation `request_id` (for the panic hook, on a loop of its
    /// own: a fresh connection, as its process is about to abort).
    #[cfg(all(feature = "std", panic = "abort"))]
    pub fn report_error_for(
        &mut self,
        request_id: &str,
        invocation_id: Option<&str>,
        error: &Error,
    ) -> Result<(), Stop> {
        self.connect()?;
        self.ctx.request_id.push_str(request_id);
        self.ctx.invocation_id = invocation_id.map(alloc::string::String::from);
        self.report_error(error)
    }

    /// Reports an initialisation failure to `/runtime/init/error`; Lambda then expects the
    /// process to exit, so this always ends in a [`Stop`].
    pub fn report_init_error(&mut self, error: &Error) -> Stop {
        if let Err(stop) = self.connect() {
            return stop;
        }
        let error_type = error.error_type_or(DEFAULT_INIT_ERROR_TYPE);
        sys::log(Level::Error, &[b"init failed: ", error_type.as_bytes(), b": ", error.message().as_bytes()]);
        protocol::init_error_path(&mut self.path, &self.config.endpoint.prefix);
        protocol::error_body(&mut self.sink.body, error_type, error.message());
        let headers = [("Content-Type", "application/json"), (protocol::ERROR_TYPE, error_type)];
        match post(&mut self.api, &self.path, &headers, &self.sink.body, &mut self.event, "POST /init/error")
        {
            Ok(()) => Stop::InitError,
            Err(stop) => stop,
        }
    }
}

/// Posts `body` to `path` with `Content-Length` and acts on the answer (see the module table).
fn post(
    api: &mut Api,
    path: &[u8],
    headers: &[(&str, &str)],
    body: &[u8],
    answer: &mut Vec<u8>,
    what: &'static str,
) -> Result<(), Stop> {
    let mut attempt = 0;
    loop {
        match api.request("POST", path, headers, Some(body), &mut |_, _| {}, answer) {
            Ok(200..=299) => return Ok(()),
            Ok(413) => {
                log_status(
                    Level::Warn,
                    what.as_bytes(),
                    413,
                    answer,
                    b"; Lambda fails this invocation as too large; carrying on",
                );
                api.disconnect();
                return Ok(());
            }
            Ok(status @ 500..) => return Err(Stop::Status(what, status)),
            Ok(status) => {
                log_status(Level::Warn, what.as_bytes(), status, answer, b"; carrying on");
                return Ok(());
            }
            Err(e) if attempt == 0 => {
                e.log(Level::Warn, what.as_bytes(), b"; reconnecting to send it again");
                attempt = 1;
            }
            Err(e) => return Err(Stop::Transport(what, e)),
        }
    }
}
