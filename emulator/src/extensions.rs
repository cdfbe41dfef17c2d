//! The Extensions API (`/2020-01-01/extension/...`, beside the Runtime API on the same port) and
//! the part of the lifecycle that extensions change, as Lambda runs them:
//!
//! - external extensions (executables) start before the runtime ([`Emulator::start_extension`](crate::Emulator::start_extension),
//!   [`Emulator::start_extensions_in`](crate::Emulator::start_extensions_in)) and register; the runtime starts once they have
//!   ([`Emulator::wait_registered`](crate::Emulator::wait_registered)); internal ones register from inside the runtime process;
//! - `POST /extension/register` (`Lambda-Extension-Name`, body `{"events":[...]}`): `200` with
//!   `Lambda-Extension-Identifier` and `{functionName, functionVersion, handler}`; `403` with
//!   RAPID's error types for a missing name, a name already registered, a bad body, an unknown
//!   event type, `SHUTDOWN` asked by an internal extension (one not started as an executable),
//!   more than 10 extensions, or registration after init;
//! - `GET /extension/event/next` (`Lambda-Extension-Identifier`): blocks until an event is due;
//!   `403 Extension.MissingExtensionIdentifier` / `Extension.InvalidExtensionIdentifier`;
//!   `403 Extension.InvalidExtensionState` after the extension reported an error;
//! - `POST /extension/init/error` and `/extension/exit/error` (identifier and
//!   `Lambda-Extension-Function-Error-Type`): `202`; an init error fails init;
//! - no event reaches the runtime's `/next` before every registered extension called `next`;
//!   an extension that has not within the init timeout fails init with a clear message
//!   ([`Emulator::init_failure`](crate::Emulator::init_failure));
//! - each event handed to the runtime is an `INVOKE` for the extensions that asked;
//! - [`Emulator::shut_down`](crate::Emulator::shut_down): SIGTERM to the runtime only when an extension is registered (else
//!   SIGKILL at once), its deadline, SIGKILL; then `SHUTDOWN` to the extensions that asked, the
//!   rest of the deadline, SIGKILL.
//!
//! Every step is a line of [`Emulator::lifecycle`](crate::Emulator::lifecycle). Starting extensions and shutting down are in
//! `lifecycle.rs`.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::connection::{Connection, End, Then};
use crate::event::Event;
use crate::state::POLL;
use crate::{FUNCTION_NAME, Kind, Request, wire};

/// The version segment of every Extensions API path (after the prefix).
const API: &str = "/2020-01-01/extension";

/// At most this many extensions may register (RAPID's limit).
const MAX_EXTENSIONS: usize = 10;

/// How long init may wait for the extensions to call `next` (on-demand Lambda's init limit).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request to the Extensions API, by method and path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtensionCall {
    /// `POST /extension/register`.
    Register,
    /// `GET /extension/event/next`.
    Next,
    /// `POST /extension/init/error`.
    InitError,
    /// `POST /extension/exit/error`.
    ExitError,
}

/// What a request to the Extensions API is, from its method and path (prefix and query removed).
pub(crate) fn route(method: &str, path: &str) -> Option<Kind> {
    let call = match (method, path.strip_prefix(API)?) {
        ("POST", "/register") => ExtensionCall::Register,
        ("GET", "/event/next") => ExtensionCall::Next,
        ("POST", "/init/error") => ExtensionCall::InitError,
        ("POST", "/exit/error") => ExtensionCall::ExitError,
        _ => return None,
    };
    Some(Kind::Extension(call))
}

/// A registered extension, as [`Emulator::extensions`](crate::Emulator::extensions) reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// `Lambda-Extension-Name`.
    pub name: String,
    /// The identifier it was given.
    pub id: String,
    /// It was started as an executable (external); else it registered from the runtime.
    pub external: bool,
    /// The events it asked for (`INVOKE`, `SHUTDOWN`), in its order.
    pub events: Vec<String>,
    /// It has called `/extension/event/next` at least once.
    pub ready: bool,
    /// Events delivered to it, in order: `INVOKE <request id>` or `SHUTDOWN <reason>`.
    pub delivered: Vec<String>,
    /// The error type of its `/extension/init/error`, if it posted one.
    pub init_error: Option<String>,
    /// The error type of its `/extension/exit/error`, if it posted one.
    pub exit_error: Option<String>,
    /// Events due and not yet taken by a `next`.
    pub(crate) queue: VecDeque<String>,
}

