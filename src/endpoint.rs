//! Where the Runtime API lives: `AWS_LAMBDA_RUNTIME_API` read leniently (`host:port`, `[v6]:port`,
//! an optional `http://` and an optional path prefix, as cargo-lambda sets it). No I/O, no `std`:
//! its own small IPv4 and IPv6 parsers, which agree with core's.

use alloc::string::String;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::protocol::{eq_ignore_case, parse_u64};

/// The Runtime API's address, from `AWS_LAMBDA_RUNTIME_API`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Endpoint {
    /// Where to connect.
    pub host: Host,
    /// TCP port.
    pub port: u16,
    /// The `Host` header value: the authority exactly as given.
    pub authority: String,
    /// A path prefix kept in front of `/2018-06-01` (cargo-lambda's `/.rt/<fn>`), without a
    /// trailing slash; empty on Lambda.
    pub prefix: String,
}

/// The host part of an [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Host {
    /// A numeric IPv4 address (`localhost` is read as 127.0.0.1).
    V4(Ipv4Addr),
    /// A numeric IPv6 address, written in brackets.
    V6(Ipv6Addr),
    /// A name to resolve (only with `std`).
    Name(String),
}

/// Why `AWS_LAMBDA_RUNTIME_API` could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointError {
    /// The value is empty.
    Empty,
    /// `https://` or another scheme: the Runtime API is plain HTTP.
    Scheme,
    /// No `:port`, or the port is not a number from 1 to 65535.
    Port,
    /// The host is missing, or brackets hold no IPv6 address, or it has odd characters.
    Host,
}

impl EndpointError {
    /// A short sentence for the stderr line.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointError::Empty => "it is empty",
            EndpointError::Scheme => "only plain http:// is supported",
            EndpointError::Port => "expected host:port with a port from 1 to 65535",
            EndpointError::Host => "the host is missing or malformed",
        }
    }
}

/// Reads `host:port`, `[v6]:port`, with an optional `http://` and an optional path prefix.
pub fn parse_endpoint(value: &str) -> Result<Endpoint, EndpointError> {
    let value = value.trim_ascii();
    if value.is_empty() {
        return Err(EndpointError::Empty);
    }
    let rest = match split_once(value, b"://") {
        Some((scheme, rest)) if eq_ignore_case(scheme.as_bytes(), b"http") => rest,
        Some(_) => return Err(EndpointError::Scheme),
        None => value,
    };
    let slash = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(slash).ok_or(EndpointError::Host)?;
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (ip, port) = split_once(inner, b"]").ok_or(EndpointError::Host)?;
        let ip = Ipv6Addr::from(parse_ipv6(ip).ok_or(EndpointError::Host)?);
        (Host::V6(ip), port) // `:port`, colon included
    } else {
        let colon = authority.bytes().rposition(|b| b == b':').ok_or(EndpointError::Port)?;
        let (name, port) = authority.split_at_checked(colon).ok_or(EndpointError::Port)?;
        // `is_host_byte` refuses ':' too, so the name holds no other colon.
        let host = if name.is_empty() || !name.bytes().all(is_host_byte) {
            return Err(EndpointError::Host);
        } else if eq_ignore_case(name.as_bytes(), b"localhost") {
            Host::V4(Ipv4Addr::LOCALHOST)
        } else if let Some(ip) = ipv4(name.as_bytes()) {
            Host::V4(Ipv4Addr::from(ip))
        } else {
            Host::Name(String::from(name))
        };
        (host, port)
    };
    let port = match port.strip_prefix(':').and_then(|p| parse_u64(p.as_bytes())) {
        Some(p @ 1..=65535) => p as u16,
        _ => return Err(EndpointError::Port),
    };
    if path.bytes().any(|b| b <= b' ' || b >= 0x7f || b == b'?' || b == b'#') {
        return Err(EndpointError::Host);
    }
    let kept = path.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
    let prefix = path.get(..kept).unwrap_or_default();
    Ok(Endpoint { host, port, authority: String::from(authority), prefix: String::from(prefix) })
}

/// Where `needle` starts in `hay` (a byte search: core's substring searcher is large).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `s` cut around the first `sep`: what comes before it and what follows it. (By bytes, and
/// without the panicking paths of `str` slicing.)
fn split_once<'a>(s: &'a str, sep: &[u8]) -> Option<(&'a str, &'a str)> {
    let i = find(s.as_bytes(), sep)?;
    Some((s.get(..i)?, s.get(i + sep.len()..)?))
}

/// Dotted-quad IPv4: four decimal numbers 0–255 without leading zeros.
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    ipv4(s.as_bytes())
}

fn ipv4(s: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split(|&b| b == b'.');
    for slot in &mut out {
        let part = parts.next()?;
        if part.len() > 1 && part.starts_with(b"0") || part.len() > 3 {
            return None;
        }
        *slot = u8::try_from(parse_u64(part)?).ok()?;
    }
    if parts.next().is_some() { None } else { Some(out) }
}

