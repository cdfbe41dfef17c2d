//! Panics in the handler become `/error` posts instead of lost invocations.
//!
//! - `panic = "unwind"` (with `std`): the handler runs under `catch_unwind`; a panic is reported
//!   with errorType `Panic` and the loop goes on to the next event.
//! - `panic = "abort"` (the size profile, with `std`): a panic hook posts the in-flight
//!   invocation's error on a fresh connection, then the previous hook prints its message and the
//!   process aborts. Lambda restarts the function for the next event.
//! - without `std` the handler is called directly; the program's own `#[panic_handler]` decides.

use alloc::vec::Vec;

use crate::context::Context;
use crate::error::Error;
use crate::runtime::DynHandler;

/// The errorType of a panic.
pub const PANIC_ERROR_TYPE: &str = "Panic";

#[cfg(all(feature = "std", panic = "unwind"))]
pub fn call(
    handler: DynHandler<'_>,
    event: &mut Vec<u8>,
    ctx: &Context,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    match catch_unwind(AssertUnwindSafe(|| handler(event, ctx, out))) {
        Ok(result) => result,
        Err(payload) => {
            let message = match payload.downcast::<&'static str>() {
                Ok(s) => alloc::borrow::Cow::Borrowed(*s),
                Err(payload) => match payload.downcast::<alloc::string::String>() {
                    Ok(s) => alloc::borrow::Cow::Owned(*s),
                    Err(_) => alloc::borrow::Cow::Borrowed("the handler panicked"),
                },
            };
            Err(Error::new(PANIC_ERROR_TYPE, message))
        }
    }
}

#[cfg(not(all(feature = "std", panic = "abort")))]
pub fn install(_: &'static crate::config::Config) {}

#[cfg(not(feature = "std"))]
pub fn call(
    handler: DynHandler<'_>,
    event: &mut Vec<u8>,
    ctx: &Context,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    handler(event, ctx, out)
}

#[cfg(all(feature = "std", panic = "abort"))]
pub use abort::{call, install};

#[cfg(all(feature = "std", panic = "abort"))]
mod abort {
    use alloc::boxed::Box;
    use alloc::string::String;
    use std::panic::PanicHookInfo;
    use std::sync::{Mutex, MutexGuard};

    use super::*;
    use crate::config::Config;

    /// What the hook needs to report the invocation in flight. Filled for every event by
    /// copying into the same strings, so it allocates only when an id grows.
    struct Inflight {
        config: Option<&'static Config>,
        active: bool,
        request_id: String,
        invocation_id: String,
    }

    static INFLIGHT: Mutex<Inflight> = Mutex::new(Inflight {
        config: None,
        active: false,
        request_id: String::new(),
        invocation_id: String::new(),
    });

    fn inflight() -> MutexGuard<'static, Inflight> {
        INFLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn install(config: &'static Config) {
        inflight().config = Some(config);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            report(info);
            previous(info);
        }));
    }

    pub fn call(
        handler: DynHandler<'_>,
        event: &mut Vec<u8>,
        ctx: &Context,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        {
            let mut slot = inflight();
            slot.active = true;
            slot.request_id.clear();
            slot.request_id.push_str(&ctx.request_id);
            slot.invocation_id.clear();
            slot.invocation_id.push_str(ctx.invocation_id.as_deref().unwrap_or_default());
        }
        let result = handler(event, ctx, out);
        inflight().active = false;
        result
    }

    fn report(info: &PanicHookInfo<'_>) {
        let Ok(mut slot) = INFLIGHT.try_lock() else { return };
        let Some(config) = slot.config else { return };
        if !core::mem::take(&mut slot.active) {
            return; // not inside a handler, or already reported
        }
        let mut message = String::from(info.payload_as_str().unwrap_or("the handler panicked"));
        if let Some(at) = info.location() {
            let mut line = Vec::new();
            crate::protocol::push_decimal(&mut line, u64::from(at.line()));
            message.push_str(" (at ");
            message.push_str(at.file());
            message.push(':');
            message.push_str(core::str::from_utf8(&line).unwrap_or_default());
            message.push(')');
        }
        let error = Error::new(PANIC_ERROR_TYPE, message);
        let invocation_id = Some(slot.invocation_id.as_str()).filter(|s| !s.is_empty());
        crate::runtime::report_error_once(config, &slot.request_id, invocation_id, &error);
    }
}
