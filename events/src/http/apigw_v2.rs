//! API Gateway HTTP APIs (payload format 2.0), also the shape of Lambda Function URLs.

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::ser::Fragment;
use miniserde::{Deserialize, Serialize};

use super::Params;
use crate::RawJson;
use crate::object::Object;

/// A request. Repeated headers and query parameters arrive joined with commas; `Cookie` headers
/// arrive as `cookies`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiGatewayV2Request {
    /// `2.0`.
    pub version: String,
    /// The matched route (`GET /pets/{id}`, `$default`).
    #[serde(rename = "routeKey")]
    pub route_key: Option<String>,
    /// The path, as sent (without a custom domain's API mapping).
    #[serde(rename = "rawPath")]
    pub raw_path: String,
    /// The query string, without `?`.
    #[serde(rename = "rawQueryString")]
    pub raw_query_string: Option<String>,
    /// Every cookie of the `Cookie` headers.
    pub cookies: Option<Vec<String>>,
    /// Headers, names in lower case.
    pub headers: Option<Params>,
    /// Query parameters.
    #[serde(rename = "queryStringParameters")]
    pub query_string_parameters: Option<Params>,
    /// The values of the route's path variables.
    #[serde(rename = "pathParameters")]
    pub path_parameters: Option<Params>,
    /// The stage's variables.
    #[serde(rename = "stageVariables")]
    pub stage_variables: Option<Params>,
    /// Who called, through which stage.
    #[serde(rename = "requestContext")]
    pub request_context: V2RequestContext,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    #[serde(rename = "isBase64Encoded")]
    pub is_base64_encoded: Option<bool>,
}

/// The request's context.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct V2RequestContext {
    /// The API owner's account.
    #[serde(rename = "accountId")]
    pub account_id: Option<String>,
    /// The API's id (the URL id for Function URLs).
    #[serde(rename = "apiId")]
    pub api_id: Option<String>,
    /// mTLS: the client certificate.
    pub authentication: Option<RawJson>,
    /// What the authorizer returned (JWT claims, Lambda context, or IAM for Function URLs).
    pub authorizer: Option<RawJson>,
    /// The domain name called.
    #[serde(rename = "domainName")]
    pub domain_name: Option<String>,
    /// Its first label.
    #[serde(rename = "domainPrefix")]
    pub domain_prefix: Option<String>,
    /// The HTTP request line and caller.
    pub http: V2Http,
    /// The request id.
    #[serde(rename = "requestId")]
    pub request_id: Option<String>,
    /// The matched route.
    #[serde(rename = "routeKey")]
    pub route_key: Option<String>,
    /// The stage (`$default`).
    pub stage: Option<String>,
    /// When (`12/Mar/2020:19:03:58 +0000`).
    pub time: Option<String>,
    /// When, in milliseconds since the epoch.
    #[serde(rename = "timeEpoch")]
    pub time_epoch: Option<u64>,
}

/// The request line and caller.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct V2Http {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// `HTTP/1.1`.
    pub protocol: Option<String>,
    /// The caller's IP address.
    #[serde(rename = "sourceIp")]
    pub source_ip: Option<String>,
    /// The `User-Agent`.
    #[serde(rename = "userAgent")]
    pub user_agent: Option<String>,
}

/// The answer: fields that are `None` are left out, not written as `null`. Each cookie becomes
/// one `Set-Cookie` header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiGatewayV2Response {
    /// The status code.
    pub status_code: u16,
    /// Headers (several values joined with commas).
    pub headers: Option<Params>,
    /// `Set-Cookie` values.
    pub cookies: Option<Vec<String>>,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    pub is_base64_encoded: Option<bool>,
}

impl Serialize for ApiGatewayV2Response {
    fn begin(&self) -> Fragment<'_> {
        Object::new()
            .field("statusCode", &self.status_code)
            .opt("headers", &self.headers)
            .opt("cookies", &self.cookies)
            .opt("body", &self.body)
            .opt("isBase64Encoded", &self.is_base64_encoded)
            .fragment()
    }
}
