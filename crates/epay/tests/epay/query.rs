use youying_epay::query::{QueryAnswer, QueryCall, QueryMethod, QueryRequest, parse_answer};
use youying_epay::{BaseUrl, Error, Md5Key, OutTradeNo};

use crate::{V1_KEY, fixture, v1, v2};

#[test]
fn the_query_url_carries_the_key_but_debug_does_not() {
    let key = Md5Key::new(V1_KEY).unwrap();
    let no = OutTradeNo::parse("T|1").unwrap();
    let request = QueryRequest { pid: "1001", key: &key, out_trade_no: &no };
    let url = request.url(&BaseUrl::parse("https://pay.example").unwrap());
    assert_eq!(url.expose(), format!("https://pay.example/api.php?act=order&pid=1001&key={V1_KEY}&out_trade_no=T%7C1"));
    let shown = format!("{request:?} {url:?}");
    assert!(!shown.contains(V1_KEY), "{shown}");
    assert!(shown.contains("key=REDACTED"), "{shown}");
}

fn answer(body: &str) -> Result<QueryAnswer, Error> {
    parse_answer(body, &v1(), "1001", &OutTradeNo::parse("T1").unwrap())
}

#[test]
fn v1_answers_are_read() {
    let paid = r#"{"code":1,"msg":"succ","trade_no":"2026","out_trade_no":"T1","type":"alipay","pid":1001,
        "addtime":"2026-12-07 11:00:00","endtime":null,"name":"x","money":"12.50","status":1}"#;
    assert_eq!(answer(paid), Ok(QueryAnswer::Paid { trade_no: "2026".into(), amount_fen: 1250 }));
    let unpaid = r#"{"code":"1","trade_no":"2026","out_trade_no":"T1","money":"12.50","status":"0"}"#;
    assert_eq!(answer(unpaid), Ok(QueryAnswer::Unpaid));
    assert_eq!(answer(r#"{"code":-1,"msg":"订单编号不存在"}"#), Ok(QueryAnswer::NotFound));
    assert_eq!(
        answer(r#"{"code":-2,"msg":"KEY校验失败"}"#),
        Ok(QueryAnswer::Refused { code: -2, msg: "KEY校验失败".into() })
    );
}

#[test]
fn odd_answers_are_refused() {
    let other = r#"{"code":1,"trade_no":"2026","out_trade_no":"T2","money":"12.50","status":1}"#;
    assert_eq!(answer(other), Err(Error::WrongOrder { got: "T2".into() }));
    let pid = r#"{"code":1,"trade_no":"2026","out_trade_no":"T1","pid":"7","money":"12.50","status":1}"#;
    assert_eq!(answer(pid), Err(Error::WrongPid { got: "7".into() }));
    let refunded = r#"{"code":1,"trade_no":"2026","out_trade_no":"T1","money":"12.50","status":2}"#;
    assert_eq!(answer(refunded), Ok(QueryAnswer::Other { status: 2 }));
    let status = r#"{"code":1,"trade_no":"2026","out_trade_no":"T1","money":"12.50","status":"paid"}"#;
    assert!(matches!(answer(status), Err(Error::Malformed { field: "status", .. })));
    let money = r#"{"code":1,"trade_no":"2026","out_trade_no":"T1","money":"12.505","status":1}"#;
    assert!(matches!(answer(money), Err(Error::Malformed { field: "money", .. })));
    assert!(matches!(answer("<html>502</html>"), Err(Error::Malformed { .. })));
    assert!(matches!(answer("[1]"), Err(Error::Malformed { .. })));
    assert_eq!(answer(r#"{"msg":"x"}"#), Err(Error::Missing("code")));
}

#[test]
fn v2_answers_are_verified() {
    let body = fixture("v2_query_answer.json");
    let no = OutTradeNo::parse("T20261207.0002").unwrap();
    let paid = QueryAnswer::Paid { trade_no: "2026120711000002".into(), amount_fen: 1250 };
    assert_eq!(parse_answer(&body, &v2(), "1001", &no), Ok(paid));
    let forged = body.replace(r#""status": 1"#, r#""status": 0"#);
    assert_eq!(parse_answer(&forged, &v2(), "1001", &no), Err(Error::BadSignature));
    let unsigned = r#"{"code":1,"trade_no":"2026","out_trade_no":"T20261207.0002","money":"12.50","status":1}"#;
    assert_eq!(parse_answer(unsigned, &v2(), "1001", &no), Err(Error::Missing("sign")));
}

#[test]
fn a_v1_query_call_is_a_get_with_the_key_redacted_in_debug() {
    let no = OutTradeNo::parse("T|1").unwrap();
    let call = QueryCall::new(&BaseUrl::parse("https://pay.example/").unwrap(), "1001", &v1(), &no, 0).unwrap();
    assert_eq!(call.method(), QueryMethod::Get);
    assert_eq!(call.url(), format!("https://pay.example/api.php?act=order&pid=1001&key={V1_KEY}&out_trade_no=T%7C1"));
    assert_eq!((call.form(), call.form_body()), (None, None));
    let shown = format!("{call:?}");
    assert!(!shown.contains(V1_KEY) && shown.contains("key=REDACTED"), "{shown}");
}

#[test]
fn a_v2_query_call_posts_the_signed_form_of_the_fixture() {
    let no = OutTradeNo::parse("T20261207.0002").unwrap();
    let base = BaseUrl::parse("https://rsa.example/pay").unwrap();
    let call = QueryCall::new(&base, "1001", &v2(), &no, 1_796_641_230).unwrap();
    assert_eq!(call.method(), QueryMethod::Post);
    assert_eq!(call.url(), "https://rsa.example/pay/api/pay/query");
    // PKCS#1 v1.5 signatures are deterministic: the body equals openssl's, byte for byte.
    assert_eq!(call.form_body().unwrap(), fixture("v2_query_request.txt"));
    assert_eq!(call.form().unwrap().get("sign_type"), Some("RSA"));
    assert!(QueryCall::new(&base, "", &v2(), &no, 0).is_err());
}

#[test]
fn a_v2_answer_with_code_0_is_the_v2_panels_success() {
    let body = fixture("v2_query_answer_code0.json");
    let no = OutTradeNo::parse("T20261207.0002").unwrap();
    let paid = QueryAnswer::Paid { trade_no: "2026120711000002".into(), amount_fen: 1250 };
    assert_eq!(parse_answer(&body, &v2(), "1001", &no), Ok(paid));
    let forged = body.replace(r#""money": "12.50""#, r#""money": "1.25""#);
    assert_eq!(parse_answer(&forged, &v2(), "1001", &no), Err(Error::BadSignature));
    // V1 knows no code 0 success: there it is a refusal.
    let v1_zero = r#"{"code":0,"msg":"x"}"#;
    assert_eq!(answer(v1_zero), Ok(QueryAnswer::Refused { code: 0, msg: "x".into() }));
    assert_eq!(parse_answer(r#"{"code":-1,"msg":"订单号不存在"}"#, &v2(), "1001", &no), Ok(QueryAnswer::NotFound));
}
