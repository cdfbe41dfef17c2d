//! The runtime's behaviour, end to end: the real static example binaries run as processes
//! against the emulator (a real Runtime API server on loopback), and every test asserts on what
//! the client sent and what came back.

mod common;

use common::*;
use lambda_emulator::{EventFraming, Kind};

#[test]
fn echo_answers_each_event_on_one_keep_alive_connection() {
    let emu = Emulator::start();
    let events = [vec![b'a'; 1000], vec![b'b'; 3000], vec![b'c'; 100 * 1024], Vec::new()];
    let ids: Vec<String> = events
        .iter()
        .map(|body| {
            let event = Event::new(body.clone());
            let id = event.request_id().to_string();
            emu.push(event);
            id
        })
        .collect();
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), events.len());
    for ((post, body), id) in posts.iter().zip(&events).zip(&ids) {
        assert_eq!(post.kind, Kind::Response(id.clone()));
        assert_eq!(post.path, format!("/2018-06-01/runtime/invocation/{id}/response"));
        assert_eq!(&post.body, body, "response to {id}");
        assert_eq!(post.header("content-length"), Some(body.len().to_string().as_str()));
        assert!(post.header("user-agent").unwrap().starts_with("lambda-bootstrap/0.1.0 ("));
        assert_eq!(post.header("lambda-runtime-function-error-type"), None);
    }
    let requests = emu.requests();
    let nexts: Vec<_> = requests.iter().filter(|r| r.kind == Kind::Next).collect();
    assert!(nexts.len() >= events.len());
    assert!(
        nexts.iter().all(|r| r.method == "GET" && r.body.is_empty() && r.header("content-length").is_none())
    );
    assert!(requests.iter().all(|r| r.conn == 0), "every request on the first connection");
    assert_eq!(emu.connections(), 1);
    assert!(runtime_lines(&outcome).is_empty(), "no complaints: {}", outcome.stderr);
}

#[test]
fn large_events_in_both_framings() {
    let emu = Emulator::start();
    let mut sent = Vec::new();
    for (i, size) in [5 << 20, 6 * 1024 * 1024 + 100].into_iter().enumerate() {
        let body: Vec<u8> = (0..size).map(|n| (n * 7 + i) as u8).collect();
        emu.push(Event::new(body.clone())); // chunked, like the RIE above 2 KB
        emu.push(Event::new(body.clone()).framing(EventFraming::ContentLength));
        sent.extend([body.clone(), body]);
    }
    let many_chunks = vec![b'x'; 70_000];
    emu.push(Event::new(many_chunks.clone()).framing(EventFraming::Chunked(1000)));
    sent.push(many_chunks);
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), sent.len());
    assert_echoed(&posts, &sent);
    for (i, post) in posts.iter().enumerate() {
        assert_eq!(post.answered, 202, "{i}: 6 MiB + 100 B is still accepted");
    }
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

#[test]
fn typed_json_handler() {
    let emu = Emulator::start();
    let event = Event::json(r#"{"name":"Ada"}"#);
    let id = event.request_id().to_string();
    emu.push(event);
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "hello"), 1);
    assert_eq!(posts[0].kind, Kind::Response(id.clone()));
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
    assert_eq!(
        body(&posts[0]),
        format!(r#"{{"greeting":"hello Ada","request_id":"{id}","function_name":"test_function"}}"#)
    );
}

