//! Serde handlers (feature `serde`), end to end: `examples/serde_http.rs` (the types of
//! `aws_lambda_events`, unchanged) built as the real static binary, on x86_64 and on aarch64
//! under qemu-user, answering the HTTP API payload format 2.0 example event of the API Gateway
//! documentation, and a malformed event. And the migration guide's code, built in a user's crate.

mod common;

use common::*;
use lambda_emulator::Kind;
use serde_json::{Value, json};

/// The example event of "Create AWS Lambda proxy integrations for HTTP APIs", format 2.0.
const HTTP_API_EVENT: &str = include_str!("../examples/events/http-api-v2.json");
/// The same event with `cookies` a string instead of a list, on line 6.
const MALFORMED: &str = "{\n  \"version\": \"2.0\",\n  \"routeKey\": \"$default\",\n  \"rawPath\": \"/my/path\",\n  \"rawQueryString\": \"\",\n  \"cookies\": \"cookie1\"\n}";

fn serde_http_answers(arch: Arch) {
    let emu = Emulator::start();
    let event = Event::json(HTTP_API_EVENT);
    let id = event.request_id().to_string();
    emu.push(event);
    emu.push(Event::json(MALFORMED));
    let binary = one_example(arch, "release", "serde", "serde_http");
    let (posts, outcome) = posts_then_kill(&emu, emu.spawn(command_for(&emu, arch, &binary)), 2);

    assert_eq!(posts[0].kind, Kind::Response(id.clone()), "{}", body(&posts[0]));
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
    let response: Value = serde_json::from_slice(&posts[0].body).expect("the response is JSON");
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"], json!({"content-type": "application/json"}), "{response}");
    assert_eq!(response["isBase64Encoded"], false, "{response}");
    let greeting: Value = serde_json::from_str(response["body"].as_str().expect("a text body")).unwrap();
    assert_eq!(
        greeting,
        json!({
            "message": "hello world, 17 bytes at /my/path",
            "method": "POST",
            "requestId": id,
            "cookies": ["cookie1", "cookie2"],
        })
    );

    assert!(matches!(posts[1].kind, Kind::Error(_)), "{:?}", posts[1].kind);
    assert_eq!(posts[1].header("lambda-runtime-function-error-type"), Some("Runtime.UnmarshalError"));
    let error: Value = serde_json::from_slice(&posts[1].body).expect("the error body is JSON");
    assert_eq!(error["errorType"], "Runtime.UnmarshalError");
    assert_eq!(
        error["errorMessage"],
        "ApiGatewayV2httpRequest: invalid type: string \"cookie1\", expected a sequence at line 6 column 22"
    );
    assert_no_panic(&outcome);
}

#[test]
fn serde_http_answers_an_http_api_event() {
    serde_http_answers(Arch::X86_64);
}

#[test]
fn serde_http_answers_an_http_api_event_on_aarch64() {
    serde_http_answers(Arch::Aarch64);
}

/// Every ```rust block of docs/migrating-from-lambda-runtime.md builds as a binary of a crate made
/// outside this workspace, with the dependencies that page tells a user to have.
#[test]
fn the_migration_guide_builds_in_a_users_crate() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/migrating-from-lambda-runtime.md")).unwrap();
    let blocks: Vec<&str> =
        guide.split("```rust\n").skip(1).map(|b| b.split("\n```").next().unwrap()).collect();
    assert!(!blocks.is_empty(), "the guide lost its example");
    let dir = std::env::temp_dir().join(format!("lambda-bootstrap-migration-guide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    let manifest = format!(
        "[package]\nname = \"ported-function\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
         lambda-bootstrap = {{ path = {:?}, features = [\"serde\"] }}\ntokio = {{ version = \"1\", features = [\"rt\"] }}\n",
        root.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    for (i, block) in blocks.iter().enumerate() {
        std::fs::write(dir.join(format!("src/bin/guide{i}.rs")), format!("{block}\n")).unwrap();
    }
    let output = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--bins", "--target", Arch::X86_64.triple(), "--target-dir"])
        .arg(root.join("target/user-crate"))
        .current_dir(&dir)
        .output()
        .expect("cargo runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "the guide's code fails to build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
