//! Lambda Managed Instances (feature `concurrency`), end to end: the real static `sleepy` example
//! with `AWS_LAMBDA_MAX_CONCURRENCY` workers against the emulator. That N invocations are in
//! flight at once is proved without timing: the emulator holds every result post unanswered
//! until N are held at once ([`Emulator::hold_results`]), which a loop serving one invocation at a
//! time can never reach (the wait's bound, [`LIMIT`], only turns a hang into a failure).

mod common;

use std::collections::{BTreeSet, HashMap};

use common::*;
use lambda_emulator::{Deadlines, Event, ExtensionCall, Fault, Kind};

fn sleepy(arch: Arch, profile: &'static str) -> std::path::PathBuf {
    one_example(arch, profile, "concurrency", "sleepy")
}

/// `sleepy` for `arch` in `profile`, with `AWS_LAMBDA_MAX_CONCURRENCY=workers`.
fn spawn_workers(emu: &Emulator, arch: Arch, profile: &'static str, workers: &str) -> Process {
    let mut command = command_for(emu, arch, &sleepy(arch, profile));
    command.env("AWS_LAMBDA_MAX_CONCURRENCY", workers);
    emu.spawn(command)
}

/// An event with its own trace id and invocation id (both derived from `n`).
fn event(body: &str, n: usize) -> Event {
    Event::json(body)
        .header("Lambda-Runtime-Trace-Id", &format!("Root=1-00000000-{n:024x};Sampled=1"))
        .header("Lambda-Runtime-Invocation-Id", &format!("inv-{n}"))
}

fn trace_of(n: usize) -> String {
    format!("Root=1-00000000-{n:024x};Sampled=1")
}

