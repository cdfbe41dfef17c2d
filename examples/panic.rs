//! Panics on a JSON object whose `panic` is `true` (`{"panic":true}`), echoes anything else:
//! shows that a panic is reported to `/error` (and, under `panic = "unwind"`, that the loop
//! carries on). Lambda's Invoke API only accepts JSON, so the trigger is JSON too.
use lambda_bootstrap::miniserde::json::{self, Value};
use lambda_bootstrap::{Context, Error};

fn asks_to_panic(event: &[u8]) -> bool {
    let Some(Value::Object(fields)) = std::str::from_utf8(event).ok().and_then(|t| json::from_str(t).ok())
    else {
        return false;
    };
    matches!(fields.get("panic"), Some(Value::Bool(true)))
}

fn main() {
    lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> {
        if asks_to_panic(event) {
            panic!("the handler gave up");
        }
        Ok(event.to_vec())
    })
}
