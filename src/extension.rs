//! External extensions (feature `extension`): a plain blocking program that Lambda runs beside
//! the function (an executable in `/opt/extensions/`), over the Extensions API on the Runtime
//! API's host and port.
//!
//! ```no_run
//! use lambda_bootstrap::extension::{Event, EventType, Extension};
//!
//! fn main() {
//!     let mut ext = Extension::register(&[EventType::Invoke, EventType::Shutdown]).unwrap_or_else(|e| e.exit());
//!     let mut invokes = 0;
//!     loop {
//!         match ext.next_event() {
//!             Ok(Event::Invoke(_)) => invokes += 1,
//!             Ok(Event::Shutdown(_)) => return println!("{invokes} invocations"),
//!             Ok(_) => {}
//!             Err(e) => e.exit(),
//!         }
//!     }
//! }
//! ```
//!
//! | step | answer | outcome |
//! |---|---|---|
//! | `POST /extension/register` | 200 with `Lambda-Extension-Identifier` | an [`Extension`] |
//! | `POST /extension/register` | another status, no identifier | [`ExtensionError::Status`], [`ExtensionError::NoIdentifier`] |
//! | `GET /extension/event/next` | 200, `INVOKE` or `SHUTDOWN` | the typed [`Event`] |
//! | `GET /extension/event/next` | 200, another `eventType` | [`Event::Other`] with its type: the loop goes on |
//! | `GET /extension/event/next` | 200, a body that is not an event (no `eventType`, bad JSON) | [`ExtensionError::BadEvent`] |
//! | `GET /extension/event/next` | another status | [`ExtensionError::Status`] |
//! | any request | broken connection or malformed answer | reconnect and ask once more, then [`ExtensionError::Transport`] |
//! | `POST /extension/init/error`, `/exit/error` | any | reported; [`Extension::init_error`] and [`Extension::exit_error`] then exit 1 |
//!
//! [`ExtensionError::exit`] writes one stderr line and exits 1, as Lambda expects of an extension
//! that cannot go on. Events are read by a small scanner of the flat JSON Lambda sends (no JSON
//! library: the whole feature stays within 24 KiB of a plain std program).

use alloc::string::String;
use alloc::vec::Vec;

use crate::config::Config;
use crate::error::Error;
use crate::extension_api as api;
use crate::stop::log_status;
use crate::sys::{self, Level};
use crate::transport::{Api, Transport, TransportError};

/// An event an extension can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventType {
    /// Each invocation, as it starts.
    Invoke,
    /// The environment's end (external extensions only).
    Shutdown,
}

/// What `/extension/event/next` delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An invocation started.
    Invoke(Invoke),
    /// The environment shuts down: finish before [`Shutdown::deadline_ms`], then exit.
    Shutdown(Shutdown),
    /// An event type this version does not know, by name.
    Other(String),
}

/// An `INVOKE` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Invoke {
    /// The invocation's request id.
    pub request_id: String,
    /// Its deadline, Unix epoch milliseconds (0 if absent).
    pub deadline_ms: u64,
    /// The ARN it was invoked with.
    pub invoked_function_arn: String,
    /// `tracing.value`: the X-Ray header, if any.
    pub xray_trace_id: Option<String>,
}

/// A `SHUTDOWN` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Shutdown {
    /// `spindown`, `timeout` or `failure`.
    pub reason: String,
    /// When Lambda kills what is left, Unix epoch milliseconds (0 if absent).
    pub deadline_ms: u64,
}

