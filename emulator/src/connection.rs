//! One connection, served by its own thread: read a request, route it, record it, answer it
//! (or misbehave as an [`Event`]'s [`Fault`] says), until the connection ends.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::event::{Event, Fault};
use crate::state::{Invocation, POLL, Shared};
use crate::wire::{self, BodyError, HeadError, Reader};
use crate::{Framing, Kind, Options, Request};

/// The API version every path starts with (after the prefix).
const API: &str = "/2018-06-01";

/// How a connection ends.
pub(crate) enum End {
    /// Shut down the write side (FIN) and close.
    Close,
    /// Close with a RST.
    Reset,
}

/// What to do after a request was handled.
pub(crate) enum Then {
    KeepAlive,
    End(End),
}

/// One accepted connection, served by its own thread.
pub(crate) struct Connection {
    pub shared: Arc<Shared>,
    pub conn: usize,
    pub reader: Reader,
}

impl Connection {
    pub fn run(mut self) {
        let end = loop {
            match self.serve_one() {
                Then::KeepAlive => continue,
                Then::End(end) => break end,
            }
        };
        let stream = self.reader.into_stream();
        match end {
            End::Close => {
                let _ = stream.shutdown(Shutdown::Write);
            }
            End::Reset => set_linger_zero(&stream),
        }
        // The clone must go first: only the last close of the socket sends the RST.
        self.shared.forget(self.conn);
        drop(stream);
    }

    pub(crate) fn write(&self, bytes: &[u8]) -> bool {
        let mut stream = self.reader.stream();
        stream.write_all(bytes).is_ok()
    }

