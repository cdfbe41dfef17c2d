//! `AWS_LAMBDA_RUNTIME_API` parsing (`protocol::parse_endpoint`) and the address parsers under it.
//!
//! Invariants: never a panic; `parse_ipv4` and `parse_ipv6` agree with core's parsers; an
//! accepted value has a port from 1 to 65535, an authority taken from the value, a prefix that
//! is empty or `/…` without a trailing slash nor bytes that could break a request line, a host
//! that is what the authority says; and the canonical form `http://AUTHORITY PREFIX` parses to
//! the same endpoint.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr};

use lambda_bootstrap::fuzzing::protocol::{Host, parse_endpoint, parse_ipv4, parse_ipv6};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    assert_eq!(parse_ipv4(value), value.parse::<Ipv4Addr>().ok().map(|ip| ip.octets()), "{value:?}");
    assert_eq!(parse_ipv6(value), value.parse::<Ipv6Addr>().ok().map(|ip| ip.octets()), "{value:?}");
    let Ok(endpoint) = parse_endpoint(value) else { return };
    assert!(endpoint.port >= 1);
    let authority = endpoint.authority.as_str();
    assert!(!authority.is_empty() && value.contains(authority), "{value:?} -> {endpoint:?}");
    let prefix = endpoint.prefix.as_bytes();
    assert!(prefix.is_empty() || (prefix[0] == b'/' && prefix.last() != Some(&b'/')), "{endpoint:?}");
    assert!(prefix.iter().all(|&b| b > b' ' && b < 0x7f && b != b'?' && b != b'#'), "{endpoint:?}");
    let (host, port) = authority.rsplit_once(':').expect("host:port");
    assert_eq!(port.parse::<u16>().ok(), Some(endpoint.port), "{endpoint:?}");
    match &endpoint.host {
        Host::V4(ip) if host.eq_ignore_ascii_case("localhost") => assert_eq!(*ip, Ipv4Addr::LOCALHOST),
        Host::V4(ip) => assert_eq!(host.parse::<Ipv4Addr>().ok(), Some(*ip), "{endpoint:?}"),
        Host::V6(ip) => {
            let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).expect("brackets");
            assert_eq!(inner.parse::<Ipv6Addr>().ok(), Some(*ip), "{endpoint:?}");
        }
        Host::Name(name) => {
            assert_eq!(name, host);
            assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)), "{name:?}");
        }
        host => panic!("a kind of host this target does not know: {host:?}"),
    }
    let canonical = format!("http://{authority}{}", endpoint.prefix);
    assert_eq!(parse_endpoint(&canonical).as_ref(), Ok(&endpoint), "{canonical:?}");
});
