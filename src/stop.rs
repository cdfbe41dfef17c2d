//! Why a loop stops. A loop never exits the process: it returns a [`Stop`], and the one place
//! that decides to exit (`run`, or a test driving a loop in-process) logs it and acts.

use alloc::vec::Vec;

use crate::config::ConfigError;
use crate::protocol;
use crate::sys::{self, Level};
use crate::transport::TransportError;

/// Why the loop stopped serving: the Runtime API is gone, said something that means "exit", or
/// was told of a failed initialisation. Each has one stderr line ([`Stop::log`]); Lambda expects
/// the process to exit non-zero after any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// `AWS_LAMBDA_RUNTIME_API` is missing or unusable.
    Config(ConfigError),
    /// A request got no usable answer, twice, or the API could not be reached; the text names
    /// the request, or the API's address when it could not be reached at start-up.
    Transport(&'static str, TransportError),
    /// A request was answered with a status that ends the loop (a 5xx; on `/next`, anything
    /// but 200). The loop keeps the answer's body (`Runtime::last_answer`) for [`Stop::log`].
    Status(&'static str, u16),
    /// `/next` answered an event without `Lambda-Runtime-Aws-Request-Id`.
    NoRequestId,
    /// An initialisation failure was reported to `/init/error` (Lambda expects an exit).
    InitError,
}

impl Stop {
    /// Writes the one stderr line that says why (nothing for [`Stop::InitError`], already said);
    /// `answer` is the body of the last answer, quoted for a [`Stop::Status`].
    pub fn log(self, answer: &[u8]) {
        match self {
            Stop::Config(e) => e.log(),
            Stop::Transport(what, e) => e.log(Level::Fatal, what.as_bytes(), b"; exiting"),
            Stop::Status(what, status) => {
                log_status(Level::Fatal, what.as_bytes(), status, answer, b"; exiting")
            }
            Stop::NoRequestId => sys::log(
                Level::Fatal,
                &[b"GET /next answered an event without Lambda-Runtime-Aws-Request-Id; exiting"],
            ),
            Stop::InitError => {}
        }
    }
}

/// `lambda-bootstrap: <what> answered <status>: <start of body><then>` at `level`.
pub(crate) fn log_status(level: Level, what: &[u8], status: u16, body: &[u8], then: &[u8]) {
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
    sys::log(level, &[what, b" answered ", &text, then]);
}