/// IPv6 text form (RFC 4291 §2.2): eight hex groups, one `::` for a run of zeros, an optional
/// dotted IPv4 tail. No zone ids.
pub fn parse_ipv6(s: &str) -> Option<[u8; 16]> {
    let address = match split_once(s, b"::") {
        Some((head, tail)) => {
            let (head, h) = ipv6_groups(head.as_bytes(), false)?;
            let (tail, t) = ipv6_groups(tail.as_bytes(), true)?;
            if h + t > 7 {
                return None;
            }
            // The head's groups go to the top; with none, the shift by 128 leaves nothing.
            head.checked_shl(16 * (8 - h)).unwrap_or(0) | tail
        }
        None => ipv6_groups(s.as_bytes(), true).filter(|&(_, n)| n == 8)?.0,
    };
    Some(address.to_be_bytes())
}

/// Colon-separated hex groups as one number, the last group lowest; with `v4_last`, a final
/// dotted IPv4 counts as two groups. Returns the number and how many groups there were (at
/// most 8).
// `contains` on bytes is `memchr`: 200 bytes more in a `#![no_std]` bootstrap.
#[allow(clippy::manual_contains)]
fn ipv6_groups(s: &[u8], v4_last: bool) -> Option<(u128, u32)> {
    let (mut value, mut n) = (0u128, 0);
    if s.is_empty() {
        return Some((value, n));
    }
    let mut v4_seen = false;
    for part in s.split(|&b| b == b':') {
        if v4_seen {
            return None; // the dotted IPv4 comes last
        }
        if v4_last && part.iter().any(|&b| b == b'.') {
            value = value << 32 | u128::from(u32::from_be_bytes(ipv4(part)?));
            n += 2;
            v4_seen = true;
        } else {
            if part.is_empty() || part.len() > 4 {
                return None;
            }
            let group = part.iter().try_fold(0, |g, &b| Some(g << 4 | char::from(b).to_digit(16)?))?;
            value = value << 16 | u128::from(group);
            n += 1;
        }
        if n > 8 {
            return None;
        }
    }
    Some((value, n))
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn ok(value: &str, host: Host, port: u16, prefix: &str) {
        let e = parse_endpoint(value).unwrap_or_else(|e| panic!("{value}: {e:?}"));
        assert_eq!((e.host, e.port, e.prefix.as_str()), (host, port, prefix), "{value}");
    }

    #[test]
    fn endpoint_forms() {
        let lo = Host::V4(Ipv4Addr::LOCALHOST);
        ok("127.0.0.1:9001", lo.clone(), 9001, "");
        ok("  127.0.0.1:9001\n", lo.clone(), 9001, "");
        ok("localhost:9001", lo.clone(), 9001, "");
        ok("http://127.0.0.1:9001", lo.clone(), 9001, "");
        ok("HTTP://127.0.0.1:9001/", lo.clone(), 9001, "");
        ok("http://127.0.0.1:9000/.rt/fn", lo.clone(), 9000, "/.rt/fn");
        ok("127.0.0.1:9000/.rt/fn/", lo, 9000, "/.rt/fn");
        ok("http://[::]:9000/.rt/my-fn", Host::V6(Ipv6Addr::UNSPECIFIED), 9000, "/.rt/my-fn");
        ok("[::1]:9001", Host::V6(Ipv6Addr::LOCALHOST), 9001, "");
        ok("sandbox.localdomain:9001", Host::Name("sandbox.localdomain".to_string()), 9001, "");
        assert_eq!(parse_endpoint("[::1]:9001").unwrap().authority, "[::1]:9001");
    }

    #[test]
    fn endpoint_errors() {
        use EndpointError::*;
        let cases: &[(&str, EndpointError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("https://127.0.0.1:9001", Scheme),
            ("ftp://127.0.0.1:9001", Scheme),
            ("127.0.0.1", Port),
            ("127.0.0.1:", Port),
            ("127.0.0.1:0", Port),
            ("127.0.0.1:65536", Port),
            ("127.0.0.1:-1", Port),
            ("127.0.0.1:90x1", Port),
            (":9001", Host),
            ("[::1]", Port),
            ("[::1:9001", Host),
            ("[nothex]:9001", Host),
            ("::1:9001", Host),
            ("host name:9001", Host),
            ("h\u{e9}:9001", Host),
            ("127.0.0.1:9001/a b", Host),
            ("127.0.0.1:9001/a?b", Host),
        ];
        for (value, want) in cases {
            assert_eq!(parse_endpoint(value), Err(*want), "{value:?}");
        }
    }

    #[test]
    fn ip_addresses_agree_with_core() {
        let v4 = [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.1.1.1",
            "1..1.1",
            "",
            "a.b.c.d",
            "1.2.3.-4",
        ];
        for s in v4 {
            assert_eq!(parse_ipv4(s), s.parse::<Ipv4Addr>().ok().map(|ip| ip.octets()), "{s:?}");
        }
        let v6 = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "fe80::1:2",
            "::ffff:127.0.0.1",
            "64:ff9b::192.0.2.33",
            "1:2:3:4:5:6:1.2.3.4",
            "ABCD:ef01::",
            ":::",
            "1::2::3",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "12345::",
            "g::",
            "1.2.3.4::",
            "::1.2.3",
            ":1::",
            "1::2:",
            "",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7",
            "::1:2:3:4:5:6:7:8",
            "+1::",
            "1:2:3:4:5:6:7:1.2.3.4",
        ];
        for s in v6 {
            assert_eq!(parse_ipv6(s), s.parse::<Ipv6Addr>().ok().map(|ip| ip.octets()), "{s:?}");
        }
    }
}
