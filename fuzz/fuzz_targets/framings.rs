//! Valid answers generated from the input: a body (the input after 8 control bytes), framed with
//! `Content-Length` and chunked (random chunk sizes, extensions, leading zeros, bare LFs,
//! trailers, from a PRNG seeded by the control bytes), read in random pieces. Both framings must
//! decode to the body, keep the connection alive and take exactly their bytes; the chunked body
//! alone must decode to the concatenation of its chunks, as the reference decoder says.
#![no_main]

use lambda_bootstrap::fuzzing::{decode_chunked, read_answers};
use lambda_bootstrap_fuzz::{Rng, encode_chunked, reference_chunked};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (control, body) = data.split_at(data.len().min(8));
    let mut rng = Rng::new(control);
    let pieces: Vec<u8> = (0..rng.below(6)).map(|_| rng.next() as u8).collect();
    let chunked = encode_chunked(&mut rng, body);
    let mut with_length = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    with_length.extend_from_slice(body);
    let mut with_chunks = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    with_chunks.extend_from_slice(&chunked);

    let answers = read_answers(&[&with_length, &with_chunks, &with_length], &pieces, false);
    assert_eq!(answers.len(), 3);
    for answer in answers {
        let answer = answer.expect("a valid answer is read");
        assert_eq!((answer.status, answer.keep_alive, answer.unread), (200, true, 0));
        assert_eq!(answer.body, body);
    }
    let whole = Ok((body.to_vec(), chunked.len()));
    assert_eq!(decode_chunked(&chunked, &pieces), whole);
    assert_eq!(reference_chunked(&chunked), whole.ok());
});