/// A JSON field of a response body, as text (`null` for null): enough for sleepy's flat answer.
fn field(body: &str, name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{body}: {e}"));
    match &value[name] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Holds `n` invocations in flight at once (n − 1 that answer, one that fails), then checks that
/// every answer landed on its own request id with its own trace id, from n different workers on n
/// connections, and that `_X_AMZN_TRACE_ID` was never set.
fn n_in_flight(arch: Arch, n: usize) {
    let emu = Emulator::start();
    emu.hold_results();
    let events: Vec<Event> =
        (0..n).map(|i| event(if i == n / 2 { r#"{"fail":true}"# } else { r#"{"ms":0}"# }, i)).collect();
    let ids: Vec<String> = events.iter().map(|e| e.request_id().to_owned()).collect();
    let failing = ids[n / 2].clone();
    for e in events {
        emu.push(e);
    }
    let process = spawn_workers(&emu, arch, "release", &n.to_string());
    let held = emu.wait_held(n, LIMIT).unwrap_or_else(|| {
        let (_, stderr) = process.output_so_far();
        panic!("{n} result posts were never held at once; stderr:\n{stderr}")
    });
    let held_ids: BTreeSet<&str> = held.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(held_ids, ids.iter().map(String::as_str).collect(), "one post per invocation, all at once");
    let conns: BTreeSet<usize> = held.iter().map(|(conn, _)| *conn).collect();
    assert_eq!(conns.len(), n, "each invocation on its own connection: {held:?}");
    emu.release_results();

    let (posts, outcome) = posts_then_kill(&emu, process, n);
    assert_eq!(posts.len(), n);
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut workers = BTreeSet::new();
    for post in &posts {
        let id = post.request_id().expect("a result post");
        let i = index[id];
        assert_eq!(post.answered, 202, "{id}");
        assert_eq!(post.header("lambda-runtime-invocation-id"), Some(format!("inv-{i}").as_str()));
        if id == failing {
            assert_eq!(post.kind, Kind::Error(id.to_owned()));
            assert_eq!(post.header("lambda-runtime-function-error-type"), Some("Sleepy.Fail"));
            continue;
        }
        assert_eq!(post.kind, Kind::Response(id.to_owned()));
        let text = body(post);
        assert_eq!(field(&text, "request_id"), id, "{text}");
        assert_eq!(field(&text, "trace_id"), trace_of(i), "the trace id stays with its invocation: {text}");
        assert_eq!(field(&text, "trace_env"), "null", "_X_AMZN_TRACE_ID is never set: {text}");
        workers.insert(field(&text, "worker").parse::<usize>().unwrap());
    }
    assert_eq!(workers.len(), n - 1, "each answer from another worker");
    assert!(workers.iter().all(|w| *w < n), "{workers:?}");
    assert_eq!(emu.connections(), n, "one connection per worker");
    assert_one_line(&outcome, &["invocation ", &failing, "failed: Sleepy.Fail: asked to fail"]);
}

#[test]
fn eight_workers_hold_eight_invocations_at_once() {
    n_in_flight(Arch::X86_64, 8);
}

#[test]
fn four_workers_hold_four_invocations_at_once_on_aarch64() {
    n_in_flight(Arch::Aarch64, 4);
}

#[test]
fn a_panic_under_unwind_concerns_its_invocation_only() {
    let emu = Emulator::start();
    emu.hold_results();
    let first: Vec<Event> =
        (0..3).map(|i| event(if i == 1 { r#"{"panic":true}"# } else { r#"{"ms":0}"# }, i)).collect();
    let panicking = first[1].request_id().to_owned();
    for e in first {
        emu.push(e);
    }
    let process = spawn_workers(&emu, Arch::X86_64, "unwind", "3");
    assert!(emu.wait_held(3, LIMIT).is_some(), "the panic's /error was held beside the other two");
    emu.release_results();
    for i in 3..6 {
        emu.push(event(r#"{"ms":0}"#, i));
    }
    let posts = emu.wait_posts(6, LIMIT);
    let mut process = process;
    assert!(process.try_wait().is_none(), "the process goes on serving");
    let outcome = process.kill();
    let errors: Vec<_> = posts.iter().filter(|p| matches!(p.kind, Kind::Error(_))).collect();
    assert_eq!(errors.len(), 1, "{posts:#?}");
    assert_eq!(errors[0].request_id(), Some(panicking.as_str()));
    assert_eq!(errors[0].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert!(body(errors[0]).contains("sleepy was asked to panic"), "{}", body(errors[0]));
    assert!(posts.iter().all(|p| p.answered == 202));
    let workers: BTreeSet<String> = posts
        .iter()
        .filter(|p| matches!(p.kind, Kind::Response(_)))
        .map(|p| field(&body(p), "worker"))
        .collect();
    assert!(!workers.is_empty() && workers.len() <= 3, "{workers:?}");
    assert!(outcome.stderr.contains("asked to panic"), "{}", outcome.stderr);
}

/// Four invocations in flight, one panics under `panic = "abort"`: the hook posts `/error` for
/// that worker's own invocation (request id and invocation id), while the three others are held
/// in their posts on other threads; then the process aborts.
fn abort_reports_its_own(arch: Arch) {
    let emu = Emulator::start();
    emu.hold_results();
    let events: Vec<Event> =
        (0..4).map(|i| event(if i == 2 { r#"{"panic":true}"# } else { r#"{"ms":0}"# }, i)).collect();
    let panicking = events[2].request_id().to_owned();
    for e in events {
        emu.push(e);
    }
    let process = spawn_workers(&emu, arch, "release", "4");
    let held = emu.wait_held(4, LIMIT).expect("the hook's /error beside three responses");
    assert!(held.iter().any(|(_, id)| *id == panicking), "{held:?}");
    emu.release_results();
    let outcome = process.wait(LIMIT);
    assert!(
        !outcome.timed_out && outcome.code() != Some(0),
        "the abort ends the process: {:?}",
        outcome.status
    );
    // Each held post is recorded by its own connection thread once released, the process's end
    // notwithstanding: wait for all four.
    let posts = emu.wait_posts(4, LIMIT);
    let errors: Vec<_> = posts.iter().filter(|p| matches!(p.kind, Kind::Error(_))).collect();
    assert_eq!(errors.len(), 1, "{posts:#?}");
    assert_eq!(errors[0].request_id(), Some(panicking.as_str()));
    assert_eq!(errors[0].header("lambda-runtime-function-error-type"), Some("Panic"));
    assert_eq!(errors[0].header("lambda-runtime-invocation-id"), Some("inv-2"));
    assert_eq!(posts.iter().filter(|p| matches!(p.kind, Kind::Response(_))).count(), 3, "{posts:#?}");
}

#[test]
fn a_panic_under_abort_reports_the_workers_own_invocation() {
    abort_reports_its_own(Arch::X86_64);
}

#[test]
fn a_panic_under_abort_reports_the_workers_own_invocation_on_aarch64() {
    abort_reports_its_own(Arch::Aarch64);
}

#[test]
fn a_worker_that_loses_the_runtime_api_ends_the_process_with_one_line() {
    let emu = Emulator::start();
    emu.push(Event::json(r#"{"ms":0}"#));
    emu.push(Event::json(r#"{"ms":0}"#).fault(Fault::Status(500, r#"{"errorType":"Boom"}"#.into())));
    let process = spawn_workers(&emu, Arch::X86_64, "release", "4");
    let outcome = process.wait(LIMIT);
    assert_exit(&outcome, 1);
    assert_one_line(&outcome, &["GET /next answered 500", "Boom", "exiting"]);
}

#[test]
fn an_init_error_is_reported_once() {
    let emu = Emulator::start();
    for _ in 0..4 {
        emu.push(Event::json(r#"{"init_error":true}"#));
    }
    let process = spawn_workers(&emu, Arch::X86_64, "release", "4");
    let outcome = process.wait(LIMIT);
    assert_exit(&outcome, 1);
    let init_errors: Vec<_> = emu.posts().into_iter().filter(|p| p.kind == Kind::InitError).collect();
    assert_eq!(init_errors.len(), 1, "{init_errors:#?}");
    assert_eq!(init_errors[0].header("lambda-runtime-function-error-type"), Some("Sleepy.InitError"));
    assert_one_line(&outcome, &["init failed", "Sleepy.InitError"]);
}

/// `Threads:` of `/proc/PID/status`.
fn threads(pid: u32) -> usize {
    proc_status(pid, "Threads:")
}

/// A number field of `/proc/PID/status` (kB for sizes).
fn proc_status(pid: u32, name: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(name)).unwrap();
    line[name.len()..].trim().trim_end_matches(" kB").parse().unwrap()
}

#[test]
fn one_worker_or_garbage_runs_no_thread_and_sets_the_trace_env() {
    for (value, line) in [("1", None), ("", None), ("many", Some("not a number (many)"))] {
        let emu = Emulator::start();
        emu.push(event(r#"{"ms":0}"#, 7));
        let process = spawn_workers(&emu, Arch::X86_64, "release", value);
        let posts = emu.wait_posts(1, LIMIT);
        // Asking for the next event: the answer is out, nothing is in flight.
        emu.wait_requests(3, LIMIT);
        assert_eq!(threads(process.id()), 1, "{value:?}: no thread");
        let outcome = process.kill();
        let text = body(&posts[0]);
        assert_eq!(field(&text, "worker"), "0");
        assert_eq!(field(&text, "trace_env"), trace_of(7), "one loop sets _X_AMZN_TRACE_ID: {text}");
        match line {
            None => assert!(runtime_lines(&outcome).is_empty(), "{value:?}: {}", outcome.stderr),
            Some(words) => {
                assert_one_line(&outcome, &["AWS_LAMBDA_MAX_CONCURRENCY", words, "one invocation at a time"])
            }
        }
    }
}

/// Peak RSS (`VmHWM`) of `sleepy` with `workers` workers once `workers` invocations were in
/// flight at once; and its threads then.
fn peak_with(workers: usize) -> (usize, usize) {
    let emu = Emulator::start();
    emu.hold_results();
    for i in 0..workers {
        emu.push(event(r#"{"ms":0}"#, i));
    }
    let process = spawn_workers(&emu, Arch::X86_64, "release", &workers.to_string());
    assert!(emu.wait_held(workers, LIMIT).is_some(), "{workers} in flight");
    emu.release_results();
    emu.wait_posts(workers, LIMIT);
    let figures = (proc_status(process.id(), "VmHWM:"), threads(process.id()));
    process.kill();
    figures
}

#[test]
fn sixty_four_workers_cost_far_less_than_a_mebibyte_each() {
    let (one, _) = peak_with(1);
    let (many, threads) = peak_with(64);
    assert_eq!(threads, 64, "the calling thread and 63 workers");
    let per_worker = (many.saturating_sub(one)) / 63;
    eprintln!("peak RSS: 1 worker {one} KiB, 64 workers {many} KiB: {per_worker} KiB per worker");
    // What a worker holds: its touched stack, its buffers, its thread's TLS and the C library's
    // bookkeeping; far below a 1 MiB per worker budget.
    assert!(per_worker < 128, "{per_worker} KiB per worker (1: {one} KiB, 64: {many} KiB)");
}

/// With feature `log` and `AWS_LAMBDA_LOG_FORMAT=JSON`, each worker's own lines carry the request
/// id of the invocation *that worker* serves: four failures in flight at once (their result posts
/// held until all four are), four JSON lines, each with the id its message names.
#[test]
fn json_lines_carry_each_workers_own_request_id() {
    let n = 4;
    let emu = Emulator::start();
    emu.hold_results();
    let events: Vec<Event> = (0..n).map(|i| event(r#"{"fail":true}"#, i)).collect();
    let ids: BTreeSet<String> = events.iter().map(|e| e.request_id().to_owned()).collect();
    for e in events {
        emu.push(e);
    }
    let bootstrap = one_example(Arch::X86_64, "release", "concurrency,log", "sleepy");
    let mut command = command_for(&emu, Arch::X86_64, &bootstrap);
    command.env("AWS_LAMBDA_MAX_CONCURRENCY", n.to_string()).env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    let process = emu.spawn(command);
    assert!(emu.wait_held(n, LIMIT).is_some(), "{n} failures were never in flight at once");
    emu.release_results();
    let (posts, outcome) = posts_then_kill(&emu, process, n);
    assert_eq!(posts.len(), n);
    let mut seen = BTreeSet::new();
    for line in outcome.stderr.lines().filter(|l| l.contains("failed: Sleepy.Fail")) {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object: {line}: {e}"));
        assert_eq!(record["level"], "ERROR", "{line}");
        let id = record["requestId"].as_str().unwrap_or_else(|| panic!("no requestId: {line}"));
        let message = record["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("invocation {id} failed")), "another worker's id: {line}");
        seen.insert(id.to_owned());
    }
    assert_eq!(seen, ids, "one line per invocation, each with its own id; stderr:\n{}", outcome.stderr);
}

/// With feature `shutdown` too: one hook for the whole pool, armed before the workers start, run
/// once on SIGTERM while all four workers are blocked in `/next`; the process exits 0.
#[test]
fn one_shutdown_hook_for_the_whole_pool() {
    let n = 4;
    let emu = Emulator::start();
    for i in 0..n {
        emu.push(event(r#"{"ms":0}"#, i));
    }
    let bootstrap = one_example(Arch::X86_64, "release", "concurrency,shutdown", "sleepy");
    let mut command = command_for(&emu, Arch::X86_64, &bootstrap);
    command.env("AWS_LAMBDA_MAX_CONCURRENCY", n.to_string());
    let process = emu.spawn(command);
    // The internal extension's registration is a POST too: it and the n responses.
    let posts = emu.wait_posts(n + 1, LIMIT);
    assert_eq!(posts.iter().filter(|p| matches!(p.kind, Kind::Response(_))).count(), n, "{posts:#?}");
    let start = std::time::Instant::now();
    loop {
        let requests = emu.requests();
        let waiting = requests.iter().filter(|r| r.kind == Kind::Next && r.answered == 0).count();
        let hook_waits = requests.iter().any(|r| r.kind == Kind::Extension(ExtensionCall::Next));
        if waiting == n && hook_waits {
            break;
        }
        assert!(start.elapsed() < LIMIT, "{waiting} workers wait in /next: {requests:#?}");
        emu.wait_change(std::time::Duration::from_millis(50));
    }
    let shutdown = emu.shut_down(process, Vec::new(), "spindown", Deadlines::scaled(10));
    assert!(shutdown.sigterm, "the internal extension registered once");
    assert_exit(&shutdown.runtime, 0);
    assert_eq!(shutdown.runtime.stdout, "sleepy: shutting down\n", "the hook ran once");
    assert_eq!(emu.extensions().len(), 1, "one registration for the pool");
}
