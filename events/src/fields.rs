//! Objects decoded field by field straight into their struct: the hand-written `Deserialize`
//! of the SQS types, which a consumer decodes on every invocation and so carries in its binary.
//!
//! miniserde's derive holds each field in an `Option` slot of its own and moves all of them into
//! the struct at the end (one error path per field), and its `Option<T>` is a visitor of eight
//! methods for every `T`. Here an object starts as the struct's `Default`, in place, and each key
//! writes into the struct's own field: an optional string or number through one shared visitor
//! (a string or `null`), an optional object or array through a two-method one. Required string
//! fields are held aside until the end, so a missing one is still an error. In the `sqs_batch`
//! example this is about 3 KiB less than the derive (`cargo xtask size` holds it to
//! `hello default` + 16 KiB).
//!
//! What is accepted is exactly what the derive accepts: an absent field or `null` is `None`,
//! unknown keys are skipped, the last of repeated keys wins, a value of the wrong kind fails.

use alloc::boxed::Box;
use alloc::string::String;

use miniserde::de::{Deserialize, Map, Visitor};
use miniserde::{Error, Result, make_place};

use crate::StringNumber;

/// The required string fields of a struct being decoded, in the order it numbers them.
pub(crate) type Required = [Option<String>; 2];

/// A struct decoded from an object by [`begin`].
pub(crate) trait Fields: Default {
    /// How many required string fields the struct has, at most 2 (held aside while decoding).
    const REQUIRED: usize;

    /// The visitor of the value of `key`: into `self`, or into `required[i]` for the `i`th
    /// required string; `None` skips the value.
    fn field<'a>(&'a mut self, key: &str, required: &'a mut Required) -> Option<&'a mut dyn Visitor>;

    /// Moves the required strings into place (the first `REQUIRED` are `Some`).
    fn set_required(&mut self, required: &mut Required);
}

/// `Deserialize::begin` of a [`Fields`] struct.
pub(crate) fn begin<T: Fields>(out: &mut Option<T>) -> &mut dyn Visitor {
    Start::new(out)
}

make_place!(Start);

impl<T: Fields> Visitor for Start<T> {
    fn map(&mut self) -> Result<Box<dyn Map + '_>> {
        self.out = Some(T::default());
        Ok(Box::new(Builder { out: &mut self.out, required: [None, None] }))
    }
}

/// Where the struct is being decoded (in place, from its `Default`) and its required strings.
struct Builder<'a, T> {
    out: &'a mut Option<T>,
    required: Required,
}

impl<T: Fields> Map for Builder<'_, T> {
    fn key(&mut self, k: &str) -> Result<&mut dyn Visitor> {
        let Some(value) = self.out else { return Err(Error) };
        match value.field(k, &mut self.required) {
            Some(visitor) => Ok(visitor),
            None => Ok(<dyn Visitor>::ignore()),
        }
    }

    fn finish(&mut self) -> Result<()> {
        match self.out {
            Some(value) if self.required.iter().take(T::REQUIRED).all(Option::is_some) => {
                value.set_required(&mut self.required);
                Ok(())
            }
            _ => {
                *self.out = None;
                Err(Error)
            }
        }
    }
}
/// The visitor of an optional string field: a string or `null`.
pub(crate) fn string(slot: &mut Option<String>) -> &mut dyn Visitor {
    OptString::new(slot)
}

make_place!(OptString);

impl Visitor for OptString<String> {
    fn null(&mut self) -> Result<()> {
        self.out = None;
        Ok(())
    }

    fn string(&mut self, s: &str) -> Result<()> {
        self.out = Some(s.into());
        Ok(())
    }
}

/// The visitor of an optional [`StringNumber`] field: a string or a number, or `null`.
pub(crate) fn number(slot: &mut Option<StringNumber>) -> &mut dyn Visitor {
    OptNumber::new(slot)
}

make_place!(OptNumber);

impl Visitor for OptNumber<StringNumber> {
    fn null(&mut self) -> Result<()> {
        self.out = None;
        Ok(())
    }

    fn string(&mut self, s: &str) -> Result<()> {
        self.out = Some(StringNumber::from_text(s)?);
        Ok(())
    }

    fn nonnegative(&mut self, n: u64) -> Result<()> {
        self.out = Some(StringNumber(n));
        Ok(())
    }
}

