use youying_epay::{BaseUrl, Error, OutTradeNo, Params, PayOrder};

use crate::{v1, v2};

fn order(out_trade_no: &OutTradeNo) -> PayOrder<'_> {
    PayOrder {
        pid: "1001",
        channel: "alipay",
        out_trade_no,
        notify_url: "https://shop.example/pay/notify?g=epay",
        return_url: "https://shop.example/pay/return",
        name: "会员 充值&1+1",
        amount_fen: 1250,
        sitename: Some("有应"),
        param: None,
    }
}

#[test]
fn the_pay_url_carries_every_signed_parameter_encoded() {
    let no = OutTradeNo::parse("T20261207.0003").unwrap();
    let base = BaseUrl::parse("https://pay.example/").unwrap();
    let url = order(&no).pay_url(&base, &v1()).unwrap();
    let query = url.strip_prefix("https://pay.example/submit.php?").unwrap();
    assert!(query.contains("name=%E4%BC%9A%E5%91%98+%E5%85%85%E5%80%BC%261%2B1"), "{query}");
    assert!(query.contains("notify_url=https%3A%2F%2Fshop.example%2Fpay%2Fnotify%3Fg%3Depay"), "{query}");
    let params = Params::parse_query(query).unwrap();
    assert_eq!(params.get("money"), Some("12.50"));
    assert_eq!(params.get("name"), Some("会员 充值&1+1"));
    assert_eq!(params.get("param"), None, "an empty optional is neither signed nor sent");
    // The signature is over the raw values: computed with python3 hashlib.
    assert_eq!(params.get("sign"), Some("5d318525f81c8fda9c67afcf6595c571"));
    assert_eq!(params.get("sign_type"), Some("MD5"));
    v1().verify(&params).unwrap();
}

#[test]
fn a_v2_pay_url_is_signed_with_rsa() {
    let no = OutTradeNo::parse("T20261207.0004").unwrap();
    let base = BaseUrl::parse("http://pay.example/epay").unwrap();
    let url = PayOrder { param: Some("topup:7"), channel: "", ..order(&no) }.pay_url(&base, &v2()).unwrap();
    let query = url.strip_prefix("http://pay.example/epay/submit.php?").unwrap();
    let params = Params::parse_query(query).unwrap();
    assert_eq!(params.get("sign_type"), Some("RSA"));
    assert_eq!(params.get("type"), None, "no channel: the gateway's cashier chooses");
    assert_eq!(params.get("param"), Some("topup:7"));
    v2().verify(&params).unwrap();
}

#[test]
fn a_pay_order_refuses_what_a_gateway_would() {
    let no = OutTradeNo::parse("T1").unwrap();
    let base = BaseUrl::parse("https://pay.example").unwrap();
    let money = |e| matches!(e, Err(Error::Malformed { field: "money", .. }));
    assert!(money(PayOrder { amount_fen: 0, ..order(&no) }.pay_url(&base, &v1())));
    assert!(money(PayOrder { amount_fen: -1, ..order(&no) }.pay_url(&base, &v1())));
    let notify = PayOrder { notify_url: "/pay/notify", ..order(&no) }.pay_url(&base, &v1());
    assert!(matches!(notify, Err(Error::Malformed { field: "notify_url", .. })));
    assert_eq!(PayOrder { pid: "", ..order(&no) }.pay_url(&base, &v1()), Err(Error::Missing("pid")));
}

#[test]
fn out_trade_no_is_parsed() {
    for good in ["T1", "a.b_c|d-e", &"9".repeat(64)] {
        assert_eq!(OutTradeNo::parse(good).unwrap().as_str(), good);
    }
    for bad in ["", "a b", "a/b", "单号", "a&b", "a+b", &"9".repeat(65)] {
        assert!(matches!(OutTradeNo::parse(bad), Err(Error::Malformed { field: "out_trade_no", .. })), "{bad}");
    }
}

#[test]
fn base_url_is_parsed() {
    assert_eq!(BaseUrl::parse("https://pay.example/").unwrap().as_str(), "https://pay.example");
    assert_eq!(BaseUrl::parse("http://1.2.3.4:8080/epay//").unwrap().as_str(), "http://1.2.3.4:8080/epay");
    for bad in [
        "",
        "pay.example",
        "ftp://pay.example",
        "https://",
        "https:///x",
        "https://pay.example/?a=1",
        "https://a b",
        "https://u@h",
    ] {
        assert!(matches!(BaseUrl::parse(bad), Err(Error::Malformed { field: "base_url", .. })), "{bad}");
    }
}
