//! Logs that Lambda understands (feature `log`): one line per record, in the format the
//! function's configuration asks for, with the request id of the invocation being served.
//!
//! Write with the [`log`] facade, re-exported so that this crate stays your only
//! dependency; the runtime installs the logger before your handler first runs:
//!
//! ```no_run
//! use lambda_bootstrap::log::{info, warn};
//! use lambda_bootstrap::{Context, Error};
//!
//! fn main() {
//!     lambda_bootstrap::logger::init(); // only needed to format lines logged before `run`
//!     info!("cold start");
//!     lambda_bootstrap::run(|event: &[u8], ctx: &Context| -> Result<Vec<u8>, Error> {
//!         if event.is_empty() {
//!             warn!("empty event");
//!         }
//!         info!("{} bytes, {} ms left", event.len(), ctx.remaining_ms().unwrap_or(0));
//!         Ok(event.to_vec())
//!     })
//! }
//! ```
//!
//! Lambda's advanced logging controls set two variables, read once:
//!
//! - `AWS_LAMBDA_LOG_FORMAT` (compared without case): `JSON` gives one object per line, with the
//!   fields of Lambda's own runtimes, `requestId` absent outside an invocation (during init):
//!   `{"timestamp":"2026-12-02T07:04:38.123Z","level":"INFO","message":"cold start","logger":"logs","requestId":"8f5…"}`.
//!   Anything else (`Text`, the default) gives tab-separated text, the request id empty outside
//!   an invocation: `[INFO]\t2026-12-02T07:04:38.123Z\t8f5…\tcold start`. A newline inside a
//!   Text message is written as a carriage return, so that CloudWatch keeps the record as one
//!   event; in JSON, quotes, backslashes and control bytes are escaped, and bytes that are not
//!   UTF-8 become U+FFFD, so every line parses.
//! - `AWS_LAMBDA_LOG_LEVEL`: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `FATAL` (without case);
//!   missing or anything else is `INFO`, as in Lambda. Records below it are dropped by the
//!   facade's macros before their message is formatted. (`log` has no FATAL: `FATAL` keeps only
//!   the runtime's own fatal lines.)
//!
//! The runtime's own lines (a handler's error, a lost connection, why it exits) are rendered the
//! same way, with the logger `lambda-bootstrap` (in Text, a `lambda-bootstrap: ` prefix): `WARN`
//! when it goes on, `ERROR` for a failed invocation or initialisation, `FATAL` when it exits.
//!
//! The request id is the one of the invocation served *on the logging thread*: each loop keeps
//! its own, so several loops on several threads never mix them. A thread the handler starts
//! itself logs without a request id. Each line is written to stderr with one `write`, so lines
//! of several threads never interleave. Timestamps are UTC with milliseconds (RFC 3339), from
//! the wall clock.
//!
//! With feature `tracing`, `tracing` events (`lambda_bootstrap::tracing::info!`, …) are rendered
//! the same way by a minimal subscriber installed with the logger: an event's `message` is the
//! line's message, its other fields follow as ` name=value`; spans are ignored.

use alloc::vec::Vec;
use std::sync::OnceLock;

use crate::protocol;
use crate::sys::{self, Level};

/// Installs the logger for the `log` facade (and with feature `tracing`, the subscriber for
/// `tracing` events), with the format and level of the function's configuration;
/// [`run`](crate::run) calls it before the handler first runs. Call it first thing in `main` to
/// format the lines logged during init too. Does nothing if a logger (subscriber) is installed
/// already: yours stays, and the runtime's own lines keep Lambda's format.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(install);
}

fn install() {
    #[cfg(feature = "tracing")]
    crate::subscriber::install(settings().json, settings().level);
    if ::log::set_logger(&LOGGER).is_ok() {
        ::log::set_max_level(match settings().level {
            Level::Trace => ::log::LevelFilter::Trace,
            Level::Debug => ::log::LevelFilter::Debug,
            Level::Info => ::log::LevelFilter::Info,
            Level::Warn => ::log::LevelFilter::Warn,
            Level::Error => ::log::LevelFilter::Error,
            Level::Fatal => ::log::LevelFilter::Off,
        });
    }
}

