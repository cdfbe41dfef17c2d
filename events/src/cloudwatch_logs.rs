//! Amazon CloudWatch Logs subscriptions: `{"awslogs":{"data":"…"}}`, where `data` is a gzip
//! member in base64 holding a [`LogsData`] document. With the `gzip` feature,
//! [`AwsLogs::decode`] undoes both layers (miniz_oxide inflates; the gzip framing and its
//! CRC-32 are read here); without it, decode the text yourself and read it with
//! [`crate::decode`].

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

/// The event as Lambda delivers it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CloudWatchLogsEvent {
    /// The compressed payload.
    pub awslogs: AwsLogs,
}

/// The compressed payload.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AwsLogs {
    /// base64 of a gzip member of JSON.
    pub data: String,
}

/// The decompressed payload.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct LogsData {
    /// `DATA_MESSAGE`, or `CONTROL_MESSAGE` when CloudWatch checks the destination.
    #[serde(rename = "messageType")]
    pub message_type: String,
    /// The account that owns the log group.
    pub owner: String,
    /// The log group.
    #[serde(rename = "logGroup")]
    pub log_group: String,
    /// The log stream.
    #[serde(rename = "logStream")]
    pub log_stream: String,
    /// The subscription filters that matched.
    #[serde(rename = "subscriptionFilters")]
    pub subscription_filters: Vec<String>,
    /// The log events.
    #[serde(rename = "logEvents")]
    pub log_events: Vec<LogEvent>,
    /// `ACCOUNT_LEVEL_POLICY` for account-level subscriptions.
    #[serde(rename = "policyLevel")]
    pub policy_level: Option<String>,
}

/// One log event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct LogEvent {
    /// Its id.
    pub id: String,
    /// When it was logged, in milliseconds since the epoch.
    pub timestamp: u64,
    /// The line.
    pub message: String,
}

/// Why `awslogs.data` could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogsError {
    /// `data` is not base64.
    Base64,
    /// Not a gzip member, or its deflate stream is corrupt.
    Gzip,
    /// The CRC-32 or length in the gzip trailer does not match.
    Checksum,
    /// Inflated to more than [`MAX_INFLATED`] bytes.
    TooLarge,
    /// The inflated text is not a `LogsData` document.
    Json,
}

impl core::fmt::Display for LogsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            LogsError::Base64 => "awslogs.data is not base64",
            LogsError::Gzip => "awslogs.data is not a gzip member",
            LogsError::Checksum => "awslogs.data fails its gzip checksum",
            LogsError::TooLarge => "awslogs.data inflates past the limit",
            LogsError::Json => "awslogs.data does not hold a CloudWatch Logs document",
        })
    }
}

/// The most bytes [`AwsLogs::decode`] inflates to (a 6 MB event could otherwise inflate to
/// gigabytes).
pub const MAX_INFLATED: usize = 64 << 20;

#[cfg(feature = "gzip")]
impl AwsLogs {
    /// Decodes base64, inflates the gzip member, and reads the document.
    pub fn decode(&self) -> Result<LogsData, LogsError> {
        let compressed = crate::base64::decode(&self.data).map_err(|_| LogsError::Base64)?;
        let text = gunzip(&compressed)?;
        let text = core::str::from_utf8(&text).map_err(|_| LogsError::Json)?;
        miniserde::json::from_str(text).map_err(|_| LogsError::Json)
    }
}

/// Inflates one gzip member (RFC 1952) and checks its trailer.
#[cfg(feature = "gzip")]
pub fn gunzip(member: &[u8]) -> Result<Vec<u8>, LogsError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let [0x1f, 0x8b, 8, flags, _, _, _, _, _, _, rest @ ..] = member else {
        return Err(LogsError::Gzip);
    };
    let mut rest = rest;
    if flags & FEXTRA != 0 {
        let [a, b, tail @ ..] = rest else { return Err(LogsError::Gzip) };
        let len = usize::from(u16::from_le_bytes([*a, *b]));
        rest = tail.get(len..).ok_or(LogsError::Gzip)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = rest.iter().position(|&b| b == 0).ok_or(LogsError::Gzip)?;
            rest = &rest[end + 1..];
        }
    }
    if flags & FHCRC != 0 {
        rest = rest.get(2..).ok_or(LogsError::Gzip)?;
    }
    let trailer_at = rest.len().checked_sub(8).ok_or(LogsError::Gzip)?;
    let (deflate, trailer) = rest.split_at(trailer_at);
    let inflated =
        miniz_oxide::inflate::decompress_to_vec_with_limit(deflate, MAX_INFLATED).map_err(|e| {
            match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LogsError::TooLarge,
                _ => LogsError::Gzip,
            }
        })?;
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    if crc32(&inflated) != crc || inflated.len() as u32 != size {
        return Err(LogsError::Checksum);
    }
    Ok(inflated)
}

/// CRC-32 (IEEE), bit by bit: a log batch is small, and a table would be 1 KiB more.
#[cfg(feature = "gzip")]
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(all(test, feature = "gzip"))]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn broken_members_are_errors() {
        assert_eq!(gunzip(b""), Err(LogsError::Gzip));
        assert_eq!(gunzip(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), Err(LogsError::Gzip));
        // "hi" stored in a gzip member, then the same with its CRC flipped.
        let good =
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\xc8\x04\x00\xac\x2a\x93\xd8\x02\x00\x00\x00";
        assert_eq!(gunzip(good).as_deref(), Ok(&b"hi"[..]));
        let mut bad = good.to_vec();
        bad[14] ^= 1;
        assert_eq!(gunzip(&bad), Err(LogsError::Checksum));
        let logs = AwsLogs { data: "not base64!".into() };
        assert_eq!(logs.decode(), Err(LogsError::Base64));
    }
}
