//! `examples/sleepy.rs` on `lambda_runtime::run_concurrent` (tokio): `AWS_LAMBDA_MAX_CONCURRENCY`
//! long-poll loops as tokio tasks. `{"ms":N}` waits N ms the async way (`tokio::time::sleep`, the
//! task yields its thread); `{"spin":N}` burns the CPU for N rounds of the same hash as sleepy,
//! on the task's worker thread (what a CPU-bound async handler does). The answer carries the
//! request id and the hash, as sleepy's does.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    ms: Option<u64>,
    spin: Option<u64>,
}

#[derive(Serialize)]
struct Response {
    request_id: String,
    hash: Option<u64>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run_concurrent(service_fn(handler)).await
}

async fn handler(event: LambdaEvent<Request>) -> Result<Response, Error> {
    if let Some(ms) = event.payload.ms {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    Ok(Response { request_id: event.context.request_id, hash: event.payload.spin.map(spin) })
}

/// `rounds` rounds of FNV-1a over a counter, as sleepy does.
fn spin(rounds: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for i in 0..rounds {
        hash = (hash ^ std::hint::black_box(i)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
