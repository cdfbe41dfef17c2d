//! Partial batch responses: the items of an SQS, Kinesis or DynamoDB Streams batch that failed,
//! so that Lambda retries only those (the event source mapping needs
//! `ReportBatchItemFailures` in its `FunctionResponseTypes`).

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

/// `{"batchItemFailures":[{"itemIdentifier":"…"}]}`: an empty list means the whole batch
/// succeeded.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchResponse {
    /// The items to retry.
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<BatchItemFailure>,
}

/// One failed item.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BatchItemFailure {
    /// SQS: the record's `messageId`; Kinesis and DynamoDB: its sequence number.
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

impl BatchResponse {
    /// Marks the item `id` as failed.
    pub fn fail(&mut self, id: &str) {
        self.batch_item_failures.push(BatchItemFailure { item_identifier: id.into() });
    }

    /// The identifiers marked as failed, in order.
    pub fn failed(&self) -> impl Iterator<Item = &str> {
        self.batch_item_failures.iter().map(|f| f.item_identifier.as_str())
    }
}
