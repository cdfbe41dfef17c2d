//! An HTTP API (API Gateway payload format 2.0) function over serde types: the request and
//! response types of `aws_lambda_events`, used unchanged (feature `serde`). The same function on
//! `lambda_runtime` is `bench/serde-baseline/src/main.rs`; the lines that differ are the whole
//! migration (docs/migrating-from-lambda-runtime.md).
//!
//! `cargo xtask invoke --example serde_http --data-file examples/events/http-api-v2.json`
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use aws_lambda_events::http::header::CONTENT_TYPE;
use lambda_bootstrap::{Context, Error};
use serde::Serialize;

/// The JSON body of the answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Greeting {
    message: String,
    method: String,
    request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<String>,
}

fn function_handler(
    request: ApiGatewayV2httpRequest,
    context: &Context,
) -> Result<ApiGatewayV2httpResponse, Error> {
    let name = request.query_string_parameters.first("name").unwrap_or("world");
    let greeting = Greeting {
        message: format!(
            "hello {name}, {} bytes at {}",
            request.body.as_deref().unwrap_or("").len(),
            request.raw_path.as_deref().unwrap_or("/")
        ),
        method: request.request_context.http.method.to_string(),
        request_id: context.request_id.clone(),
        cookies: request.cookies.unwrap_or_default(),
    };
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 200;
    response.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.body = Some(Body::Text(serde_json::to_string(&greeting)?));
    Ok(response)
}

fn main() {
    lambda_bootstrap::serde::run(function_handler)
}

#[test]
fn greets_the_caller() {
    let request = serde_json::from_str(include_str!("events/http-api-v2.json")).unwrap();
    let context = Context::for_test("req-1");
    let response = function_handler(request, &context).unwrap();
    assert_eq!(response.status_code, 200);
    let expected = r#"{"message":"hello world, 17 bytes at /my/path","method":"POST","requestId":"req-1","cookies":["cookie1","cookie2"]}"#;
    assert_eq!(response.body, Some(Body::Text(expected.into())));
}