impl Extension {
    pub(crate) fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// The extensions' part of the emulator's state.
#[derive(Debug)]
pub(crate) struct Extensions {
    pub list: Vec<Extension>,
    /// Names of the executables started as external extensions.
    pub external: Vec<String>,
    /// When init began (the first extension started or registered).
    pub init_started: Option<Instant>,
    pub init_timeout: Duration,
    /// The first event was handed to the runtime: registration is closed.
    init_done: bool,
    pub init_failure: Option<String>,
    pub log: Vec<String>,
    /// When the log began.
    epoch: Instant,
    ids: u64,
    /// Answers to play instead of the normal ones, each once ([`Emulator::extension_reply`](crate::Emulator::extension_reply)).
    pub replies: Vec<(ExtensionCall, u16, String)>,
}

impl Default for Extensions {
    fn default() -> Extensions {
        Extensions {
            list: Vec::new(),
            external: Vec::new(),
            init_started: None,
            init_timeout: INIT_TIMEOUT,
            init_done: false,
            init_failure: None,
            log: Vec::new(),
            epoch: Instant::now(),
            ids: 0,
            replies: Vec::new(),
        }
    }
}

impl Extensions {
    /// Adds a lifecycle line, stamped with the milliseconds since the emulator started.
    pub fn note(&mut self, line: String) {
        let ms = self.epoch.elapsed().as_millis();
        self.log.push(format!("{ms:>6} ms  {line}"));
    }

    /// Whether the runtime may be handed an event: every registered extension has called `next`
    /// and init has not failed. Fails init once an extension is late past the init timeout.
    pub fn ready_for_invoke(&mut self) -> bool {
        if self.init_done {
            return true;
        }
        if self.init_failure.is_some() {
            return false;
        }
        let late: Vec<String> = self.list.iter().filter(|e| !e.ready).map(|e| e.name.clone()).collect();
        if late.is_empty() {
            self.init_done = true;
            if !self.list.is_empty() {
                self.note(format!(
                    "init done: the runtime and {} extension(s) wait in next",
                    self.list.len()
                ));
            }
            return true;
        }
        if self.init_started.is_some_and(|at| at.elapsed() >= self.init_timeout) {
            let failure = format!(
                "init failed: extension {} did not call /extension/event/next within {:?} (Extension.InitTimeout)",
                late.join(", "),
                self.init_timeout
            );
            self.note(failure.clone());
            self.init_failure = Some(failure);
        }
        false
    }

    /// An event was handed to the runtime: an `INVOKE` for each extension that asked.
    pub fn invoke(&mut self, event: &Event) {
        let deadline = SystemTime::now() + crate::event::DEADLINE_AFTER;
        let ms = deadline.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
        let arn = event.header_value("lambda-runtime-invoked-function-arn").unwrap_or(crate::DEFAULT_ARN);
        let trace = event.header_value("lambda-runtime-trace-id").unwrap_or_default();
        let body = format!(
            r#"{{"eventType":"INVOKE","deadlineMs":{ms},"requestId":{},"invokedFunctionArn":{},"tracing":{{"type":"X-Amzn-Trace-Id","value":{}}}}}"#,
            wire::json_string(event.request_id()),
            wire::json_string(arn),
            wire::json_string(trace),
        );
        let mut names = Vec::new();
        for ext in self.list.iter_mut().filter(|e| e.wants("INVOKE")) {
            ext.queue.push_back(body.clone());
            ext.delivered.push(format!("INVOKE {}", event.request_id()));
            names.push(ext.name.clone());
        }
        if !names.is_empty() {
            self.note(format!("INVOKE {} to {}", event.request_id(), names.join(", ")));
        }
    }

