//! The deployment zip of `cargo xtask package`, the same bytes on every clean build.
//!
//! The zip has one entry, `bootstrap`: made by Unix, external attributes `0o100755 << 16`,
//! deflated, no extra fields, no data descriptor, and the DOS time of `SOURCE_DATE_EPOCH` (UTC)
//! or else 1980-01-01 00:00:00, the DOS epoch. Nothing else (clock, owner, file system order)
//! reaches the archive, so it is a pure function of the binary's bytes.
//!
//! Choices:
//! - The zip writer is written here, not the `zip` crate: one entry needs three fixed-layout
//!   records (~50 lines), and every byte of them is visible in this file, so determinism is
//!   by construction rather than by auditing another crate's defaults (extended-timestamp extra
//!   fields, data descriptors, clock reads) across its versions.
//! - Deflate is `miniz_oxide`: pure Rust, one small dependency (`adler2`), no C; its output
//!   depends only on input, level and version, and `Cargo.lock` pins the version.
//! - CRC-32 and SHA-256 are written here too (a dozen and ~40 lines): both are exactly
//!   specified, the tests check them against published vectors and independent readers
//!   (Python's `zipfile` verifies the CRC, `hashlib` the digest), and `sha2` would bring eight
//!   or so crates (`digest`, `generic-array`, `typenum`, …) into xtask for one hash of a
//!   quarter megabyte.

/// Deflate level: miniz's best standard one (10, "uber", saves 25 bytes of 229 KB on `hello`).
const LEVEL: u8 = 9;

/// A DOS date and time, the only timestamp the archive records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DosTime {
    date: u16,
    time: u16,
}

/// 1980-01-01 00:00:00, the earliest DOS time.
pub const DOS_EPOCH: DosTime = DosTime { date: (1 << 5) | 1, time: 0 };

/// `SOURCE_DATE_EPOCH` as a DOS time, or the DOS epoch when it is unset or empty.
pub fn source_date_epoch() -> Result<DosTime, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) if !value.trim().is_empty() => match value.trim().parse::<i64>() {
            Ok(seconds) => Ok(dos_time(seconds)),
            Err(_) => Err(format!("SOURCE_DATE_EPOCH={value:?} is not a number of seconds")),
        },
        _ => Ok(DOS_EPOCH),
    }
}

/// Unix seconds (UTC) as a DOS time, clamped to what DOS can say (1980 to 2107, even seconds).
fn dos_time(seconds: i64) -> DosTime {
    const FIRST: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const AFTER_LAST: i64 = 4_354_819_200; // 2108-01-01T00:00:00Z
    let seconds = seconds.clamp(FIRST, AFTER_LAST - 2);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    // In range by the clamp: year - 1980 < 128, hour < 24, and so on.
    let date = ((year - 1980) << 9) | (month << 5) | day;
    let time = (hour << 11) | (minute << 5) | (second / 2);
    DosTime { date: date as u16, time: time as u16 }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version made by: upper byte 3 = Unix (so unzip honours the mode), lower = zip spec 2.0.
const MADE_BY_UNIX: u16 = (3 << 8) | 20;
/// A regular file, rwxr-xr-x, in the upper half of the external attributes.
const UNIX_EXECUTABLE: u32 = 0o100_755 << 16;

/// A zip archive holding `data` as its only entry `name`: deflated (stored if that is
/// smaller), no extra fields, no comment, no zip64 (Lambda's limit is far below 4 GiB).
pub fn zip_one(name: &str, data: &[u8], when: DosTime) -> Result<Vec<u8>, String> {
    let too_big = |_| "larger than 4 GiB: not a Lambda package".to_string();
    let name_len = u16::try_from(name.len()).map_err(|_| "entry name too long".to_string())?;
    let deflated = miniz_oxide::deflate::compress_to_vec(data, LEVEL);
    let (method, body) = if deflated.len() < data.len() { (8, deflated.as_slice()) } else { (0, data) };
    let entry = Entry {
        method,
        when,
        crc: crc32(data),
        compressed: u32::try_from(body.len()).map_err(too_big)?,
        size: u32::try_from(data.len()).map_err(too_big)?,
        name: name.as_bytes(),
        name_len,
    };
    let mut zip = Vec::with_capacity(body.len() + 2 * name.len() + 128);
    put32(&mut zip, LOCAL_HEADER);
    entry.common_fields(&mut zip);
    zip.extend_from_slice(entry.name);
    zip.extend_from_slice(body);
    let directory_at = u32::try_from(zip.len()).map_err(too_big)?;
    entry.central_header(&mut zip, 0);
    let directory_size = u32::try_from(zip.len()).map_err(too_big)? - directory_at;
    end_of_central_directory(&mut zip, directory_size, directory_at);
    Ok(zip)
}

struct Entry<'a> {
    method: u16,
    when: DosTime,
    crc: u32,
    compressed: u32,
    size: u32,
    name: &'a [u8],
    name_len: u16,
}

