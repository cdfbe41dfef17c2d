//! The chunked decoder on arbitrary bytes, against a reference decoder written independently
//! (`reference_chunked`): both accept the same inputs, with the same body and the same number
//! of bytes taken. The outcome (error text included) does not depend on how the bytes are cut
//! into reads.
//!
//! Input: piece sizes (see `take_pieces`), then what follows an answer head.
#![no_main]

use lambda_bootstrap::fuzzing::decode_chunked;
use lambda_bootstrap_fuzz::{reference_chunked, take_pieces};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (pieces, input) = take_pieces(data);
    let whole = decode_chunked(input, &[]);
    let cut = decode_chunked(input, pieces);
    assert_eq!(whole, cut, "the outcome depends on the reads");
    match (whole, reference_chunked(input)) {
        (Ok(ours), Some(reference)) => assert_eq!(ours, reference),
        (Err(_), None) => {}
        (ours, reference) => panic!("client {ours:?}, reference {reference:?}"),
    }
});
