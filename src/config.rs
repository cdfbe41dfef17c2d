//! The function's environment, read once at start-up.

use alloc::string::String;
use core::ffi::CStr;

use crate::endpoint::{self, Endpoint, EndpointError, Host};
use crate::protocol;
use crate::sys;

/// What Lambda tells the function about itself through the environment. Every field except the
/// Runtime API address is optional: a missing variable is an empty string (or `None`).
///
/// Read-only for users: fields may be added in any release (`#[non_exhaustive]`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `AWS_LAMBDA_RUNTIME_API`, parsed.
    pub endpoint: Endpoint,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub function_name: String,
    /// `AWS_LAMBDA_FUNCTION_VERSION`, e.g. `$LATEST`.
    pub function_version: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB, when set and numeric.
    pub memory_size_mb: Option<u32>,
    /// `AWS_LAMBDA_LOG_GROUP_NAME`.
    pub log_group_name: String,
    /// `AWS_LAMBDA_LOG_STREAM_NAME`.
    pub log_stream_name: String,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub region: String,
    /// `AWS_LAMBDA_INITIALIZATION_TYPE`: `on-demand`, `provisioned-concurrency`, `snap-start`,
    /// `lambda-managed-instances`.
    pub initialization_type: String,
    /// `_HANDLER`, the handler string from the function's configuration (may be empty).
    pub handler: String,
    /// `AWS_LAMBDA_MAX_CONCURRENCY` (feature `concurrency`): how many invocations Lambda Managed
    /// Instances may hand this environment at once. Absent, empty or 0 is 1; garbage is 1 with a
    /// stderr line; above [`MAX_CONCURRENCY`](crate::concurrency::MAX_CONCURRENCY), that.
    #[cfg(feature = "concurrency")]
    pub max_concurrency: u32,
}

/// Why the configuration could not be read ([`Config::from_env`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `AWS_LAMBDA_RUNTIME_API` is not set (or not UTF-8).
    Missing,
    /// `AWS_LAMBDA_RUNTIME_API` is set but unusable.
    Endpoint(EndpointError),
}

/// The configuration of a [`Context::for_test`](crate::Context::for_test): every field empty,
/// the endpoint 127.0.0.1:9001 (never connected to).
pub(crate) static EMPTY: Config = Config {
    endpoint: Endpoint {
        host: Host::V4(core::net::Ipv4Addr::LOCALHOST),
        port: 9001,
        authority: String::new(),
        prefix: String::new(),
    },
    function_name: String::new(),
    function_version: String::new(),
    memory_size_mb: None,
    log_group_name: String::new(),
    log_stream_name: String::new(),
    region: String::new(),
    initialization_type: String::new(),
    handler: String::new(),
    #[cfg(feature = "concurrency")]
    max_concurrency: 1,
};

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let api = sys::env(c"AWS_LAMBDA_RUNTIME_API").ok_or(ConfigError::Missing)?;
        let endpoint = endpoint::parse_endpoint(&api).map_err(ConfigError::Endpoint)?;
        let var = |name: &CStr| sys::env(name).unwrap_or_default();
        let region = match var(c"AWS_REGION") {
            r if r.is_empty() => var(c"AWS_DEFAULT_REGION"),
            r => r,
        };
        let memory = var(c"AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        Ok(Config {
            endpoint,
            function_name: var(c"AWS_LAMBDA_FUNCTION_NAME"),
            function_version: var(c"AWS_LAMBDA_FUNCTION_VERSION"),
            memory_size_mb: protocol::parse_u64(memory.as_bytes()).and_then(|m| u32::try_from(m).ok()),
            log_group_name: var(c"AWS_LAMBDA_LOG_GROUP_NAME"),
            log_stream_name: var(c"AWS_LAMBDA_LOG_STREAM_NAME"),
            region,
            initialization_type: var(c"AWS_LAMBDA_INITIALIZATION_TYPE"),
            handler: var(c"_HANDLER"),
            #[cfg(feature = "concurrency")]
            max_concurrency: crate::concurrency::max_concurrency(&var(c"AWS_LAMBDA_MAX_CONCURRENCY")),
        })
    }
}

impl Config {
    /// The configuration of a function whose `AWS_LAMBDA_RUNTIME_API` is `runtime_api` and whose
    /// environment is otherwise empty: for driving a loop in-process in tests.
    #[doc(hidden)]
    pub fn for_runtime_api(runtime_api: &str) -> Result<Config, ConfigError> {
        let endpoint = endpoint::parse_endpoint(runtime_api).map_err(ConfigError::Endpoint)?;
        Ok(Config { endpoint, ..EMPTY.clone() })
    }
}

impl ConfigError {
    /// Writes the one stderr line that explains it.
    pub(crate) fn log(self) {
        match self {
            ConfigError::Missing => sys::log(sys::Level::Fatal, &[b"AWS_LAMBDA_RUNTIME_API is not set (or not UTF-8); this program is a Lambda bootstrap and must run inside Lambda or an emulator"]),
            ConfigError::Endpoint(e) => sys::log(sys::Level::Fatal, &[b"AWS_LAMBDA_RUNTIME_API is unusable: ", e.as_str().as_bytes()]),
        }
    }
}
