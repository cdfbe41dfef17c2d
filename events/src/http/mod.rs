//! HTTP events: API Gateway REST APIs (payload 1.0), HTTP APIs (payload 2.0), Lambda Function
//! URLs (the 2.0 shape), and Application Load Balancer target groups.
//!
//! Each source has its own request and response types ([`apigw_v1`], [`apigw_v2`],
//! [`function_url`], [`alb`]). To serve several sources with one handler, take a [`Request`]
//! (any of the three shapes; method, path, headers, query and body read the same way) and
//! answer with a [`Response`] built from it: it is written in the shape its source expects.
//!
//! ```
//! use lambda_bootstrap_events::http::{Request, Response};
//! use lambda_bootstrap_events::miniserde::json;
//!
//! let alb = r#"{"requestContext":{"elb":{"targetGroupArn":"arn:tg"}},"httpMethod":"POST","path":"/echo",
//!   "headers":{"content-type":"text/plain"},"body":"aGk=","isBase64Encoded":true}"#;
//! let req: Request = json::from_str(alb).unwrap();
//! assert_eq!((req.method(), req.path()), ("POST", "/echo"));
//! let body = req.body().unwrap();
//! let response = req.respond(200).header("content-type", "text/plain").text(core::str::from_utf8(&body).unwrap());
//! assert_eq!(
//!     json::to_string(&response),
//!     r#"{"statusCode":200,"statusDescription":"200 OK","headers":{"content-type":"text/plain"},"body":"hi","isBase64Encoded":false}"#
//! );
//! ```

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

pub mod alb;
pub mod apigw_v1;
pub mod apigw_v2;
mod request;
mod response;

pub use request::{Request, Source};
pub use response::Response;

/// Lambda Function URLs: the same shapes as HTTP API payload 2.0.
pub mod function_url {
    /// A Function URL request (`requestContext.http` as in 2.0; `routeKey` is `$default`).
    pub type FunctionUrlRequest = super::apigw_v2::ApiGatewayV2Request;
    /// A Function URL response.
    pub type FunctionUrlResponse = super::apigw_v2::ApiGatewayV2Response;
}

/// Header or query parameter name to value.
pub type Params = BTreeMap<String, String>;

/// Header or query parameter name to every value.
pub type MultiParams = BTreeMap<String, Vec<String>>;

/// The first value of `name` in `single` or `multi`, names compared without case.
pub(crate) fn lookup<'a>(
    single: Option<&'a Params>,
    multi: Option<&'a MultiParams>,
    name: &str,
) -> Option<&'a str> {
    let found =
        single.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()));
    found.or_else(|| {
        multi.and_then(|m| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first())
                .map(String::as_str)
        })
    })
}
