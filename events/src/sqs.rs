//! Amazon SQS: the event a queue's event source mapping sends, and the partial batch response.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

use crate::StringNumber;

pub use crate::batch::{BatchItemFailure, BatchResponse as SqsBatchResponse};

/// A batch of messages (`{"Records":[…]}`), up to 10,000 with a batching window.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SqsEvent {
    /// The messages.
    #[serde(rename = "Records")]
    pub records: Vec<SqsMessage>,
}

/// One message.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SqsMessage {
    /// The message id: what [`SqsBatchResponse::fail`] takes.
    #[serde(rename = "messageId")]
    pub message_id: String,
    /// The receipt handle (to delete or change the visibility of the message yourself).
    #[serde(rename = "receiptHandle")]
    pub receipt_handle: Option<String>,
    /// The body, as sent.
    pub body: String,
    /// System attributes (receive count, timestamps, FIFO group and deduplication ids).
    pub attributes: Option<SqsAttributes>,
    /// The sender's message attributes, by name.
    #[serde(rename = "messageAttributes")]
    pub message_attributes: Option<BTreeMap<String, SqsMessageAttribute>>,
    /// MD5 of the body.
    #[serde(rename = "md5OfBody")]
    pub md5_of_body: Option<String>,
    /// MD5 of the message attributes, when there are any.
    #[serde(rename = "md5OfMessageAttributes")]
    pub md5_of_message_attributes: Option<String>,
    /// `aws:sqs`.
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
    /// The queue's ARN.
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
    /// The queue's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
}

/// The system attributes of a message; numbers arrive as strings and are read as numbers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SqsAttributes {
    /// How many times the message was received (1 on the first delivery).
    #[serde(rename = "ApproximateReceiveCount")]
    pub approximate_receive_count: Option<StringNumber>,
    /// When the message was sent, in milliseconds since the epoch.
    #[serde(rename = "SentTimestamp")]
    pub sent_timestamp: Option<StringNumber>,
    /// Who sent it (an account or role id).
    #[serde(rename = "SenderId")]
    pub sender_id: Option<String>,
    /// When it was first received, in milliseconds since the epoch.
    #[serde(rename = "ApproximateFirstReceiveTimestamp")]
    pub approximate_first_receive_timestamp: Option<StringNumber>,
    /// FIFO queues: the sequence number.
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: Option<String>,
    /// FIFO queues: the message group.
    #[serde(rename = "MessageGroupId")]
    pub message_group_id: Option<String>,
    /// FIFO queues: the deduplication id.
    #[serde(rename = "MessageDeduplicationId")]
    pub message_deduplication_id: Option<String>,
    /// The X-Ray trace header, when tracing is on.
    #[serde(rename = "AWSTraceHeader")]
    pub aws_trace_header: Option<String>,
}

/// A message attribute set by the sender.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SqsMessageAttribute {
    /// `String`, `Number` or `Binary`, optionally with a custom suffix (`Number.float`).
    #[serde(rename = "dataType")]
    pub data_type: String,
    /// The value of a `String` or `Number` attribute.
    #[serde(rename = "stringValue")]
    pub string_value: Option<String>,
    /// The base64 value of a `Binary` attribute.
    #[serde(rename = "binaryValue")]
    pub binary_value: Option<String>,
    /// Reserved by SQS (always empty today).
    #[serde(rename = "stringListValues")]
    pub string_list_values: Option<Vec<String>>,
    /// Reserved by SQS (always empty today).
    #[serde(rename = "binaryListValues")]
    pub binary_list_values: Option<Vec<String>>,
}
