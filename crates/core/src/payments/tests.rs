use super::*;
use crate::values::UserId;

fn input(kind: GatewayKind) -> GatewayInput {
    GatewayInput {
        name: GatewayName::parse("main").unwrap(),
        kind,
        base_url: " https://pay.example.com/ ".into(),
        pid: "1001".into(),
        key: Some(Sealed::new("sealed-key".into())),
        merchant_private_key: None,
        platform_public_key: None,
        channels: vec![Channel::Wxpay, Channel::Alipay, Channel::Wxpay],
        enabled: true,
    }
}

fn stored(i: &GatewayInput) -> Gateway {
    Gateway {
        name: i.name.clone(),
        kind: i.kind,
        base_url: i.base_url.trim().into(),
        pid: i.pid.clone(),
        key: i.key.clone(),
        merchant_private_key: i.merchant_private_key.clone(),
        platform_public_key: i.platform_public_key.clone(),
        channels: vec![Channel::Alipay, Channel::Wxpay],
        enabled: i.enabled,
        updated_by: Some(UserId(1)),
        updated_at: Timestamp::from_millis(0),
    }
}

#[test]
fn input_is_trimmed_and_channels_are_a_set() {
    let (url, pid, channels) = checked_input(&input(GatewayKind::EpayV1)).unwrap();
    assert_eq!((url.as_str(), pid.as_str()), ("https://pay.example.com/", "1001"));
    assert_eq!(channels, vec![Channel::Alipay, Channel::Wxpay]);
}

#[test]
fn bad_pid_url_and_empty_channels_are_refused() {
    let mut i = input(GatewayKind::EpayV1);
    i.pid = "10\u{0}01".into();
    assert!(matches!(checked_input(&i), Err(Error::Invalid { field: "pid", .. })));
    let mut i = input(GatewayKind::EpayV1);
    i.base_url = " ".into();
    assert!(matches!(checked_input(&i), Err(Error::Invalid { field: "base_url", .. })));
    let mut i = input(GatewayKind::EpayV1);
    i.channels.clear();
    assert!(matches!(checked_input(&i), Err(Error::Invalid { field: "channels", .. })));
}

#[test]
fn each_kind_needs_its_secrets() {
    let v1 = stored(&input(GatewayKind::EpayV1));
    assert!(require_secrets(&v1).is_ok());
    let mut v2 = stored(&input(GatewayKind::EpayV2));
    assert!(matches!(require_secrets(&v2), Err(Error::Invalid { field: "merchant_private_key_pem", .. })));
    v2.merchant_private_key = Some(Sealed::new("m".into()));
    assert!(matches!(require_secrets(&v2), Err(Error::Invalid { field: "platform_public_key_pem", .. })));
    v2.platform_public_key = Some(Sealed::new("p".into()));
    assert!(require_secrets(&v2).is_ok());
}

#[test]
fn changes_are_named_never_shown() {
    let old = stored(&input(GatewayKind::EpayV1));
    assert_eq!(changed_fields(None, &old), vec!["created"]);
    let mut new = old.clone();
    assert!(changed_fields(Some(&old), &new).is_empty());
    new.key = Some(Sealed::new("other".into()));
    new.enabled = false;
    assert_eq!(changed_fields(Some(&old), &new), vec!["key", "enabled"]);
}
