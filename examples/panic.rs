//! Panics on an event that is `panic`, echoes anything else: shows that a panic is reported to
//! `/error` (and, under `panic = "unwind"`, that the loop carries on).
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> {
        if event == b"panic" {
            panic!("the handler gave up");
        }
        Ok(event.to_vec())
    })
}
