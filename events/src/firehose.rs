//! Amazon Data Firehose (Kinesis Firehose) data transformation: the records to transform and
//! the response that gives each one back with its result.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::de::Visitor;
use miniserde::ser::Fragment;
use miniserde::{Deserialize, Serialize};

use crate::base64::Base64Data;
use crate::object::Object;

/// A batch to transform.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct FirehoseEvent {
    /// This invocation's id.
    #[serde(rename = "invocationId")]
    pub invocation_id: String,
    /// The delivery stream's ARN.
    #[serde(rename = "deliveryStreamArn")]
    pub delivery_stream_arn: String,
    /// The Kinesis stream the delivery stream reads, if any.
    #[serde(rename = "sourceKinesisStreamArn")]
    pub source_kinesis_stream_arn: Option<String>,
    /// The delivery stream's region.
    pub region: Option<String>,
    /// The records.
    pub records: Vec<FirehoseEventRecord>,
}

/// One record to transform.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct FirehoseEventRecord {
    /// Its id: the response must give every id back.
    #[serde(rename = "recordId")]
    pub record_id: String,
    /// When Firehose received it, in milliseconds since the epoch.
    #[serde(rename = "approximateArrivalTimestamp")]
    pub approximate_arrival_timestamp: Option<u64>,
    /// The payload, decoded.
    pub data: Base64Data,
    /// Set when the source is a Kinesis stream.
    #[serde(rename = "kinesisRecordMetadata")]
    pub kinesis_record_metadata: Option<KinesisRecordMetadata>,
}

/// Where a record came from in its Kinesis stream.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct KinesisRecordMetadata {
    /// The shard.
    #[serde(rename = "shardId")]
    pub shard_id: String,
    /// The partition key.
    #[serde(rename = "partitionKey")]
    pub partition_key: String,
    /// When the stream received it, in milliseconds since the epoch.
    #[serde(rename = "approximateArrivalTimestamp")]
    pub approximate_arrival_timestamp: u64,
    /// The sequence number.
    #[serde(rename = "sequenceNumber")]
    pub sequence_number: String,
    /// The subsequence number (aggregated records).
    #[serde(rename = "subsequenceNumber")]
    pub subsequence_number: Option<u64>,
}

/// The transformed records, one per record received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FirehoseResponse {
    /// The records.
    pub records: Vec<FirehoseResponseRecord>,
}

/// One transformed record.
#[derive(Clone, Debug, PartialEq)]
pub struct FirehoseResponseRecord {
    /// The id of the record received.
    pub record_id: String,
    /// What became of it.
    pub result: TransformResult,
    /// The transformed payload (encoded to base64 when written).
    pub data: Vec<u8>,
    /// Dynamic partitioning keys; the `metadata` field is left out when `None`.
    pub partition_keys: Option<BTreeMap<String, String>>,
}

impl FirehoseResponseRecord {
    /// The record `id` transformed into `data`.
    pub fn ok(id: &str, data: Vec<u8>) -> Self {
        FirehoseResponseRecord {
            record_id: id.into(),
            result: TransformResult::Ok,
            data,
            partition_keys: None,
        }
    }

    /// The record `id` dropped on purpose.
    pub fn dropped(id: &str) -> Self {
        FirehoseResponseRecord {
            record_id: id.into(),
            result: TransformResult::Dropped,
            data: Vec::new(),
            partition_keys: None,
        }
    }

    /// The record `id` failed; Firehose writes `data` (the original) to the error output.
    pub fn failed(id: &str, data: Vec<u8>) -> Self {
        FirehoseResponseRecord {
            record_id: id.into(),
            result: TransformResult::ProcessingFailed,
            data,
            partition_keys: None,
        }
    }
}

/// A record's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransformResult {
    /// `Ok`: transformed.
    Ok,
    /// `Dropped`: left out on purpose.
    Dropped,
    /// `ProcessingFailed`: could not be transformed.
    ProcessingFailed,
}

impl TransformResult {
    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformResult::Ok => "Ok",
            TransformResult::Dropped => "Dropped",
            TransformResult::ProcessingFailed => "ProcessingFailed",
        }
    }
}

impl Serialize for TransformResult {
    fn begin(&self) -> Fragment<'_> {
        Fragment::Str(self.as_str().into())
    }
}

impl Deserialize for TransformResult {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        miniserde::make_place!(Place);
        impl Visitor for Place<TransformResult> {
            fn string(&mut self, s: &str) -> miniserde::Result<()> {
                self.out = Some(match s {
                    "Ok" => TransformResult::Ok,
                    "Dropped" => TransformResult::Dropped,
                    "ProcessingFailed" => TransformResult::ProcessingFailed,
                    _ => return Err(miniserde::Error),
                });
                Ok(())
            }
        }
        Place::new(out)
    }
}

impl Serialize for FirehoseResponse {
    fn begin(&self) -> Fragment<'_> {
        Object::new().field("records", &self.records).fragment()
    }
}

/// `{"partitionKeys":{…}}`.
struct Metadata<'a>(&'a BTreeMap<String, String>);

impl Serialize for Metadata<'_> {
    fn begin(&self) -> Fragment<'_> {
        Object::new().field("partitionKeys", self.0).fragment()
    }
}

impl Serialize for FirehoseResponseRecord {
    fn begin(&self) -> Fragment<'_> {
        let object = Object::new()
            .field("recordId", &self.record_id)
            .field("result", &self.result)
            .owned("data", crate::base64::encode(&self.data));
        match &self.partition_keys {
            Some(keys) => object.owned("metadata", Metadata(keys)),
            None => object,
        }
        .fragment()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use miniserde::json;

    #[test]
    fn a_response_leaves_absent_metadata_out() {
        let mut keys = BTreeMap::new();
        keys.insert("customer".into(), "42".into());
        let mut partitioned = FirehoseResponseRecord::ok("b", b"x".to_vec());
        partitioned.partition_keys = Some(keys);
        let response = FirehoseResponse {
            records: vec![
                FirehoseResponseRecord::ok("a", b"Hello".to_vec()),
                partitioned,
                FirehoseResponseRecord::dropped("c"),
            ],
        };
        assert_eq!(
            json::to_string(&response),
            r#"{"records":[{"recordId":"a","result":"Ok","data":"SGVsbG8="},{"recordId":"b","result":"Ok","data":"eA==","metadata":{"partitionKeys":{"customer":"42"}}},{"recordId":"c","result":"Dropped","data":""}]}"#
        );
    }

    #[test]
    fn results_read_by_name() {
        assert_eq!(
            json::from_str::<TransformResult>(r#""ProcessingFailed""#).unwrap(),
            TransformResult::ProcessingFailed
        );
        assert!(json::from_str::<TransformResult>(r#""ok""#).is_err());
    }
}
