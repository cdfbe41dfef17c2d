//! `/next` headers into a `Context` (`Context::absorb`), against a model of the documented rules:
//! names in any case; a value that is not UTF-8, or empty once trimmed, counts as absent; the
//! last value present wins; a deadline that is not a number is unknown, one below 10^12 is
//! relative to now. And what the runtime builds from a context stays safe: the request id in a
//! path is percent-encoded, the invocation id echoed as a header has no control bytes.
//!
//! Input: lines; the first byte of a line picks one of the Lambda header names (in one of three
//! spellings) for the rest of the line, or says the line is `name:value`.
#![no_main]

use lambda_bootstrap::fuzzing::context;
use lambda_bootstrap::fuzzing::protocol::{self, *};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 9] = [
    REQUEST_ID,
    DEADLINE_MS,
    FUNCTION_ARN,
    TRACE_ID,
    CLIENT_CONTEXT,
    COGNITO_IDENTITY,
    TENANT_ID,
    INVOCATION_ID,
    "Content-Type",
];

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fuzz_target!(|data: &[u8]| {
    let mut headers: Vec<(String, &[u8])> = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        let Some((&pick, rest)) = line.split_first() else { continue };
        if usize::from(pick % 10) < NAMES.len() {
            let name = NAMES[usize::from(pick % 10)];
            let name = match pick / 10 % 3 {
                0 => name.to_ascii_lowercase(),
                1 => name.to_ascii_uppercase(),
                _ => name.to_owned(),
            };
            headers.push((name, rest));
        } else if let Some(colon) = rest.iter().position(|&b| b == b':') {
            if let Ok(name) = std::str::from_utf8(&rest[..colon]) {
                headers.push((name.to_owned(), &rest[colon + 1..]));
            }
        }
    }
    let pairs: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let before = now_ms();
    let ctx = context(&pairs);
    let after = now_ms();

    // The model: the last present value of each header.
    let last = |wanted: &str| -> Option<&str> {
        let present = pairs.iter().filter(|(n, _)| n.eq_ignore_ascii_case(wanted));
        let values = present.filter_map(|(_, v)| std::str::from_utf8(v).ok()).map(str::trim_ascii);
        values.filter(|v| !v.is_empty()).last()
    };
    assert_eq!(ctx.request_id, last(REQUEST_ID).unwrap_or(""));
    assert_eq!(ctx.invoked_function_arn, last(FUNCTION_ARN).unwrap_or(""));
    assert_eq!(ctx.xray_trace_id.as_deref(), last(TRACE_ID));
    assert_eq!(ctx.client_context.as_deref(), last(CLIENT_CONTEXT));
    assert_eq!(ctx.identity.as_deref(), last(COGNITO_IDENTITY));
    assert_eq!(ctx.tenant_id.as_deref(), last(TENANT_ID));
    assert_eq!(ctx.invocation_id.as_deref(), last(INVOCATION_ID));
    match last(DEADLINE_MS).and_then(|v| parse_u64(v.as_bytes())) {
        None => assert_eq!(ctx.deadline_ms, None),
        Some(d) if d >= 1_000_000_000_000 => assert_eq!(ctx.deadline_ms, Some(d)),
        Some(d) => {
            let got = ctx.deadline_ms.expect("a relative deadline");
            assert!(got >= before.saturating_add(d) && got <= after.saturating_add(d), "{d} -> {got}");
        }
    }
    let _ = ctx.remaining_ms();

    let mut path = Vec::new();
    protocol::invocation_path(&mut path, "", &ctx.request_id, false);
    let id = &path["/2018-06-01/runtime/invocation/".len()..path.len() - "/response".len()];
    assert!(id.iter().all(|&b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{path:?}");
    if let Some(invocation_id) = &ctx.invocation_id {
        assert!(protocol::header_value(invocation_id).all(|b| b >= 0x20 && b != 0x7f));
    }
});
