//! Amazon DynamoDB Streams: the records of a table's stream, items as [`AttributeValue`]s, and
//! the partial batch response.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use miniserde::de::{Map, Visitor};
use miniserde::ser::Fragment;
use miniserde::{Deserialize, Serialize};

use crate::base64::Base64Data;
use crate::object::Object;

pub use crate::batch::{BatchItemFailure, BatchResponse as StreamsEventResponse};

/// An item: attribute name to value.
pub type Item = BTreeMap<String, AttributeValue>;

/// `{"Records":[…]}`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DynamoDbEvent {
    /// The stream records.
    #[serde(rename = "Records")]
    pub records: Vec<DynamoDbRecord>,
}

/// One change to one item.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DynamoDbRecord {
    /// A unique id of the record.
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// `INSERT`, `MODIFY` or `REMOVE`.
    #[serde(rename = "eventName")]
    pub event_name: String,
    /// The record format's version (`1.1`).
    #[serde(rename = "eventVersion")]
    pub event_version: Option<String>,
    /// `aws:dynamodb`.
    #[serde(rename = "eventSource")]
    pub event_source: Option<String>,
    /// The table's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: Option<String>,
    /// The change.
    pub dynamodb: StreamRecord,
    /// The stream's ARN.
    #[serde(rename = "eventSourceARN")]
    pub event_source_arn: Option<String>,
    /// Set when DynamoDB itself made the change (TTL expiry).
    #[serde(rename = "userIdentity")]
    pub user_identity: Option<StreamIdentity>,
}

/// The change itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct StreamRecord {
    /// When it was made, in seconds since the epoch.
    #[serde(rename = "ApproximateCreationDateTime")]
    pub approximate_creation_date_time: Option<f64>,
    /// The item's key attributes.
    #[serde(rename = "Keys")]
    pub keys: Item,
    /// The item after the change (`NEW_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(rename = "NewImage")]
    pub new_image: Option<Item>,
    /// The item before the change (`OLD_IMAGE`, `NEW_AND_OLD_IMAGES`).
    #[serde(rename = "OldImage")]
    pub old_image: Option<Item>,
    /// The sequence number: what [`StreamsEventResponse::fail`] takes.
    #[serde(rename = "SequenceNumber")]
    pub sequence_number: String,
    /// The record's size in bytes.
    #[serde(rename = "SizeBytes")]
    pub size_bytes: Option<u64>,
    /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    #[serde(rename = "StreamViewType")]
    pub stream_view_type: Option<String>,
}

/// Who made a change that no client made.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct StreamIdentity {
    /// `Service`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `dynamodb.amazonaws.com`.
    #[serde(rename = "principalId")]
    pub principal_id: String,
}

/// A DynamoDB value: `{"S":"…"}`, `{"N":"…"}`, `{"M":{…}}`, … (exactly one key).
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// `S`: a string.
    S(String),
    /// `N`: a number, as its text (DynamoDB numbers have 38 digits; parse as you need).
    N(String),
    /// `B`: binary (base64 on the wire, decoded here).
    B(Vec<u8>),
    /// `SS`: a set of strings.
    Ss(Vec<String>),
    /// `NS`: a set of numbers, as text.
    Ns(Vec<String>),
    /// `BS`: a set of binaries.
    Bs(Vec<Vec<u8>>),
    /// `M`: a map.
    M(Item),
    /// `L`: a list.
    L(Vec<AttributeValue>),
    /// `NULL`: null.
    Null,
    /// `BOOL`: a boolean.
    Bool(bool),
}

impl AttributeValue {
    /// The string of an `S`.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    /// The text of an `N`.
    pub fn as_n(&self) -> Option<&str> {
        match self {
            AttributeValue::N(n) => Some(n),
            _ => None,
        }
    }

    /// The map of an `M`.
    pub fn as_m(&self) -> Option<&Item> {
        match self {
            AttributeValue::M(m) => Some(m),
            _ => None,
        }
    }
}

impl Serialize for AttributeValue {
    fn begin(&self) -> Fragment<'_> {
        let object = Object::new();
        match self {
            AttributeValue::S(s) => object.field("S", s),
            AttributeValue::N(n) => object.field("N", n),
            AttributeValue::B(b) => object.owned("B", crate::base64::encode(b)),
            AttributeValue::Ss(v) => object.field("SS", v),
            AttributeValue::Ns(v) => object.field("NS", v),
            AttributeValue::Bs(v) => {
                object.owned("BS", v.iter().map(|b| crate::base64::encode(b)).collect::<Vec<_>>())
            }
            AttributeValue::M(m) => object.field("M", m),
            AttributeValue::L(l) => object.field("L", l),
            AttributeValue::Null => object.owned("NULL", true),
            AttributeValue::Bool(b) => object.field("BOOL", b),
        }
        .fragment()
    }
}

