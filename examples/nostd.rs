//! Echo as a `#![no_std]`, `#![no_main]` bootstrap on stable Rust: the floor of what serving
//! Lambda costs. Build it with the crate's default features off:
//!
//! ```sh
//! cargo build --release --target x86_64-unknown-linux-musl --no-default-features --example nostd
//! ```
//!
//! With `std` on (the default), the crate links std and so must this program; it then only says
//! how to build it, so that `cargo build --examples` keeps working.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[cfg(not(feature = "std"))]
mod bootstrap {
    extern crate alloc;

    use alloc::vec::Vec;
    use lambda_bootstrap::{Context, Error, PageAlloc};

    #[global_allocator]
    static ALLOC: PageAlloc = PageAlloc::new();

    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        lambda_bootstrap::abort()
    }

    lambda_bootstrap::main!(|event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> {
        Ok(core::mem::take(event))
    });
}

#[cfg(feature = "std")]
fn main() {
    eprintln!("nostd: build with --no-default-features to get the #![no_std] bootstrap");
    std::process::exit(2);
}
