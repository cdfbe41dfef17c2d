//! Decodes a file as one kind of event and prints it re-encoded:
//! `cargo run -p lambda-bootstrap-events --example decode -- KIND FILE`.
//! Exit 0 with the JSON on stdout, or 1 with one line on stderr naming what failed.

use lambda_bootstrap_events::miniserde::{Deserialize, Serialize, json};
use lambda_bootstrap_events::{
    cloudwatch_logs, dynamodb, eventbridge, firehose, http, kinesis, s3, sns, sqs,
};

const KINDS: &str = "apigw-rest, apigw-http, alb, function-url, sqs, sns, s3, eventbridge, dynamodb, kinesis, \
                     firehose, cloudwatch-logs, scheduled";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kind, file] = &args[..] else {
        fail(&format!("usage: decode KIND FILE (KIND: {KINDS})"));
    };
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    let out = match kind.as_str() {
        "apigw-rest" => reencode::<http::apigw_v1::ApiGatewayProxyRequest>(&text),
        "apigw-http" => reencode::<http::apigw_v2::ApiGatewayV2Request>(&text),
        "function-url" => reencode::<http::function_url::FunctionUrlRequest>(&text),
        "alb" => reencode::<http::alb::AlbTargetGroupRequest>(&text),
        "sqs" => reencode::<sqs::SqsEvent>(&text),
        "sns" => reencode::<sns::SnsEvent>(&text),
        "s3" => reencode::<s3::S3Event>(&text),
        "eventbridge" => reencode::<eventbridge::EventBridgeEvent>(&text),
        "scheduled" => reencode::<eventbridge::ScheduledEvent>(&text),
        "dynamodb" => reencode::<dynamodb::DynamoDbEvent>(&text),
        "kinesis" => reencode::<kinesis::KinesisEvent>(&text),
        "firehose" => reencode::<firehose::FirehoseEvent>(&text),
        "cloudwatch-logs" => reencode::<cloudwatch_logs::CloudWatchLogsEvent>(&text),
        other => fail(&format!("unknown KIND {other:?} (one of: {KINDS})")),
    };
    match out {
        Ok(json) => println!("{json}"),
        Err(e) => fail(&format!("{file} is not a {kind} event: {e}")),
    }
}

fn reencode<T: Deserialize + Serialize>(text: &str) -> Result<String, lambda_bootstrap_events::DecodeError> {
    lambda_bootstrap_events::decode::<T>(text).map(|value| json::to_string(&value))
}

fn fail(message: &str) -> ! {
    eprintln!("decode: {message}");
    std::process::exit(1)
}