impl Deserialize for AttributeValue {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        miniserde::make_place!(Place);
        impl Visitor for Place<AttributeValue> {
            fn map(&mut self) -> miniserde::Result<Box<dyn Map + '_>> {
                Ok(Box::new(Builder { out: &mut self.out, parts: Parts::default() }))
            }
        }
        Place::new(out)
    }
}

/// Every key an attribute value may have; exactly one must be present.
#[derive(Default)]
struct Parts {
    s: Option<String>,
    n: Option<String>,
    b: Option<Base64Data>,
    ss: Option<Vec<String>>,
    ns: Option<Vec<String>>,
    bs: Option<Vec<Base64Data>>,
    m: Option<Item>,
    l: Option<Vec<AttributeValue>>,
    null: Option<bool>,
    boolean: Option<bool>,
}

struct Builder<'a> {
    out: &'a mut Option<AttributeValue>,
    parts: Parts,
}

impl Map for Builder<'_> {
    fn key(&mut self, k: &str) -> miniserde::Result<&mut dyn Visitor> {
        let p = &mut self.parts;
        Ok(match k {
            "S" => Deserialize::begin(&mut p.s),
            "N" => Deserialize::begin(&mut p.n),
            "B" => Deserialize::begin(&mut p.b),
            "SS" => Deserialize::begin(&mut p.ss),
            "NS" => Deserialize::begin(&mut p.ns),
            "BS" => Deserialize::begin(&mut p.bs),
            "M" => Deserialize::begin(&mut p.m),
            "L" => Deserialize::begin(&mut p.l),
            "NULL" => Deserialize::begin(&mut p.null),
            "BOOL" => Deserialize::begin(&mut p.boolean),
            _ => return Err(miniserde::Error),
        })
    }

    fn finish(&mut self) -> miniserde::Result<()> {
        let p = core::mem::take(&mut self.parts);
        let mut found = [
            p.s.map(AttributeValue::S),
            p.n.map(AttributeValue::N),
            p.b.map(|b| AttributeValue::B(b.0)),
            p.ss.map(AttributeValue::Ss),
            p.ns.map(AttributeValue::Ns),
            p.bs.map(|v| AttributeValue::Bs(v.into_iter().map(|b| b.0).collect())),
            p.m.map(AttributeValue::M),
            p.l.map(AttributeValue::L),
            p.null.filter(|n| *n).map(|_| AttributeValue::Null),
            p.boolean.map(AttributeValue::Bool),
        ]
        .into_iter()
        .flatten();
        match (found.next(), found.next()) {
            (Some(value), None) => {
                *self.out = Some(value);
                Ok(())
            }
            _ => Err(miniserde::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use miniserde::json;

    #[test]
    fn every_variant_nested_round_trips() {
        let text = r#"{"M":{"b":{"B":"AAEC"},"bool":{"BOOL":false},"bs":{"BS":["AA==","/w=="]},"l":{"L":[{"N":"1"},{"NULL":true},{"L":[{"S":"deep"}]}]},"n":{"N":"-1.5e3"},"ns":{"NS":["1","2"]},"s":{"S":"x"},"ss":{"SS":["a","b"]}}}"#;
        let value: AttributeValue = json::from_str(text).unwrap();
        let m = value.as_m().unwrap();
        assert_eq!(m["b"], AttributeValue::B(vec![0, 1, 2]));
        assert_eq!(m["bool"], AttributeValue::Bool(false));
        assert_eq!(m["bs"], AttributeValue::Bs(vec![vec![0], vec![255]]));
        assert_eq!(m["n"].as_n(), Some("-1.5e3"));
        assert_eq!(m["ns"], AttributeValue::Ns(vec!["1".into(), "2".into()]));
        assert_eq!(m["s"].as_s(), Some("x"));
        assert_eq!(m["ss"], AttributeValue::Ss(vec!["a".into(), "b".into()]));
        let AttributeValue::L(l) = &m["l"] else { panic!("{:?}", m["l"]) };
        assert_eq!(l[1], AttributeValue::Null);
        assert_eq!(l[2], AttributeValue::L(vec![AttributeValue::S("deep".into())]));
        assert_eq!(json::to_string(&value), text);
    }

    #[test]
    fn a_value_needs_exactly_one_known_key() {
        for bad in
            [r#"{}"#, r#"{"S":"a","N":"1"}"#, r#"{"X":"a"}"#, r#"{"NULL":false}"#, r#"{"B":"!"}"#, r#""S""#]
        {
            assert!(json::from_str::<AttributeValue>(bad).is_err(), "{bad}");
        }
    }
}
