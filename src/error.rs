//! The error a handler returns, and what Lambda is told about it.

use alloc::borrow::Cow;

/// A failed invocation or initialisation: an `errorType` and an `errorMessage`, posted to the
/// Runtime API as `{"errorMessage":…,"errorType":…,"stackTrace":[]}`.
///
/// ```
/// use lambda_bootstrap::Error;
/// let e = Error::new("Order.NotFound", "no order 42");
/// assert_eq!((e.error_type(), e.message()), ("Order.NotFound", "no order 42"));
/// assert_eq!(Error::msg("boom").error_type(), "Error");
/// ```
///
/// With the `std` feature every `std::error::Error` converts with `?`; its errorType is the
/// type's own name without the module path (`ParseIntError`), never a Rust type path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    error_type: Option<Cow<'static, str>>,
    message: Cow<'static, str>,
}

/// The errorType of [`Error::msg`] errors returned by a handler.
pub const DEFAULT_ERROR_TYPE: &str = "Error";
/// The errorType of [`Error::msg`] errors given to [`report_init_error`](crate::report_init_error).
pub const DEFAULT_INIT_ERROR_TYPE: &str = "Runtime.InitError";
/// The errorType of an event that does not decode as a typed handler's request type.
#[cfg(any(feature = "json", feature = "serde"))]
pub const UNMARSHAL_ERROR_TYPE: &str = "Runtime.UnmarshalError";

impl Error {
    /// An error of the given type, e.g. `Error::new("Order.NotFound", "no order 42")`. Lambda
    /// accepts any string; `Category.Reason` is its recommendation.
    pub fn new(error_type: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Error {
        Error { error_type: Some(error_type.into()), message: message.into() }
    }

    /// An error with just a message; its type is [`DEFAULT_ERROR_TYPE`] (or
    /// [`DEFAULT_INIT_ERROR_TYPE`] when reported as an init error).
    pub fn msg(message: impl Into<Cow<'static, str>>) -> Error {
        Error { error_type: None, message: message.into() }
    }

    /// The errorType Lambda will report.
    pub fn error_type(&self) -> &str {
        self.error_type.as_deref().unwrap_or(DEFAULT_ERROR_TYPE)
    }

    /// The errorMessage Lambda will report.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn error_type_or(&self, default: &'static str) -> &str {
        self.error_type.as_deref().unwrap_or(default)
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.error_type(), self.message)
    }
}

/// Everything `?` meets in handlers converts: every `std::error::Error + Send + Sync`,
/// `Box<dyn std::error::Error + Send + Sync>` (what `lambda_runtime` handlers return),
/// `anyhow::Error` (through anyhow's own conversion, so anyhow is not a dependency), `String` and
/// `&str`. The errorType is the original type's short name, or [`DEFAULT_ERROR_TYPE`] where that
/// name says nothing (a box, a string, anyhow's `Error`).
#[cfg(feature = "std")]
impl<E: Into<std::boxed::Box<dyn std::error::Error + Send + Sync>>> From<E> for Error {
    fn from(error: E) -> Error {
        use alloc::string::ToString;
        let error_type = short_type_name::<E>();
        Error::new(error_type, error.into().to_string())
    }
}

/// `core::num::error::ParseIntError` → `ParseIntError`; `a::Wrapper<b::C>` → `Wrapper`; types
/// that only carry another error or a text (`Box<dyn Error>`, `String`, `&str`) →
/// [`DEFAULT_ERROR_TYPE`].
#[cfg(any(feature = "std", feature = "json"))]
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = core::any::type_name::<T>();
    let path = full.split('<').next().unwrap_or(full);
    let name = path.rsplit("::").next().unwrap_or(path).trim_start_matches('&');
    match name {
        "Box" | "String" | "str" | "Cow" => DEFAULT_ERROR_TYPE,
        name => name,
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn std_errors_keep_their_short_name() {
        let e: Error = "x".parse::<u8>().unwrap_err().into();
        assert_eq!(e.error_type(), "ParseIntError");
        assert_eq!(e.message(), "invalid digit found in string");
        let e: Error = std::io::Error::other("disk").into();
        assert_eq!(e.error_type(), "Error");
        assert_eq!(short_type_name::<Vec<std::io::Error>>(), "Vec");
    }

    #[test]
    fn boxed_errors_anyhow_and_strings_convert_with_question_mark() {
        fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            Err("x".parse::<u8>().unwrap_err().into())
        }
        fn handler() -> Result<(), Error> {
            Ok(boxed()?)
        }
        let e = handler().unwrap_err();
        assert_eq!((e.error_type(), e.message()), ("Error", "invalid digit found in string"));

        fn with_anyhow() -> Result<(), Error> {
            Err(anyhow::anyhow!("no table {}", 7))?
        }
        let e = with_anyhow().unwrap_err();
        assert_eq!((e.error_type(), e.message()), ("Error", "no table 7"));

        let e: Error = "plain text".into();
        assert_eq!((e.error_type(), e.message()), ("Error", "plain text"));
        let e: Error = String::from("owned text").into();
        assert_eq!((e.error_type(), e.message()), ("Error", "owned text"));
    }

    #[test]
    fn defaults_depend_on_where_the_error_is_reported() {
        let e = Error::msg("no table");
        assert_eq!(e.error_type_or(DEFAULT_INIT_ERROR_TYPE), "Runtime.InitError");
        assert_eq!(Error::new("Db.Down", "x").error_type_or(DEFAULT_INIT_ERROR_TYPE), "Db.Down");
    }
}
