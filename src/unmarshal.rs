//! Why an event did not decode as the handler's type (feature `json`): the cold path behind
//! `Runtime.UnmarshalError`.
//!
//! miniserde's error carries no detail. So after a failed decode, the event is read once more
//! by [`Replay`], a small reader that feeds the same type's visitor value by value and stops at
//! the first value it refuses, knowing its path and byte offset:
//! `Order: at $.items[1].price (byte 41), a string is not accepted`. It builds no tree (a
//! `json::Value` would cost 11 KB of code) and does not parse floats (core's float parser is
//! large): a float is offered as `0.0`, which is enough to tell whether the type takes one.

use alloc::string::String;
use alloc::vec::Vec;
use miniserde::Deserialize;
use miniserde::de::Visitor;

use crate::protocol::push_decimal;

/// The message for `text`, which did not decode as `T`.
#[cold]
pub(crate) fn diagnose<T: Deserialize>(text: &str) -> String {
    let mut out = None;
    let mut replay = Replay { text: text.as_bytes(), pos: 0, path: Vec::from(*b"$") };
    let what = match replay.value(T::begin(&mut out)).and_then(|()| replay.end()) {
        Err(what) => what,
        Ok(()) => "the event does not fit this type",
    };
    let mut message = Vec::new();
    if what == SYNTAX {
        message.extend_from_slice(b"the event is not valid JSON");
    } else {
        message.extend_from_slice(crate::error::short_type_name::<T>().as_bytes());
        message.extend_from_slice(b": at ");
        message.extend_from_slice(&replay.path);
    }
    message.extend_from_slice(b" (byte ");
    push_decimal(&mut message, replay.pos as u64);
    message.extend_from_slice(b")");
    if what != SYNTAX {
        message.extend_from_slice(b", ");
        message.extend_from_slice(what.as_bytes());
    }
    // Every piece is UTF-8 (the path is built from decoded keys), so this never falls back.
    String::from_utf8(message).unwrap_or_default()
}

const SYNTAX: &str = "syntax";

/// Reads JSON text, handing each value to a visitor; `path` and `pos` say where it is.
struct Replay<'a> {
    text: &'a [u8],
    pos: usize,
    path: Vec<u8>,
}

