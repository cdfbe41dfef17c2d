//! The `serde_http` example (examples/serde_http.rs) on `lambda_runtime` + tokio, as a
//! `cargo lambda new` project writes it: the same HTTP API function over the same
//! `aws_lambda_events` types. `cargo xtask migration` builds both, measures them and counts the
//! lines that differ (this comment aside) for docs/migrating-from-lambda-runtime.md.
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::HeaderValue;
use aws_lambda_events::http::header::CONTENT_TYPE;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
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

async fn function_handler(
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, Error> {
    let (request, context) = event.into_parts();
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

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(function_handler)).await
}

#[tokio::test]
async fn greets_the_caller() {
    let request = serde_json::from_str(include_str!("../../../examples/events/http-api-v2.json")).unwrap();
    let mut context = lambda_runtime::Context::default();
    context.request_id = "req-1".into();
    let response = function_handler(LambdaEvent::new(request, context)).await.unwrap();
    assert_eq!(response.status_code, 200);
    let expected = r#"{"message":"hello world, 17 bytes at /my/path","method":"POST","requestId":"req-1","cookies":["cookie1","cookie2"]}"#;
    assert_eq!(response.body, Some(Body::Text(expected.into())));
}
