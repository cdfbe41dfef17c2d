//! The `decode` example, run as a process: `decode KIND FILE`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Builds the example once; its path from cargo's JSON messages.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "lambda-bootstrap-events",
                "--example",
                "decode",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let messages = String::from_utf8_lossy(&out.stdout);
        let key = "\"executable\":\"";
        let line = messages.lines().find(|l| l.contains(key) && l.contains("decode")).expect("an executable");
        let start = line.find(key).unwrap() + key.len();
        PathBuf::from(&line[start..start + line[start..].find('"').unwrap()])
    })
}

fn decode(kind: &str, file: &str) -> Output {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    Command::new(binary()).args([kind, &path]).output().expect("the example runs")
}

#[test]
fn every_kind_decodes_its_fixture_and_prints_json() {
    let cases = [
        ("apigw-rest", "apigw-rest.json", r#""httpMethod":"GET""#),
        ("apigw-http", "apigw-http.json", r#""rawPath":"/my/path""#),
        ("alb", "alb.json", r#""targetGroupArn":"arn:aws:elasticloadbalancing"#),
        ("function-url", "function-url.json", r#""domainName":"<url-id>.lambda-url.us-west-2.on.aws""#),
        ("sqs", "sqs.json", r#""messageId":"059f36b4-87a3-44ab-83d2-661975830a7d""#),
        ("sns", "sns.json", r#""Message":"Hello from SNS!""#),
        ("s3", "s3.json", r#""key":"test%2Fkey","size":1024"#),
        ("eventbridge", "eventbridge.json", r#""detail":{"instance-id":"i-abcd1111","state":"pending"}"#),
        ("dynamodb", "dynamodb.json", r#""Blobs":{"BS":["AA==","/w=="]}"#),
        ("kinesis", "kinesis.json", r#""data":"SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==""#),
        (
            "firehose",
            "firehose.json",
            r#""recordId":"49546986683135544286507457936321625675700192471156785154""#,
        ),
        ("cloudwatch-logs", "cloudwatch-logs.json", r#"{"awslogs":{"data":"H4sI"#),
        ("scheduled", "scheduled.json", r#""detail-type":"Scheduled Event""#),
    ];
    for (kind, file, expected) in cases {
        let out = decode(kind, file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(expected), "{kind}: {stdout}");
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn a_file_of_another_kind_fails_with_a_message() {
    let out = decode("sqs", "s3.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s3.json is not a sqs event") && stderr.contains("SqsEvent"), "{stderr}");
}

#[test]
fn an_unknown_kind_or_a_missing_file_fails_with_a_message() {
    let out = decode("carrier-pigeon", "sqs.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown KIND \"carrier-pigeon\""));
    let out = decode("sqs", "nope.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.json"));
    let out = Command::new(binary()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: decode KIND FILE"));
}
