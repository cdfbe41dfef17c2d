//! The invocation this thread is serving, for the parts that cannot be handed a [`Context`]: the
//! panic hook (which reports it to `/error`) and, with feature `log`, the logger (which puts its
//! request id on every line). Each loop fills its own thread's slot, so loops on several threads
//! (Managed Instances workers) never see each other's invocation.
//!
//! Without `log`, the panic hook fills it just before the handler runs. With `log`, a loop calls
//! [`begin`] once `/next` has delivered an event and [`end`] when it asks for the next one: lines
//! written between the two (the handler's, and the runtime's own about posting its result) carry
//! the request id; lines written during init or while waiting for an event carry none.

use alloc::boxed::Box;
use alloc::string::String;
use core::cell::{Cell, RefCell};

use crate::config::Config;
#[cfg(feature = "log")]
use crate::context::Context;

/// One thread's invocation in flight. Filled for every event by copying into the same strings,
/// so it allocates only when an id grows.
pub struct Current {
    /// The configuration of the loop serving it (the panic hook posts with it).
    pub config: Option<&'static Config>,
    /// Inside the handler, and its error not yet reported (the panic hook's business).
    #[cfg_attr(not(all(feature = "std", panic = "abort")), allow(dead_code))]
    pub active: bool,
    /// The request id; empty when no invocation is in flight.
    pub request_id: String,
    /// `Lambda-Runtime-Invocation-Id`; empty when the event had none.
    pub invocation_id: String,
}

std::thread_local! {
    /// This thread's slot, made on its first invocation and kept for the life of the process (a
    /// loop's thread serves until the process ends). A reference, not the slot itself: a
    /// thread-local without a destructor costs no registration.
    static SLOT: Cell<Option<&'static RefCell<Current>>> = const { Cell::new(None) };
}

/// This thread's slot, if a loop ever served an invocation on it.
pub fn get() -> Option<&'static RefCell<Current>> {
    SLOT.with(Cell::get)
}

/// This thread's slot, made if need be.
pub fn slot() -> &'static RefCell<Current> {
    SLOT.with(|cell| match cell.get() {
        Some(slot) => slot,
        None => {
            let slot: &'static RefCell<Current> = Box::leak(Box::new(RefCell::new(Current {
                config: None,
                active: false,
                request_id: String::new(),
                invocation_id: String::new(),
            })));
            cell.set(Some(slot));
            slot
        }
    })
}

/// `ctx`'s invocation into `slot`.
#[cfg(feature = "log")]
fn fill(slot: &mut Current, ctx: &Context) {
    slot.config = Some(ctx.config);
    slot.request_id.clear();
    slot.request_id.push_str(&ctx.request_id);
    slot.invocation_id.clear();
    slot.invocation_id.push_str(ctx.invocation_id.as_deref().unwrap_or_default());
}

/// `ctx`'s invocation is now in flight on this thread (from the moment `/next` delivered it).
#[cfg(feature = "log")]
pub fn begin(ctx: &Context) {
    fill(&mut slot().borrow_mut(), ctx);
}

/// No invocation is in flight on this thread any more (the loop waits for the next event).
#[cfg(feature = "log")]
pub fn end() {
    if let Some(cell) = get()
        && let Ok(mut slot) = cell.try_borrow_mut()
    {
        slot.request_id.clear();
        slot.invocation_id.clear();
    }
}
