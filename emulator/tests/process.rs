//! Spawning processes, `invoke_once` and the CLI.
//!
//! The runtime used here is this very test binary: run with `--exact runtime_child`
//! and `AWS_LAMBDA_RUNTIME_API` set, the `runtime_child` test acts as a tiny
//! Lambda runtime (in a normal test run it does nothing).

mod common;

use std::ffi::OsString;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Client, NEXT, error_path, response_path};
use lambda_emulator::{Emulator, Kind, invoke_once};

/// A runtime: echo the event, fail on `"fail"`, exit 7 on `"exit"`, never answer on `"hang"`.
#[test]
fn runtime_child() {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    println!("runtime_child: started");
    let addr = api.parse().expect("AWS_LAMBDA_RUNTIME_API is host:port");
    let mut client = Client::connect(addr);
    client.stream.set_read_timeout(None).unwrap();
    loop {
        let event = client.get(NEXT);
        let id = event.header("Lambda-Runtime-Aws-Request-Id").unwrap().to_owned();
        match event.text().as_str() {
            "fail" => {
                client.post_with(
                    &error_path(&id),
                    &[("Lambda-Runtime-Function-Error-Type", "Function.Fail")],
                    br#"{"errorMessage":"failed","errorType":"Fail"}"#,
                );
            }
            "exit" => std::process::exit(7),
            "hang" => std::thread::sleep(Duration::from_secs(60)),
            body => {
                client.post(&response_path(&id), body.as_bytes());
            }
        }
    }
}

fn child_args() -> Vec<OsString> {
    let exe = std::env::current_exe().unwrap();
    vec![
        exe.into(),
        "--exact".into(),
        "runtime_child".into(),
        "--nocapture".into(),
        "--test-threads=1".into(),
    ]
}

#[test]
fn command_sets_the_lambda_environment_and_spawn_captures_output() {
    let emulator = Emulator::start();
    let mut command = emulator.command("sh");
    command.args([
        "-c",
        r#"echo "$AWS_LAMBDA_RUNTIME_API|$AWS_LAMBDA_FUNCTION_NAME|$_HANDLER|$TZ|${HOME-unset}"; echo oops >&2; exit 3"#,
    ]);
    let process = emulator.spawn(command);
    assert!(process.id() > 0);
    let outcome = process.wait(Duration::from_secs(10));
    assert!(!outcome.timed_out);
    assert_eq!(outcome.code(), Some(3));
    assert_eq!(outcome.signal(), None);
    assert_eq!(outcome.stdout, format!("{}|test_function|bootstrap|:UTC|unset\n", emulator.runtime_api()));
    assert_eq!(outcome.stderr, "oops\n");
}

#[test]
fn wait_kills_on_timeout() {
    let emulator = Emulator::start();
    let mut command = emulator.command("sh");
    command.args(["-c", "echo before; exec sleep 30"]);
    let started = Instant::now();
    let outcome = emulator.spawn(command).wait(Duration::from_millis(300));
    assert!(outcome.timed_out);
    assert_eq!(outcome.signal(), Some(9));
    assert_eq!(outcome.stdout, "before\n");
    assert!(started.elapsed() < Duration::from_secs(5));

    let mut command = emulator.command("sleep");
    command.arg("30");
    let outcome = emulator.spawn(command).kill();
    assert_eq!(outcome.signal(), Some(9));
    assert!(!outcome.timed_out);
}

#[test]
fn a_spawned_runtime_talks_to_the_emulator() {
    let emulator = Emulator::start();
    let event = lambda_emulator::Event::json(r#"{"n":1}"#);
    let id = event.request_id().to_owned();
    emulator.push(event);
    let args = child_args();
    let mut command = emulator.command(&args[0]);
    command.args(&args[1..]);
    let process = emulator.spawn(command);
    let posts = emulator.wait_posts(1, Duration::from_secs(10));
    assert_eq!(posts[0].kind, Kind::Response(id));
    assert_eq!(posts[0].body_str(), r#"{"n":1}"#);
    assert_eq!(posts[0].answered, 202);
    let outcome = process.kill();
    assert!(outcome.stdout.contains("runtime_child: started"), "{outcome:?}");
}

#[test]
fn invoke_once_response_error_and_exit() {
    let args = child_args();
    let ok = invoke_once(&args, br#"{"x":"y"}"#.to_vec(), Duration::from_secs(10)).unwrap();
    assert!(matches!(ok.kind, Kind::Response(_)));
    assert!(!ok.is_error());
    assert_eq!(ok.body, br#"{"x":"y"}"#);
    assert_eq!(ok.error_type, None);
    assert!(ok.startup > Duration::ZERO && ok.startup < Duration::from_secs(10));
    assert!(ok.invocation < Duration::from_secs(10));

    let failed = invoke_once(&args, b"fail".to_vec(), Duration::from_secs(10)).unwrap();
    assert!(failed.is_error());
    assert_eq!(failed.error_type.as_deref(), Some("Function.Fail"));
    assert_eq!(failed.body_str(), r#"{"errorMessage":"failed","errorType":"Fail"}"#);

    let exited = invoke_once(&args, b"exit".to_vec(), Duration::from_secs(10)).unwrap_err();
    assert!(exited.contains("exited"), "{exited}");

    let started = Instant::now();
    let hung = invoke_once(&args, b"hang".to_vec(), Duration::from_millis(500)).unwrap_err();
    assert!(hung.contains("no answer"), "{hung}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let missing = invoke_once(&["/nonexistent/bootstrap".into()], Vec::new(), Duration::from_secs(1));
    assert!(missing.unwrap_err().contains("cannot run"));
    assert!(invoke_once(&[], Vec::new(), Duration::from_secs(1)).is_err());
}

#[test]
fn cli_prints_the_response_or_the_error() {
    let cli = env!("CARGO_BIN_EXE_lambda-emulator");
    let args = child_args();

    let output = Command::new(cli).args(["--data", r#"{"a":[1,2]}"#]).args(&args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "{\"a\":[1,2]}\n");

    let output = Command::new(cli).args(["--timeout", "10", "--data=fail"]).args(&args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(r#"error (Function.Fail): {"errorMessage":"failed","errorType":"Fail"}"#),
        "{stderr}"
    );

    let mut child = Command::new(cli)
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"exit").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    let output = Command::new(cli).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(cli).arg("--bogus").arg("x").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
