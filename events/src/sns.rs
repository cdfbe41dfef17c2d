//! Amazon SNS: the notifications a topic subscription delivers to a function.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

/// `{"Records":[…]}`: SNS sends one record per invocation.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SnsEvent {
    /// The notifications.
    #[serde(rename = "Records")]
    pub records: Vec<SnsRecord>,
}

/// One delivery.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SnsRecord {
    /// `1.0`.
    #[serde(rename = "EventVersion")]
    pub event_version: Option<String>,
    /// The subscription's ARN.
    #[serde(rename = "EventSubscriptionArn")]
    pub event_subscription_arn: Option<String>,
    /// `aws:sns`.
    #[serde(rename = "EventSource")]
    pub event_source: Option<String>,
    /// The notification itself.
    #[serde(rename = "Sns")]
    pub sns: SnsMessage,
}

/// A notification.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SnsMessage {
    /// `1` (SHA1) or `2` (SHA256).
    #[serde(rename = "SignatureVersion")]
    pub signature_version: Option<String>,
    /// When it was published (ISO 8601).
    #[serde(rename = "Timestamp")]
    pub timestamp: Option<String>,
    /// The base64 signature.
    #[serde(rename = "Signature")]
    pub signature: Option<String>,
    /// Where the signing certificate is.
    #[serde(rename = "SigningCertUrl")]
    pub signing_cert_url: Option<String>,
    /// The message id.
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// The message, as published.
    #[serde(rename = "Message")]
    pub message: String,
    /// The publisher's message attributes, by name.
    #[serde(rename = "MessageAttributes")]
    pub message_attributes: Option<BTreeMap<String, SnsMessageAttribute>>,
    /// `Notification`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// Where to unsubscribe.
    #[serde(rename = "UnsubscribeUrl")]
    pub unsubscribe_url: Option<String>,
    /// The topic's ARN.
    #[serde(rename = "TopicArn")]
    pub topic_arn: Option<String>,
    /// The subject, when the publisher gave one.
    #[serde(rename = "Subject")]
    pub subject: Option<String>,
}

/// A message attribute.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SnsMessageAttribute {
    /// `String`, `String.Array`, `Number` or `Binary`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// The value, as text (base64 for `Binary`).
    #[serde(rename = "Value")]
    pub value: String,
}