    fn by_id(&mut self, request: &Request) -> Result<&mut Extension, (&'static str, &'static str)> {
        let Some(id) = request.header("lambda-extension-identifier").filter(|id| !id.is_empty()) else {
            return Err((
                "Extension.MissingExtensionIdentifier",
                "Missing Lambda-Extension-Identifier header",
            ));
        };
        self.list
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or(("Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier"))
    }
}

/// The `403` answer of a refused Extensions API request.
fn forbidden(error_type: &str, message: &str) -> (u16, String) {
    (403, wire::error_body(error_type, message))
}

impl Connection {
    /// Serves a request to the Extensions API.
    pub(crate) fn extension(&self, mut request: Request, call: ExtensionCall) -> Then {
        let reply = {
            let mut state = self.shared.lock();
            let replies = &mut state.extensions.replies;
            let reply = replies.iter().position(|(c, _, _)| *c == call).map(|i| replies.remove(i));
            // A `next` answered with a played reply was still called: the extension is ready.
            if reply.is_some()
                && call == ExtensionCall::Next
                && let Ok(ext) = state.extensions.by_id(&request)
            {
                ext.ready = true;
            }
            reply
        };
        match reply {
            Some((_, 0, _)) => {
                self.shared.record(request);
                return Then::End(End::Close);
            }
            Some((_, status, body)) => {
                request.answered = status;
                // Recorded once written: a test that sees the record knows the answer was sent.
                let written = self.write(&answer_bytes(status, &[], &body));
                self.shared.record(request);
                return if written { Then::KeepAlive } else { Then::End(End::Close) };
            }
            None => {}
        }
        match call {
            ExtensionCall::Register => self.register(request),
            ExtensionCall::Next => self.extension_next(request),
            ExtensionCall::InitError | ExtensionCall::ExitError => {
                let init = call == ExtensionCall::InitError;
                let (status, body) = self.extension_error(&request, init);
                self.answer(request, status, &body, false)
            }
        }
    }

    fn register(&self, request: Request) -> Then {
        let name = request.header("lambda-extension-name").unwrap_or_default().to_owned();
        let events = parse_events(&request.body);
        let mut state = self.shared.lock();
        let exts = &mut state.extensions;
        let external = exts.external.contains(&name);
        let refused = if name.is_empty() {
            Some(forbidden("Extension.InvalidExtensionName", "Missing Lambda-Extension-Name header"))
        } else if exts.init_done {
            Some(forbidden("Extension.RegistrationClosed", "Registration is closed: init is over"))
        } else if exts.list.iter().any(|e| e.name == name) {
            Some(forbidden(
                "Extension.InvalidExtensionName",
                "An extension of this name is already registered",
            ))
        } else if exts.list.len() >= MAX_EXTENSIONS {
            Some(forbidden("Extension.TooManyExtensions", "At most 10 extensions can register"))
        } else {
            match &events {
                Err(why) => Some(forbidden("InvalidRequestFormat", why)),
                Ok(events) if events.iter().any(|e| e != "INVOKE" && e != "SHUTDOWN") => {
                    Some(forbidden("Extension.InvalidEventType", "Unknown event type"))
                }
                Ok(events) if !external && events.iter().any(|e| e == "SHUTDOWN") => Some(forbidden(
                    "Extension.InvalidEventType",
                    "Internal extensions cannot register for SHUTDOWN",
                )),
                Ok(_) => None,
            }
        };
        if let Some((status, body)) = refused {
            exts.note(format!("register {name:?} refused: {status} {body}"));
            drop(state);
            return self.answer(request, status, &body, false);
        }
        let events = events.unwrap_or_default();
        exts.ids += 1;
        let id = format!("6a1c0b4e-{:04x}-4000-8000-{:012x}", exts.ids, std::process::id());
        let kind = if external { "external" } else { "internal" };
        exts.note(format!("extension {name:?} ({kind}) registered for [{}]", events.join(", ")));
        exts.init_started.get_or_insert_with(Instant::now);
        exts.list.push(Extension {
            name,
            id: id.clone(),
            external,
            events,
            ready: false,
            delivered: Vec::new(),
            init_error: None,
            exit_error: None,
            queue: VecDeque::new(),
        });
        // Recorded under the same lock: whoever sees the extension registered sees its request.
        let mut request = request;
        request.answered = 200;
        state.requests.push(request);
        drop(state);
        self.shared.notify();
        let body = format!(
            r#"{{"functionName":"{FUNCTION_NAME}","functionVersion":"$LATEST","handler":"bootstrap"}}"#
        );
        let head = [("Lambda-Extension-Identifier", id.as_str())];
        if self.write(&answer_bytes(200, &head, &body)) { Then::KeepAlive } else { Then::End(End::Close) }
    }

