//! Needs `GREETING` in its environment; without it, initialisation fails and is reported to
//! `/runtime/init/error` before the first event.
use lambda_bootstrap::{Context, Error};

fn main() {
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| {
        lambda_bootstrap::report_init_error(Error::new("Runtime.ConfigInvalid", "GREETING is not set"))
    });
    lambda_bootstrap::run(move |event: &[u8], _: &Context| -> Result<Vec<u8>, Error> {
        let mut out = greeting.clone().into_bytes();
        out.extend_from_slice(event);
        Ok(out)
    })
}
