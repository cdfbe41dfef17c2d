//! The examples built on `lambda-bootstrap-events` (`http_api`, `sqs_batch`), run as real static
//! binaries against the emulator, with the events API Gateway, ALB and SQS send.

mod common;

use common::*;

/// An HTTP API (payload 2.0) request.
fn apigw_v2(method: &str, path: &str, query: &str, body: Option<(&str, bool)>) -> String {
    let (body, base64) = body.unwrap_or(("", false));
    format!(
        r#"{{"version":"2.0","routeKey":"$default","rawPath":"{path}","rawQueryString":"{query}",
        "headers":{{"content-type":"application/octet-stream","host":"api-id.execute-api.us-east-1.amazonaws.com"}},
        "queryStringParameters":{{"name":"Ada"}},
        "requestContext":{{"accountId":"123456789012","apiId":"api-id","http":{{"method":"{method}","path":"{path}",
        "protocol":"HTTP/1.1","sourceIp":"192.0.2.1","userAgent":"curl"}},"requestId":"id","routeKey":"$default",
        "stage":"$default","timeEpoch":1583348638390}},"body":"{body}","isBase64Encoded":{base64}}}"#
    )
}

/// An ALB request, with multi-value headers when `multi`.
fn alb(method: &str, path: &str, body: &str, base64: bool, multi: bool) -> String {
    let headers = if multi {
        r#""multiValueHeaders":{"content-type":["text/plain"],"x-forwarded-for":["72.21.198.66"]},"multiValueQueryStringParameters":{"name":["Grace","Ada"]}"#
    } else {
        r#""headers":{"content-type":"text/plain","x-forwarded-for":"72.21.198.66"},"queryStringParameters":{"name":"Grace"}"#
    };
    format!(
        r#"{{"requestContext":{{"elb":{{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/lambda/49e9d65c45c6791a"}}}},
        "httpMethod":"{method}","path":"{path}",{headers},"body":"{body}","isBase64Encoded":{base64}}}"#
    )
}

#[test]
fn http_api_serves_api_gateway_v2_and_alb_from_one_handler() {
    let emu = Emulator::start();
    let cases: Vec<(String, &str)> = vec![
        (
            apigw_v2("GET", "/hello", "name=Ada", None),
            r#"{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"hello Ada","isBase64Encoded":false}"#,
        ),
        (
            // Bytes 0x00 0xff "hi": binary, so they go back as base64.
            apigw_v2("POST", "/echo", "", Some(("AP9oaQ==", true))),
            r#"{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"body":"AP9oaQ==","isBase64Encoded":true}"#,
        ),
        (
            apigw_v2("POST", "/echo", "", Some(("!!", true))),
            r#"{"statusCode":400,"headers":{},"body":"the body is not valid base64","isBase64Encoded":false}"#,
        ),
        (
            apigw_v2("DELETE", "/hello", "", None),
            r#"{"statusCode":405,"headers":{"allow":"GET, POST"},"body":"method not allowed","isBase64Encoded":false}"#,
        ),
        (
            apigw_v2("GET", "/nowhere", "", None),
            r#"{"statusCode":404,"headers":{},"body":"no route for /nowhere","isBase64Encoded":false}"#,
        ),
        (
            alb("GET", "/hello", "", false, false),
            r#"{"statusCode":200,"statusDescription":"200 OK","headers":{"content-type":"text/plain"},"body":"hello Grace","isBase64Encoded":false}"#,
        ),
        (
            // "hello" in base64 from a multi-value target group: base64 back, multi-value headers.
            alb("POST", "/echo", "aGVsbG8=", true, true),
            r#"{"statusCode":200,"statusDescription":"200 OK","multiValueHeaders":{"content-type":["text/plain"]},"body":"aGVsbG8=","isBase64Encoded":true}"#,
        ),
        (
            alb("POST", "/echo", "plain text", false, true),
            r#"{"statusCode":200,"statusDescription":"200 OK","multiValueHeaders":{"content-type":["text/plain"]},"body":"plain text","isBase64Encoded":false}"#,
        ),
        (
            alb("PUT", "/nope", "", false, false),
            r#"{"statusCode":404,"statusDescription":"404 Not Found","headers":{},"body":"no route for /nope","isBase64Encoded":false}"#,
        ),
    ];
    for (event, _) in &cases {
        emu.push(Event::json(event));
    }
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "http_api"), cases.len());
    for (post, (event, expected)) in posts.iter().zip(&cases) {
        assert_eq!(post.header("lambda-runtime-function-error-type"), None, "{event}");
        assert_eq!(body(post), *expected, "answer to {event}");
    }
    assert!(runtime_lines(&outcome).is_empty(), "{}", outcome.stderr);
}

fn sqs(bodies: &[(&str, &str)]) -> String {
    let records: Vec<String> = bodies
        .iter()
        .map(|(id, body)| {
            format!(
                r#"{{"messageId":"{id}","receiptHandle":"AQEB{id}","body":"{body}","attributes":{{"ApproximateReceiveCount":"1",
                "SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"}},
                "messageAttributes":{{}},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs",
                "eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"}}"#
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}

#[test]
fn sqs_batch_reports_only_the_failed_messages() {
    let emu = Emulator::start();
    emu.push(Event::json(&sqs(&[("m1", "3"), ("m2", "three"), ("m3", "0"), ("m4", "7")])));
    emu.push(Event::json(&sqs(&[("ok", "1")])));
    emu.push(Event::json(r#"{"Records":[]}"#));
    emu.push(Event::json(r#"{"Records":"not a list"}"#));
    let (posts, outcome) = posts_then_kill(&emu, spawn(&emu, "sqs_batch"), 4);
    assert_eq!(body(&posts[0]), r#"{"batchItemFailures":[{"itemIdentifier":"m2"},{"itemIdentifier":"m3"}]}"#);
    assert_eq!(body(&posts[1]), r#"{"batchItemFailures":[]}"#);
    assert_eq!(body(&posts[2]), r#"{"batchItemFailures":[]}"#);
    assert_eq!(posts[3].header("lambda-runtime-function-error-type"), Some("Runtime.UnmarshalError"));
    assert!(outcome.stderr.contains("processed 4 messages, total quantity 10"), "{}", outcome.stderr);
}

#[test]
fn sqs_batch_with_ten_thousand_messages() {
    let emu = Emulator::start();
    let ids: Vec<String> = (0..10_000).map(|i| format!("id-{i}")).collect();
    let bodies: Vec<(&str, &str)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), if i % 1000 == 999 { "x" } else { "2" }))
        .collect();
    emu.push(Event::json(&sqs(&bodies)));
    let (posts, _) = posts_then_kill(&emu, spawn(&emu, "sqs_batch"), 1);
    let expected: Vec<String> =
        (0..10).map(|k| format!(r#"{{"itemIdentifier":"id-{}"}}"#, k * 1000 + 999)).collect();
    assert_eq!(body(&posts[0]), format!(r#"{{"batchItemFailures":[{}]}}"#, expected.join(",")));
}

#[test]
fn sqs_batch_on_aarch64() {
    let emu = Emulator::start();
    emu.push(Event::json(&sqs(&[("a", "1"), ("b", "-1")])));
    let binary = example_in(Arch::Aarch64, "release", "sqs_batch");
    let (posts, _) = posts_then_kill(&emu, emu.spawn(command_for(&emu, Arch::Aarch64, &binary)), 1);
    assert_eq!(body(&posts[0]), r#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#);
}
