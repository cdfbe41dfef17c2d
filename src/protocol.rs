//! The Runtime API's wire vocabulary: its paths, its header names, the error body, and the few
//! byte helpers they need. No I/O and no `std`: a transport turns these bytes into requests.

use alloc::vec::Vec;

/// The version segment every runtime path starts with.
pub const VERSION: &str = "/2018-06-01";

/// The request id of the invocation; required on every event.
pub const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// Absolute deadline in Unix epoch milliseconds.
pub const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
/// The ARN the function was invoked with.
pub const FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
/// The X-Ray tracing header.
pub const TRACE_ID: &str = "lambda-runtime-trace-id";
/// Mobile SDK client context (JSON).
pub const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
/// Cognito identity (JSON).
pub const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
/// Tenant id of a tenant-isolated function.
pub const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";
/// Per-invoke nonce, echoed back on `/response` and `/error` when present.
pub const INVOCATION_ID: &str = "Lambda-Runtime-Invocation-Id";
/// The error type header on `/error` and `/init/error`.
pub const ERROR_TYPE: &str = "Lambda-Runtime-Function-Error-Type";

/// ASCII case-insensitive equality, byte by byte: core's `eq_ignore_ascii_case` is built for
/// long strings, at three times the size, and ours are header names and short words.
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// `PREFIX/2018-06-01/runtime/invocation/next`.
pub fn next_path(out: &mut Vec<u8>, prefix: &str) {
    out.clear();
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(b"/runtime/invocation/next");
}

/// `PREFIX/2018-06-01/runtime/invocation/{id}/response` or `.../error` (`error == true`).
pub fn invocation_path(out: &mut Vec<u8>, prefix: &str, request_id: &str, error: bool) {
    out.clear();
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(b"/runtime/invocation/");
    percent_encode(out, request_id.as_bytes());
    out.extend_from_slice(if error { b"/error" } else { b"/response" });
}

/// `PREFIX/2018-06-01/runtime/init/error`.
pub fn init_error_path(out: &mut Vec<u8>, prefix: &str) {
    out.clear();
    out.extend_from_slice(prefix.as_bytes());
    out.extend_from_slice(VERSION.as_bytes());
    out.extend_from_slice(b"/runtime/init/error");
}

/// Writes `bytes` as one path segment: unreserved characters as they are, the rest as `%XX`, so
/// a request id from the network can never break the request line.
fn percent_encode(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The error document: `{"errorMessage":…,"errorType":…,"stackTrace":[]}`.
pub fn error_body(out: &mut Vec<u8>, error_type: &str, message: &str) {
    out.clear();
    out.extend_from_slice(b"{\"errorMessage\":");
    json_string(out, message);
    out.extend_from_slice(b",\"errorType\":");
    json_string(out, error_type);
    out.extend_from_slice(b",\"stackTrace\":[]}");
}

/// Appends `s` as a JSON string literal.
pub fn json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        push_json_byte(out, b);
    }
    out.push(b'"');
}

/// Appends one byte of a JSON string's text: quotes, backslashes, control bytes and DEL escaped,
/// every other byte as it is (the caller keeps the text valid UTF-8).
pub fn push_json_byte(out: &mut Vec<u8>, b: u8) {
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0..=0x1f | 0x7f => {
            out.extend_from_slice(b"\\u00");
            out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        _ => out.push(b),
    }
}

/// Makes a string safe as a header value: control bytes (CR, LF, NUL, …) become spaces.
pub fn header_value(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().map(|b| if b < 0x20 || b == 0x7f { b' ' } else { b })
}

/// Appends `n` in decimal.
pub fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `n` in hex (a chunk size).
pub fn push_hex(out: &mut Vec<u8>, n: u64) {
    let digits = (64 - n.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(HEX[(n >> (4 * i) & 15) as usize]);
    }
}

/// A plain decimal number: ASCII digits only, no sign, no spaces, no overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn paths() {
        let mut out = Vec::new();
        next_path(&mut out, "/.rt/fn");
        assert_eq!(out, b"/.rt/fn/2018-06-01/runtime/invocation/next");
        invocation_path(&mut out, "", "8f3e-01_A.~", false);
        assert_eq!(out, b"/2018-06-01/runtime/invocation/8f3e-01_A.~/response");
        invocation_path(&mut out, "", "a b/\r\n\u{e9}", true);
        assert_eq!(out, b"/2018-06-01/runtime/invocation/a%20b%2F%0D%0A%C3%A9/error");
        init_error_path(&mut out, "");
        assert_eq!(out, b"/2018-06-01/runtime/init/error");
    }

    #[test]
    fn error_document() {
        let mut out = Vec::new();
        error_body(&mut out, "Runtime.X", "say \"hi\"\\\n\u{1}\u{e9}");
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            r#"{"errorMessage":"say \"hi\"\\\n\u0001é","errorType":"Runtime.X","stackTrace":[]}"#
        );
    }

    #[test]
    fn decimals() {
        for n in [0u64, 7, 10, 202, 6_291_556, u64::MAX] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
            assert_eq!(parse_u64(&out), Some(n));
            out.clear();
            push_hex(&mut out, n);
            assert_eq!(out, alloc::format!("{n:X}").as_bytes());
        }
        for bad in ["", "-1", "+1", " 1", "1 ", "1.5", "0x10", "18446744073709551616"] {
            assert_eq!(parse_u64(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
