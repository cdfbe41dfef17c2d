//! Logs Lambda understands (feature `log`), end to end: the real static `logs` example against
//! the emulator, its stderr read line by line as CloudWatch would. JSON lines parse and carry
//! the request id of their invocation (none during init or once the loop waits again); levels
//! filter; the Text format; odd messages (quotes, newlines, NUL, 1 MiB) stay one valid line; the
//! runtime's own lines follow the same format. In this process (`--features log`), two loops on
//! two threads each put their own request id on their lines.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Map, Value};

/// Runs `logs` on `arch` with `env`, serves `events`, then a `/next` answered 500 that makes it
/// exit; returns the request ids of the events and what it printed.
fn run(arch: Arch, env: &[(&str, &str)], events: Vec<Event>) -> (Vec<String>, Outcome) {
    run_example(arch, "log,json", "logs", env, events)
}

/// [`run`] for example `name` built with `features`.
fn run_example(
    arch: Arch,
    features: &str,
    name: &str,
    env: &[(&str, &str)],
    events: Vec<Event>,
) -> (Vec<String>, Outcome) {
    let emu = Emulator::start();
    let ids: Vec<String> = events.iter().map(|e| e.request_id().to_owned()).collect();
    for event in events {
        emu.push(event);
    }
    emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, r#"{"errorType":"Gone"}"#.into())));
    let mut cmd: Command = command_for(&emu, arch, &one_example(arch, "release", features, name));
    cmd.env_remove("AWS_LAMBDA_LOG_FORMAT").env_remove("AWS_LAMBDA_LOG_LEVEL");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let outcome = emu.spawn(cmd).wait(LIMIT);
    assert_exit(&outcome, 1);
    (ids, outcome)
}

/// Every stderr line as a JSON object; fails on a line that does not parse.
fn json_lines(outcome: &Outcome) -> Vec<Map<String, Value>> {
    outcome
        .stderr
        .lines()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {line:?} ({other:?}); stderr:\n{}", outcome.stderr),
        })
        .collect()
}

fn field<'a>(line: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    line.get(name).and_then(Value::as_str)
}

/// `2026-12-02T07:04:38.123Z`: RFC 3339, UTC, milliseconds.
fn assert_timestamp(stamp: &str) {
    let b = stamp.as_bytes();
    assert_eq!(b.len(), 24, "{stamp}");
    for (i, &c) in b.iter().enumerate() {
        let expected = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        };
        assert!(expected, "{stamp} at {i}");
    }
    assert!(stamp[..4].parse::<u32>().unwrap() >= 2026, "{stamp}");
}

/// The (level, message, logger, request id) of each line, after checking its timestamp and that
/// it has no other field.
fn summary(lines: &[Map<String, Value>]) -> Vec<(String, String, String, Option<String>)> {
    lines
        .iter()
        .map(|line| {
            assert_timestamp(field(line, "timestamp").expect("timestamp"));
            for key in line.keys() {
                assert!(
                    ["timestamp", "level", "message", "logger", "requestId"].contains(&key.as_str()),
                    "{key}"
                );
            }
            let get = |name| field(line, name).unwrap_or_else(|| panic!("{name} in {line:?}")).to_owned();
            (get("level"), get("message"), get("logger"), field(line, "requestId").map(str::to_owned))
        })
        .collect()
}

fn owned(
    level: &str,
    message: &str,
    logger: &str,
    id: Option<&str>,
) -> (String, String, String, Option<String>) {
    (level.into(), message.into(), logger.into(), id.map(str::to_owned))
}

/// What `logs` (whose logger is `name`) writes at INFO for an event served with id `id` that
/// does not fail.
fn served(name: &str, id: &str) -> Vec<(String, String, String, Option<String>)> {
    vec![
        owned("INFO", &format!("info from {id}"), name, Some(id)),
        owned("WARN", &format!("warn from {id}"), "orders", Some(id)),
        owned("ERROR", &format!("error from {id}"), name, Some(id)),
    ]
}

fn json_lines_carry_the_request_id(arch: Arch) {
    json_lines_of(arch, "log,json", "logs");
}

