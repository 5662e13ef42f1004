use youying_epay::notify::{self, Expected};
use youying_epay::{Error, OutTradeNo, Params};

use crate::{fixture, v1, v2};

/// Signs `pairs` with the V1 test key, as a gateway would, into a query string.
fn signed(pairs: &[(&str, &str)]) -> String {
    let mut params = Params::from_pairs(pairs.iter().copied()).unwrap();
    params.push("sign", v1().sign(&params).unwrap()).unwrap();
    params.push("sign_type", "MD5").unwrap();
    params.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect::<Vec<_>>().join("&")
}

const PAID: [(&str, &str); 7] = [
    ("pid", "1001"),
    ("trade_no", "2026120711000009"),
    ("out_trade_no", "T9"),
    ("type", "alipay"),
    ("name", "top up"),
    ("money", "12.50"),
    ("trade_status", "TRADE_SUCCESS"),
];

fn with(key: &str, value: &str) -> Vec<(String, String)> {
    PAID.iter().map(|&(k, v)| (k.to_owned(), if k == key { value } else { v }.to_owned())).collect()
}

fn check(query: &str, amount_fen: i64) -> Result<notify::PaidNotice, Error> {
    let no = OutTradeNo::parse("T9").unwrap();
    notify::check(&notify::parse(query)?, &v1(), &Expected { pid: "1001", out_trade_no: &no, amount_fen })
}

fn check_with(key: &str, value: &str) -> Result<notify::PaidNotice, Error> {
    let pairs = with(key, value);
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    check(&signed(&refs), 1250)
}

#[test]
fn a_good_notify_passes_with_what_it_paid() {
    let notice = check(&signed(&PAID), 1250).unwrap();
    assert_eq!(notice.trade_no, "2026120711000009");
    assert_eq!(notice.out_trade_no.as_str(), "T9");
    assert_eq!(notice.amount_fen, 1250);
    assert_eq!(notice.channel.as_deref(), Some("alipay"));
    assert_eq!(notice.param, None);
    assert_eq!(notify::out_trade_no(&notify::parse(&signed(&PAID)).unwrap()).unwrap().as_str(), "T9");
    // The decoded value is what was signed: "top up" arrived as "top+up".
    assert!(signed(&PAID).contains("name=top+up"));
}

#[test]
fn extra_fields_count_when_signed_and_break_the_signature_when_not() {
    let mut pairs = PAID.to_vec();
    pairs.push(("gateway_added", "x"));
    assert!(check(&signed(&pairs), 1250).is_ok());
    assert_eq!(check(&format!("{}&unsigned=1", signed(&PAID)), 1250), Err(Error::BadSignature));
}

#[test]
fn each_failure_is_its_own_error() {
    assert_eq!(check(&signed(&PAID).replace("money=12.50", "money=12.51"), 1250), Err(Error::BadSignature));
    assert_eq!(check_with("pid", "1002"), Err(Error::WrongPid { got: "1002".into() }));
    assert_eq!(check_with("out_trade_no", "T10"), Err(Error::WrongOrder { got: "T10".into() }));
    assert_eq!(check_with("trade_status", "WAIT_BUYER_PAY"), Err(Error::NotSuccess("WAIT_BUYER_PAY".into())));
    assert_eq!(check_with("trade_status", ""), Err(Error::Missing("trade_status")));
    assert_eq!(check_with("money", "12.51"), Err(Error::AmountMismatch { expected_fen: 1250, got_fen: 1251 }));
    assert!(check_with("money", "12.5").is_ok(), "12.5 and 12.50 are the same money");
    assert!(matches!(check_with("money", "1e3"), Err(Error::Malformed { field: "money", .. })));
    assert_eq!(check_with("trade_no", ""), Err(Error::Missing("trade_no")));
    assert_eq!(check("pid=1001&money=1", 100), Err(Error::Missing("sign")));
    assert_eq!(check(&format!("{}&pid=1001", signed(&PAID)), 1250), Err(Error::Duplicate("pid".into())));
}

#[test]
fn a_v2_notify_from_openssl_passes() {
    let params = notify::parse(&fixture("v2_notify.txt")).unwrap();
    let no = OutTradeNo::parse("T20261207.0002").unwrap();
    let notice = notify::check(&params, &v2(), &Expected { pid: "1001", out_trade_no: &no, amount_fen: 1250 }).unwrap();
    assert_eq!(notice.trade_no, "2026120711000002");
    // The same notify checked with V1 credentials is refused, whatever the key.
    assert!(matches!(
        notify::check(&params, &v1(), &Expected { pid: "1001", out_trade_no: &no, amount_fen: 1250 }),
        Err(Error::SignType { .. })
    ));
}