    fn extension_error(&self, request: &Request, init: bool) -> (u16, String) {
        let what = if init { "init" } else { "exit" };
        let mut state = self.shared.lock();
        let exts = &mut state.extensions;
        let ext = match exts.by_id(request) {
            Ok(ext) => ext,
            Err((error_type, message)) => return forbidden(error_type, message),
        };
        let Some(error_type) = request.header("lambda-extension-function-error-type") else {
            return forbidden(
                "Extension.MissingHeader",
                "Missing Lambda-Extension-Function-Error-Type header",
            );
        };
        let line = format!("extension {:?} reported an {what} error: {error_type}", ext.name);
        if init {
            ext.init_error = Some(error_type.to_owned());
            exts.init_failure.get_or_insert_with(|| format!("init failed: {line}"));
        } else {
            ext.exit_error = Some(error_type.to_owned());
        }
        exts.note(line);
        drop(state);
        self.shared.notify();
        (202, r#"{"status":"OK"}"#.to_owned())
    }

    /// `GET /extension/event/next`: marks the extension ready, then waits for an event due to it.
    fn extension_next(&self, mut request: Request) -> Then {
        let mut state = self.shared.lock();
        let exts = &mut state.extensions;
        let (id, first_name) = match exts.by_id(&request) {
            Err((error_type, message)) => {
                drop(state);
                return self.answer(request, 403, &wire::error_body(error_type, message), false);
            }
            Ok(ext) if ext.init_error.is_some() || ext.exit_error.is_some() => {
                drop(state);
                let body = wire::error_body(
                    "Extension.InvalidExtensionState",
                    "The extension reported an error and must exit",
                );
                return self.answer(request, 403, &body, false);
            }
            Ok(ext) => {
                let first = !std::mem::replace(&mut ext.ready, true);
                (ext.id.clone(), first.then(|| ext.name.clone()))
            }
        };
        if let Some(name) = first_name {
            exts.note(format!("extension {name:?} ready (first /extension/event/next)"));
        }
        drop(state);
        request.answered = 0;
        let index = self.shared.record(request);
        loop {
            let mut state = self.shared.lock();
            if state.shutdown {
                return Then::End(End::Close);
            }
            let taken = state.taken;
            let due = state.extensions.list.iter_mut().find(|e| e.id == id).and_then(|e| e.queue.pop_front());
            if let Some(body) = due {
                if let Some(request) = index.checked_sub(taken).and_then(|i| state.requests.get_mut(i)) {
                    request.answered = 200;
                }
                drop(state);
                self.shared.notify();
                let event_id = format!("{:016x}", body.len() as u64 ^ 0x5eed_0000_0000_0000);
                let head = [("Lambda-Extension-Event-Identifier", event_id.as_str())];
                return if self.write(&answer_bytes(200, &head, &body)) {
                    Then::KeepAlive
                } else {
                    Then::End(End::Close)
                };
            }
            let state = self.shared.wait(state, POLL);
            drop(state);
            if crate::connection::peer_gone(self.reader.stream()) {
                return Then::End(End::Close);
            }
        }
    }
}

/// A JSON answer with extra headers.
fn answer_bytes(status: u16, head: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\n", wire::reason(status));
    for (name, value) in head {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// The `events` of a register body: `{"events":["INVOKE", ...]}`.
fn parse_events(body: &[u8]) -> Result<Vec<String>, &'static str> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| "The body is not JSON")?;
    let events = value.get("events").and_then(|e| e.as_array()).ok_or("The body has no events array")?;
    events.iter().map(|e| e.as_str().map(str::to_owned).ok_or("An event type is not a string")).collect()
}