/// Why a request to the Extensions API failed. [`ExtensionError::exit`] says it and exits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionError {
    /// `AWS_LAMBDA_RUNTIME_API` is missing or unusable.
    Config(crate::ConfigError),
    /// The request got no usable answer, twice; the text names the request.
    Transport(&'static str, TransportError),
    /// The request was answered with this status; the body is kept.
    Status(&'static str, u16, Vec<u8>),
    /// The register answer carried no `Lambda-Extension-Identifier`.
    NoIdentifier,
    /// `/extension/event/next` answered 200 with a body that is not an event; the text says how.
    BadEvent(&'static str),
}

impl ExtensionError {
    /// Writes the one stderr line that says what failed.
    pub fn log(&self) {
        match self {
            ExtensionError::Config(e) => e.log(),
            ExtensionError::Transport(what, e) => e.log(Level::Error, what.as_bytes(), b""),
            ExtensionError::Status(what, status, body) => {
                log_status(Level::Error, what.as_bytes(), *status, body, b"")
            }
            ExtensionError::NoIdentifier => {
                sys::log(Level::Error, &[b"POST /extension/register answered no Lambda-Extension-Identifier"])
            }
            ExtensionError::BadEvent(why) => {
                sys::log(Level::Error, &[b"GET /extension/event/next answered ", why.as_bytes()])
            }
        }
    }

    /// [`log`](ExtensionError::log), then exit with status 1.
    pub fn exit(&self) -> ! {
        self.log();
        sys::exit(1)
    }
}

/// A registered extension: its identifier and its connection to the Extensions API.
pub struct Extension {
    config: &'static Config,
    api: Api,
    id: String,
    path: Vec<u8>,
    body: Vec<u8>,
}

impl Extension {
    /// Registers under this program's file name (what Lambda expects of an external extension)
    /// for `events`.
    pub fn register(events: &[EventType]) -> Result<Extension, ExtensionError> {
        let program = std::env::args_os().next().or_else(|| std::env::current_exe().ok().map(Into::into));
        let path = std::path::PathBuf::from(program.unwrap_or_default());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("extension");
        Extension::register_as(name, events)
    }

    /// Registers as `name` for `events`.
    pub fn register_as(name: &str, events: &[EventType]) -> Result<Extension, ExtensionError> {
        const WHAT: &str = "POST /extension/register";
        let config = Config::from_env().map_err(ExtensionError::Config)?;
        let config: &'static Config = alloc::boxed::Box::leak(alloc::boxed::Box::new(config));
        let mut ext = Extension {
            config,
            api: Api::new(&config.endpoint),
            id: String::new(),
            path: Vec::new(),
            body: Vec::new(),
        };
        let mut request = Vec::from(&b"{\"events\":["[..]);
        for (i, event) in events.iter().enumerate() {
            request.extend_from_slice(if i > 0 { b"," } else { b"" });
            request.extend_from_slice(match event {
                EventType::Invoke => b"\"INVOKE\"",
                EventType::Shutdown => b"\"SHUTDOWN\"",
            });
        }
        request.extend_from_slice(b"]}");
        api::path(&mut ext.path, &config.endpoint.prefix, "register");
        let headers = [(api::NAME, name), ("Content-Type", "application/json")];
        let id = &mut ext.id;
        let on_header = &mut |header: &str, value: &[u8]| {
            if crate::protocol::eq_ignore_case(header.as_bytes(), api::IDENTIFIER.as_bytes()) {
                id.push_str(sys::utf8(value).unwrap_or_default().trim_ascii());
            }
        };
        match exchange(&mut ext.api, "POST", &ext.path, &headers, Some(&request), on_header, &mut ext.body) {
            Ok(200) if ext.id.is_empty() => Err(ExtensionError::NoIdentifier),
            Ok(200) => Ok(ext),
            Ok(status) => Err(ExtensionError::Status(WHAT, status, core::mem::take(&mut ext.body))),
            Err(e) => Err(ExtensionError::Transport(WHAT, e)),
        }
    }

    /// The identifier Lambda gave at registration.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Waits for the next event (blocking, without a timeout: Lambda freezes the environment
    /// while every extension waits here).
    pub fn next_event(&mut self) -> Result<Event, ExtensionError> {
        const WHAT: &str = "GET /extension/event/next";
        api::path(&mut self.path, &self.config.endpoint.prefix, "event/next");
        let headers = [(api::IDENTIFIER, self.id.as_str())];
        match exchange(&mut self.api, "GET", &self.path, &headers, None, &mut |_, _| {}, &mut self.body) {
            Ok(200) => parse_event(&self.body).map_err(ExtensionError::BadEvent),
            Ok(status) => Err(ExtensionError::Status(WHAT, status, core::mem::take(&mut self.body))),
            Err(e) => Err(ExtensionError::Transport(WHAT, e)),
        }
    }

    /// Reports a failed initialisation (`/extension/init/error`, Lambda then fails the init) and
    /// exits with status 1.
    pub fn init_error(mut self, error: &Error) -> ! {
        self.report("init/error", "POST /extension/init/error", error, "Extension.InitError")
    }

    /// Reports a failure before exiting (`/extension/exit/error`) and exits with status 1.
    pub fn exit_error(mut self, error: &Error) -> ! {
        self.report("exit/error", "POST /extension/exit/error", error, "Extension.ExitError")
    }

    fn report(&mut self, path: &str, what: &'static str, error: &Error, default: &'static str) -> ! {
        let error_type = error.error_type_or(default);
        sys::log(
            Level::Error,
            &[what.as_bytes(), b": ", error_type.as_bytes(), b": ", error.message().as_bytes()],
        );
        api::path(&mut self.path, &self.config.endpoint.prefix, path);
        let mut body = Vec::new();
        crate::protocol::error_body(&mut body, error_type, error.message());
        let headers = [
            (api::IDENTIFIER, self.id.as_str()),
            (api::ERROR_TYPE, error_type),
            ("Content-Type", "application/json"),
        ];
        match exchange(
            &mut self.api,
            "POST",
            &self.path,
            &headers,
            Some(&body),
            &mut |_, _| {},
            &mut self.body,
        ) {
            Ok(200..=299) => {}
            Ok(status) => log_status(Level::Error, what.as_bytes(), status, &self.body, b""),
            Err(e) => e.log(Level::Error, what.as_bytes(), b""),
        }
        sys::exit(1)
    }
}

/// One request, sent again once on a fresh connection if the first got no usable answer.
fn exchange(
    api: &mut Api,
    method: &str,
    path: &[u8],
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    on_header: &mut dyn FnMut(&str, &[u8]),
    out: &mut Vec<u8>,
) -> Result<u16, TransportError> {
    match api.request(method, path, headers, body, on_header, out) {
        Err(e) if !e.unreachable() => {
            api.disconnect();
            api.request(method, path, headers, body, on_header, out)
        }
        result => result,
    }
}

/// The event in a `/extension/event/next` body.
fn parse_event(body: &[u8]) -> Result<Event, &'static str> {
    let mut fields = Fields::default();
    scan(body, &mut fields)?;
    match fields.event_type.as_deref() {
        Some("INVOKE") => Ok(Event::Invoke(Invoke {
            request_id: fields.request_id.unwrap_or_default(),
            deadline_ms: fields.deadline_ms,
            invoked_function_arn: fields.arn.unwrap_or_default(),
            xray_trace_id: fields.trace.filter(|t| !t.is_empty()),
        })),
        Some("SHUTDOWN") => Ok(Event::Shutdown(Shutdown {
            reason: fields.reason.unwrap_or_default(),
            deadline_ms: fields.deadline_ms,
        })),
        Some(other) => Ok(Event::Other(String::from(other))),
        None => Err("an event without eventType"),
    }
}

/// The fields of an event that the types hold.
#[derive(Default)]
struct Fields {
    event_type: Option<String>,
    request_id: Option<String>,
    arn: Option<String>,
    trace: Option<String>,
    reason: Option<String>,
    deadline_ms: u64,
}

/// Reads a JSON object, keeping the fields [`Fields`] names (top level, and `value` inside the
/// top-level `tracing` object); other values are skipped, whatever their shape. No recursion:
/// nesting is a depth count.
fn scan(body: &[u8], fields: &mut Fields) -> Result<(), &'static str> {
    const BAD: &str = "a body that is not a JSON object";
    let mut at = skip_ws(body, 0);
    if body.get(at) != Some(&b'{') {
        return Err(BAD);
    }
    at += 1;
    let mut depth = 1usize; // objects and arrays open
    let mut in_tracing = false;
    let mut key: Option<String> = None;
    loop {
        at = skip_ws(body, at);
        let &b = body.get(at).ok_or(BAD)?;
        match b {
            b'"' => {
                let (text, end) = string(body, at)?;
                at = skip_ws(body, end);
                if body.get(at) == Some(&b':') {
                    at += 1;
                    key = Some(text);
                    continue;
                }
                let slot = match (depth, in_tracing, key.as_deref()) {
                    (1, _, Some("eventType")) => &mut fields.event_type,
                    (1, _, Some("requestId")) => &mut fields.request_id,
                    (1, _, Some("invokedFunctionArn")) => &mut fields.arn,
                    (1, _, Some("shutdownReason")) => &mut fields.reason,
                    (2, true, Some("value")) => &mut fields.trace,
                    _ => {
                        key = None;
                        continue;
                    }
                };
                *slot = Some(text);
                key = None;
            }
            b'{' | b'[' => {
                if depth == 1 {
                    in_tracing = b == b'{' && key.as_deref() == Some("tracing");
                }
                depth += 1;
                key = None;
                at += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                at += 1;
                if depth == 0 {
                    return Ok(());
                }
                if depth == 1 {
                    in_tracing = false;
                }
            }
            b',' => {
                key = None;
                at += 1;
            }
            _ => {
                let end = body[at..]
                    .iter()
                    .position(|&c| matches!(c, b',' | b'}' | b']'))
                    .map_or(body.len(), |n| at + n);
                let token = body[at..end].trim_ascii();
                if depth == 1 && key.as_deref() == Some("deadlineMs") {
                    fields.deadline_ms =
                        crate::protocol::parse_u64(token).ok_or("a deadlineMs that is not a number")?;
                }
                key = None;
                at = end;
            }
        }
    }
}