/// What the function's configuration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settings {
    json: bool,
    /// The lowest level written.
    level: Level,
}

/// The settings, read from the environment the first time a line is written or the logger
/// installed.
fn settings() -> Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    *SETTINGS.get_or_init(|| {
        let format = sys::env(c"AWS_LAMBDA_LOG_FORMAT");
        let level = sys::env(c"AWS_LAMBDA_LOG_LEVEL");
        parse_settings(format.as_deref(), level.as_deref())
    })
}

/// `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL` read as Lambda reads them.
fn parse_settings(format: Option<&str>, level: Option<&str>) -> Settings {
    let json = format.is_some_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let level = match level.map(str::trim) {
        Some(l) if l.eq_ignore_ascii_case("trace") => Level::Trace,
        Some(l) if l.eq_ignore_ascii_case("debug") => Level::Debug,
        Some(l) if l.eq_ignore_ascii_case("warn") => Level::Warn,
        Some(l) if l.eq_ignore_ascii_case("error") => Level::Error,
        Some(l) if l.eq_ignore_ascii_case("fatal") => Level::Fatal,
        _ => Level::Info,
    };
    Settings { json, level }
}

/// The runtime's own line: `parts` joined, at `level`, from the logger `lambda-bootstrap`.
pub(crate) fn runtime_line(level: Level, parts: &[&[u8]]) {
    let settings = settings();
    if level < settings.level {
        return;
    }
    let size = parts.iter().map(|p| p.len()).sum::<usize>();
    let mut line = Vec::with_capacity(size + 200);
    render(&mut line, settings.json, level, RUNTIME, &mut |out| {
        for part in parts {
            push_escaped(out, part, settings.json);
        }
    });
    sys::write_stderr(&line);
}

/// The logger name of the runtime's own lines.
const RUNTIME: &str = "lambda-bootstrap";

/// The logger the facade calls.
struct Logger;

static LOGGER: Logger = Logger;

impl ::log::Log for Logger {
    fn enabled(&self, metadata: &::log::Metadata<'_>) -> bool {
        level_of(metadata.level()) >= settings().level
    }

    fn log(&self, record: &::log::Record<'_>) {
        let settings = settings();
        let level = level_of(record.level());
        if level < settings.level {
            return;
        }
        let args = record.args();
        let mut line = Vec::with_capacity(args.as_str().map_or(256, |s| s.len() + 200));
        render(&mut line, settings.json, level, record.target(), &mut |out| match args.as_str() {
            Some(text) => push_escaped(out, text.as_bytes(), settings.json),
            None => {
                let _ = core::fmt::write(&mut Escaper { out, json: settings.json }, *args);
            }
        });
        sys::write_stderr(&line);
    }

    fn flush(&self) {}
}

fn level_of(level: ::log::Level) -> Level {
    match level {
        ::log::Level::Error => Level::Error,
        ::log::Level::Warn => Level::Warn,
        ::log::Level::Info => Level::Info,
        ::log::Level::Debug => Level::Debug,
        ::log::Level::Trace => Level::Trace,
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "TRACE",
        Level::Debug => "DEBUG",
        Level::Info => "INFO",
        Level::Warn => "WARN",
        Level::Error => "ERROR",
        Level::Fatal => "FATAL",
    }
}