/// Example `name` (`logs` or `logs_tracing`) in JSON: every line and its fields, in order.
fn json_lines_of(arch: Arch, features: &str, name: &str) {
    let events = vec![Event::json("{}"), Event::json(r#"{"fail":true}"#), Event::json("{}")];
    // `json` in lower case: the format is compared without case.
    let (ids, outcome) = run_example(arch, features, name, &[("AWS_LAMBDA_LOG_FORMAT", "json")], events);
    let mut expected = vec![owned("INFO", "cold start", name, None)];
    expected.extend(served(name, &ids[0]));
    expected.extend([
        owned("INFO", &format!("info from {}", ids[1]), name, Some(&ids[1])),
        owned("WARN", &format!("warn from {}", ids[1]), "orders", Some(&ids[1])),
        owned("ERROR", "about to fail", name, Some(&ids[1])),
        owned(
            "ERROR",
            &format!("invocation {} failed: Logs.Failed: asked to fail", ids[1]),
            "lambda-bootstrap",
            Some(&ids[1]),
        ),
    ]);
    expected.extend(served(name, &ids[2]));
    // Waiting for the next event, no invocation is in flight: the exit line has no request id.
    expected.push(owned(
        "FATAL",
        r#"GET /next answered 500: {"errorType":"Gone"}; exiting"#,
        "lambda-bootstrap",
        None,
    ));
    assert_eq!(summary(&json_lines(&outcome)), expected, "stderr:\n{}", outcome.stderr);
}

#[test]
fn json_lines_parse_and_carry_the_request_id_of_their_invocation() {
    json_lines_carry_the_request_id(Arch::X86_64);
}

#[test]
fn json_lines_parse_and_carry_the_request_id_on_aarch64() {
    json_lines_carry_the_request_id(Arch::Aarch64);
}

/// The same function written with `tracing` (feature `tracing`): the same lines.
#[test]
fn tracing_events_come_out_as_the_same_json_lines() {
    json_lines_of(Arch::X86_64, "tracing,json", "logs_tracing");
}

/// The levels written for `AWS_LAMBDA_LOG_LEVEL` = `level` (JSON, one event).
fn levels_for(level: Option<&str>) -> Vec<String> {
    let mut env = vec![("AWS_LAMBDA_LOG_FORMAT", "JSON")];
    env.extend(level.map(|l| ("AWS_LAMBDA_LOG_LEVEL", l)));
    let (_, outcome) = run(Arch::X86_64, &env, vec![Event::json("{}")]);
    summary(&json_lines(&outcome)).into_iter().map(|(level, ..)| level).collect()
}

#[test]
fn levels_below_aws_lambda_log_level_are_not_written() {
    let all = ["INFO", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
    assert_eq!(levels_for(Some("TRACE")), all);
    assert_eq!(levels_for(Some("debug")), ["INFO", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]);
    assert_eq!(levels_for(Some("WARN")), ["WARN", "ERROR", "FATAL"]);
    assert_eq!(levels_for(Some("ERROR")), ["ERROR", "FATAL"]);
    // `log` has no FATAL: only the runtime's own fatal line is left.
    assert_eq!(levels_for(Some("FATAL")), ["FATAL"]);
    // Missing or invalid is INFO, as in Lambda.
    assert_eq!(levels_for(None), ["INFO", "INFO", "WARN", "ERROR", "FATAL"]);
    assert_eq!(levels_for(Some("LOUD")), ["INFO", "INFO", "WARN", "ERROR", "FATAL"]);
}

/// `[LEVEL]`, the timestamp, the request id (empty outside an invocation), the message.
fn text_fields(line: &str) -> (&str, &str, &str) {
    let fields: Vec<&str> = line.splitn(4, '\t').collect();
    let [level, stamp, id, message] = fields[..] else { panic!("not four tab-separated fields: {line:?}") };
    assert_timestamp(stamp);
    (level, id, message)
}

#[test]
fn text_lines_carry_level_timestamp_and_request_id() {
    let events = vec![Event::json("{}"), Event::json(r#"{"fail":true}"#)];
    // Without AWS_LAMBDA_LOG_FORMAT the format is Text, as in Lambda.
    let (ids, outcome) = run(Arch::X86_64, &[], events);
    let lines: Vec<(&str, &str, &str)> = outcome.stderr.lines().map(text_fields).collect();
    let (a, b) = (ids[0].as_str(), ids[1].as_str());
    let (info_a, warn_a, error_a) =
        (format!("info from {a}"), format!("warn from {a}"), format!("error from {a}"));
    let (info_b, warn_b) = (format!("info from {b}"), format!("warn from {b}"));
    let failed = format!("lambda-bootstrap: invocation {b} failed: Logs.Failed: asked to fail");
    let expected = vec![
        ("[INFO]", "", "cold start"),
        ("[INFO]", a, info_a.as_str()),
        ("[WARN]", a, warn_a.as_str()),
        ("[ERROR]", a, error_a.as_str()),
        ("[INFO]", b, info_b.as_str()),
        ("[WARN]", b, warn_b.as_str()),
        ("[ERROR]", b, "about to fail"),
        ("[ERROR]", b, failed.as_str()),
        ("[FATAL]", "", r#"lambda-bootstrap: GET /next answered 500: {"errorType":"Gone"}; exiting"#),
    ];
    assert_eq!(lines, expected, "stderr:\n{}", outcome.stderr);
}

/// Messages that would break a line: each is one line, and in JSON parses back to itself.
#[test]
fn odd_messages_stay_one_line_and_parse_back() {
    let big: String = (0..1 << 20).map(|i| if i % 1000 == 999 { '"' } else { 'x' }).collect();
    let odd = [
        "say \"hi\" \\ there".to_owned(),
        "two\nlines\r\nand a tab\t".to_owned(),
        "nul \u{0} bell \u{7} del \u{7f} esc \u{1b}[31m".to_owned(),
        "é € 𝄞 \u{2028}".to_owned(),
        "}{\"level\":\"FATAL\"".to_owned(),
        big,
    ];
    let events = || odd.iter().map(|m| Event::json(&serde_json::json!({ "say": m }).to_string())).collect();

    let (ids, outcome) = run(Arch::X86_64, &[("AWS_LAMBDA_LOG_FORMAT", "JSON")], events());
    let said: Vec<(String, Option<String>)> = summary(&json_lines(&outcome))
        .into_iter()
        .filter(|(level, message, ..)| {
            level == "INFO" && !message.starts_with("info from") && message != "cold start"
        })
        .map(|(_, message, _, id)| (message, id))
        .collect();
    let expected: Vec<(String, Option<String>)> =
        odd.iter().zip(&ids).map(|(m, id)| (m.clone(), Some(id.clone()))).collect();
    assert!(said == expected, "the odd messages did not come back as they were sent");

    // In Text a newline becomes a carriage return: still one line per record.
    let (ids, outcome) = run(Arch::X86_64, &[], events());
    let lines: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(lines.len(), 1 + 6 * 4 + 1, "one line per record");
    let second =
        lines.iter().map(|l| text_fields(l)).find(|(_, id, m)| *id == ids[1] && m.starts_with("two"));
    assert_eq!(second, Some(("[INFO]", ids[1].as_str(), "two\rlines\r\rand a tab\t")));
}

/// Under `panic = "abort"` the hook reports the panic on its own connection; its line carries
/// the request id of the invocation that panicked (the hook releases the thread's slot first).
#[test]
fn a_panic_under_abort_is_logged_with_its_request_id() {
    let emu = Emulator::start();
    let event = Event::new(br#"{"panic": true}"#.to_vec()).header("Lambda-Runtime-Invocation-Id", "inv-7");
    let id = event.request_id().to_string();
    emu.push(event);
    let binary = one_example(Arch::X86_64, "release", "log,json", "panic");
    let mut cmd = emu.command(binary);
    cmd.env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    let process = emu.spawn(cmd);
    let posts = emu.wait_posts(1, LIMIT);
    let outcome = process.wait(LIMIT);
    assert_eq!(posts[0].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert_eq!(posts[0].header("lambda-runtime-invocation-id"), Some("inv-7"));
    // std's own panic message follows, as it is: only the runtime's lines are JSON.
    let lines: Vec<Value> = outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "stderr:\n{}", outcome.stderr);
    assert_eq!(lines[0]["level"], "ERROR");
    assert_eq!(lines[0]["logger"], "lambda-bootstrap");
    assert_eq!(lines[0]["requestId"], id.as_str());
    let message = lines[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("invocation {id} failed: Panic: the handler gave up (at ")),
        "{message}"
    );
}

/// In this process (the test crate built with `--features log`): two loops on two threads, both
/// inside a handler at once, each render their lines with their own invocation's request id.
#[cfg(feature = "log")]
#[test]
fn two_loops_at_once_each_log_their_own_request_id() {
    use lambda_bootstrap::Context;
    use lambda_bootstrap::in_process::{Stop, log_line, serve};

    let emu = Emulator::start();
    let events: Vec<Event> = (0..6).map(|i| Event::new(format!("event {i}").into_bytes())).collect();
    for event in events {
        emu.push(event);
    }
    let api = emu.runtime_api();
    // Each loop's first handler waits for the other's: both are inside a handler at once.
    let both = std::sync::Barrier::new(2);
    let stops: Vec<Stop> = std::thread::scope(|s| {
        let loops: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut first = true;
                    serve(&api, |event: &[u8], _: &Context| -> Result<Vec<u8>, lambda_bootstrap::Error> {
                        let before = log_line(true, "test", "before");
                        if std::mem::take(&mut first) {
                            both.wait();
                        }
                        let text = std::str::from_utf8(event).unwrap();
                        Ok([before, log_line(true, "test", text), log_line(false, "test", text)].concat())
                    })
                })
            })
            .collect();
        emu.wait_posts(6, LIMIT);
        emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
        emu.push(Event::new(b"x".to_vec()).fault(Fault::Status(500, "{}".into())));
        loops.into_iter().map(|l| l.join().unwrap()).collect()
    });
    assert_eq!(stops, [Stop::Status("GET /next", 500); 2]);
    let posts = emu.posts();
    assert_eq!(posts.len(), 6);
    for post in posts {
        let id = post.request_id().unwrap().to_owned();
        let body = post.body_str();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 3, "{body}");
        for line in &lines[..2] {
            let line: Value = serde_json::from_str(line).unwrap();
            assert_eq!(line["requestId"], id.as_str(), "{line}");
        }
        assert_eq!(text_fields(lines[2]).1, id);
    }
}