fn skip_ws(body: &[u8], mut at: usize) -> usize {
    while body.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
        at += 1;
    }
    at
}

/// The JSON string starting at `body[at] == '"'`, unescaped, and the index after it.
fn string(body: &[u8], at: usize) -> Result<(String, usize), &'static str> {
    const BAD: &str = "a malformed JSON string";
    let mut out = Vec::new();
    let mut i = at + 1;
    loop {
        let &b = body.get(i).ok_or(BAD)?;
        i += 1;
        match b {
            b'"' => break,
            b'\\' => {
                let &e = body.get(i).ok_or(BAD)?;
                i += 1;
                let c = match e {
                    b'"' | b'\\' | b'/' => e,
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'b' => 8,
                    b'f' => 12,
                    b'u' => {
                        let hex = body.get(i..i + 4).ok_or(BAD)?;
                        i += 4;
                        let mut n = 0u32;
                        for &h in hex {
                            n = n * 16 + char::from(h).to_digit(16).ok_or(BAD)?;
                        }
                        // Surrogate pairs are not expected in Lambda's ids: one becomes U+FFFD.
                        let c = char::from_u32(n).unwrap_or('\u{fffd}');
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        continue;
                    }
                    _ => return Err(BAD),
                };
                out.push(c);
            }
            _ => out.push(b),
        }
    }
    let text = sys::utf8(&out).ok_or(BAD)?;
    Ok((String::from(text), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse() {
        let invoke = br#"{"eventType":"INVOKE","deadlineMs":1700000000123,"requestId":"id-1",
            "invokedFunctionArn":"arn:aws:lambda:us-east-1:1:function:f","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-a"}}"#;
        let Ok(Event::Invoke(i)) = parse_event(invoke) else { panic!() };
        assert_eq!((i.request_id.as_str(), i.deadline_ms), ("id-1", 1_700_000_000_123));
        assert_eq!(i.invoked_function_arn, "arn:aws:lambda:us-east-1:1:function:f");
        assert_eq!(i.xray_trace_id.as_deref(), Some("Root=1-a"));
        let shutdown =
            br#" { "shutdownReason" : "spin\u0064own", "deadlineMs" : 5, "eventType" : "SHUTDOWN" } "#;
        let Ok(Event::Shutdown(s)) = parse_event(shutdown) else { panic!() };
        assert_eq!((s.reason.as_str(), s.deadline_ms), ("spindown", 5));
        // Unknown fields of any shape are skipped; a `value` outside `tracing` is not the trace.
        let other =
            br#"{"x":[1,{"value":"no"}],"eventType":"RESTORE","y":{"tracing":{"value":"no"}},"z":null}"#;
        assert_eq!(parse_event(other), Ok(Event::Other("RESTORE".into())));
        let untraced =
            br#"{"eventType":"INVOKE","requestId":"r","tracing":{"type":"X-Amzn-Trace-Id","value":""}}"#;
        let Ok(Event::Invoke(i)) = parse_event(untraced) else { panic!() };
        assert_eq!(i.xray_trace_id, None);
        for bad in [
            &b""[..],
            b"[]",
            b"{",
            br#"{"eventType":"INV"#,
            br#"{"requestId":"r"}"#,
            br#"{"deadlineMs":x,"eventType":"INVOKE"}"#,
        ] {
            assert!(parse_event(bad).is_err(), "{:?}", core::str::from_utf8(bad));
        }
    }
}