/// One whole line into `out`, `message` writing the (escaped) message:
/// JSON `{"timestamp":…,"level":…,"message":…,"logger":…,"requestId":…}` or
/// Text `[LEVEL]\t<timestamp>\t<request id>\t<message>`, then a newline.
pub(crate) fn render(
    out: &mut Vec<u8>,
    json: bool,
    level: Level,
    target: &str,
    message: &mut dyn FnMut(&mut Vec<u8>),
) {
    let mut stamp = [0u8; 24];
    timestamp(&mut stamp, sys::now_ms());
    if json {
        out.extend_from_slice(b"{\"timestamp\":\"");
        out.extend_from_slice(&stamp);
        out.extend_from_slice(b"\",\"level\":\"");
        out.extend_from_slice(level_name(level).as_bytes());
        out.extend_from_slice(b"\",\"message\":\"");
        message(out);
        out.extend_from_slice(b"\",\"logger\":\"");
        push_escaped(out, target.as_bytes(), true);
        out.push(b'"');
        with_request_id(&mut |id| {
            out.extend_from_slice(b",\"requestId\":\"");
            push_escaped(out, id.as_bytes(), true);
            out.push(b'"');
        });
        out.extend_from_slice(b"}\n");
    } else {
        out.push(b'[');
        out.extend_from_slice(level_name(level).as_bytes());
        out.extend_from_slice(b"]\t");
        out.extend_from_slice(&stamp);
        out.push(b'\t');
        with_request_id(&mut |id| push_escaped(out, id.as_bytes(), false));
        out.push(b'\t');
        if target == RUNTIME {
            out.extend_from_slice(b"lambda-bootstrap: ");
        }
        message(out);
        out.push(b'\n');
    }
}

/// Calls `f` with the request id of the invocation this thread serves, if there is one.
fn with_request_id(f: &mut dyn FnMut(&str)) {
    if let Some(cell) = crate::current::get()
        && let Ok(slot) = cell.try_borrow()
        && !slot.request_id.is_empty()
    {
        f(&slot.request_id);
    }
}

/// `fmt::Write` that escapes as it goes: a formatted message is never built twice.
pub(crate) struct Escaper<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) json: bool,
}

impl core::fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        push_escaped(self.out, s.as_bytes(), self.json);
        Ok(())
    }
}

/// `bytes` into `out`, fit for a JSON string (`json`) or a Text line: a sequence that is not
/// UTF-8 becomes U+FFFD; in JSON `"`, `\` and control bytes are escaped; in Text a newline
/// becomes a carriage return (one CloudWatch event per record), the rest is as it is.
pub(crate) fn push_escaped(out: &mut Vec<u8>, bytes: &[u8], json: bool) {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            // The length of the sequence the first byte announces; checked whole.
            let n = match b {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => 0,
            };
            match bytes.get(i..i + n).filter(|seq| n > 0 && sys::utf8(seq).is_some()) {
                Some(seq) => {
                    out.extend_from_slice(seq);
                    i += n;
                }
                None => {
                    out.extend_from_slice("\u{fffd}".as_bytes());
                    i += 1;
                }
            }
            continue;
        }
        i += 1;
        match b {
            b'\n' if !json => out.push(b'\r'),
            _ if !json => out.push(b),
            _ => protocol::push_json_byte(out, b),
        }
    }
}

/// `ms` since the Unix epoch as RFC 3339 UTC with milliseconds: `2026-12-02T07:04:38.123Z`.
/// (Our own: a date-time crate would be tens of KiB for one conversion.)
pub(crate) fn timestamp(out: &mut [u8; 24], ms: u64) {
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, secs_of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days);
    let mut put = |at: usize, value: u64, digits: u32| {
        for k in 0..digits {
            out[at + k as usize] = b'0' + (value / 10u64.pow(digits - 1 - k) % 10) as u8;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, secs_of_day / 3600, 2);
    put(14, secs_of_day / 60 % 60, 2);
    put(17, secs_of_day % 60, 2);
    put(20, millis, 3);
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (23, b'Z')] {
        out[at] = sep;
    }
}

