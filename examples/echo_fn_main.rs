//! `echo.rs` under a plain `fn main`, with std's runtime set-up: `cargo xtask bench` shows what
//! [`lambda_bootstrap::main!`] saves against it.
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::run(|event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> {
        Ok(std::mem::take(event))
    })
}