/// The visitor of an optional field holding an object (a struct or a map), or `null`.
pub(crate) fn object<T: Deserialize>(slot: &mut Option<T>) -> &mut dyn Visitor {
    OptObject::new(slot)
}

make_place!(OptObject);

impl<T: Deserialize> Visitor for OptObject<T> {
    fn null(&mut self) -> Result<()> {
        self.out = None;
        Ok(())
    }

    fn map(&mut self) -> Result<Box<dyn Map + '_>> {
        T::begin(&mut self.out).map()
    }
}

/// The visitor of an optional field holding an array, or `null`.
pub(crate) fn array<T: Deserialize>(slot: &mut Option<T>) -> &mut dyn Visitor {
    OptArray::new(slot)
}

make_place!(OptArray);

impl<T: Deserialize> Visitor for OptArray<T> {
    fn null(&mut self) -> Result<()> {
        self.out = None;
        Ok(())
    }

    fn seq(&mut self) -> Result<Box<dyn miniserde::de::Seq + '_>> {
        T::begin(&mut self.out).seq()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use miniserde::json;

    /// Every kind of field: a required string, optional strings, numbers, objects and arrays.
    #[derive(Default, Debug, PartialEq)]
    struct Item {
        id: String,
        name: Option<String>,
        n: Option<StringNumber>,
        inner: Option<alloc::boxed::Box<Item>>,
        list: Option<Vec<String>>,
    }

    impl Deserialize for Item {
        fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
            begin(out)
        }
    }

    impl Fields for Item {
        const REQUIRED: usize = 1;

        fn field<'a>(&'a mut self, key: &str, required: &'a mut Required) -> Option<&'a mut dyn Visitor> {
            Some(match key {
                "id" => <String as Deserialize>::begin(&mut required[0]),
                "name" => string(&mut self.name),
                "n" => number(&mut self.n),
                "inner" => object(&mut self.inner),
                "list" => array(&mut self.list),
                _ => return None,
            })
        }

        fn set_required(&mut self, required: &mut Required) {
            self.id = required[0].take().unwrap_or_default();
        }
    }

    fn item(text: &str) -> Option<Item> {
        json::from_str(text).ok()
    }

    #[test]
    fn absent_and_null_fields_are_none() {
        let expected = Item { id: "a".into(), ..Default::default() };
        assert_eq!(item(r#"{"id":"a"}"#), Some(expected));
        let nulls = item(r#"{"name":null,"n":null,"inner":null,"list":null,"id":"a"}"#);
        assert_eq!(nulls, Some(Item { id: "a".into(), ..Default::default() }));
    }

    #[test]
    fn every_kind_of_field_decodes_and_nests() {
        let text = r#"{"id":"a","name":"x","n":"12","list":["p","q"],"inner":{"id":"b","n":7}}"#;
        let inner = Item { id: "b".into(), n: Some(StringNumber(7)), ..Default::default() };
        let expected = Item {
            id: "a".into(),
            name: Some("x".into()),
            n: Some(StringNumber(12)),
            inner: Some(alloc::boxed::Box::new(inner)),
            list: Some(alloc::vec!["p".into(), "q".into()]),
        };
        assert_eq!(item(text), Some(expected));
    }

    #[test]
    fn unknown_keys_are_skipped_and_the_last_repeated_key_wins() {
        let text = r#"{"id":"a","id":"b","name":"x","name":null,"n":"1","n":2,"more":{"deep":[null]}}"#;
        assert_eq!(item(text), Some(Item { id: "b".into(), n: Some(StringNumber(2)), ..Default::default() }));
    }

    #[test]
    fn a_missing_required_field_or_a_value_of_the_wrong_kind_fails() {
        for text in [
            r#"{}"#,
            r#"{"name":"x"}"#,
            r#"{"id":null}"#,
            r#"{"id":1}"#,
            r#"{"id":"a","name":1}"#,
            r#"{"id":"a","name":true}"#,
            r#"{"id":"a","n":"x"}"#,
            r#"{"id":"a","n":-1}"#,
            r#"{"id":"a","n":1.5}"#,
            r#"{"id":"a","inner":[]}"#,
            r#"{"id":"a","inner":{}}"#,
            r#"{"id":"a","list":{}}"#,
            r#"{"id":"a","list":[null]}"#,
            r#"[]"#,
            r#"null"#,
        ] {
            assert_eq!(item(text), None, "{text}");
        }
    }
}
