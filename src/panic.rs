//! Panics in the handler become `/error` posts instead of lost invocations.
//!
//! - `panic = "unwind"` (with `std`): the handler runs under `catch_unwind`; a panic is reported
//!   with errorType `Panic` and the loop goes on to the next event.
//! - `panic = "abort"` (the size profile, with `std`): a panic hook posts the error of the
//!   invocation in flight *on the panicking thread* (each loop records its own in a thread-local
//!   slot, `current`, so loops on several threads do not mix) on a fresh connection, then the previous hook
//!   prints its message and the process aborts. Lambda restarts the function for the next event.
//! - a streaming handler (feature `stream`) that panics under `panic = "abort"` after its stream
//!   began on the wire posts no `/error`: the process aborts mid-stream (see the `stream` module).
//! - without `std` the handler is called directly; the program's own `#[panic_handler]` decides.
//!
//! This module does not know how to post: the hook calls the [`Reporter`] it was installed with.

use alloc::vec::Vec;

use crate::context::Context;
use crate::error::Error;
use crate::handler::{DynHandler, Sink};

/// The errorType of a panic.
pub const PANIC_ERROR_TYPE: &str = "Panic";

/// Posts one invocation's error on a fresh connection: config, request id, invocation id.
#[cfg(all(feature = "std", panic = "abort"))]
pub type Reporter = fn(&'static crate::config::Config, &str, Option<&str>, &Error);

#[cfg(all(feature = "std", panic = "unwind"))]
pub fn call(
    handler: DynHandler<'_>,
    event: &mut Vec<u8>,
    ctx: &Context,
    out: &mut Sink,
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

#[cfg(not(feature = "std"))]
pub fn call(
    handler: DynHandler<'_>,
    event: &mut Vec<u8>,
    ctx: &Context,
    out: &mut Sink,
) -> Result<(), Error> {
    handler(event, ctx, out)
}

#[cfg(all(feature = "std", panic = "abort", feature = "stream", not(feature = "ureq")))]
pub use abort::stream_opened;
#[cfg(all(feature = "std", panic = "abort"))]
pub use abort::{call, install};

#[cfg(all(feature = "std", panic = "abort"))]
mod abort {
    use alloc::boxed::Box;
    use alloc::string::String;
    use core::sync::atomic::{AtomicBool, Ordering};
    use std::panic::PanicHookInfo;

    use super::*;
    use crate::current;

    /// Installs the hook (once per process, however many loops call it).
    pub fn install(report: Reporter) {
        static INSTALLED: AtomicBool = AtomicBool::new(false);
        if INSTALLED.swap(true, Ordering::Relaxed) {
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            hook(info, report);
            previous(info);
        }));
    }

    /// Calls the handler with this thread's invocation marked as inside it (filled here, or
    /// with `log` by the loop when the event arrived).
    pub fn call(
        handler: DynHandler<'_>,
        event: &mut Vec<u8>,
        ctx: &Context,
        out: &mut Sink,
    ) -> Result<(), Error> {
        let cell = current::slot();
        {
            let mut slot = cell.borrow_mut();
            #[cfg(not(feature = "log"))]
            {
                slot.config = Some(ctx.config);
            }
            slot.active = true;
            #[cfg(not(feature = "log"))]
            {
                slot.request_id.clear();
                slot.request_id.push_str(&ctx.request_id);
                slot.invocation_id.clear();
                slot.invocation_id.push_str(ctx.invocation_id.as_deref().unwrap_or_default());
            }
        }
        let result = handler(event, ctx, out);
        cell.borrow_mut().active = false;
        result
    }

    /// The invocation in flight on this thread has begun its response stream: a panic from now
    /// on posts no `/error` (the Runtime API already has a `/response` request open for it).
    #[cfg(all(feature = "stream", not(feature = "ureq")))]
    pub fn stream_opened() {
        if let Some(cell) = current::get()
            && let Ok(mut slot) = cell.try_borrow_mut()
        {
            slot.active = false;
        }
    }

    fn hook(info: &PanicHookInfo<'_>, report: Reporter) {
        let Some(cell) = current::get() else { return };
        let Ok(mut slot) = cell.try_borrow_mut() else { return };
        let Some(config) = slot.config else { return };
        if !core::mem::take(&mut slot.active) {
            return; // not inside a handler, or already reported
        }
        // With `log`, the report's own line reads the slot for its request id: release it.
        #[cfg(feature = "log")]
        let slot = {
            let ids = (slot.request_id.clone(), slot.invocation_id.clone());
            drop(slot);
            current::Current { config: None, active: false, request_id: ids.0, invocation_id: ids.1 }
        };
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
        report(config, &slot.request_id, invocation_id, &error);
    }
}