impl Replay<'_> {
    /// One value into `visitor`; `Err` says what went wrong at `pos` and `path`.
    fn value(&mut self, visitor: &mut dyn Visitor) -> Result<(), &'static str> {
        let start = self.skip_whitespace();
        let refused = match self.text.get(start) {
            Some(b'{') => return self.object(visitor),
            Some(b'[') => return self.array(visitor),
            Some(b'"') => {
                let text = self.string()?;
                visitor.string(&text).map_err(|_| "a string is not accepted")
            }
            Some(b't') => self.literal(b"true").and_then(|()| visitor.boolean(true).map_err(|_| BOOLEAN)),
            Some(b'f') => self.literal(b"false").and_then(|()| visitor.boolean(false).map_err(|_| BOOLEAN)),
            Some(b'n') => self.literal(b"null").and_then(|()| visitor.null().map_err(|_| NULL)),
            Some(b'-' | b'0'..=b'9') => self.number(visitor),
            _ => Err(SYNTAX),
        };
        if refused.is_err_and(|what| what != SYNTAX) {
            self.pos = start; // a refused value is reported where it starts
        }
        refused
    }

    fn object(&mut self, visitor: &mut dyn Visitor) -> Result<(), &'static str> {
        let start = self.pos;
        let mut map = visitor.map().map_err(|_| "an object is not accepted")?;
        self.pos += 1;
        if self.next_is(b'}') {
            return map.finish().map_err(|_| self.at(start, MISSING));
        }
        loop {
            self.skip_whitespace();
            if self.text.get(self.pos) != Some(&b'"') {
                return Err(SYNTAX);
            }
            let key = self.string()?;
            if !self.next_is(b':') {
                return Err(SYNTAX);
            }
            let len = self.path.len();
            self.path.push(b'.');
            self.path.extend_from_slice(key.as_bytes());
            let field = map.key(&key).map_err(|_| "this field is not accepted")?;
            self.value(field)?;
            self.path.truncate(len);
            if self.next_is(b'}') {
                return map.finish().map_err(|_| self.at(start, MISSING));
            }
            if !self.next_is(b',') {
                return Err(SYNTAX);
            }
        }
    }

    fn array(&mut self, visitor: &mut dyn Visitor) -> Result<(), &'static str> {
        let start = self.pos;
        let mut seq = visitor.seq().map_err(|_| "an array is not accepted")?;
        self.pos += 1;
        if self.next_is(b']') {
            return seq.finish().map_err(|_| self.at(start, "the array is too short"));
        }
        let mut index = 0;
        loop {
            let len = self.path.len();
            self.path.push(b'[');
            push_decimal(&mut self.path, index);
            self.path.push(b']');
            self.skip_whitespace();
            let element = seq.element().map_err(|_| "the array is too long")?;
            self.value(element)?;
            self.path.truncate(len);
            index += 1;
            if self.next_is(b']') {
                return seq.finish().map_err(|_| self.at(start, "the array is too short"));
            }
            if !self.next_is(b',') {
                return Err(SYNTAX);
            }
        }
    }

    /// A number: integers exactly (as miniserde reads them), anything else as a float.
    fn number(&mut self, visitor: &mut dyn Visitor) -> Result<(), &'static str> {
        let start = self.pos;
        let negative = self.text[start] == b'-';
        let digits_start = start + usize::from(negative);
        let mut end = digits_start;
        let mut value: Option<u64> = Some(0);
        while let Some(&b @ b'0'..=b'9') = self.text.get(end) {
            value = value.and_then(|v| v.checked_mul(10)).and_then(|v| v.checked_add(u64::from(b - b'0')));
            end += 1;
        }
        let integer_end = end;
        while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = self.text.get(end) {
            end += 1;
        }
        if integer_end == digits_start {
            return Err(SYNTAX);
        }
        self.pos = end;
        let accepted = match (value, negative, end == integer_end) {
            (Some(n), false, true) => visitor.nonnegative(n),
            (Some(n), true, true) if n <= 1 << 63 => visitor.negative(0i64.wrapping_sub_unsigned(n)),
            _ => visitor.float(0.0),
        };
        accepted.map_err(|_| "this number is not accepted")
    }

    /// A string starting at `pos` (a `"`), unescaped.
    fn string(&mut self) -> Result<String, &'static str> {
        let mut out = String::new();
        self.pos += 1;
        loop {
            let run = self.pos;
            while let Some(&b) = self.text.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The text came from a `&str`, and `pos` stops only at ASCII bytes.
            out.push_str(core::str::from_utf8(&self.text[run..self.pos]).map_err(|_| SYNTAX)?);
            match self.text.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let at = self.pos;
                    out.push(self.escape().inspect_err(|_| self.pos = at)?);
                }
                _ => return Err(SYNTAX),
            }
        }
    }

    /// The escape at `pos` (a `\`), as a character.
    fn escape(&mut self) -> Result<char, &'static str> {
        let byte = *self.text.get(self.pos + 1).ok_or(SYNTAX)?;
        self.pos += 2;
        Ok(match byte {
            b'"' | b'\\' | b'/' => char::from(byte),
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) && self.text[self.pos..].starts_with(b"\\u") {
                    self.pos += 2;
                    let low = self.hex4()?;
                    0x10000 + ((high - 0xD800) << 10) + low.wrapping_sub(0xDC00)
                } else {
                    high
                };
                char::from_u32(code).ok_or(SYNTAX)?
            }
            _ => return Err(SYNTAX),
        })
    }

    fn hex4(&mut self) -> Result<u32, &'static str> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or(SYNTAX)?;
        self.pos += 4;
        digits.iter().try_fold(0, |acc, &d| Ok(acc * 16 + char::from(d).to_digit(16).ok_or(SYNTAX)?))
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), &'static str> {
        if !self.text[self.pos..].starts_with(word) {
            return Err(SYNTAX);
        }
        self.pos += word.len();
        Ok(())
    }

    /// Only whitespace may follow the value.
    fn end(&mut self) -> Result<(), &'static str> {
        if self.skip_whitespace() == self.text.len() { Ok(()) } else { Err(SYNTAX) }
    }

    /// Skips whitespace; consumes `byte` if it comes next.
    fn next_is(&mut self, byte: u8) -> bool {
        let at = self.skip_whitespace();
        let found = self.text.get(at) == Some(&byte);
        self.pos += usize::from(found);
        found
    }

    fn skip_whitespace(&mut self) -> usize {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.text.get(self.pos) {
            self.pos += 1;
        }
        self.pos
    }

    /// `what`, reported at the value that started at `start` (an object or array whose end was
    /// refused).
    fn at(&mut self, start: usize, what: &'static str) -> &'static str {
        self.pos = start;
        what
    }
}

