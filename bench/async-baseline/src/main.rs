//! The echo function on `lambda_runtime` + tokio, exactly as its README sets a function up.
//!
//! `lambda_runtime::run` offers no raw-bytes handler (the event is always deserialized with
//! serde_json and the response serialized back), so the handler takes and returns a
//! `serde_json::Value`: the event payload, unchanged. The benchmark's events are therefore JSON.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(event.payload)
}
