//! Application Load Balancer target groups with a Lambda target.
//!
//! A target group sends either `headers` and `queryStringParameters`, or, with multi-value
//! headers enabled on it, only `multiValueHeaders` and `multiValueQueryStringParameters`; the
//! response must then use `multiValueHeaders` too. Query values arrive as the client sent them
//! (still percent-encoded).

use alloc::string::String;

use miniserde::ser::Fragment;
use miniserde::{Deserialize, Serialize};

use super::{MultiParams, Params};
use crate::object::Object;

/// A request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AlbTargetGroupRequest {
    /// The target group.
    #[serde(rename = "requestContext")]
    pub request_context: AlbRequestContext,
    /// The method.
    #[serde(rename = "httpMethod")]
    pub http_method: String,
    /// The path.
    pub path: String,
    /// Query parameters (single-value mode).
    #[serde(rename = "queryStringParameters")]
    pub query_string_parameters: Option<Params>,
    /// Query parameters (multi-value mode).
    #[serde(rename = "multiValueQueryStringParameters")]
    pub multi_value_query_string_parameters: Option<MultiParams>,
    /// Headers, names in lower case (single-value mode).
    pub headers: Option<Params>,
    /// Headers (multi-value mode).
    #[serde(rename = "multiValueHeaders")]
    pub multi_value_headers: Option<MultiParams>,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    #[serde(rename = "isBase64Encoded")]
    pub is_base64_encoded: Option<bool>,
}

/// `{"elb":{"targetGroupArn":"…"}}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AlbRequestContext {
    /// The load balancer.
    pub elb: AlbElb,
}

/// The target group.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AlbElb {
    /// Its ARN.
    #[serde(rename = "targetGroupArn")]
    pub target_group_arn: String,
}

/// The answer: fields that are `None` are left out, not written as `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlbTargetGroupResponse {
    /// The status code.
    pub status_code: u16,
    /// `200 OK`.
    pub status_description: Option<String>,
    /// Headers (single-value mode).
    pub headers: Option<Params>,
    /// Headers (multi-value mode).
    pub multi_value_headers: Option<MultiParams>,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

impl Serialize for AlbTargetGroupResponse {
    fn begin(&self) -> Fragment<'_> {
        Object::new()
            .field("statusCode", &self.status_code)
            .opt("statusDescription", &self.status_description)
            .opt("headers", &self.headers)
            .opt("multiValueHeaders", &self.multi_value_headers)
            .opt("body", &self.body)
            .field("isBase64Encoded", &self.is_base64_encoded)
            .fragment()
    }
}
