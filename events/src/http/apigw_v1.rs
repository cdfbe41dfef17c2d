//! API Gateway REST APIs with a Lambda proxy integration (payload format 1.0).

use alloc::string::String;

use miniserde::ser::Fragment;
use miniserde::{Deserialize, Serialize};

use super::{MultiParams, Params};
use crate::RawJson;
use crate::object::Object;

/// A proxied request.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ApiGatewayProxyRequest {
    /// The resource path template (`/pets/{id}`).
    pub resource: Option<String>,
    /// The request path.
    pub path: String,
    /// The method.
    #[serde(rename = "httpMethod")]
    pub http_method: String,
    /// Headers (the last value of a repeated header).
    pub headers: Option<Params>,
    /// Every value of every header.
    #[serde(rename = "multiValueHeaders")]
    pub multi_value_headers: Option<MultiParams>,
    /// Query parameters (the last value of a repeated one).
    #[serde(rename = "queryStringParameters")]
    pub query_string_parameters: Option<Params>,
    /// Every value of every query parameter.
    #[serde(rename = "multiValueQueryStringParameters")]
    pub multi_value_query_string_parameters: Option<MultiParams>,
    /// The values of the path template's variables.
    #[serde(rename = "pathParameters")]
    pub path_parameters: Option<Params>,
    /// The stage's variables.
    #[serde(rename = "stageVariables")]
    pub stage_variables: Option<Params>,
    /// Who called, through which stage.
    #[serde(rename = "requestContext")]
    pub request_context: ProxyRequestContext,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    #[serde(rename = "isBase64Encoded")]
    pub is_base64_encoded: Option<bool>,
}

/// The request's context.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ProxyRequestContext {
    /// The API owner's account.
    #[serde(rename = "accountId")]
    pub account_id: Option<String>,
    /// The API's id.
    #[serde(rename = "apiId")]
    pub api_id: Option<String>,
    /// What the authorizer returned (its shape depends on the authorizer).
    pub authorizer: Option<RawJson>,
    /// The domain name called.
    #[serde(rename = "domainName")]
    pub domain_name: Option<String>,
    /// Its first label.
    #[serde(rename = "domainPrefix")]
    pub domain_prefix: Option<String>,
    /// API Gateway's extended request id.
    #[serde(rename = "extendedRequestId")]
    pub extended_request_id: Option<String>,
    /// The method.
    #[serde(rename = "httpMethod")]
    pub http_method: Option<String>,
    /// The caller.
    pub identity: Option<ProxyIdentity>,
    /// The full path, with the stage.
    pub path: Option<String>,
    /// `HTTP/1.1`.
    pub protocol: Option<String>,
    /// The request id.
    #[serde(rename = "requestId")]
    pub request_id: Option<String>,
    /// When (`09/Apr/2015:12:34:56 +0000`).
    #[serde(rename = "requestTime")]
    pub request_time: Option<String>,
    /// When, in milliseconds since the epoch.
    #[serde(rename = "requestTimeEpoch")]
    pub request_time_epoch: Option<u64>,
    /// The resource's id.
    #[serde(rename = "resourceId")]
    pub resource_id: Option<String>,
    /// The resource path template.
    #[serde(rename = "resourcePath")]
    pub resource_path: Option<String>,
    /// The stage.
    pub stage: Option<String>,
}

/// The caller, as far as API Gateway knows it (most fields are `null` without IAM or Cognito).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ProxyIdentity {
    /// The caller's IP address.
    #[serde(rename = "sourceIp")]
    pub source_ip: Option<String>,
    /// The `User-Agent`.
    #[serde(rename = "userAgent")]
    pub user_agent: Option<String>,
    /// The API key, if one was required.
    #[serde(rename = "apiKey")]
    pub api_key: Option<String>,
    /// The API key's id.
    #[serde(rename = "apiKeyId")]
    pub api_key_id: Option<String>,
    /// The IAM caller's account.
    #[serde(rename = "accountId")]
    pub account_id: Option<String>,
    /// The IAM caller.
    pub caller: Option<String>,
    /// The IAM user's ARN.
    #[serde(rename = "userArn")]
    pub user_arn: Option<String>,
    /// The IAM user.
    pub user: Option<String>,
    /// The Cognito identity id.
    #[serde(rename = "cognitoIdentityId")]
    pub cognito_identity_id: Option<String>,
    /// The Cognito identity pool.
    #[serde(rename = "cognitoIdentityPoolId")]
    pub cognito_identity_pool_id: Option<String>,
}

/// The answer: fields that are `None` are left out, not written as `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApiGatewayProxyResponse {
    /// The status code.
    pub status_code: u16,
    /// Headers.
    pub headers: Option<Params>,
    /// Headers with several values (merged with `headers` by API Gateway).
    pub multi_value_headers: Option<MultiParams>,
    /// The body: text, or base64 when `is_base64_encoded`.
    pub body: Option<String>,
    /// Whether `body` is base64.
    pub is_base64_encoded: Option<bool>,
}

impl Serialize for ApiGatewayProxyResponse {
    fn begin(&self) -> Fragment<'_> {
        Object::new()
            .field("statusCode", &self.status_code)
            .opt("headers", &self.headers)
            .opt("multiValueHeaders", &self.multi_value_headers)
            .opt("body", &self.body)
            .opt("isBase64Encoded", &self.is_base64_encoded)
            .fragment()
    }
}
