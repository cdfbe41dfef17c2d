//! An external extension (feature `extension`): Lambda runs it beside the function from
//! `/opt/extensions/extension`. It registers for `INVOKE` and `SHUTDOWN`, counts the invocations,
//! and prints the count when the environment shuts down.
//!
//! `cargo xtask build --example extension` prints its path; `cargo xtask invoke --example hello
//! --extension <that path>` runs it beside a function. The tests set `EXTENSION_INIT_FAILS` or
//! `EXTENSION_EXIT_FAILS` to see its init and exit errors reported.

use lambda_bootstrap::Error;
use lambda_bootstrap::extension::{Event, EventType, Extension};

fn main() {
    let ext = Extension::register(&[EventType::Invoke, EventType::Shutdown]).unwrap_or_else(|e| e.exit());
    if std::env::var_os("EXTENSION_INIT_FAILS").is_some() {
        ext.init_error(&Error::new("Extension.ConfigInvalid", "EXTENSION_INIT_FAILS is set"));
    }
    serve(ext)
}

fn serve(mut ext: Extension) {
    let mut invokes = 0u64;
    loop {
        match ext.next_event() {
            Ok(Event::Invoke(_)) => invokes += 1,
            Ok(Event::Shutdown(shutdown)) => {
                println!("extension: {invokes} invocations, shutdown ({})", shutdown.reason);
                if std::env::var_os("EXTENSION_EXIT_FAILS").is_some() {
                    ext.exit_error(&Error::new("Extension.FlushFailed", "EXTENSION_EXIT_FAILS is set"));
                }
                return;
            }
            Ok(_) => {}
            Err(e) => e.exit(),
        }
    }
}
