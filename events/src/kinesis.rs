//! Amazon Kinesis Data Streams: a batch of records (`data` decoded from base64) and the partial
//! batch response.

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

use crate::base64::Base64Data;

pub use crate::batch::{BatchItemFailure, BatchResponse as KinesisEventResponse};

/// `{"Records":[…]}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct KinesisEvent {
    /// The records.
    #[serde(rename = "Records")]
    pub records: Vec<KinesisEventRecord>,
}

/// One record with its delivery metadata.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct KinesisEventRecord {
    /// The record.
    pub kinesis: KinesisRecord,
    /// `aws:kinesis`.
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
    /// `1.0`.
    #[serde(rename = "eventVersion")]
    pub event_version: Option<String>,
    /// `shardId-…:sequence number`.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// `aws:kinesis:record`.
    #[serde(rename = "eventName")]
    pub event_name: Option<String>,
    /// The role Lambda read the stream with.
    #[serde(rename = "invokeIdentityArn")]
    pub invoke_identity_arn: Option<String>,
    /// The stream's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
    /// The stream's ARN.
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
}

/// The record itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct KinesisRecord {
    /// `1.0`.
    #[serde(rename = "kinesisSchemaVersion")]
    pub kinesis_schema_version: Option<String>,
    /// The partition key.
    #[serde(rename = "partitionKey")]
    pub partition_key: String,
    /// The sequence number: what [`KinesisEventResponse::fail`] takes.
    #[serde(rename = "sequenceNumber")]
    pub sequence_number: String,
    /// The payload, decoded.
    pub data: Base64Data,
    /// When the stream received it, in seconds since the epoch (with a fraction).
    #[serde(rename = "approximateArrivalTimestamp")]
    pub approximate_arrival_timestamp: Option<f64>,
    /// `NONE` or `KMS`.
    #[serde(rename = "encryptionType")]
    pub encryption_type: Option<String>,
}
