//! Bytes in, the same bytes out. Works with every feature off but `std`.
//!
//! The handler takes the event's buffer and hands it back: no copy, so a 1 MiB event costs
//! 1 MiB of memory, not 2. Started through [`lambda_bootstrap::main!`], which skips std's runtime
//! set-up (see its documentation); `echo_fn_main.rs` is the same function under a plain
//! `fn main`.
#![cfg_attr(not(test), no_main)]

use lambda_bootstrap::{Context, Error};

lambda_bootstrap::main!(|event: &mut Vec<u8>, _: &Context| -> Result<Vec<u8>, Error> {
    Ok(std::mem::take(event))
});
