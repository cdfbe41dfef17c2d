//! Panics on a JSON object whose `panic` is `true` (`{"panic":true}`), echoes anything else:
//! shows that a panic is reported to `/error` (and, under `panic = "unwind"`, that the loop
//! carries on).
use lambda_bootstrap::miniserde::json::{self, Value};
use lambda_bootstrap::{Context, Error};

fn main() {
    lambda_bootstrap::run(|event: &[u8], _: &Context| -> Result<Vec<u8>, Error> {
        let parsed = std::str::from_utf8(event).ok().and_then(|text| json::from_str::<Value>(text).ok());
        if let Some(Value::Object(object)) = parsed
            && matches!(object.get("panic"), Some(Value::Bool(true)))
        {
            panic!("the handler gave up");
        }
        Ok(event.to_vec())
    })
}
