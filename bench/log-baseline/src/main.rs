//! The `logs` example's function on `lambda_runtime` with its tracing subscriber: logs at every
//! level, fails on `{"fail":true}`, logs `{"say":"…"}` as it is.

use lambda_runtime::tracing::{debug, error, info, trace, warn};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde::Deserialize;

#[derive(Deserialize)]
struct Request {
    fail: Option<bool>,
    say: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    info!("cold start");
    run(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<Request>) -> Result<String, Error> {
    let id = &event.context.request_id;
    trace!("trace from {id}");
    debug!("debug from {id}");
    info!("info from {id}");
    warn!(target: "orders", "warn from {id}");
    if let Some(text) = event.payload.say {
        info!("{text}");
    }
    if event.payload.fail == Some(true) {
        error!("about to fail");
        return Err("asked to fail".into());
    }
    error!("error from {id}");
    Ok(id.clone())
}
