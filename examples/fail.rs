//! Every invocation fails with a custom errorType; an event `{"parse":"x"}`-style payload that is
//! not a number fails through `?` on a std error instead.
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> {
        if let Some(text) = event.strip_prefix(b"parse:") {
            let n: u32 = std::str::from_utf8(text)?.parse()?;
            return Ok(n.to_string().into_bytes());
        }
        Err(Error::new("Order.NotFound", "no order with that id"))
    })
}
