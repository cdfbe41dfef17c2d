//! One invocation's metadata, taken from the `/next` answer's headers.

use alloc::string::String;

use crate::config::Config;
use crate::protocol;
use crate::sys;

/// What Lambda says about the invocation being handled. The runtime keeps one `Context` and
/// refills it for each event.
///
/// Headers sent with an empty value count as absent. Read-only for users: fields may be added
/// in any release (`#[non_exhaustive]`); a unit test builds one with [`Context::for_test`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Context {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The deadline in Unix epoch milliseconds, if the header held a number. A small value such
    /// as cargo-lambda's `600000` is read as relative to the moment the event arrived.
    pub deadline_ms: Option<u64>,
    /// `Lambda-Runtime-Invoked-Function-Arn`; may carry a version or alias.
    pub invoked_function_arn: String,
    /// `Lambda-Runtime-Trace-Id`, the X-Ray header; also set as `_X_AMZN_TRACE_ID` while the
    /// handler runs.
    pub xray_trace_id: Option<String>,
    /// `Lambda-Runtime-Client-Context`: the mobile SDK's client context, as JSON text.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`: the Cognito identity, as JSON text.
    pub identity: Option<String>,
    /// `Lambda-Runtime-Aws-Tenant-Id`, for tenant-isolated functions.
    pub tenant_id: Option<String>,
    /// `Lambda-Runtime-Invocation-Id`, echoed back on `/response` and `/error`.
    pub invocation_id: Option<String>,
    /// The function's environment, read once at start-up.
    pub config: &'static Config,
}

/// Deadline values below this (year 2001 in epoch milliseconds) are durations, not instants.
const RELATIVE_BELOW: u64 = 1_000_000_000_000;

impl Context {
    pub(crate) fn new(config: &'static Config) -> Context {
        Context {
            request_id: String::new(),
            deadline_ms: None,
            invoked_function_arn: String::new(),
            xray_trace_id: None,
            client_context: None,
            identity: None,
            tenant_id: None,
            invocation_id: None,
            config,
        }
    }

    /// A context for a unit test of a handler: `request_id` as given, every other field empty
    /// (no deadline, no trace id) and an empty [`Config`]. Set the public fields a test needs:
    ///
    /// ```
    /// use lambda_bootstrap::{Context, Error};
    ///
    /// fn handler(event: &[u8], ctx: &Context) -> Result<Vec<u8>, Error> {
    ///     Ok([ctx.request_id.as_bytes(), b" ", event].concat())
    /// }
    ///
    /// let mut ctx = Context::for_test("req-1");
    /// ctx.deadline_ms = Some(u64::MAX);
    /// assert_eq!(handler(b"hi", &ctx).unwrap(), b"req-1 hi");
    /// assert!(ctx.remaining_ms().unwrap() > 0);
    /// ```
    pub fn for_test(request_id: &str) -> Context {
        let mut ctx = Context::new(&crate::config::EMPTY);
        ctx.request_id.push_str(request_id);
        ctx
    }

    /// Milliseconds left until the deadline, never below zero; `None` when the deadline is
    /// unknown.
    pub fn remaining_ms(&self) -> Option<u64> {
        self.deadline_ms.map(|d| d.saturating_sub(sys::now_ms()))
    }

    /// Forgets the previous invocation, keeping the required strings' allocations.
    pub(crate) fn clear(&mut self) {
        self.request_id.clear();
        self.deadline_ms = None;
        self.invoked_function_arn.clear();
        self.xray_trace_id = None;
        self.client_context = None;
        self.identity = None;
        self.tenant_id = None;
        self.invocation_id = None;
    }

    /// Takes in one response header of `/next` (name in any case).
    pub(crate) fn absorb(&mut self, name: &str, value: &[u8]) {
        let Some(value) = sys::utf8(value) else {
            return; // Lambda's headers are ASCII; a non-UTF-8 value counts as absent.
        };
        let value = value.trim_ascii();
        if value.is_empty() {
            return;
        }
        let eq = |h: &str| protocol::eq_ignore_case(name.as_bytes(), h.as_bytes());
        if eq(protocol::REQUEST_ID) {
            set(&mut self.request_id, value);
        } else if eq(protocol::DEADLINE_MS) {
            self.deadline_ms = protocol::parse_u64(value.as_bytes()).map(|d| match d {
                d if d < RELATIVE_BELOW => sys::now_ms().saturating_add(d),
                d => d,
            });
        } else if eq(protocol::FUNCTION_ARN) {
            set(&mut self.invoked_function_arn, value);
        } else if let Some(slot) = self.optional_text(name) {
            *slot = Some(value.into());
        }
    }

    /// The optional text field a header fills, if it is one of them.
    fn optional_text(&mut self, name: &str) -> Option<&mut Option<String>> {
        let eq = |h: &str| protocol::eq_ignore_case(name.as_bytes(), h.as_bytes());
        Some(if eq(protocol::TRACE_ID) {
            &mut self.xray_trace_id
        } else if eq(protocol::CLIENT_CONTEXT) {
            &mut self.client_context
        } else if eq(protocol::COGNITO_IDENTITY) {
            &mut self.identity
        } else if eq(protocol::TENANT_ID) {
            &mut self.tenant_id
        } else if eq(protocol::INVOCATION_ID) {
            &mut self.invocation_id
        } else {
            return None;
        })
    }
}

fn set(slot: &mut String, value: &str) {
    slot.clear();
    slot.push_str(value);
}