/// The Gregorian (year, month, day) of `days` since 1970-01-01.
///
/// Counted from 0000-03-01, so that the leap day is the last day of a year: a 400-year era is
/// 146,097 days; within it the year is found from the day (each 4 years add a leap day, each
/// 100 take one back, the 400th gives it again), then the month from the day of the year with
/// March as month 0 (March to January alternate 31 and 30 days in a 153-day, 5-month pattern).
fn civil_date(days: u64) -> (u64, u64, u64) {
    const ERA: u64 = 146_097;
    let z = days + 719_468; // 1970-01-01 is day 719,468 after 0000-03-01
    let (era, day_of_era) = (z / ERA, z % ERA);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / (ERA - 1)) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(ms: u64) -> String {
        let mut out = [0u8; 24];
        timestamp(&mut out, ms);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn timestamps_are_rfc_3339_utc_with_milliseconds() {
        assert_eq!(stamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(stamp(951_782_400_000 + 1), "2000-02-29T00:00:00.001Z");
        assert_eq!(stamp(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(stamp(1_796_194_800_000), "2026-12-02T07:00:00.000Z");
        assert_eq!(stamp(4_107_542_399_000), "2100-02-28T23:59:59.000Z");
        assert_eq!(stamp(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
    }

    /// Day by day from 1970 to 2500, the conversion agrees with a calendar counted by hand.
    #[test]
    fn civil_dates_agree_with_a_counted_calendar() {
        let (mut year, mut month, mut day) = (1970, 1, 1);
        for days in 0..(530 * 366) {
            assert_eq!(civil_date(days), (year, month, day), "day {days}");
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let length = match month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            day += 1;
            if day > length {
                (day, month) = (1, month + 1);
                if month > 12 {
                    (month, year) = (1, year + 1);
                }
            }
        }
    }

    fn escaped(bytes: &[u8], json: bool) -> String {
        let mut out = Vec::new();
        push_escaped(&mut out, bytes, json);
        String::from_utf8(out).expect("always UTF-8")
    }

    #[test]
    fn json_escaping_keeps_every_line_parseable() {
        assert_eq!(escaped(b"say \"hi\" \\ there", true), r#"say \"hi\" \\ there"#);
        assert_eq!(escaped(b"a\nb\rc\td\0e\x1f\x7f", true), r"a\nb\rc\td\u0000e\u001F\u007F");
        assert_eq!(escaped("é € 𝄞".as_bytes(), true), "é € 𝄞");
        assert_eq!(escaped(b"\xff a \xc3", true), "\u{fffd} a \u{fffd}");
        assert_eq!(escaped(b"\xe2\x82 \xed\xa0\x80", true), "\u{fffd}\u{fffd} \u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(escaped(b"\xc0\xaf", true), "\u{fffd}\u{fffd}", "overlong");
    }

    #[test]
    fn text_keeps_a_record_on_one_line() {
        assert_eq!(escaped(b"a\nb \"c\"\t\0", false), "a\rb \"c\"\t\0");
        assert_eq!(escaped(b"\xff", false), "\u{fffd}");
    }

    #[test]
    fn settings_are_read_as_lambda_reads_them() {
        let s = |f, l| parse_settings(f, l);
        assert_eq!(s(None, None), Settings { json: false, level: Level::Info });
        assert_eq!(s(Some("JSON"), Some("DEBUG")), Settings { json: true, level: Level::Debug });
        assert_eq!(s(Some("json"), Some("trace")), Settings { json: true, level: Level::Trace });
        assert_eq!(s(Some("Text"), Some("Warn")), Settings { json: false, level: Level::Warn });
        assert_eq!(s(Some("yaml"), Some("loud")), Settings { json: false, level: Level::Info });
        assert_eq!(s(Some(" JSON "), Some("FATAL")).level, Level::Fatal);
        assert_eq!(s(None, Some("ERROR")).level, Level::Error);
    }

    #[test]
    fn a_json_line_outside_an_invocation_has_no_request_id() {
        let mut line = Vec::new();
        render(&mut line, true, Level::Warn, "orders", &mut |out| push_escaped(out, b"low \"stock\"", true));
        let text = String::from_utf8(line).unwrap();
        assert!(text.starts_with("{\"timestamp\":\""), "{text}");
        assert!(
            text.ends_with(
                "Z\",\"level\":\"WARN\",\"message\":\"low \\\"stock\\\"\",\"logger\":\"orders\"}\n"
            ),
            "{text}"
        );
        let mut line = Vec::new();
        render(&mut line, false, Level::Fatal, RUNTIME, &mut |out| out.extend_from_slice(b"gone"));
        let text = String::from_utf8(line).unwrap();
        assert!(text.starts_with("[FATAL]\t") && text.ends_with("Z\t\tlambda-bootstrap: gone\n"), "{text:?}");
    }
}