#[test]
fn invalid_event_json_is_an_unmarshal_error_and_the_loop_goes_on() {
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"name":"#));
    emu.push(Event::json(r#"{"nom":"Ada"}"#));
    emu.push(Event::new(b"{\"name\":\"\xff\"}".to_vec()));
    emu.push(Event::json(r#"{"name":""}"#));
    emu.push(Event::json(r#"{"name":"Grace"}"#));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "hello"), 5);
    for post in &posts[..3] {
        assert!(matches!(post.kind, Kind::Error(_)), "{:?}", post.kind);
        assert_eq!(post.header("lambda-runtime-function-error-type"), Some("Runtime.UnmarshalError"));
        assert!(body(post).contains(r#""errorType":"Runtime.UnmarshalError""#), "{}", body(post));
    }
    assert_eq!(posts[3].header("lambda-runtime-function-error-type"), Some("Hello.EmptyName"));
    assert!(body(&posts[4]).contains("hello Grace"));
    assert_eq!(runtime_lines(&outcome).len(), 4, "one line per failed invocation:\n{}", outcome.stderr);
}

#[test]
fn handler_errors_are_posted_with_their_type() {
    let emu = Emulator::start();
    let event = Event::new(b"42".to_vec());
    let id = event.request_id().to_string();
    emu.push(event);
    emu.push(Event::new(b"parse:12x".to_vec()));
    emu.push(Event::new(b"parse:12".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "fail"), 3);
    let post = &posts[0];
    assert_eq!(post.kind, Kind::Error(id.clone()));
    assert_eq!(post.path, format!("/2018-06-01/runtime/invocation/{id}/error"));
    assert_eq!(post.header("lambda-runtime-function-error-type"), Some("Order.NotFound"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    assert_eq!(
        body(post),
        r#"{"errorMessage":"no order with that id","errorType":"Order.NotFound","stackTrace":[]}"#
    );
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("ParseIntError"));
    assert!(body(&posts[1]).contains("invalid digit found in string"));
    assert_eq!(body(&posts[2]), "12");
    let lines = runtime_lines(&outcome);
    assert_eq!(lines.len(), 2, "{}", outcome.stderr);
    assert!(
        lines[0].contains(&id) && lines[0].contains("Order.NotFound: no order with that id"),
        "{}",
        lines[0]
    );
}

#[test]
fn panic_under_abort_is_reported_before_the_process_dies() {
    let emu = Emulator::start();
    // Raw bytes `panic` are echoed: only the JSON `{"panic":true}` panics (Lambda delivers JSON only).
    emu.push(Event::new(b"panic".to_vec()));
    let event = Event::new(br#"{"panic": true}"#.to_vec()).header("Lambda-Runtime-Invocation-Id", "inv-77");
    let id = event.request_id().to_string();
    emu.push(event);
    let process = spawn(&emu, "panic");
    let posts = emu.wait_posts(2, LIMIT);
    let outcome = process.wait(LIMIT);
    assert!(!outcome.timed_out);
    assert_eq!(outcome.signal(), Some(SIGABRT), "aborts: {:?}\n{}", outcome.status, outcome.stderr);
    assert_eq!(body(&posts[0]), "panic");
    assert_eq!(posts[1].kind, Kind::Error(id));
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert_eq!(posts[1].header("lambda-runtime-invocation-id"), Some("inv-77"));
    let text = body(&posts[1]);
    assert!(text.starts_with(r#"{"errorMessage":"the handler gave up (at examples/panic.rs:"#), "{text}");
    assert!(text.ends_with(r#")","errorType":"Panic","stackTrace":[]}"#), "{text}");
    assert!(
        outcome.stderr.contains("the handler gave up"),
        "the panic message still shows:\n{}",
        outcome.stderr
    );
}

const SIGABRT: i32 = 6;

#[test]
fn panic_under_unwind_is_reported_and_the_loop_goes_on() {
    let emu = Emulator::start();
    emu.push(Event::new(br#"{"panic":true}"#.to_vec()));
    emu.push(Event::new(br#"{"panic":false}"#.to_vec()));
    let binary = example_in(Arch::X86_64, "unwind", "panic");
    let process = emu.spawn(emu.command(binary));
    let (posts, outcome) = posts_then_kill(&emu, process, 2);
    assert_eq!(posts[0].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert_eq!(
        body(&posts[0]),
        r#"{"errorMessage":"the handler gave up","errorType":"Panic","stackTrace":[]}"#
    );
    assert_eq!(body(&posts[1]), r#"{"panic":false}"#);
    assert!(matches!(posts[1].kind, Kind::Response(_)));
    assert!(outcome.timed_out || outcome.signal() == Some(9), "still running when killed");
}

#[test]
fn init_failure_is_reported_then_the_process_exits_1() {
    let emu = Emulator::start();
    emu.push(Event::new(b"never handled".to_vec()));
    let outcome = spawn(&emu, "init_fail").wait(LIMIT);
    assert_exit(&outcome, 1);
    let requests = emu.requests();
    assert_eq!(requests.len(), 1, "only the init error, no /next: {requests:?}");
    let post = &requests[0];
    assert_eq!(post.kind, Kind::InitError);
    assert_eq!(post.path, "/2018-06-01/runtime/init/error");
    assert_eq!(post.header("lambda-runtime-function-error-type"), Some("Runtime.ConfigInvalid"));
    assert_eq!(
        body(post),
        r#"{"errorMessage":"GREETING is not set","errorType":"Runtime.ConfigInvalid","stackTrace":[]}"#
    );
    assert_one_line(&outcome, &["init failed", "Runtime.ConfigInvalid", "GREETING is not set"]);
    assert_eq!(emu.pending(), 1);
}

#[test]
fn init_succeeds_when_configured() {
    let emu = Emulator::start();
    emu.push(Event::new(b"Ada".to_vec()));
    let mut cmd = emu.command(example("init_fail"));
    cmd.env("GREETING", "hi ");
    let (posts, _) = posts_then_kill(&emu, emu.spawn(cmd), 1);
    assert_eq!(body(&posts[0]), "hi Ada");
}

/// One field of the `context` example's JSON answer, as JSON text (strings keep quotes).
fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\":");
    let start = json.find(&key).unwrap_or_else(|| panic!("{name} missing in {json}")) + key.len();
    let rest = &json[start..];
    let end = match rest.strip_prefix('"') {
        Some(inner) => inner.find('"').map(|i| i + 2),
        None => rest.find([',', '}']),
    };
    &rest[..end.unwrap()]
}

#[test]
fn context_carries_every_invocation_header() {
    let emu = Emulator::start();
    emu.push(
        Event::new(b"{}".to_vec())
            .header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
            .header("Lambda-Runtime-Client-Context", r#"{"client":{"app_title":"t"}}"#)
            .header("Lambda-Runtime-Cognito-Identity", r#"{"cognitoIdentityId":"id"}"#)
            .header("Lambda-Runtime-Aws-Tenant-Id", "tenant-7")
            .header("Lambda-Runtime-Invocation-Id", "inv-1")
            .header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:1:function:f:live"),
    );
    // The next event has none of them; LMI sends some empty: both count as absent.
    emu.push(
        Event::new(b"{}".to_vec())
            .header("Lambda-Runtime-Trace-Id", "")
            .header("Lambda-Runtime-Client-Context", "")
            .header("Lambda-Runtime-Cognito-Identity", ""),
    );
    emu.push(Event::new(b"\"fail\"".to_vec()).header("Lambda-Runtime-Invocation-Id", "inv-3"));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "context"), 3);
    let first = body(&posts[0]);
    assert_eq!(field(&first, "xray_trace_id"), r#""Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1""#);
    assert_eq!(field(&first, "trace_env"), field(&first, "xray_trace_id"), "_X_AMZN_TRACE_ID is set");
    assert!(first.contains(r#""client_context":"{\"client\":{\"app_title\":\"t\"}}""#), "{first}");
    assert!(first.contains(r#""identity":"{\"cognitoIdentityId\":\"id\"}""#), "{first}");
    assert_eq!(field(&first, "tenant_id"), r#""tenant-7""#);
    assert_eq!(field(&first, "invocation_id"), r#""inv-1""#);
    assert_eq!(field(&first, "invoked_function_arn"), r#""arn:aws:lambda:eu-west-1:1:function:f:live""#);
    let remaining: u64 = field(&first, "remaining_ms").parse().unwrap();
    assert!((1..=3000).contains(&remaining), "remaining {remaining}");
    assert_eq!(posts[0].header("lambda-runtime-invocation-id"), Some("inv-1"), "echoed on /response");

    let second = body(&posts[1]);
    for name in ["xray_trace_id", "trace_env", "client_context", "identity", "tenant_id", "invocation_id"] {
        assert_eq!(field(&second, name), "null", "{name} in {second}");
    }
    assert_eq!(posts[1].header("lambda-runtime-invocation-id"), None, "nothing echoed when absent");

    assert!(matches!(posts[2].kind, Kind::Error(_)));
    assert_eq!(posts[2].header("lambda-runtime-invocation-id"), Some("inv-3"), "echoed on /error");
}

#[test]
fn config_is_read_from_the_environment() {
    let emu = Emulator::start();
    emu.push(Event::new(b"{}".to_vec()));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "context"), 1);
    let seen = body(&posts[0]);
    for (name, value) in [
        ("function_name", r#""test_function""#),
        ("function_version", r#""$LATEST""#),
        ("memory_size_mb", "3008"),
        ("log_group_name", r#""/aws/lambda/test_function""#),
        ("region", r#""us-east-1""#),
        ("initialization_type", r#""on-demand""#),
        ("handler", r#""bootstrap""#),
    ] {
        assert_eq!(field(&seen, name), value, "{name}");
    }
}

#[test]
fn only_the_runtime_api_variable_is_required() {
    let emu = Emulator::start();
    emu.push(Event::new(b"{}".to_vec()));
    let mut cmd = std::process::Command::new(example("context"));
    cmd.env_clear().env("AWS_LAMBDA_RUNTIME_API", emu.runtime_api());
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let (posts, _) = posts_then_kill(&emu, emu.spawn(cmd), 1);
    let seen = body(&posts[0]);
    assert_eq!(field(&seen, "function_name"), r#""""#);
    assert_eq!(field(&seen, "memory_size_mb"), "null");
}

#[test]
fn deadlines_absolute_relative_garbage_and_missing() {
    let emu = Emulator::start();
    emu.push(Event::new(b"{}".to_vec()).header("Lambda-Runtime-Deadline-Ms", "600000"));
    emu.push(Event::new(b"{}".to_vec()).header("Lambda-Runtime-Deadline-Ms", "soon"));
    emu.push(Event::new(b"{}".to_vec()).without("Lambda-Runtime-Deadline-Ms"));
    emu.push(Event::new(b"{}".to_vec()).header("Lambda-Runtime-Deadline-Ms", "1500000000000"));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "context"), 4);
    let relative: u64 = field(&body(&posts[0]), "remaining_ms").parse().unwrap();
    assert!((590_000..=600_000).contains(&relative), "cargo-lambda's relative deadline: {relative}");
    for post in &posts[1..3] {
        assert_eq!(field(&body(post), "deadline_ms"), "null");
        assert_eq!(field(&body(post), "remaining_ms"), "null");
    }
    assert_eq!(field(&body(&posts[3]), "remaining_ms"), "0", "a past deadline never underflows");
    assert!(runtime_lines(&outcome).is_empty());
}

#[test]
fn cargo_lambda_style_api_with_scheme_prefix_and_200() {
    let emu = Emulator::start_with(Options::cargo_lambda());
    assert!(
        emu.runtime_api().starts_with("http://127.0.0.1:")
            && emu.runtime_api().ends_with("/.rt/test_function")
    );
    emu.push(Event::new(b"one".to_vec()));
    emu.push(Event::new(b"two".to_vec()));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo"), 2);
    for post in &posts {
        assert!(post.path.starts_with("/.rt/test_function/2018-06-01/runtime/invocation/"), "{}", post.path);
        assert_eq!(post.answered, 200);
    }
    assert_eq!(body(&posts[1]), "two");
    assert!(runtime_lines(&outcome).is_empty(), "200 is fine: {}", outcome.stderr);
}

#[test]
fn ipv6_loopback() {
    let emu = Emulator::start_with(Options { ipv6: true, ..Options::default() });
    assert!(emu.runtime_api().starts_with("[::1]:"));
    emu.push(Event::new(b"v6".to_vec()));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(body(&posts[0]), "v6");
}

#[test]
fn request_ids_are_percent_encoded_in_the_path() {
    let emu = Emulator::start();
    emu.push(Event::new(b"x".to_vec()).with_request_id("a b/c?d"));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "echo"), 1);
    assert_eq!(posts[0].path, "/2018-06-01/runtime/invocation/a%20b%2Fc%3Fd/response");
}

/// The size reference (`examples/reference.rs`) must do the same job, or the deltas mean nothing.
#[test]
fn the_size_reference_echoes_too() {
    let emu = Emulator::start();
    let sent = [b"ref".to_vec(), vec![b'r'; 5000]];
    for body in &sent {
        emu.push(Event::new(body.clone()));
    }
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "reference"), 2);
    assert_echoed(&posts, &sent);
}

#[test]
fn json_heavy_orders_example_sums_a_batch() {
    let emu = Emulator::start();
    let event = r#"{"orders":[{"id":1,"customer":"ada","items":[{"sku":"a","qty":2,"price":1.5}]},
        {"id":2,"customer":"bob","items":[{"sku":"b","qty":1,"price":10.0},{"sku":"c","qty":3,"price":0.5}]},
        {"id":3,"customer":"ada","items":[{"sku":"d","qty":1,"price":4.0}]}]}"#;
    emu.push(Event::json(event));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "orders"), 1);
    assert_eq!(
        body(&posts[0]),
        concat!(
            r#"{"orders":3,"items":4,"total":18.5,"largest_order":2,"customers":["#,
            r#"{"name":"ada","total":7.0,"skus":["a","d"]},{"name":"bob","total":11.5,"skus":["b","c"]}]}"#
        )
    );
}

#[test]
fn echo_under_a_plain_fn_main_serves_the_same() {
    // `echo` starts through `lambda_bootstrap::main!`; `echo_fn_main` is the same function
    // under std's own start-up.
    let emu = Emulator::start();
    let events = [b"{\"a\":1}".to_vec(), vec![b'z'; 70_000]];
    for body in &events {
        emu.push(Event::new(body.clone()));
    }
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "echo_fn_main"), events.len());
    assert_echoed(&posts, &events);
    assert_eq!(emu.connections(), 1);
    assert!(runtime_lines(&outcome).is_empty(), "no complaints: {}", outcome.stderr);
}

#[test]
fn sigpipe_is_ignored_with_main_macro_as_with_fn_main() {
    // std's start-up ignores SIGPIPE; `main!` skips that start-up and must ignore it itself, or
    // a handler writing to a closed pipe would kill the process instead of getting EPIPE.
    for name in ["echo", "echo_fn_main"] {
        let emu = Emulator::start();
        let process = spawn(&emu, name);
        assert!(
            !emu.wait_requests_from(0, LIMIT).is_empty(),
            "{name}: no GET /next (the process is set up once it asks)"
        );
        let status = std::fs::read_to_string(format!("/proc/{}/status", process.id())).unwrap();
        let ignored = status.lines().find_map(|l| l.strip_prefix("SigIgn:")).unwrap().trim();
        let mask = u64::from_str_radix(ignored, 16).unwrap();
        assert_ne!(mask & (1 << (SIGPIPE - 1)), 0, "{name}: SIGPIPE not ignored (SigIgn {ignored})");
        process.kill();
    }
}

/// SIGPIPE's number on Linux (x86_64 and aarch64 alike).
const SIGPIPE: u32 = 13;
