//! Build facts for lambda-bootstrap: the User-Agent string and the target facts the code needs.
//!
//! - `LAMBDA_BOOTSTRAP_USER_AGENT`: `lambda-bootstrap/<version> (<arch>; <env>)`, sent on every
//!   Runtime API request; RAPID records it as the runtime release.
//! - `cfg(lb_msg_nosignal)`: the target's `send` knows `MSG_NOSIGNAL` (Linux, Android), so a write
//!   to a closed connection returns `EPIPE` instead of killing the process with `SIGPIPE`.
//!   Elsewhere the socket is marked `SO_NOSIGPIPE`.

use std::env;

fn main() {
    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let libc_name = if target_env.is_empty() { os.as_str() } else { target_env.as_str() };
    println!("cargo:rustc-env=LAMBDA_BOOTSTRAP_USER_AGENT=lambda-bootstrap/{version} ({arch}; {libc_name})");

    println!("cargo:rustc-check-cfg=cfg(lb_msg_nosignal)");
    if os == "linux" || os == "android" {
        println!("cargo:rustc-cfg=lb_msg_nosignal");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
