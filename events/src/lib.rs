//! AWS Lambda event types over [miniserde], a Cargo feature per event source.
//!
//! Plain structs whose field names follow the wire (each renamed to Rust case), decoded with
//! `miniserde::json::from_str` or taken directly by a typed `lambda_bootstrap` handler. Where
//! miniserde cannot derive (an enum with data, a field AWS wants absent rather than `null`), the
//! impl is written by hand, so a response this crate writes never holds `null` where AWS expects
//! no field at all.
//!
//! ```
//! use lambda_bootstrap_events::sqs::{SqsBatchResponse, SqsEvent};
//! use miniserde::json;
//!
//! let event: SqsEvent = json::from_str(r#"{"Records":[{"messageId":"m1","body":"hi"}]}"#).unwrap();
//! let mut response = SqsBatchResponse::default();
//! for record in &event.records {
//!     if record.body != "hello" {
//!         response.fail(&record.message_id);
//!     }
//! }
//! assert_eq!(json::to_string(&response), r#"{"batchItemFailures":[{"itemIdentifier":"m1"}]}"#);
//! ```
//!
//! Map-valued fields are `BTreeMap`s: miniserde offers `HashMap` only with its `std` feature, and a
//! `BTreeMap` re-encodes in a stable order. The crate is `#![no_std]` (with `alloc`).
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod base64;
#[cfg(feature = "sqs")]
mod fields;
mod json;
#[cfg(any(feature = "http", feature = "dynamodb", feature = "firehose"))]
mod object;

pub use json::{DecodeError, RawJson, StringNumber, decode};

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "sqs")]
pub mod sqs;

#[cfg(feature = "sns")]
pub mod sns;

#[cfg(feature = "s3")]
pub mod s3;

#[cfg(feature = "eventbridge")]
pub mod eventbridge;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;

#[cfg(feature = "kinesis")]
pub mod kinesis;

#[cfg(feature = "firehose")]
pub mod firehose;

#[cfg(feature = "cloudwatch-logs")]
pub mod cloudwatch_logs;

#[cfg(any(feature = "sqs", feature = "dynamodb", feature = "kinesis"))]
pub mod batch;

pub use miniserde;
