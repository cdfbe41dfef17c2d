//! Build facts for lambda-bootstrap: the User-Agent string and the target facts the code needs.
//!
//! - `LAMBDA_BOOTSTRAP_USER_AGENT`: `lambda-bootstrap/<version> (<arch>; <env>)`, sent on every
//!   Runtime API request; RAPID records it as the runtime release.
//! - `cfg(lb_msg_nosignal)`: the target's `send` knows `MSG_NOSIGNAL` (Linux, Android), so a write
//!   to a closed connection returns `EPIPE` instead of killing the process with `SIGPIPE`.
//!   Elsewhere the socket is marked `SO_NOSIGPIPE`.
//! - Examples built without `std` for Linux (the `nostd` bootstrap) link with
//!   `link/no-unwind-tables.ld`: a `#![no_std]` program on stable Rust is `panic = "abort"` with
//!   no unwinder, so nothing in it can read its unwind tables. (Cargo has no per-example link
//!   argument: `reference`, a std program, built the same way prints empty backtraces.)

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
    let std = env::var_os("CARGO_FEATURE_STD").is_some();
    if !std && os == "linux" {
        let dir = env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        println!("cargo:rustc-link-arg-examples=-T{dir}/link/no-unwind-tables.ld");
        println!("cargo:rerun-if-changed=link/no-unwind-tables.ld");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
