//! One response builder, written in the shape of the source it answers.

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::Serialize;
use miniserde::ser::Fragment;

use super::{MultiParams, Params, Source};
use crate::base64;
use crate::object::Object;

/// An HTTP response for API Gateway (1.0 or 2.0), a Function URL or an ALB.
///
/// Written as its [`Source`] expects: 2.0 gets `Set-Cookie` headers as `cookies` and repeated
/// headers joined with commas; 1.0 gets repeated headers as `multiValueHeaders`; an ALB gets a
/// `statusDescription`, and only `multiValueHeaders` when its target group sent them. No field
/// is ever written as `null`.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    source: Source,
    /// The status code.
    pub status: u16,
    /// The headers, in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body, as written (base64 text when `base64`).
    pub body: String,
    /// Whether `body` is base64 of binary content.
    pub base64: bool,
}

impl Response {
    /// An empty response with `status` for `source` (or use [`super::Request::respond`]).
    pub fn new(source: Source, status: u16) -> Self {
        Response { source, status, headers: Vec::new(), body: String::new(), base64: false }
    }

    /// Adds a header (a name may be added several times).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A text body.
    pub fn text(mut self, body: &str) -> Self {
        self.body = body.into();
        self.base64 = false;
        self
    }

    /// A binary body: sent as base64 (API Gateway and ALB decode it for the client; API Gateway
    /// REST APIs need the content type among their binary media types).
    pub fn bytes(mut self, body: &[u8]) -> Self {
        self.body = base64::encode(body);
        self.base64 = true;
        self
    }

    /// The source whose shape this is written in.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The values of every header, by name in first-seen order (exact names).
    fn grouped(&self, skip_cookies: bool) -> Vec<(&str, Vec<&str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
        for (name, value) in &self.headers {
            if skip_cookies && name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            match out.iter_mut().find(|(n, _)| *n == name.as_str()) {
                Some((_, values)) => values.push(value),
                None => out.push((name, alloc::vec![value.as_str()])),
            }
        }
        out
    }

    fn single(&self, join: bool, skip_cookies: bool) -> Params {
        let pick = |values: &Vec<&str>| {
            if join { values.join(",") } else { values.last().copied().unwrap_or("").into() }
        };
        self.grouped(skip_cookies).iter().map(|(name, values)| ((*name).into(), pick(values))).collect()
    }

    fn multi(&self) -> MultiParams {
        let to_owned = |values: &Vec<&str>| values.iter().map(|v| String::from(*v)).collect();
        self.grouped(false).iter().map(|(name, values)| ((*name).into(), to_owned(values))).collect()
    }
}

/// The reason phrase ALB wants in `statusDescription` (`200 OK`).
fn status_description(status: u16) -> String {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    alloc::format!("{status} {reason}").trim_end().into()
}

impl Serialize for Response {
    fn begin(&self) -> Fragment<'_> {
        let mut object = Object::new().field("statusCode", &self.status);
        match self.source {
            Source::ApiGatewayV1 => {
                object = object.owned("headers", self.single(false, false));
                if self.grouped(false).iter().any(|(_, values)| values.len() > 1) {
                    object = object.owned("multiValueHeaders", self.multi());
                }
            }
            Source::ApiGatewayV2 => {
                object = object.owned("headers", self.single(true, true));
                let cookies: Vec<&str> = self
                    .headers
                    .iter()
                    .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
                    .map(|(_, value)| value.as_str())
                    .collect();
                if !cookies.is_empty() {
                    object =
                        object.owned("cookies", cookies.into_iter().map(String::from).collect::<Vec<_>>());
                }
            }
            Source::Alb { multi_value } => {
                object = object.owned("statusDescription", status_description(self.status));
                object = if multi_value {
                    object.owned("multiValueHeaders", self.multi())
                } else {
                    object.owned("headers", self.single(false, false))
                };
            }
        }
        object.field("body", &self.body).field("isBase64Encoded", &self.base64).fragment()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniserde::json;

    fn sample(source: Source) -> String {
        let response = Response::new(source, 201)
            .header("content-type", "text/plain")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .text("made");
        json::to_string(&response)
    }

    #[test]
    fn each_source_gets_its_shape() {
        assert_eq!(
            sample(Source::ApiGatewayV2),
            r#"{"statusCode":201,"headers":{"content-type":"text/plain"},"cookies":["a=1","b=2"],"body":"made","isBase64Encoded":false}"#
        );
        assert_eq!(
            sample(Source::ApiGatewayV1),
            r#"{"statusCode":201,"headers":{"content-type":"text/plain","set-cookie":"b=2"},"multiValueHeaders":{"content-type":["text/plain"],"set-cookie":["a=1","b=2"]},"body":"made","isBase64Encoded":false}"#
        );
        assert_eq!(
            sample(Source::Alb { multi_value: false }),
            r#"{"statusCode":201,"statusDescription":"201 Created","headers":{"content-type":"text/plain","set-cookie":"b=2"},"body":"made","isBase64Encoded":false}"#
        );
        assert_eq!(
            sample(Source::Alb { multi_value: true }),
            r#"{"statusCode":201,"statusDescription":"201 Created","multiValueHeaders":{"content-type":["text/plain"],"set-cookie":["a=1","b=2"]},"body":"made","isBase64Encoded":false}"#
        );
    }

    #[test]
    fn binary_bodies_are_base64_and_unknown_statuses_have_no_reason() {
        let response = Response::new(Source::Alb { multi_value: false }, 299).bytes(&[0, 255]);
        assert_eq!(
            json::to_string(&response),
            r#"{"statusCode":299,"statusDescription":"299","headers":{},"body":"AP8=","isBase64Encoded":true}"#
        );
        assert!(!json::to_string(&Response::new(Source::ApiGatewayV2, 204)).contains("null"));
    }
}