const BOOLEAN: &str = "a boolean is not accepted";
const NULL: &str = "null is not accepted (a required field?)";
const MISSING: &str = "a required field is missing";

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        price: u32,
        weight: Option<f64>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Order {
        #[serde(rename = "orderId")]
        order_id: String,
        items: Vec<Item>,
        tags: BTreeMap<String, String>,
        paid: bool,
    }

    fn message(event: &str) -> String {
        assert!(miniserde::json::from_str::<Order>(event).is_err(), "{event} decodes");
        diagnose::<Order>(event)
    }

    #[test]
    fn the_type_path_and_byte_of_the_refused_value() {
        let ok = r#"{"orderId":"o\"1","items":[{"price":1,"weight":-2.5e3}],"tags":{},"paid":true,"x":[1,{"y":null}]}"#;
        assert!(miniserde::json::from_str::<Order>(ok).is_ok());
        assert_eq!(
            message(r#"{"orderId":"o1","items":[{"price":1},{"price":"2"}],"tags":{},"paid":true}"#),
            "Order: at $.items[1].price (byte 46), a string is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":"o1","items":[{}],"tags":{},"paid":true}"#),
            "Order: at $.items[0] (byte 25), a required field is missing"
        );
        assert_eq!(
            message(r#"{"order_id":"o1","items":[],"tags":{},"paid":true}"#),
            "Order: at $ (byte 0), a required field is missing"
        );
        assert_eq!(
            message(r#"{"orderId":7,"items":[],"tags":{},"paid":true}"#),
            "Order: at $.orderId (byte 11), this number is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":null,"items":[],"tags":{},"paid":true}"#),
            "Order: at $.orderId (byte 11), null is not accepted (a required field?)"
        );
        assert_eq!(
            message(r#"{"orderId":"o","items":[],"tags":{"k\u00e9":1},"paid":true}"#),
            "Order: at $.tags.ké (byte 44), this number is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":"o","items":[{"price":-1}],"tags":{},"paid":true}"#),
            "Order: at $.items[0].price (byte 33), this number is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":"o","items":[{"price":1.5}],"tags":{},"paid":true}"#),
            "Order: at $.items[0].price (byte 33), this number is not accepted"
        );
        assert_eq!(
            message(r#"{"orderId":"o","items":[],"tags":{},"paid":"yes"}"#),
            "Order: at $.paid (byte 43), a string is not accepted"
        );
        assert_eq!(message("[1]"), "Order: at $ (byte 0), an array is not accepted");
    }

    #[test]
    fn syntax_errors_give_the_byte() {
        assert_eq!(message(r#"{"orderId": "#), "the event is not valid JSON (byte 12)");
        assert_eq!(message(r#"{"orderId":"o",}"#), "the event is not valid JSON (byte 15)");
        assert_eq!(message(r#"{"orderId":"o\q"}"#), "the event is not valid JSON (byte 13)");
        let trailing = r#"{"orderId":"o","items":[],"tags":{},"paid":true} x"#;
        assert_eq!(message(trailing), "the event is not valid JSON (byte 49)");
        assert_eq!(message(""), "the event is not valid JSON (byte 0)");
    }

    #[test]
    fn strings_are_unescaped_as_miniserde_does() {
        for (json, text) in [
            (r#""a\"b\\c\/d""#, "a\"b\\c/d"),
            (r#""\b\f\n\r\t""#, "\u{8}\u{c}\n\r\t"),
            (r#""\u00e9\ud83d\ude00""#, "é😀"),
            ("\"plain ü\"", "plain ü"),
        ] {
            let mut replay = Replay { text: json.as_bytes(), pos: 0, path: Vec::new() };
            assert_eq!(replay.string().as_deref(), Ok(text), "{json}");
            assert_eq!(miniserde::json::from_str::<String>(json).ok().as_deref(), Some(text));
        }
    }
}
