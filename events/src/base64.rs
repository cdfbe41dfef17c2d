//! Standard base64 (RFC 4648, `+/` with `=` padding), as AWS writes it in `body`, `data` and `B`.
//!
//! Written here rather than taken from a crate: it is 80 lines, and a function that decodes one
//! SQS body should not pay for a general-purpose codec's engines and configuration.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a text is not base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base64Error {
    /// A byte outside the alphabet, or `=` anywhere but at the end.
    InvalidByte,
    /// The length (without padding) leaves a single dangling character.
    InvalidLength,
}

impl core::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Base64Error::InvalidByte => "invalid base64: a byte outside the alphabet",
            Base64Error::InvalidLength => "invalid base64: truncated input",
        })
    }
}

/// Encodes `bytes` with padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = [n >> 18, n >> 12, n >> 6, n];
        for (i, s) in sextets.iter().enumerate() {
            out.push(if i <= chunk.len() { ALPHABET[(*s & 63) as usize] } else { b'=' });
        }
    }
    // Every byte pushed is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

fn value(byte: u8) -> Option<u32> {
    Some(match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes `text`; padding is optional, whitespace is not allowed.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    let unpadded = match bytes {
        [rest @ .., b'=', b'='] | [rest @ .., b'='] => rest,
        all => all,
    };
    if unpadded.len() % 4 == 1 || (unpadded.len() != bytes.len() && !bytes.len().is_multiple_of(4)) {
        return Err(Base64Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(unpadded.len() / 4 * 3 + 2);
    for chunk in unpadded.chunks(4) {
        let mut n = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            n |= value(byte).ok_or(Base64Error::InvalidByte)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..produced]);
    }
    Ok(out)
}

/// Bytes that travel as base64 text: decoded when read, encoded when written (Kinesis and
/// Firehose `data`, DynamoDB `B`). Text that is not base64 fails the decode of the whole event.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Base64Data(pub Vec<u8>);

impl core::ops::Deref for Base64Data {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl miniserde::Deserialize for Base64Data {
    fn begin(out: &mut Option<Self>) -> &mut dyn miniserde::de::Visitor {
        miniserde::make_place!(Place);
        impl miniserde::de::Visitor for Place<Base64Data> {
            fn string(&mut self, s: &str) -> miniserde::Result<()> {
                self.out = Some(Base64Data(decode(s).map_err(|_| miniserde::Error)?));
                Ok(())
            }
        }
        Place::new(out)
    }
}

impl miniserde::Serialize for Base64Data {
    fn begin(&self) -> miniserde::ser::Fragment<'_> {
        miniserde::ser::Fragment::Str(encode(&self.0).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648, section 10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn the_rfc_4648_vectors_encode_and_decode() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
            assert_eq!(decode(encoded).as_deref(), Ok(plain.as_bytes()));
        }
    }

    #[test]
    fn every_byte_value_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        assert!(text.contains('+') && text.contains('/'));
        assert_eq!(decode(&text), Ok(all));
    }

    #[test]
    fn unpadded_input_decodes() {
        assert_eq!(decode("Zm8").as_deref(), Ok(&b"fo"[..]));
        assert_eq!(decode("SGVsbG8gV29ybGQ").as_deref(), Ok(&b"Hello World"[..]));
    }

    #[test]
    fn base64_data_decodes_in_json_and_encodes_back() {
        let data: Base64Data = miniserde::json::from_str(r#""SGVsbG8=""#).unwrap();
        assert_eq!(&data[..], b"Hello");
        assert_eq!(miniserde::json::to_string(&data), r#""SGVsbG8=""#);
        assert!(miniserde::json::from_str::<Base64Data>(r#""no!""#).is_err());
        assert!(miniserde::json::from_str::<Base64Data>("12").is_err());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(decode("Zm9v!"), Err(Base64Error::InvalidLength));
        assert_eq!(decode("Zm9*"), Err(Base64Error::InvalidByte));
        assert_eq!(decode("Z"), Err(Base64Error::InvalidLength));
        assert_eq!(decode("Zm=v"), Err(Base64Error::InvalidByte));
        assert_eq!(decode("Zm9=="), Err(Base64Error::InvalidLength));
        assert_eq!(decode("é"), Err(Base64Error::InvalidByte));
        assert_eq!(decode("Zg= "), Err(Base64Error::InvalidByte));
    }
}