impl Entry<'_> {
    /// The 26 bytes that the local and the central header share, version needed to name length.
    fn common_fields(&self, zip: &mut Vec<u8>) {
        put16(zip, if self.method == 8 { 20 } else { 10 });
        put16(zip, 0); // flags: sizes known up front, no data descriptor
        put16(zip, self.method);
        put16(zip, self.when.time);
        put16(zip, self.when.date);
        put32(zip, self.crc);
        put32(zip, self.compressed);
        put32(zip, self.size);
        put16(zip, self.name_len);
        put16(zip, 0); // extra field length
    }

    fn central_header(&self, zip: &mut Vec<u8>, local_header_at: u32) {
        put32(zip, CENTRAL_HEADER);
        put16(zip, MADE_BY_UNIX);
        self.common_fields(zip);
        put16(zip, 0); // comment length
        put16(zip, 0); // disk number
        put16(zip, 0); // internal attributes
        put32(zip, UNIX_EXECUTABLE);
        put32(zip, local_header_at);
        zip.extend_from_slice(self.name);
    }
}

fn end_of_central_directory(zip: &mut Vec<u8>, directory_size: u32, directory_at: u32) {
    put32(zip, END_OF_CENTRAL_DIRECTORY);
    put16(zip, 0); // this disk
    put16(zip, 0); // disk where the directory starts
    put16(zip, 1); // entries on this disk
    put16(zip, 1); // entries in all
    put32(zip, directory_size);
    put32(zip, directory_at);
    put16(zip, 0); // comment length
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip records it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4) and its spellings

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut state: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let full = data.len() - data.len() % 64;
    let mut tail = data[full..].to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&(data.len() as u64).wrapping_mul(8).to_be_bytes());
    for block in data[..full].chunks_exact(64).chain(tail.chunks_exact(64)) {
        compress(&mut state, block);
    }
    let mut digest = [0; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One 64-byte block into the state.
fn compress(state: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 64];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    for (k, w) in K.iter().zip(w) {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let choice = (e & f) ^ (!e & g);
        let t1 = h.wrapping_add(s1).wrapping_add(choice).wrapping_add(*k).wrapping_add(w);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let majority = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(majority);
        (h, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
    }
    for (word, add) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word = word.wrapping_add(add);
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding: how Lambda reports `CodeSha256`.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            let sextet = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(if i <= chunk.len() { char::from(ALPHABET[sextet]) } else { '=' });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn sha256_matches_fips_180_vectors() {
        let cases: [(&[u8], &str); 3] = [
            (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (input, digest) in cases {
            assert_eq!(hex(&sha256(input)), digest);
        }
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(&sha256(&million)),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
    }

    #[test]
    fn sha256_pads_every_tail_length() {
        // SHA-256 of the concatenated digests of bytes `0, 1, 2, …` of every length 0..=200,
        // from Python's hashlib: covers the 55/56/64-byte padding edges and multi-block inputs.
        let mut digests = Vec::new();
        for len in 0..=200usize {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            digests.extend_from_slice(&sha256(&data));
        }
        assert_eq!(
            hex(&sha256(&digests)),
            "64ef7c229fce2408b5336b6a542fea0e078c3a87d2da85cb3fc52e2008b65021"
        );
    }

    #[test]
    fn base64_matches_rfc_4648() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (input, encoded) in cases {
            assert_eq!(base64(input.as_bytes()), encoded);
        }
    }

    #[test]
    fn dos_times() {
        assert_eq!(dos_time(0), DOS_EPOCH);
        assert_eq!(dos_time(i64::MIN), DOS_EPOCH);
        assert_eq!(dos_time(315_532_800), DOS_EPOCH);
        // 2023-11-14 22:13:20 UTC.
        let t = dos_time(1_700_000_000);
        assert_eq!((t.date >> 9, t.date >> 5 & 15, t.date & 31), (43, 11, 14));
        assert_eq!((t.time >> 11, t.time >> 5 & 63, (t.time & 31) * 2), (22, 13, 20));
        // 2000-02-29 23:59:59 UTC: a leap day, odd seconds round down.
        let t = dos_time(951_868_799);
        assert_eq!((t.date >> 9, t.date >> 5 & 15, t.date & 31), (20, 2, 29));
        assert_eq!((t.time >> 11, t.time >> 5 & 63, (t.time & 31) * 2), (23, 59, 58));
        // Beyond 2107: the last DOS second.
        let t = dos_time(i64::MAX);
        assert_eq!((t.date >> 9, t.date >> 5 & 15, t.date & 31), (127, 12, 31));
        assert_eq!((t.time >> 11, t.time >> 5 & 63, (t.time & 31) * 2), (23, 59, 58));
    }

    fn le16(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn le32(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn zip_layout_round_trips() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8 ^ (i / 700) as u8).collect();
        let zip = zip_one("bootstrap", &data, DOS_EPOCH).unwrap();
        assert_eq!(zip, zip_one("bootstrap", &data, DOS_EPOCH).unwrap(), "deterministic");
        // Local header.
        assert_eq!(le32(&zip, 0), LOCAL_HEADER);
        assert_eq!((le16(&zip, 8), le16(&zip, 10), le16(&zip, 12)), (8, 0, 0x21));
        assert_eq!(le32(&zip, 14), crc32(&data));
        let compressed = le32(&zip, 18) as usize;
        assert_eq!(le32(&zip, 22) as usize, data.len());
        assert_eq!((le16(&zip, 26), le16(&zip, 28)), (9, 0));
        assert_eq!(&zip[30..39], b"bootstrap");
        let body = &zip[39..39 + compressed];
        assert_eq!(miniz_oxide::inflate::decompress_to_vec(body).unwrap(), data);
        // Central directory and its end record.
        let end = zip.len() - 22;
        assert_eq!(le32(&zip, end), END_OF_CENTRAL_DIRECTORY);
        assert_eq!((le16(&zip, end + 8), le16(&zip, end + 10)), (1, 1));
        let directory = le32(&zip, end + 16) as usize;
        assert_eq!(directory, 39 + compressed);
        assert_eq!(le32(&zip, end + 12) as usize, end - directory);
        assert_eq!(le32(&zip, directory), CENTRAL_HEADER);
        assert_eq!(le16(&zip, directory + 4), 0x0314);
        assert_eq!(zip[directory + 6..directory + 32], zip[4..30], "same fields as the local header");
        assert_eq!(le32(&zip, directory + 38), 0o100_755 << 16);
        assert_eq!(le32(&zip, directory + 42), 0);
        assert_eq!(&zip[directory + 46..end], b"bootstrap");
    }

    #[test]
    fn zip_stores_what_does_not_deflate() {
        let zip = zip_one("bootstrap", b"", DOS_EPOCH).unwrap();
        assert_eq!((le16(&zip, 4), le16(&zip, 8), le32(&zip, 18), le32(&zip, 22)), (10, 0, 0, 0));
        assert_eq!(zip.len(), 30 + 9 + 46 + 9 + 22);
    }
}
