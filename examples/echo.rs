//! Bytes in, the same bytes out. Works with every feature off but `std`.
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> { Ok(event.to_vec()) })
}
