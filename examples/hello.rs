//! `{"name":"Ada"}` in, `{"greeting":"hello Ada", …}` out: a typed JSON handler.
use lambda_bootstrap::miniserde::{Deserialize, Serialize};
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Request {
    name: String,
}

#[derive(Serialize)]
struct Response {
    greeting: String,
    request_id: String,
    function_name: String,
}

fn main() {
    lambda_bootstrap::run(|req: Request, ctx: &Context| -> Result<Response, Error> {
        if req.name.is_empty() {
            return Err(Error::new("Hello.EmptyName", "name must not be empty"));
        }
        Ok(Response {
            greeting: format!("hello {}", req.name),
            request_id: ctx.request_id.clone(),
            function_name: ctx.config.function_name.clone(),
        })
    })
}
