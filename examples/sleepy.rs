//! Many invocations at once (feature `concurrency`, Lambda Managed Instances): each of the
//! `AWS_LAMBDA_MAX_CONCURRENCY` workers has its own handler, made by the factory with its index.
//!
//! `{"ms":N}` waits N ms, blocking its worker (an I/O-bound handler), then answers
//! `{"request_id":…,"worker":…,"trace_id":…,"trace_env":…}`: the invocation, the worker that
//! served it, the trace id its `Context` carries, and `_X_AMZN_TRACE_ID` as the process sees it
//! (never set with more than one worker). `{"spin":N}` burns the CPU for N rounds of a hash
//! instead (a CPU-bound handler). `{"fail":true}` fails with errorType `Sleepy.Fail`;
//! `{"panic":true}` panics; `{"init_error":true}` reports an init error (as a handler that
//! initialises lazily and fails would). Built with feature `shutdown` too, it sets one shutdown
//! hook for the whole pool, which prints `sleepy: shutting down` once on SIGTERM.
use lambda_bootstrap::miniserde::{self, Deserialize, Serialize};
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Request {
    ms: Option<u64>,
    spin: Option<u64>,
    fail: Option<bool>,
    panic: Option<bool>,
    init_error: Option<bool>,
}

#[derive(Serialize)]
struct Response {
    request_id: String,
    worker: usize,
    trace_id: Option<String>,
    trace_env: Option<String>,
    hash: Option<u64>,
}

fn main() {
    #[cfg(feature = "shutdown")]
    lambda_bootstrap::on_shutdown(|| println!("sleepy: shutting down"));
    lambda_bootstrap::concurrency::run(|worker| {
        move |req: Request, ctx: &Context| -> Result<Response, Error> {
            if req.panic == Some(true) {
                panic!("sleepy was asked to panic");
            }
            if req.fail == Some(true) {
                return Err(Error::new("Sleepy.Fail", "asked to fail"));
            }
            if req.init_error == Some(true) {
                lambda_bootstrap::report_init_error(Error::new("Sleepy.InitError", "asked to fail init"));
            }
            if let Some(ms) = req.ms {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
            let hash = req.spin.map(spin);
            Ok(Response {
                request_id: ctx.request_id.clone(),
                worker,
                trace_id: ctx.xray_trace_id.clone(),
                trace_env: std::env::var("_X_AMZN_TRACE_ID").ok(),
                hash,
            })
        }
    })
}

/// `rounds` rounds of FNV-1a over a counter: CPU work the optimiser cannot skip.
fn spin(rounds: u64) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for i in 0..rounds {
        hash = (hash ^ std::hint::black_box(i)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
