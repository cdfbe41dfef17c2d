//! One request view over the three HTTP shapes: API Gateway 1.0, 2.0 (and Function URLs), ALB.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

use super::{MultiParams, Params, Response, lookup};
use crate::base64::{self, Base64Error};

/// Which shape a [`Request`] arrived in, so that its [`Response`] is written in the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// API Gateway REST API, payload format 1.0.
    ApiGatewayV1,
    /// API Gateway HTTP API, payload format 2.0, or a Lambda Function URL.
    ApiGatewayV2,
    /// An ALB target group; `multi_value` when it sends (and expects) multi-value headers.
    Alb {
        /// The target group has multi-value headers enabled.
        multi_value: bool,
    },
}

/// An HTTP request from API Gateway (1.0 or 2.0), a Function URL or an ALB.
///
/// Decoding accepts any of the shapes (unknown fields are ignored); the accessors read the
/// same whatever the source. Header names are compared without case.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
pub struct Request {
    version: Option<String>,
    #[serde(rename = "httpMethod")]
    http_method: Option<String>,
    path: Option<String>,
    #[serde(rename = "rawPath")]
    raw_path: Option<String>,
    #[serde(rename = "rawQueryString")]
    raw_query_string: Option<String>,
    cookies: Option<Vec<String>>,
    headers: Option<Params>,
    #[serde(rename = "multiValueHeaders")]
    multi_value_headers: Option<MultiParams>,
    #[serde(rename = "queryStringParameters")]
    query_string_parameters: Option<Params>,
    #[serde(rename = "multiValueQueryStringParameters")]
    multi_value_query_string_parameters: Option<MultiParams>,
    #[serde(rename = "pathParameters")]
    path_parameters: Option<Params>,
    #[serde(rename = "requestContext")]
    request_context: Option<Context>,
    body: Option<String>,
    #[serde(rename = "isBase64Encoded")]
    is_base64_encoded: Option<bool>,
}

/// The union of the three request contexts, as far as the view needs it.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
struct Context {
    http: Option<Http>,
    elb: Option<Elb>,
    #[serde(rename = "httpMethod")]
    http_method: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
struct Http {
    method: Option<String>,
    path: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq)]
struct Elb {
    #[serde(rename = "targetGroupArn")]
    target_group_arn: Option<String>,
}

impl Request {
    /// The shape the request arrived in.
    pub fn source(&self) -> Source {
        let context = self.request_context.as_ref();
        if context.is_some_and(|c| c.elb.is_some()) {
            Source::Alb { multi_value: self.multi_value_headers.is_some() && self.headers.is_none() }
        } else if self.version.as_deref() == Some("2.0") || context.is_some_and(|c| c.http.is_some()) {
            Source::ApiGatewayV2
        } else {
            Source::ApiGatewayV1
        }
    }

    /// The method (`GET`), as sent.
    pub fn method(&self) -> &str {
        let context = self.request_context.as_ref();
        let v2 = context.and_then(|c| c.http.as_ref()).and_then(|h| h.method.as_deref());
        self.http_method.as_deref().or(v2).or(context.and_then(|c| c.http_method.as_deref())).unwrap_or("")
    }

    /// The path (`/orders/7`): `rawPath` for 2.0, `path` otherwise.
    pub fn path(&self) -> &str {
        let v2 = self.request_context.as_ref().and_then(|c| c.http.as_ref()).and_then(|h| h.path.as_deref());
        self.raw_path.as_deref().or(self.path.as_deref()).or(v2).unwrap_or("")
    }

    /// The first value of header `name` (any case); 2.0 joins repeated headers with commas.
    pub fn header(&self, name: &str) -> Option<&str> {
        lookup(self.headers.as_ref(), self.multi_value_headers.as_ref(), name)
    }

    /// The first value of query parameter `name` (ALB leaves values percent-encoded).
    pub fn query(&self, name: &str) -> Option<&str> {
        let single = self.query_string_parameters.as_ref();
        let multi = self.multi_value_query_string_parameters.as_ref();
        let exact = single.and_then(|m| m.get(name)).map(String::as_str);
        exact.or_else(|| multi.and_then(|m| m.get(name)).and_then(|v| v.first()).map(String::as_str))
    }

    /// The value of the path variable `name` (API Gateway routes with `{name}`).
    pub fn path_parameter(&self, name: &str) -> Option<&str> {
        self.path_parameters.as_ref().and_then(|m| m.get(name)).map(String::as_str)
    }

    /// The request's cookies (`name=value`): 2.0's `cookies`, or split from `Cookie` headers.
    pub fn cookies(&self) -> Vec<&str> {
        if let Some(cookies) = &self.cookies {
            return cookies.iter().map(String::as_str).collect();
        }
        let mut out = Vec::new();
        let headers = self.headers.iter().flat_map(|m| m.iter()).map(|(k, v)| (k, core::slice::from_ref(v)));
        let multi = self.multi_value_headers.iter().flat_map(|m| m.iter()).map(|(k, v)| (k, v.as_slice()));
        for (name, values) in headers.chain(multi) {
            if name.eq_ignore_ascii_case("cookie") {
                for value in values {
                    out.extend(value.split(';').map(str::trim).filter(|c| !c.is_empty()));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The body as sent (base64 text when [`Request::is_base64_encoded`]); `""` when none.
    pub fn raw_body(&self) -> &str {
        self.body.as_deref().unwrap_or("")
    }

    /// Whether the body arrived in base64.
    pub fn is_base64_encoded(&self) -> bool {
        self.is_base64_encoded.unwrap_or(false)
    }

    /// The body's bytes, decoded from base64 when it arrived so.
    pub fn body(&self) -> Result<Cow<'_, [u8]>, Base64Error> {
        if self.is_base64_encoded() {
            base64::decode(self.raw_body()).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(self.raw_body().as_bytes()))
        }
    }

    /// A response with `status`, to be written in this request's shape.
    pub fn respond(&self, status: u16) -> Response {
        Response::new(self.source(), status)
    }
}
