//! Which addresses an outbound call may reach. A callback URL or an upstream
//! base URL is typed by someone on the internet; left unchecked, it makes the
//! server fetch its own admin port, the cloud's metadata service or the LAN
//! (SSRF). Public addresses only, unless the admin rule
//! `allow_private_addresses` is 1 (tests and a one-machine demo).
//!
//! This module parses the URL and judges addresses; resolving the host is the
//! caller's job (and must judge every address the name resolves to, at the
//! moment of the call, so a name cannot be re-pointed after the check).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("not an http(s) URL")]
    NotHttp,
    #[error("the URL has no host")]
    NoHost,
    #[error("user names and passwords in URLs are not accepted")]
    UserInfo,
    #[error("the URL is too long (at most 2,000 characters)")]
    TooLong,
    #[error("the URL contains spaces or control characters")]
    BadChar,
    #[error("the port is not a number from 1 to 65535")]
    BadPort,
    #[error("{0} is a private, loopback or link-local address")]
    Private(IpAddr),
}

impl AddrError {
    pub fn code(&self) -> &'static str {
        match self {
            AddrError::Private(_) => "private_address",
            _ => "bad_url",
        }
    }
}

/// An absolute http(s) URL, split where the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub https: bool,
    /// The host as written, without brackets for IPv6.
    pub host: String,
    pub port: u16,
    /// The URL as given (trimmed), for the HTTP client.
    pub url: String,
}

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<Self, AddrError> {
        let url = raw.trim();
        if url.len() > 2000 {
            return Err(AddrError::TooLong);
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AddrError::BadChar);
        }
        let lower = url.to_ascii_lowercase();
        let (https, rest) = if lower.starts_with("https://") {
            (true, &url[8..])
        } else if lower.starts_with("http://") {
            (false, &url[7..])
        } else {
            return Err(AddrError::NotHttp);
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(AddrError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return Err(AddrError::NoHost);
        }
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or(AddrError::BadPort)?,
            None if https => 443,
            None => 80,
        };
        Ok(Self { https, host: host.to_ascii_lowercase(), port, url: url.to_owned() })
    }

    /// The host as an address when it is written as one (`127.0.0.1`, `[::1]`).
    pub fn literal_ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// Refuses at once a host that is a private address or names this machine.
    /// A name that resolves elsewhere is judged by [`check_ip`] on each address.
    pub fn check_literal(&self) -> Result<(), AddrError> {
        if let Some(ip) = self.literal_ip() {
            return check_ip(ip);
        }
        if self.host == "localhost" || self.host.ends_with(".localhost") {
            return Err(AddrError::Private(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        }
        Ok(())
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), AddrError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']').ok_or(AddrError::NoHost)?;
        let host = &rest[..end];
        let after = &rest[end + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(p))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(AddrError::BadPort),
        };
    }
    Ok(match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    })
}

/// Public unicast only.
pub fn check_ip(ip: IpAddr) -> Result<(), AddrError> {
    if is_public(ip) { Ok(()) } else { Err(AddrError::Private(ip)) }
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT 100.64.0.0/10, benchmarking 198.18.0.0/15, reserved 240.0.0.0/4.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // IPv4-compatible ::a.b.c.d and NAT64 64:ff9b::/96 embed a v4 address.
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4))
        || (first == 0x64 && ip.segments()[1] == 0xff9b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    #[test]
    fn private_and_local_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
        }
        for s in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2400:3200::1", "::ffff:8.8.8.8"] {
            assert!(is_public(ip(s)), "{s} is public");
        }
    }

    #[test]
    fn urls_are_parsed_not_trusted() {
        let u = HttpUrl::parse(" https://Shop.Example:8443/api?x=1 ").expect("parses");
        assert_eq!((u.https, u.host.as_str(), u.port), (true, "shop.example", 8443));
        assert_eq!(HttpUrl::parse("http://a.example").map(|u| u.port), Ok(80));
        assert_eq!(HttpUrl::parse("http://[::1]:9/x").map(|u| u.literal_ip()), Ok(Some(ip("::1"))));
        assert_eq!(HttpUrl::parse("ftp://a.example"), Err(AddrError::NotHttp));
        assert_eq!(HttpUrl::parse("file:///etc/passwd"), Err(AddrError::NotHttp));
        assert_eq!(HttpUrl::parse("http://user:pw@a.example/"), Err(AddrError::UserInfo));
        assert_eq!(HttpUrl::parse("http://a.example:0/"), Err(AddrError::BadPort));
        assert_eq!(HttpUrl::parse("http://a.example:99999/"), Err(AddrError::BadPort));
        assert_eq!(HttpUrl::parse("http:///x"), Err(AddrError::NoHost));
        assert_eq!(HttpUrl::parse("http://a.example/\0"), Err(AddrError::BadChar));
        assert_eq!(HttpUrl::parse(&format!("http://a.example/{}", "x".repeat(2000))), Err(AddrError::TooLong));
        let local = |s: &str| HttpUrl::parse(s).and_then(|u| u.check_literal());
        assert!(matches!(local("http://127.0.0.1:8080/"), Err(AddrError::Private(_))));
        assert!(matches!(local("http://localhost/"), Err(AddrError::Private(_))));
        assert!(matches!(local("http://[::ffff:169.254.169.254]/"), Err(AddrError::Private(_))));
        assert_eq!(local("https://supplier.example/"), Ok(()));
    }
}
