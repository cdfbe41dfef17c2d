//! The Extensions API's wire vocabulary (features `shutdown` and `extension`): its paths and
//! header names. It lives beside the Runtime API (same host and port, base `/2020-01-01`). No
//! I/O: a transport turns these bytes into requests.

use alloc::vec::Vec;

/// The version segment every extension path starts with.
pub const VERSION: &str = "/2020-01-01";
/// The extension's name on `/extension/register` (an external extension's file name).
pub const NAME: &str = "Lambda-Extension-Name";
/// The identifier the register answer carries, sent back on every later request.
pub const IDENTIFIER: &str = "Lambda-Extension-Identifier";
/// The error type on `/extension/init/error` and `/extension/exit/error`.
#[cfg(feature = "extension")]
pub const ERROR_TYPE: &str = "Lambda-Extension-Function-Error-Type";

/// `PREFIX/2020-01-01/extension/` + `what` (`register`, `event/next`, `init/error`,
/// `exit/error`).
pub fn path(out: &mut Vec<u8>, prefix: &str, what: &str) {
    out.clear();
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(b"/extension/");
    out.extend_from_slice(what.as_bytes());
}
