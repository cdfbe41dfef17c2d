//! A function with a shutdown hook (feature `shutdown`): it echoes each event, counts them, and
//! when Lambda shuts it down (SIGTERM, sent because the hook's internal extension is
//! registered) prints one line with the count before exiting.
//!
//! `cargo xtask invoke --example graceful` shows the line after the invocation. The tests set
//! `GRACEFUL_HOOK_PANICS=1` to see that a hook that panics still ends the process.

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_bootstrap::{Context, Error};

static SERVED: AtomicU64 = AtomicU64::new(0);

fn main() {
    let panics = std::env::var_os("GRACEFUL_HOOK_PANICS").is_some();
    lambda_bootstrap::on_shutdown(move || {
        if panics {
            panic!("the hook was asked to panic");
        }
        println!("graceful: shutting down after {} invocations", SERVED.load(Ordering::Relaxed));
    });
    lambda_bootstrap::run(|event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> {
        SERVED.fetch_add(1, Ordering::Relaxed);
        Ok(std::mem::take(event))
    })
}
