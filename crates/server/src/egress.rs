//! Outbound calls to addresses someone typed (callback URLs, upstream sites,
//! suppliers): public addresses only, unless the rule `allow_private_addresses`
//! is 1. Two layers, so a name cannot pass the check and then be re-pointed at
//! the LAN (DNS rebinding): [`check`] refuses a bad URL with a clear error when
//! it is entered, and the [`Egress::public`] client's own resolver drops every
//! private address at the moment of each connection.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use youying_dock::addr::{self, AddrError, HttpUrl};

/// The clients for calls that leave the platform.
#[derive(Debug, Clone)]
pub struct Egress {
    /// Resolves names to public addresses only; refuses IP literals that are not.
    pub public: reqwest::Client,
    /// Any address: for `allow_private_addresses = 1`.
    pub any: reqwest::Client,
}

impl Egress {
    pub fn new() -> Self {
        Self { public: build(true), any: build(false) }
    }

    /// The client the rule in force allows.
    pub fn client(&self, allow_private: bool) -> &reqwest::Client {
        if allow_private { &self.any } else { &self.public }
    }
}

impl Default for Egress {
    fn default() -> Self {
        Self::new()
    }
}

fn build(public_only: bool) -> reqwest::Client {
    tls_ready();
    let b = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve names where this resolver cannot see.
        .no_proxy()
        .user_agent(concat!("youying/", env!("CARGO_PKG_VERSION")));
    let b = if public_only { b.dns_resolver(PublicOnly) } else { b };
    b.build().unwrap_or_default()
}

/// A resolver that answers only with public addresses.
#[derive(Debug, Clone, Copy)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| addr::is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Checks a URL before it is stored or called: http(s), no user info, and —
/// unless private addresses are allowed — a host whose every address is public.
/// A name that does not resolve is refused too: a typo should be said at once.
pub async fn check(url: &str, allow_private: bool) -> Result<HttpUrl, CheckError> {
    let parsed = HttpUrl::parse(url).map_err(CheckError::Addr)?;
    if allow_private {
        return Ok(parsed);
    }
    parsed.check_literal().map_err(CheckError::Addr)?;
    if parsed.literal_ip().is_none() {
        let found: Vec<SocketAddr> = tokio::net::lookup_host((parsed.host.as_str(), parsed.port))
            .await
            .map_err(|_| CheckError::Unresolved(parsed.host.clone()))?
            .collect();
        if found.is_empty() {
            return Err(CheckError::Unresolved(parsed.host.clone()));
        }
        for a in found {
            addr::check_ip(a.ip()).map_err(CheckError::Addr)?;
        }
    }
    Ok(parsed)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Addr(AddrError),
    #[error("the host {0} does not resolve")]
    Unresolved(String),
}

impl CheckError {
    /// `private_address` or `bad_url`: what a JSON error's `reason` says.
    pub fn reason(&self) -> &'static str {
        match self {
            CheckError::Addr(e) => e.code(),
            CheckError::Unresolved(_) => "unresolved",
        }
    }

    /// What a page says beside the field.
    pub fn message_zh(&self) -> &'static str {
        match self {
            CheckError::Addr(AddrError::Private(_)) => {
                "该地址指向内网或本机，平台不允许（管理员可在规则中开启 allow_private_addresses）"
            }
            CheckError::Addr(AddrError::NotHttp) => "请填写以 http:// 或 https:// 开头的地址",
            CheckError::Addr(AddrError::UserInfo) => "地址中不能包含用户名或密码",
            CheckError::Addr(AddrError::TooLong) => "地址过长（最多 2000 个字符）",
            CheckError::Addr(_) => "地址格式不正确",
            CheckError::Unresolved(_) => "无法解析该域名",
        }
    }
}

/// Chooses rustls's crypto (ring, as lettre uses) for this process. reqwest
/// refuses to build a client before it is chosen, so anything in this
/// workspace that builds one — the app, the fake gateway, tests, benchmarks —
/// calls this first. Calling it again does nothing.
pub fn tls_ready() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_is_refused_unless_allowed() {
        assert!(matches!(check("http://127.0.0.1:9/x", false).await, Err(CheckError::Addr(AddrError::Private(_)))));
        assert!(matches!(check("http://localhost:9/x", false).await, Err(CheckError::Addr(AddrError::Private(_)))));
        assert!(check("http://127.0.0.1:9/x", true).await.is_ok());
        assert!(matches!(check("gopher://a", true).await, Err(CheckError::Addr(AddrError::NotHttp))));
    }

    #[tokio::test]
    async fn the_public_client_will_not_connect_to_loopback() {
        // Nothing needs to listen: the resolver refuses before any connection.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
        let e = Egress::new();
        let refused = e.public.get(format!("http://localhost:{port}/")).send().await;
        assert!(refused.is_err(), "a name resolving to loopback must not be reached");
    }
}
