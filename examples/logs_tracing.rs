//! The `logs` example written with `tracing` (feature `tracing`): the same lines, from `tracing`
//! events rendered by the runtime's minimal subscriber. `{"fail":true}` fails the invocation;
//! `{"say":"…"}` logs that text as it is, at INFO.
use lambda_bootstrap::miniserde::{self, Deserialize};
use lambda_bootstrap::tracing::{debug, error, info, trace, warn};
use lambda_bootstrap::{Context, Error};

#[derive(Deserialize)]
struct Request {
    fail: Option<bool>,
    say: Option<String>,
}

fn main() {
    // Installed now so that init's lines are formatted too (`run` would install it anyway).
    lambda_bootstrap::logger::init();
    info!("cold start");
    lambda_bootstrap::run(|req: Request, ctx: &Context| -> Result<String, Error> {
        trace!("trace from {}", ctx.request_id);
        debug!("debug from {}", ctx.request_id);
        info!("info from {}", ctx.request_id);
        warn!(target: "orders", "warn from {}", ctx.request_id);
        if let Some(text) = req.say {
            info!("{text}");
        }
        if req.fail == Some(true) {
            error!("about to fail");
            return Err(Error::new("Logs.Failed", "asked to fail"));
        }
        error!("error from {}", ctx.request_id);
        Ok(ctx.request_id.clone())
    })
}
