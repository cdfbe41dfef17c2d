//! A JSON object written field by field, for the hand-written `Serialize` impls of responses
//! and enums.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;

use miniserde::ser::{self, Fragment, Serialize};

/// A value of an object being written: borrowed from the struct, or computed for the write.
enum Field<'a> {
    Borrowed(&'a dyn Serialize),
    Owned(Box<dyn Serialize + 'a>),
}

/// A JSON object written field by field, where an absent `Option` writes no key at all (the
/// derive would write `null`, which some AWS services reject or read as a value).
pub(crate) struct Object<'a> {
    fields: Vec<(&'static str, Field<'a>)>,
    next: usize,
}

impl<'a> Object<'a> {
    pub(crate) fn new() -> Self {
        Object { fields: Vec::new(), next: 0 }
    }

    /// Always writes `key`.
    pub(crate) fn field(mut self, key: &'static str, value: &'a dyn Serialize) -> Self {
        self.fields.push((key, Field::Borrowed(value)));
        self
    }

    /// Writes `key` only when `value` is `Some`.
    #[cfg(feature = "http")]
    pub(crate) fn opt<T: Serialize>(mut self, key: &'static str, value: &'a Option<T>) -> Self {
        if let Some(value) = value {
            self.fields.push((key, Field::Borrowed(value)));
        }
        self
    }

    /// Writes `key` with a value computed now.
    pub(crate) fn owned<T: Serialize + 'a>(mut self, key: &'static str, value: T) -> Self {
        self.fields.push((key, Field::Owned(Box::new(value))));
        self
    }

    pub(crate) fn fragment(self) -> Fragment<'a> {
        Fragment::Map(Box::new(self))
    }
}

impl ser::Map for Object<'_> {
    fn next(&mut self) -> Option<(Cow<'_, str>, &dyn Serialize)> {
        let (key, value) = self.fields.get(self.next)?;
        self.next += 1;
        let value: &dyn Serialize = match value {
            Field::Borrowed(v) => *v,
            Field::Owned(v) => &**v,
        };
        Some((Cow::Borrowed(*key), value))
    }
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;
    use miniserde::json;

    #[test]
    fn absent_fields_are_left_out() {
        struct S {
            a: u8,
            b: Option<u8>,
            c: Option<u8>,
        }
        impl Serialize for S {
            fn begin(&self) -> Fragment<'_> {
                Object::new()
                    .field("a", &self.a)
                    .opt("b", &self.b)
                    .opt("c", &self.c)
                    .owned("d", 4u8)
                    .fragment()
            }
        }
        assert_eq!(json::to_string(&S { a: 1, b: None, c: Some(3) }), r#"{"a":1,"c":3,"d":4}"#);
    }
}
