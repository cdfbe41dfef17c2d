//! The deployment zip of `package`, the same bytes on every clean build, and its digests.
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
//! - CRC-32 is `crc32fast`, SHA-256 `sha2`, base64 `base64`: well-kept crates for exactly
//!   specified work that is not ours.
//! - The tests hand the archive to two independent readers, Python's `zipfile` (which checks
//!   the CRC and the sizes) and `unzip -t`, and compare what they read back.

/// Deflate level: miniz's best standard one (10, "uber", saves 25 bytes of 229 KB on `hello`).
const LEVEL: u8 = 9;

/// A DOS date and time, the only timestamp the archive records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DosTime {
    date: u16,
    time: u16,
}

/// 1980-01-01T00:00:00Z in Unix seconds: the earliest DOS time.
pub const DOS_EPOCH_SECONDS: i64 = 315_532_800;

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
    const AFTER_LAST: i64 = 4_354_819_200; // 2108-01-01T00:00:00Z
    let seconds = seconds.clamp(DOS_EPOCH_SECONDS, AFTER_LAST - 2);
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

/// CRC-32 (IEEE 802.3), as zip records it.
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard base64 with padding: how Lambda reports `CodeSha256`.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
    fn digests_are_sha256() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
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

    /// Python's `zipfile` (CRC and sizes checked by `testzip`) and `unzip -t` read the archive
    /// back: the entry's name, bytes, mode and time are what was written.
    #[test]
    fn independent_readers_accept_the_zip() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let dir = std::env::temp_dir().join(format!("cargo-bootstrap-zip-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (zip_path, data_path) = (dir.join("bootstrap.zip"), dir.join("data"));
        std::fs::write(&zip_path, zip_one("bootstrap", &data, dos_time(1_700_000_000)).unwrap()).unwrap();
        std::fs::write(&data_path, &data).unwrap();
        let script = "import sys, zipfile\n\
            z = zipfile.ZipFile(sys.argv[1])\n\
            assert z.testzip() is None\n\
            [i] = z.infolist()\n\
            assert i.filename == 'bootstrap', i.filename\n\
            assert i.external_attr >> 16 == 0o100755, oct(i.external_attr)\n\
            assert i.date_time == (2023, 11, 14, 22, 13, 20), i.date_time\n\
            assert z.read('bootstrap') == open(sys.argv[2], 'rb').read()\n\
            print('ok')\n";
        let python = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&zip_path)
            .arg(&data_path)
            .output()
            .expect("python3 runs");
        assert_eq!(
            String::from_utf8_lossy(&python.stdout).trim(),
            "ok",
            "{}",
            String::from_utf8_lossy(&python.stderr)
        );
        let unzip =
            std::process::Command::new("unzip").arg("-t").arg(&zip_path).output().expect("unzip runs");
        assert!(unzip.status.success(), "{}", String::from_utf8_lossy(&unzip.stdout));
        assert!(String::from_utf8_lossy(&unzip.stdout).contains("testing: bootstrap"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
