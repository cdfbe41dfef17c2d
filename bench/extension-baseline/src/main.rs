//! The `extension` example on `lambda-extension` + tokio, as its README sets an extension up: it
//! registers for INVOKE and SHUTDOWN (the default), counts the invocations and prints the count
//! at SHUTDOWN.

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_extension::{Error, LambdaEvent, NextEvent, service_fn};

static INVOKES: AtomicU64 = AtomicU64::new(0);

async fn events(event: LambdaEvent) -> Result<(), Error> {
    match event.next {
        NextEvent::Invoke(_) => {
            INVOKES.fetch_add(1, Ordering::Relaxed);
        }
        NextEvent::Shutdown(shutdown) => {
            println!(
                "extension: {} invocations, shutdown ({})",
                INVOKES.load(Ordering::Relaxed),
                shutdown.shutdown_reason
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_extension::run(service_fn(events)).await
}
