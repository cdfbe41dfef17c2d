//! Inputs the fixtures do not show: missing optional fields, unknown fields, empty and huge
//! batches, wrong shapes. A bad input is an error value, never a panic.

use lambda_bootstrap_events::http::{Request, Source};
use lambda_bootstrap_events::miniserde::json;
use lambda_bootstrap_events::{DecodeError, decode, dynamodb, eventbridge, kinesis, sqs};

#[test]
fn optional_fields_may_be_missing() {
    let e: sqs::SqsEvent = json::from_str(r#"{"Records":[{"messageId":"a","body":""}]}"#).unwrap();
    assert_eq!((e.records[0].attributes.as_ref(), e.records[0].event_source_arn.as_deref()), (None, None));
    let r: Request = json::from_str("{}").unwrap();
    assert_eq!((r.method(), r.path(), r.header("x"), r.source()), ("", "", None, Source::ApiGatewayV1));
    assert!(r.body().unwrap().is_empty());
}

#[test]
fn unknown_fields_are_ignored() {
    let text = r#"{"Records":[{"messageId":"a","body":"b","future":{"deep":[1,{"x":null}]},"eventSource":"aws:sqs"}],"extra":true}"#;
    let e: sqs::SqsEvent = json::from_str(text).unwrap();
    assert_eq!(e.records[0].event_source.as_deref(), Some("aws:sqs"));
}

#[test]
fn empty_records() {
    let e: sqs::SqsEvent = json::from_str(r#"{"Records":[]}"#).unwrap();
    assert!(e.records.is_empty());
    let d: dynamodb::DynamoDbEvent = json::from_str(r#"{"Records":[]}"#).unwrap();
    assert!(d.records.is_empty());
}

#[test]
fn ten_thousand_sqs_records() {
    let record = r#"{"messageId":"ID","receiptHandle":"h","body":"{\"n\":ID}","attributes":{"ApproximateReceiveCount":"2"},"eventSource":"aws:sqs"}"#;
    let records: Vec<String> = (0..10_000).map(|i| record.replace("ID", &i.to_string())).collect();
    let text = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let e: sqs::SqsEvent = json::from_str(&text).unwrap();
    assert_eq!(e.records.len(), 10_000);
    assert_eq!(
        (e.records[9_999].message_id.as_str(), e.records[9_999].body.as_str()),
        ("9999", r#"{"n":9999}"#)
    );
    let mut response = sqs::SqsBatchResponse::default();
    for r in e.records.iter().filter(|r| r.message_id.ends_with('7')) {
        response.fail(&r.message_id);
    }
    assert_eq!(response.failed().count(), 1_000);
    let written = json::to_string(&response);
    assert!(written.starts_with(r#"{"batchItemFailures":[{"itemIdentifier":"7"},{"itemIdentifier":"17"}"#));
}

#[test]
fn ten_thousand_kinesis_records() {
    let record = r#"{"kinesis":{"partitionKey":"p","sequenceNumber":"ID","data":"aGk="}}"#;
    let records: Vec<String> = (0..10_000).map(|i| record.replace("ID", &i.to_string())).collect();
    let e: kinesis::KinesisEvent =
        json::from_str(&format!(r#"{{"Records":[{}]}}"#, records.join(","))).unwrap();
    assert_eq!(e.records.len(), 10_000);
    assert!(e.records.iter().all(|r| &r.kinesis.data[..] == b"hi"));
}

#[test]
fn wrong_shapes_are_errors() {
    let cases: [(&str, Result<(), DecodeError>); 6] = [
        (r#"{"Records":{}}"#, decode::<sqs::SqsEvent>(r#"{"Records":{}}"#).map(drop)),
        ("", decode::<sqs::SqsEvent>("").map(drop)),
        ("messageId number", decode::<sqs::SqsEvent>(r#"{"Records":[{"messageId":1,"body":""}]}"#).map(drop)),
        (
            "bad base64",
            decode::<kinesis::KinesisEvent>(
                r#"{"Records":[{"kinesis":{"partitionKey":"p","sequenceNumber":"1","data":"@@"}}]}"#,
            )
            .map(drop),
        ),
        (
            "no detail",
            decode::<eventbridge::EventBridgeEvent>(r#"{"id":"1","detail-type":"t","source":"s"}"#).map(drop),
        ),
        ("two-key attribute", decode::<dynamodb::AttributeValue>(r#"{"S":"a","BOOL":true}"#).map(drop)),
    ];
    for (what, result) in cases {
        let err = result.expect_err(what);
        assert!(err.kind.starts_with("lambda_bootstrap_events::"), "{what}: {}", err.kind);
    }
}

#[test]
fn a_base64_body_that_is_not_base64_is_an_error_from_body() {
    let r: Request =
        json::from_str(r#"{"version":"2.0","rawPath":"/","body":"***","isBase64Encoded":true}"#).unwrap();
    assert!(r.body().is_err());
    assert_eq!(r.raw_body(), "***");
}
