//! One handler for API Gateway HTTP APIs (payload 2.0), Function URLs and ALB target groups:
//! routing on method and path, base64 bodies decoded, the answer written in the caller's shape.
//!
//! - `GET /hello?name=Ada` → `200` `hello Ada`
//! - `POST /echo` → `200` with the request body (binary bodies go back as binary)
//! - another method on a known path → `405`; any other path → `404`
use lambda_bootstrap::{Context, Error};
use lambda_bootstrap_events::http::{Request, Response};

fn main() {
    lambda_bootstrap::run(|req: Request, _: &Context| -> Result<Response, Error> { Ok(route(&req)) })
}

fn route(req: &Request) -> Response {
    match (req.method(), req.path()) {
        ("GET", "/hello") => {
            let name = req.query("name").unwrap_or("world");
            req.respond(200).header("content-type", "text/plain").text(&format!("hello {name}"))
        }
        ("POST", "/echo") => match req.body() {
            Ok(body) => {
                let content_type = req.header("content-type").unwrap_or("application/octet-stream");
                let response = req.respond(200).header("content-type", content_type);
                match std::str::from_utf8(&body) {
                    Ok(text) if !req.is_base64_encoded() => response.text(text),
                    _ => response.bytes(&body),
                }
            }
            Err(_) => req.respond(400).text("the body is not valid base64"),
        },
        (_, "/hello" | "/echo") => req.respond(405).header("allow", "GET, POST").text("method not allowed"),
        (_, path) => req.respond(404).text(&format!("no route for {path}")),
    }
}
