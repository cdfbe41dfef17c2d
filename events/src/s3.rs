//! Amazon S3 event notifications (object created, removed, restored, …).

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

/// `{"Records":[…]}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3Event {
    /// The notifications.
    #[serde(rename = "Records")]
    pub records: Vec<S3EventRecord>,
}

/// One notification.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3EventRecord {
    /// `2.1`, `2.2`, …
    #[serde(rename = "eventVersion")]
    pub event_version: Option<String>,
    /// `aws:s3`.
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
    /// The bucket's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
    /// When it happened (ISO 8601).
    #[serde(rename = "eventTime")]
    pub event_time: Option<String>,
    /// `ObjectCreated:Put`, `ObjectRemoved:Delete`, …
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// Who caused it.
    #[serde(rename = "userIdentity")]
    pub user_identity: Option<S3Identity>,
    /// The request that caused it.
    #[serde(rename = "requestParameters")]
    pub request_parameters: Option<S3RequestParameters>,
    /// S3's ids for that request.
    #[serde(rename = "responseElements")]
    pub response_elements: Option<S3ResponseElements>,
    /// The bucket and the object.
    pub s3: S3Entity,
}

/// A principal.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3Identity {
    /// Its id.
    #[serde(rename = "principalId")]
    pub principal_id: String,
}

/// The request that caused the event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3RequestParameters {
    /// Where the request came from.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
}

/// S3's request ids, for support cases.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3ResponseElements {
    /// `x-amz-request-id`.
    #[serde(rename = "x-amz-request-id")]
    pub request_id: Option<String>,
    /// `x-amz-id-2`.
    #[serde(rename = "x-amz-id-2")]
    pub id_2: Option<String>,
}

/// What the event is about.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3Entity {
    /// `1.0`.
    #[serde(rename = "s3SchemaVersion")]
    pub schema_version: Option<String>,
    /// The notification configuration's id.
    #[serde(rename = "configurationId")]
    pub configuration_id: Option<String>,
    /// The bucket.
    pub bucket: S3Bucket,
    /// The object.
    pub object: S3Object,
}

/// A bucket.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3Bucket {
    /// Its name.
    pub name: String,
    /// Its owner.
    #[serde(rename = "ownerIdentity")]
    pub owner_identity: Option<S3Identity>,
    /// Its ARN.
    pub arn: Option<String>,
}

/// An object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct S3Object {
    /// The key, URL-encoded as S3 sends it (a space is `+`).
    pub key: String,
    /// Size in bytes (absent for removals).
    pub size: Option<u64>,
    /// The ETag (absent for removals).
    #[serde(rename = "eTag")]
    pub e_tag: Option<String>,
    /// The version, for versioned buckets.
    #[serde(rename = "versionId")]
    pub version_id: Option<String>,
    /// Orders the events of one key.
    pub sequencer: Option<String>,
}
