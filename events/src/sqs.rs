//! Amazon SQS: the event a queue's event source mapping sends, and the partial batch response.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::de::Visitor;
use miniserde::{Deserialize, Serialize};

use crate::StringNumber;
use crate::fields::{self, Fields, Required};

pub use crate::batch::{BatchItemFailure, BatchResponse as SqsBatchResponse};

/// A batch of messages (`{"Records":[…]}`), up to 10,000 with a batching window.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SqsEvent {
    /// The messages.
    #[serde(rename = "Records")]
    pub records: Vec<SqsMessage>,
}

/// One message.
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
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
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
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
#[derive(Serialize, Clone, Debug, Default, PartialEq)]
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

// Decoded by hand (see the `fields` module: the same inputs as the derive, in fewer bytes).

impl Deserialize for SqsMessage {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        fields::begin(out)
    }
}

impl Fields for SqsMessage {
    const REQUIRED: usize = 2;

    fn field<'a>(&'a mut self, key: &str, required: &'a mut Required) -> Option<&'a mut dyn Visitor> {
        let [message_id, body] = required;
        Some(match key {
            "messageId" => <String as Deserialize>::begin(message_id),
            "receiptHandle" => fields::string(&mut self.receipt_handle),
            "body" => <String as Deserialize>::begin(body),
            "attributes" => fields::object(&mut self.attributes),
            "messageAttributes" => fields::object(&mut self.message_attributes),
            "md5OfBody" => fields::string(&mut self.md5_of_body),
            "md5OfMessageAttributes" => fields::string(&mut self.md5_of_message_attributes),
            "eventSource" => fields::string(&mut self.event_source),
            "eventSourceARN" => fields::string(&mut self.event_source_arn),
            "awsRegion" => fields::string(&mut self.aws_region),
            _ => return None,
        })
    }

    fn set_required(&mut self, [message_id, body]: &mut Required) {
        self.message_id = message_id.take().unwrap_or_default();
        self.body = body.take().unwrap_or_default();
    }
}

impl Deserialize for SqsAttributes {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        fields::begin(out)
    }
}

impl Fields for SqsAttributes {
    const REQUIRED: usize = 0;

    fn field<'a>(&'a mut self, key: &str, _: &'a mut Required) -> Option<&'a mut dyn Visitor> {
        Some(match key {
            "ApproximateReceiveCount" => fields::number(&mut self.approximate_receive_count),
            "SentTimestamp" => fields::number(&mut self.sent_timestamp),
            "SenderId" => fields::string(&mut self.sender_id),
            "ApproximateFirstReceiveTimestamp" => {
                fields::number(&mut self.approximate_first_receive_timestamp)
            }
            "SequenceNumber" => fields::string(&mut self.sequence_number),
            "MessageGroupId" => fields::string(&mut self.message_group_id),
            "MessageDeduplicationId" => fields::string(&mut self.message_deduplication_id),
            "AWSTraceHeader" => fields::string(&mut self.aws_trace_header),
            _ => return None,
        })
    }

    fn set_required(&mut self, _: &mut Required) {}
}

impl Deserialize for SqsMessageAttribute {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        fields::begin(out)
    }
}

impl Fields for SqsMessageAttribute {
    const REQUIRED: usize = 1;

    fn field<'a>(&'a mut self, key: &str, required: &'a mut Required) -> Option<&'a mut dyn Visitor> {
        Some(match key {
            "dataType" => <String as Deserialize>::begin(&mut required[0]),
            "stringValue" => fields::string(&mut self.string_value),
            "binaryValue" => fields::string(&mut self.binary_value),
            "stringListValues" => fields::array(&mut self.string_list_values),
            "binaryListValues" => fields::array(&mut self.binary_list_values),
            _ => return None,
        })
    }

    fn set_required(&mut self, required: &mut Required) {
        self.data_type = required[0].take().unwrap_or_default();
    }
}
