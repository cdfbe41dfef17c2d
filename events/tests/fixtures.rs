//! Every fixture (written from the sample events in the AWS documentation) decoded, checked
//! field by field, re-encoded, and decoded again to the same value.

use std::fmt::Debug;

use lambda_bootstrap_events::http::{Request, Source, alb, apigw_v1, apigw_v2, function_url};
use lambda_bootstrap_events::miniserde::{Deserialize, Serialize, json};
use lambda_bootstrap_events::{
    StringNumber, cloudwatch_logs, dynamodb, eventbridge, firehose, kinesis, s3, sns, sqs,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes the fixture, and checks that re-encoding and decoding again gives the same value.
fn round_trip<T: Deserialize + Serialize + PartialEq + Debug>(name: &str) -> T {
    let value: T = json::from_str(&fixture(name)).unwrap_or_else(|_| panic!("{name} does not decode"));
    let again: T = json::from_str(&json::to_string(&value))
        .unwrap_or_else(|_| panic!("{name} re-encoded does not decode"));
    assert_eq!(again, value, "{name}: re-encoded and decoded differs");
    value
}

fn request(name: &str) -> Request {
    round_trip(name)
}

#[test]
fn apigw_rest_get() {
    let e: apigw_v1::ApiGatewayProxyRequest = round_trip("apigw-rest.json");
    assert_eq!(
        (e.http_method.as_str(), e.path.as_str(), e.resource.as_deref()),
        ("GET", "/my/path", Some("/my/path"))
    );
    assert_eq!(e.multi_value_headers.as_ref().unwrap()["header2"], ["value1", "value2"]);
    assert_eq!(e.query_string_parameters.as_ref().unwrap()["parameter1"], "value2");
    assert_eq!(e.path_parameters, None);
    assert_eq!(e.body.as_deref(), Some("Hello from Lambda!"));
    let ctx = &e.request_context;
    assert_eq!(ctx.request_time_epoch, Some(1583349317135));
    assert_eq!(ctx.identity.as_ref().unwrap().source_ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(ctx.identity.as_ref().unwrap().user, None);
    assert_eq!(ctx.authorizer.as_ref().unwrap().as_str(), r#"{"claims":null,"scopes":null}"#);

    let view = request("apigw-rest.json");
    assert_eq!(view.source(), Source::ApiGatewayV1);
    assert_eq!((view.method(), view.path()), ("GET", "/my/path"));
    assert_eq!(view.header("HEADER1"), Some("value1"));
    assert_eq!(view.query("parameter2"), Some("value"));
    assert_eq!(&*view.body().unwrap(), b"Hello from Lambda!");
}

#[test]
fn apigw_rest_base64_body() {
    let e: apigw_v1::ApiGatewayProxyRequest = round_trip("apigw-rest-base64-body.json");
    assert_eq!(e.is_base64_encoded, Some(true));
    assert_eq!(e.path_parameters.as_ref().unwrap()["id"], "7");
    assert_eq!(e.stage_variables.as_ref().unwrap()["env"], "prod");
    let view = request("apigw-rest-base64-body.json");
    assert_eq!(view.path_parameter("id"), Some("7"));
    assert_eq!(view.header("content-type"), Some("application/octet-stream"));
    assert_eq!(&*view.body().unwrap(), b"\x00\x01\x02\xfd\xfe\xffbinary");
    assert_eq!(view.query("x"), None);
}

#[test]
fn apigw_http_with_cookies_and_body() {
    let e: apigw_v2::ApiGatewayV2Request = round_trip("apigw-http.json");
    assert_eq!(e.version, "2.0");
    assert_eq!(e.raw_path, "/my/path");
    assert_eq!(e.raw_query_string.as_deref(), Some("parameter1=value1&parameter1=value2&parameter2=value"));
    assert_eq!(e.cookies.as_deref(), Some(&["cookie1".to_string(), "cookie2".to_string()][..]));
    assert_eq!(e.request_context.http.method, "POST");
    assert_eq!(e.request_context.time_epoch, Some(1583348638390));
    assert!(
        e.request_context
            .authorizer
            .as_ref()
            .unwrap()
            .as_str()
            .starts_with(r#"{"jwt":{"claims":{"claim1":"value1""#)
    );
    let view = request("apigw-http.json");
    assert_eq!(view.source(), Source::ApiGatewayV2);
    assert_eq!((view.method(), view.path()), ("POST", "/my/path"));
    assert_eq!(view.header("header2"), Some("value1,value2"));
    assert_eq!(view.query("parameter1"), Some("value1,value2"));
    assert_eq!(view.cookies(), ["cookie1", "cookie2"]);
    assert_eq!(&*view.body().unwrap(), b"Hello from Lambda");
}

#[test]
fn apigw_http_without_body() {
    let e: apigw_v2::ApiGatewayV2Request = round_trip("apigw-http-no-body.json");
    assert_eq!((e.body, e.cookies, e.query_string_parameters), (None, None, None));
    let view = request("apigw-http-no-body.json");
    assert_eq!((view.method(), view.path(), view.raw_body()), ("GET", "/health", ""));
    assert!(view.body().unwrap().is_empty());
    assert!(view.cookies().is_empty());
}

#[test]
fn apigw_http_base64_body() {
    let view = request("apigw-http-base64-body.json");
    assert!(view.is_base64_encoded());
    assert_eq!(&*view.body().unwrap(), b"\x89PNG\r\n\x1a\n");
    assert_eq!(view.query("name"), Some("a b.png"));
}

#[test]
fn function_url() {
    let e: function_url::FunctionUrlRequest = round_trip("function-url.json");
    assert_eq!(e.request_context.domain_name.as_deref(), Some("<url-id>.lambda-url.us-west-2.on.aws"));
    assert_eq!(e.request_context.authentication, None);
    assert!(
        e.request_context
            .authorizer
            .as_ref()
            .unwrap()
            .as_str()
            .contains(r#""userArn":"arn:aws:iam::111122223333:user/example-user""#)
    );
    let view = request("function-url.json");
    assert_eq!(view.source(), Source::ApiGatewayV2);
    assert_eq!(&*view.body().unwrap(), b"Hello from client!");
}

#[test]
fn alb_single_value() {
    let e: alb::AlbTargetGroupRequest = round_trip("alb.json");
    assert!(
        e.request_context
            .elb
            .target_group_arn
            .ends_with("targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a")
    );
    assert_eq!(e.headers.as_ref().unwrap()["x-forwarded-port"], "80");
    assert_eq!(e.multi_value_headers, None);
    let view = request("alb.json");
    assert_eq!(view.source(), Source::Alb { multi_value: false });
    assert_eq!((view.method(), view.path()), ("GET", "/lambda"));
    assert_eq!(view.query("query"), Some("1234ABCD"));
    assert_eq!(view.header("Host"), Some("lambda-alb-123578498.us-east-2.elb.amazonaws.com"));
}

#[test]
fn alb_multi_value_base64() {
    let e: alb::AlbTargetGroupRequest = round_trip("alb-multi-value.json");
    assert_eq!(e.multi_value_query_string_parameters.as_ref().unwrap()["myKey"], ["val1", "val2"]);
    let view = request("alb-multi-value.json");
    assert_eq!(view.source(), Source::Alb { multi_value: true });
    assert_eq!(view.query("myKey"), Some("val1"));
    assert_eq!(view.header("content-type"), Some("application/octet-stream"));
    assert_eq!(view.cookies(), ["name1=value1", "name2=value2"]);
    assert_eq!(&*view.body().unwrap(), b"\x00\x01binary\xff");
    let response = view.respond(404).text("no");
    assert!(json::to_string(&response).contains(r#""multiValueHeaders":{}"#));
}

#[test]
fn sqs_standard() {
    let e: sqs::SqsEvent = round_trip("sqs.json");
    assert_eq!(e.records.len(), 2);
    let m = &e.records[0];
    assert_eq!(m.message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
    assert_eq!(m.body, "Test message.");
    let attributes = m.attributes.as_ref().unwrap();
    assert_eq!(attributes.approximate_receive_count, Some(StringNumber(1)));
    assert_eq!(attributes.sent_timestamp, Some(StringNumber(1545082649183)));
    assert_eq!(attributes.message_group_id, None);
    let attribute = &m.message_attributes.as_ref().unwrap()["myAttribute"];
    assert_eq!(
        (attribute.data_type.as_str(), attribute.string_value.as_deref()),
        ("String", Some("myValue"))
    );
    assert_eq!(m.event_source_arn.as_deref(), Some("arn:aws:sqs:us-east-2:123456789012:my-queue"));
    assert!(e.records[1].message_attributes.as_ref().unwrap().is_empty());
    // The attributes are written back as strings, as SQS sends them.
    assert!(json::to_string(&e).contains(r#""ApproximateReceiveCount":"1""#));
}

#[test]
fn sqs_fifo() {
    let e: sqs::SqsEvent = round_trip("sqs-fifo.json");
    let attributes = e.records[0].attributes.as_ref().unwrap();
    assert_eq!(attributes.message_group_id.as_deref(), Some("1"));
    assert_eq!(attributes.message_deduplication_id.as_deref(), Some("1"));
    assert_eq!(attributes.sequence_number.as_deref(), Some("18849496460467696128"));
}

#[test]
fn sns() {
    let e: sns::SnsEvent = round_trip("sns.json");
    let n = &e.records[0].sns;
    assert_eq!((n.message.as_str(), n.subject.as_deref()), ("Hello from SNS!", Some("TestInvoke")));
    assert_eq!(n.topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:123456789012:sns-lambda"));
    assert_eq!(n.message_attributes.as_ref().unwrap()["Test"].value, "TestString");
    assert_eq!(n.kind.as_deref(), Some("Notification"));
    assert_eq!(e.records[0].event_source.as_deref(), Some("aws:sns"));
}

#[test]
fn s3_put() {
    let e: s3::S3Event = round_trip("s3.json");
    let r = &e.records[0];
    assert_eq!(r.event_name, "ObjectCreated:Put");
    assert_eq!(r.s3.bucket.name, "example-bucket");
    assert_eq!((r.s3.object.key.as_str(), r.s3.object.size), ("test%2Fkey", Some(1024)));
    assert_eq!(r.response_elements.as_ref().unwrap().request_id.as_deref(), Some("EXAMPLE123456789"));
    assert_eq!(r.request_parameters.as_ref().unwrap().source_ip_address, "127.0.0.1");
}

#[test]
fn s3_delete_has_no_size() {
    let e: s3::S3Event = round_trip("s3-delete.json");
    let object = &e.records[0].s3.object;
    assert_eq!((object.size, object.e_tag.as_deref()), (None, None));
    assert_eq!(object.version_id.as_deref(), Some("096fKKXTRTtl3on89fVO.nfljtsv6qko"));
}

#[derive(Deserialize)]
struct Ec2State {
    #[serde(rename = "instance-id")]
    instance_id: String,
    state: String,
}

#[test]
fn eventbridge() {
    let e: eventbridge::EventBridgeEvent = round_trip("eventbridge.json");
    assert_eq!(
        (e.source.as_str(), e.detail_type.as_str()),
        ("aws.ec2", "EC2 Instance State-change Notification")
    );
    assert_eq!(e.detail.as_str(), r#"{"instance-id":"i-abcd1111","state":"pending"}"#);
    let detail: Ec2State = e.detail_as().unwrap();
    assert_eq!((detail.instance_id.as_str(), detail.state.as_str()), ("i-abcd1111", "pending"));
    assert!(e.detail_as::<Vec<u8>>().is_err());
}

#[test]
fn scheduled() {
    let e: eventbridge::ScheduledEvent = round_trip("scheduled.json");
    assert_eq!(
        (e.source.as_str(), e.detail_type.as_str(), e.detail.as_str()),
        ("aws.events", "Scheduled Event", "{}")
    );
    assert_eq!(e.resources.unwrap(), ["arn:aws:events:us-east-2:123456789012:rule/my-schedule"]);
}

#[test]
fn dynamodb() {
    use dynamodb::AttributeValue as A;
    let e: dynamodb::DynamoDbEvent = round_trip("dynamodb.json");
    let names: Vec<&str> = e.records.iter().map(|r| r.event_name.as_str()).collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    let insert = &e.records[0].dynamodb;
    assert_eq!(insert.keys["Id"], A::N("101".into()));
    assert_eq!(insert.new_image.as_ref().unwrap()["Message"].as_s(), Some("New item!"));
    assert_eq!((insert.sequence_number.as_str(), insert.size_bytes), ("111", Some(26)));
    let modify = e.records[1].dynamodb.new_image.as_ref().unwrap();
    assert_eq!(modify["Tags"], A::Ss(vec!["a".into(), "b".into()]));
    assert_eq!(modify["Scores"], A::Ns(vec!["1".into(), "2.5".into()]));
    assert_eq!(modify["Blob"], A::B(vec![0, 1, 2]));
    assert_eq!(modify["Blobs"], A::Bs(vec![vec![0], vec![255]]));
    assert_eq!((&modify["Active"], &modify["Gone"]), (&A::Bool(true), &A::Null));
    let profile = modify["Profile"].as_m().unwrap();
    let A::L(langs) = &profile["Langs"] else { panic!("{:?}", profile["Langs"]) };
    assert_eq!(langs[1].as_m().unwrap()["level"].as_n(), Some("3"));
    let remove = &e.records[2];
    assert_eq!(remove.dynamodb.approximate_creation_date_time, Some(1480452660.0));
    assert_eq!(remove.user_identity.as_ref().unwrap().principal_id, "dynamodb.amazonaws.com");
    assert_eq!(remove.dynamodb.new_image, None);
}

#[test]
fn kinesis() {
    let e: kinesis::KinesisEvent = round_trip("kinesis.json");
    assert_eq!(&e.records[0].kinesis.data[..], b"Hello, this is a test.");
    assert_eq!(&e.records[1].kinesis.data[..], b"This is only a test.");
    assert_eq!(e.records[0].kinesis.approximate_arrival_timestamp, Some(1545084650.987));
    assert_eq!(
        e.records[1].kinesis.sequence_number,
        "49590338271490256608559692540925702759324208523137515618"
    );
    // data is written back as the same base64.
    assert!(json::to_string(&e).contains(r#""data":"SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==""#));
}

#[test]
fn firehose() {
    let e: firehose::FirehoseEvent = round_trip("firehose.json");
    assert_eq!(e.invocation_id, "invocationIdExample");
    assert_eq!(&e.records[0].data[..], b"Hello, this is a test 123.");
    assert_eq!(e.records[0].approximate_arrival_timestamp, Some(1495072949453));
    let metadata = e.records[0].kinesis_record_metadata.as_ref().unwrap();
    assert_eq!((metadata.shard_id.as_str(), metadata.subsequence_number), ("shardId-000000000000", Some(0)));
    assert_eq!(e.records[1].kinesis_record_metadata, None);
    assert_eq!(&e.records[1].data[..], br#"{"ticker":"AMZN"}"#);
}

#[test]
fn cloudwatch_logs() {
    let e: cloudwatch_logs::CloudWatchLogsEvent = round_trip("cloudwatch-logs.json");
    assert!(e.awslogs.data.starts_with("H4sI"), "a gzip member in base64");
    #[cfg(feature = "gzip")]
    {
        let logs = e.awslogs.decode().unwrap();
        let expected: cloudwatch_logs::LogsData =
            json::from_str(&fixture("cloudwatch-logs.decoded.json")).unwrap();
        assert_eq!(logs, expected);
        assert_eq!(logs.log_group, "/aws/lambda/echo-nodejs");
        assert_eq!(logs.log_events[0].timestamp, 1552518348220);
        assert!(logs.log_events[0].message.starts_with("REPORT RequestId: 6234bffe"));
    }
}