    /// Read, record and answer one request.
    fn serve_one(&mut self) -> Then {
        let head = match self.reader.read_head() {
            Ok(head) => head,
            Err(HeadError::Eof) => return Then::End(End::Close),
            Err(HeadError::Partial(bytes)) => {
                self.record_garbage(bytes, 0);
                return Then::End(End::Close);
            }
            Err(HeadError::TooLarge(bytes)) => {
                self.record_garbage(bytes, 400);
                let body = wire::error_body("BadRequest", "request head too large");
                self.write(&wire::json_answer(400, &body, true));
                return Then::End(End::Close);
            }
            Err(HeadError::Malformed(bytes, reason)) => {
                self.record_garbage(bytes, 400);
                let body = wire::error_body("BadRequest", &format!("malformed request: {reason}"));
                self.write(&wire::json_answer(400, &body, true));
                return Then::End(End::Close);
            }
        };

        let kind = route(&self.shared.opts, &head.method, &head.path);
        let framing = head.framing();
        let close_after = head.wants_close();
        let expects_continue = head.expects_continue();
        let mut request = Request {
            conn: self.conn,
            method: head.method,
            path: head.path,
            headers: head.headers,
            framing: Framing::None,
            body: Vec::new(),
            chunks: Vec::new(),
            trailers: Vec::new(),
            kind,
            answered: 0,
            at: Instant::now(),
        };

        let framing = match framing {
            Ok(framing) => framing,
            Err(reason) => {
                let body = wire::error_body("BadRequest", reason);
                return self.answer_and_close(request, 400, &body);
            }
        };
        request.framing = framing;
        if framing != Framing::None && expects_continue {
            self.write(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        let shared = &self.shared;
        let (body, read) = self.reader.read_body(framing, &mut |bytes| shared.chunk_arrived(bytes));
        request.body = body.bytes;
        request.chunks = body.chunks;
        request.trailers = body.trailers;
        request.at = Instant::now();
        match read {
            Ok(()) => {}
            Err(BodyError::Truncated) => {
                let body = wire::error_body("TruncatedHTTPRequest", "Received truncated HTTP request");
                return self.answer_and_close(request, 400, &body);
            }
            Err(BodyError::Malformed(reason)) => {
                let body = wire::error_body("BadRequest", reason);
                return self.answer_and_close(request, 400, &body);
            }
            Err(BodyError::TooLarge) => {
                let body = too_large_body(self.shared.opts.max_response);
                return self.answer_and_close(request, 413, &body);
            }
        }

        let then = match request.kind.clone() {
            Kind::Next => self.next(request),
            Kind::Response(id) | Kind::Error(id) => self.post_result(request, &id),
            Kind::InitError => self.init_error(request),
            Kind::Extension(call) => self.extension(request, call),
            Kind::Other => {
                let body = wire::error_body("NotFound", "Not Found");
                self.answer(request, 404, &body, false)
            }
        };
        match then {
            Then::KeepAlive if close_after => Then::End(End::Close),
            then => then,
        }
    }

    /// Record a request that did not parse; its raw bytes are kept as the body.
    fn record_garbage(&self, bytes: Vec<u8>, answered: u16) {
        let (method, path) = wire::guess_request_line(&bytes);
        self.shared.record(Request {
            conn: self.conn,
            method,
            path,
            headers: Vec::new(),
            framing: Framing::None,
            body: bytes,
            chunks: Vec::new(),
            trailers: Vec::new(),
            kind: Kind::Other,
            answered,
            at: Instant::now(),
        });
    }

    /// Record the request as answered with `status`, then write a JSON answer.
    /// `close`: close the connection afterwards (announced with `Connection: close`).
    pub(crate) fn answer(&self, mut request: Request, status: u16, body: &str, close: bool) -> Then {
        request.answered = status;
        self.shared.record(request);
        if !self.write(&wire::json_answer(status, body, close)) || close {
            return Then::End(End::Close);
        }
        Then::KeepAlive
    }

    fn answer_and_close(&self, request: Request, status: u16, body: &str) -> Then {
        self.answer(request, status, body, true)
    }

    /// `GET /next`: wait for an event and serve it (or play its fault).
    fn next(&self, mut request: Request) -> Then {
        if self.shared.lock().init_failed {
            let body = wire::error_body(
                "InvalidStateTransition",
                "State transition from InitError to Ready failed: the runtime already reported an init error",
            );
            return self.answer(request, 403, &body, false);
        }
        request.answered = 0;
        let index = self.shared.record(request);
        let Some((event, fault)) = self.wait_for_event(index) else {
            return Then::End(End::Close);
        };

        let answer = event.answer(self.shared.opts.relative_deadline);
        match fault {
            None => {
                self.shared.mark_writing(event.request_id());
                if !self.write(&answer.head) || !self.write(&answer.body) || answer.close {
                    return Then::End(End::Close);
                }
                Then::KeepAlive
            }
            Some(Fault::Status(status, body)) => self.write_keep(&wire::json_answer(status, &body, false)),
            Some(Fault::Raw(bytes)) => {
                self.write(&bytes);
                Then::End(End::Close)
            }
            Some(Fault::RawServed(bytes)) => self.write_keep(&bytes),
            Some(Fault::RawKeepOpen(bytes)) => {
                self.write(&bytes);
                self.shared.wait_shutdown();
                Then::End(End::Close)
            }
            Some(Fault::CloseBeforeHead) => Then::End(End::Close),
            Some(Fault::ResetBeforeHead) => Then::End(End::Reset),
            Some(Fault::CloseAfterHead) => {
                self.write(&answer.head);
                Then::End(End::Close)
            }
            Some(Fault::CloseMidBody) => {
                self.write(&answer.head);
                self.write(&answer.body[..answer.body.len() / 2]);
                Then::End(End::Close)
            }
            Some(Fault::Drip(pause)) => {
                let bytes = [answer.head, answer.body].concat();
                for (i, byte) in bytes.iter().enumerate() {
                    if (i > 0 && !self.shared.sleep(pause)) || !self.write(&[*byte]) {
                        return Then::End(End::Close);
                    }
                }
                if answer.close { Then::End(End::Close) } else { Then::KeepAlive }
            }
        }
    }

    fn write_keep(&self, bytes: &[u8]) -> Then {
        if self.write(bytes) { Then::KeepAlive } else { Then::End(End::Close) }
    }

    /// Block until an event is queued, take it and update the `/next` record at
    /// `index` with what will be answered. `None` on shutdown or when the client
    /// went away while waiting (the event then stays queued for someone else).
    fn wait_for_event(&self, index: usize) -> Option<(Event, Option<Fault>)> {
        loop {
            let mut state = self.shared.lock();
            if state.shutdown {
                return None;
            }
            // No event before every registered extension waits in its `next` (`extensions.rs`).
            let ready = state.extensions.ready_for_invoke();
            if let Some(mut event) = if ready { state.queue.pop_front() } else { None } {
                let fault = event.fault.take();
                let answered = match &fault {
                    Some(Fault::Status(status, _)) => *status,
                    Some(f) if f.breaks_connection() => {
                        state.queue.push_front(event.clone());
                        0
                    }
                    Some(Fault::RawKeepOpen(_)) => 0,
                    _ => {
                        let invocation = Invocation {
                            answered: false,
                            reply: event.reply.clone(),
                            served_at: Instant::now(),
                            writing_at: None,
                        };
                        state.invocations.insert(event.request_id().to_owned(), invocation);
                        state.extensions.invoke(&event);
                        200
                    }
                };
                let taken = state.taken;
                if let Some(request) = index.checked_sub(taken).and_then(|i| state.requests.get_mut(i)) {
                    request.answered = answered;
                }
                drop(state);
                self.shared.notify();
                return Some((event, fault));
            }
            let state = self.shared.wait(state, POLL);
            let idle = !state.shutdown && state.queue.is_empty();
            drop(state);
            if idle && peer_gone(self.reader.stream()) {
                return None;
            }
        }
    }

    /// `POST /invocation/{id}/response` and `/error`.
    fn post_result(&self, request: Request, id: &str) -> Then {
        self.shared.hold_result(self.conn, id);
        let opts = &self.shared.opts;
        let is_response = matches!(request.kind, Kind::Response(_));
        let mut state = self.shared.lock();
        // `silent`: close without announcing it (a custom `reply_and_close`).
        let (status, body, close, silent) = match state.invocations.get_mut(id) {
            None => (400, wire::error_body("InvalidRequestID", "Invalid request ID"), false, false),
            Some(invocation) => {
                if let Some(reply) = invocation.reply.take() {
                    invocation.answered |= (200..300).contains(&reply.status);
                    (reply.status, reply.body, reply.close, reply.close)
                } else if invocation.answered {
                    let message = "State transition from RuntimeResponseSent to InvocationResponse failed";
                    (403, wire::error_body("InvalidStateTransition", message), false, false)
                } else if is_response && request.body.len() > opts.max_response {
                    invocation.answered = true;
                    (413, too_large_body(opts.max_response), opts.close_after_413, false)
                } else if is_response && !valid_response_mode(&request) {
                    invocation.answered = true;
                    let message = "Invalid Lambda-Runtime-Function-Response-Mode header value";
                    (400, wire::error_body("InvalidFunctionResponseMode", message), false, false)
                } else {
                    invocation.answered = true;
                    (opts.accept_status, r#"{"status":"OK"}"#.to_owned(), false, false)
                }
            }
        };
        drop(state);

        if !silent {
            return self.answer(request, status, &body, close);
        }
        let mut request = request;
        request.answered = status;
        self.shared.record(request);
        if status != 0 {
            self.write(&wire::json_answer(status, &body, false));
        }
        Then::End(End::Close)
    }

    /// `POST /init/error`.
    fn init_error(&self, request: Request) -> Then {
        self.shared.lock().init_failed = true;
        let status = self.shared.opts.accept_status;
        self.answer(request, status, r#"{"status":"OK"}"#, false)
    }
}

/// The 413 body RAPID sends.
fn too_large_body(max: usize) -> String {
    let message = format!("Exceeded maximum allowed payload size ({max} bytes).");
    wire::error_body("RequestEntityTooLarge", &message)
}

/// `Lambda-Runtime-Function-Response-Mode`, when present, must be `streaming`.
fn valid_response_mode(request: &Request) -> bool {
    request.header("lambda-runtime-function-response-mode").is_none_or(|mode| mode == "streaming")
}

/// What a request is, from its method and path (prefix and query string removed).
pub(crate) fn route(opts: &Options, method: &str, path: &str) -> Kind {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let path = match opts.prefix.as_deref() {
        Some(prefix) => match path.strip_prefix(prefix) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => return Kind::Other,
        },
        None => path,
    };
    if let Some(kind) = crate::extensions::route(method, path) {
        return kind;
    }
    let Some(rest) = path.strip_prefix(API) else {
        return Kind::Other;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["", "runtime", "invocation", "next"]) => Kind::Next,
        ("POST", ["", "runtime", "invocation", id, "response"]) if !id.is_empty() => {
            Kind::Response((*id).to_owned())
        }
        ("POST", ["", "runtime", "invocation", id, "error"]) if !id.is_empty() => {
            Kind::Error((*id).to_owned())
        }
        ("POST", ["", "runtime", "init", "error"]) => Kind::InitError,
        _ => Kind::Other,
    }
}

/// Wait until a socket has something to read (or an error/hang-up), at most `timeout`.
fn wait_readable(socket: &impl AsRawFd, timeout: Duration) -> bool {
    let mut fd = libc::pollfd { fd: socket.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd, for the duration of the call.
    let n = unsafe { libc::poll(&mut fd, 1, ms) };
    n > 0
}

/// Whether the peer closed or reset the connection (checked without consuming data).
pub(crate) fn peer_gone(stream: &TcpStream) -> bool {
    if !wait_readable(stream, Duration::ZERO) {
        return false;
    }
    let mut byte = 0u8;
    // SAFETY: a one-byte buffer we own; MSG_PEEK leaves the data in the socket.
    let n = unsafe {
        libc::recv(stream.as_raw_fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
    };
    if n == 0 {
        return true;
    }
    n < 0 && {
        let err = std::io::Error::last_os_error();
        !matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted)
    }
}

/// Make the next close of the socket send a RST (`SO_LINGER` on, 0 s).
fn set_linger_zero(stream: &TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket and a linger struct of the size we pass.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let rie = Options::default();
        let next = "/2018-06-01/runtime/invocation/next";
        assert_eq!(route(&rie, "GET", next), Kind::Next);
        assert_eq!(route(&rie, "GET", &format!("{next}?x=1")), Kind::Next);
        assert_eq!(route(&rie, "POST", next), Kind::Other);
        assert_eq!(
            route(&rie, "POST", "/2018-06-01/runtime/invocation/abc/response"),
            Kind::Response("abc".into())
        );
        assert_eq!(
            route(&rie, "POST", "/2018-06-01/runtime/invocation/abc/error"),
            Kind::Error("abc".into())
        );
        assert_eq!(route(&rie, "POST", "/2018-06-01/runtime/invocation//error"), Kind::Other);
        assert_eq!(route(&rie, "POST", "/2018-06-01/runtime/init/error"), Kind::InitError);
        assert_eq!(route(&rie, "GET", "/2018-06-01/ping"), Kind::Other);

        let cargo = Options::cargo_lambda();
        assert_eq!(route(&cargo, "GET", next), Kind::Other);
        assert_eq!(route(&cargo, "GET", &format!("/.rt/test_function{next}")), Kind::Next);
        assert_eq!(route(&cargo, "GET", &format!("/.rt/test_functionx{next}")), Kind::Other);
    }
}
