//! `tracing` events in Lambda's format (feature `tracing`): a minimal subscriber on
//! `tracing-core` that renders each event as the `log` logger renders a record (see
//! [`logger`](crate::logger)), installed with it. Spans are ignored: they get one id, and their
//! fields are not shown. An event's `message` is the line's message; its other fields follow it
//! as ` name=value`, in the order written.

use alloc::vec::Vec;
use core::fmt;

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Dispatch, Event, Interest, LevelFilter, Metadata, Subscriber};

use crate::logger::{Escaper, push_escaped, render};
use crate::sys::{self, Level};

/// Sets the subscriber as the global default, with `level` as the lowest level written and
/// `json` the format; does nothing if a global subscriber is set already.
pub(crate) fn install(json: bool, level: Level) {
    let _ = tracing_core::dispatcher::set_global_default(Dispatch::new(Lambda { json, level }));
}

/// The subscriber: the settings it was installed with.
struct Lambda {
    json: bool,
    level: Level,
}

fn level_of(level: tracing_core::Level) -> Level {
    match level {
        tracing_core::Level::ERROR => Level::Error,
        tracing_core::Level::WARN => Level::Warn,
        tracing_core::Level::INFO => Level::Info,
        tracing_core::Level::DEBUG => Level::Debug,
        _ => Level::Trace,
    }
}

impl Subscriber for Lambda {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) { Interest::always() } else { Interest::never() }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && level_of(*metadata.level()) >= self.level
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(match self.level {
            Level::Trace => LevelFilter::TRACE,
            Level::Debug => LevelFilter::DEBUG,
            Level::Info => LevelFilter::INFO,
            Level::Warn => LevelFilter::WARN,
            Level::Error => LevelFilter::ERROR,
            Level::Fatal => LevelFilter::OFF,
        })
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let level = level_of(*metadata.level());
        if level < self.level {
            return;
        }
        let json = self.json;
        let mut line = Vec::with_capacity(256);
        render(&mut line, json, level, metadata.target(), &mut |out| {
            event.record(&mut Fields { out: &mut *out, json, message: true });
            event.record(&mut Fields { out, json, message: false });
        });
        sys::write_stderr(&line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Writes an event's fields, escaped: only `message` (`message: true`) or only the others, as
/// ` name=value`.
struct Fields<'a> {
    out: &'a mut Vec<u8>,
    json: bool,
    message: bool,
}

impl Fields<'_> {
    /// Whether to write `field`; writes what comes before its value.
    fn start(&mut self, field: &Field) -> bool {
        let is_message = field.name() == "message";
        if is_message != self.message {
            return false;
        }
        if !is_message {
            self.out.push(b' ');
            push_escaped(self.out, field.name().as_bytes(), self.json);
            self.out.push(b'=');
        }
        true
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.start(field) {
            push_escaped(self.out, value.as_bytes(), self.json);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field) {
            let _ = fmt::write(&mut Escaper { out: self.out, json: self.json }, format_args!("{value:?}"));
        }
    }
}
