//! Payment gateways as the admin configures them, shared by the API and the
//! platform page: the request, checked with the epay crate and sealed with the
//! master key before the core sees it, and the view that never shows a secret.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::error::{Error, Result};
use youying_core::payments::{self, Attempt, Channel, Gateway, GatewayInput, GatewayKind, GatewayName};
use youying_core::ports::Store;
use youying_epay::{BaseUrl, Credentials, Md5Key, MerchantKey, OutTradeNo, PayOrder, PlatformKey};

use crate::state::App;
use crate::vault::Vault;

/// `PUT /api/v1/admin/gateways/{name}`. A secret left out (or empty) keeps
/// the stored one.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct GatewayRequest {
    /// `epay_v1` (MD5 key) or `epay_v2` (RSA key pair).
    pub kind: String,
    pub base_url: String,
    pub pid: String,
    pub key: Option<String>,
    pub merchant_private_key_pem: Option<String>,
    pub platform_public_key_pem: Option<String>,
    /// `alipay`, `wxpay`, `qqpay`.
    pub channels: Vec<String>,
    pub enabled: bool,
}

impl fmt::Debug for GatewayRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayRequest")
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("pid", &self.pid)
            .field("channels", &self.channels)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A gateway as an admin reads it: whether each secret is set, never what it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayView {
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub pid: String,
    pub has_key: bool,
    pub has_merchant_private_key: bool,
    pub has_platform_public_key: bool,
    pub channels: Vec<String>,
    pub enabled: bool,
    pub updated_at: i64,
}

pub fn view(g: &Gateway) -> GatewayView {
    GatewayView {
        name: g.name.to_string(),
        kind: g.kind.as_str().to_owned(),
        base_url: g.base_url.clone(),
        pid: g.pid.clone(),
        has_key: g.key.is_some(),
        has_merchant_private_key: g.merchant_private_key.is_some(),
        has_platform_public_key: g.platform_public_key.is_some(),
        channels: g.channels.iter().map(|c| c.as_str().to_owned()).collect(),
        enabled: g.enabled,
        updated_at: g.updated_at.millis(),
    }
}

/// A secret given, with surrounding whitespace ignored; empty means "keep".
fn given(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Parses what the core cannot (URL and keys, with the epay crate) and seals
/// each secret given. Nothing here is stored yet.
pub fn input(vault: &Vault, name: &str, r: &GatewayRequest) -> Result<GatewayInput> {
    let invalid = |field, reason| Error::Invalid { field, reason };
    let name = GatewayName::parse(name)?;
    let kind = GatewayKind::parse(r.kind.trim())?;
    let base_url = BaseUrl::parse(r.base_url.trim()).map_err(|_| invalid("base_url", "url"))?;
    let channels = r.channels.iter().map(|c| Channel::parse(c.trim())).collect::<Result<Vec<_>>>()?;
    let key = given(r.key.as_deref());
    if key.is_some_and(|k| youying_epay::Md5Key::new(k).is_err()) {
        return Err(invalid("key", "md5_key"));
    }
    let merchant = given(r.merchant_private_key_pem.as_deref());
    if merchant.is_some_and(|pem| MerchantKey::from_pem(pem).is_err()) {
        return Err(invalid("merchant_private_key_pem", "pem"));
    }
    let platform = given(r.platform_public_key_pem.as_deref());
    if platform.is_some_and(|pem| PlatformKey::from_pem(pem).is_err()) {
        return Err(invalid("platform_public_key_pem", "pem"));
    }
    let seal = |s: Option<&str>| s.map(|s| vault.seal_secret(s)).transpose();
    Ok(GatewayInput {
        name,
        kind,
        base_url: base_url.as_str().to_owned(),
        pid: r.pid.clone(),
        key: seal(key)?,
        merchant_private_key: seal(merchant)?,
        platform_public_key: seal(platform)?,
        channels,
        enabled: r.enabled,
    })
}

pub async fn list<S: Store>(app: &App<S>, actor: &User) -> Result<Vec<GatewayView>> {
    youying_core::authz::admin(actor)?;
    Ok(app.store.read(|tx| tx.gateways()).await?.iter().map(view).collect())
}

pub async fn put<S: Store>(app: &App<S>, actor: User, name: &str, r: &GatewayRequest) -> Result<GatewayView> {
    // Admin first: a non-admin learns nothing from validation.
    youying_core::authz::admin(&actor)?;
    let input = input(&app.vault, name, r)?;
    let now = app.now();
    let g = app.store.write(move |tx| payments::put_gateway(tx, now, &actor, input)).await?;
    Ok(view(&g))
}

/// The secrets of a gateway, opened for one exchange and dropped after.
pub fn credentials(vault: &Vault, g: &Gateway) -> Result<Credentials> {
    let open = |s: Option<&payments::Sealed>, field: &'static str| {
        s.ok_or(Error::Invalid { field, reason: "required" }).and_then(|s| vault.open_secret(s))
    };
    let bad = |field| move |_| Error::Invalid { field, reason: "unusable" };
    Ok(match g.kind {
        GatewayKind::EpayV1 => Credentials::V1 { key: Md5Key::new(open(g.key.as_ref(), "key")?).map_err(bad("key"))? },
        GatewayKind::EpayV2 => Credentials::V2 {
            merchant: MerchantKey::from_pem(&open(g.merchant_private_key.as_ref(), "merchant_private_key_pem")?)
                .map_err(bad("merchant_private_key_pem"))?,
            platform: PlatformKey::from_pem(&open(g.platform_public_key.as_ref(), "platform_public_key_pem")?)
                .map_err(bad("platform_public_key_pem"))?,
        },
    })
}

/// Where the gateway calls back and sends the buyer back to.
fn callback_urls(site: &str, gateway: &GatewayName) -> (String, String) {
    let site = site.trim_end_matches('/');
    (format!("{site}/pay/notify/{gateway}"), format!("{site}/pay/return/{gateway}"))
}

/// The signed `submit.php` URL of an attempt: the same every time it is asked.
pub fn pay_url(vault: &Vault, g: &Gateway, a: &Attempt, site: &str) -> Result<String> {
    let broken = |_| Error::Invalid { field: "gateway", reason: "unusable" };
    let base = BaseUrl::parse(&g.base_url).map_err(broken)?;
    let out_trade_no = OutTradeNo::parse(&a.out_trade_no).map_err(broken)?;
    let (notify_url, return_url) = callback_urls(site, &g.name);
    let name = match &a.checkout {
        Some(c) => format!("有应订单 {}", c.order_no),
        None => format!("有应钱包充值 {}", crate::fmt::fmt_fen(a.amount_fen)),
    };
    let order = PayOrder {
        pid: &g.pid,
        channel: a.channel.as_str(),
        out_trade_no: &out_trade_no,
        notify_url: &notify_url,
        return_url: &return_url,
        name: &name,
        amount_fen: a.amount_fen,
        sitename: Some("有应"),
        param: None,
    };
    order.pay_url(&base, &credentials(vault, g)?).map_err(broken)
}
