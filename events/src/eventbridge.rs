//! Amazon EventBridge (and CloudWatch Events) events, scheduled events among them.
//!
//! `detail` differs per source, so it is kept as JSON text ([`RawJson`]) and decoded as a type
//! of yours on demand:
//!
//! ```
//! use lambda_bootstrap_events::eventbridge::EventBridgeEvent;
//! use lambda_bootstrap_events::miniserde::{Deserialize, json};
//!
//! #[derive(Deserialize)]
//! struct StateChange { state: String }
//!
//! let event: EventBridgeEvent = json::from_str(
//!     r#"{"id":"1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"running"}}"#,
//! ).unwrap();
//! assert_eq!(event.detail.as_str(), r#"{"state":"running"}"#);
//! assert_eq!(event.detail_as::<StateChange>().unwrap().state, "running");
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::{Deserialize, Serialize};

use crate::{DecodeError, RawJson};

/// An event delivered by an EventBridge rule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct EventBridgeEvent {
    /// `0`.
    pub version: Option<String>,
    /// The event's id.
    pub id: String,
    /// What happened (`Scheduled Event`, `Object Created`, …).
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// Who sent it (`aws.events`, `aws.s3`, `com.example.orders`, …).
    pub source: String,
    /// The account it happened in.
    pub account: Option<String>,
    /// When it happened (ISO 8601).
    pub time: Option<String>,
    /// The region it happened in.
    pub region: Option<String>,
    /// The ARNs it concerns.
    pub resources: Option<Vec<String>>,
    /// The source-specific part, as JSON text.
    pub detail: RawJson,
}

impl EventBridgeEvent {
    /// Decodes `detail` as a `T`.
    pub fn detail_as<T: Deserialize>(&self) -> Result<T, DecodeError> {
        self.detail.parse()
    }
}

/// A scheduled event (an EventBridge schedule rule, once "CloudWatch Events"): `source` is
/// `aws.events`, `detail-type` is `Scheduled Event`, `detail` is `{}`, and `resources` names
/// the rule.
pub type ScheduledEvent = EventBridgeEvent;
