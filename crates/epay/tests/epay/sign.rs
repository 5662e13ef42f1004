use youying_epay::{Credentials, Error, Md5Key, MerchantKey, Params, PlatformKey};

use crate::{V1_KEY, fixture, v1, v2};

#[test]
fn v1_agrees_with_python_hashlib() {
    let vectors = fixture("v1_vectors.tsv");
    for line in vectors.lines() {
        let [query, key, signing_string, sign] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("{line}") };
        assert_eq!(key, V1_KEY);
        let params = Params::parse_query(query).unwrap();
        assert_eq!(params.signing_string(), signing_string);
        assert_eq!(v1().sign(&params).unwrap(), sign);
        v1().verify(&params).unwrap();
    }
}

#[test]
fn v1_signing_string_drops_sign_sign_type_and_empty_values() {
    let params = Params::from_pairs([("b", "2"), ("sign", "x"), ("a", "1"), ("c", ""), ("sign_type", "MD5")]).unwrap();
    assert_eq!(params.signing_string(), "a=1&b=2");
    // Uppercase sorts before lowercase: byte order, not case-insensitive.
    let params = Params::from_pairs([("b", "2"), ("B", "1"), ("_", "0")]).unwrap();
    assert_eq!(params.signing_string(), "B=1&_=0&b=2");
}

#[test]
fn v1_refuses_a_changed_field_an_added_field_and_another_key() {
    let line = fixture("v1_vectors.tsv");
    let query = line.lines().next().unwrap().split('\t').next().unwrap().to_owned();
    v1().verify(&Params::parse_query(&query).unwrap()).unwrap();
    let tampered = query.replace("money=12.50", "money=12.51");
    assert_eq!(v1().verify(&Params::parse_query(&tampered).unwrap()), Err(Error::BadSignature));
    let added = format!("{query}&extra=1");
    assert_eq!(v1().verify(&Params::parse_query(&added).unwrap()), Err(Error::BadSignature));
    let other = Credentials::V1 { key: Md5Key::new("another-key").unwrap() };
    assert_eq!(other.verify(&Params::parse_query(&query).unwrap()), Err(Error::BadSignature));
    let garbage = query.replace("sign=f2713bd997956aa284420c5e25226d6f", "sign=zz");
    assert_eq!(v1().verify(&Params::parse_query(&garbage).unwrap()), Err(Error::BadSignature));
}

#[test]
fn v1_accepts_an_uppercase_hex_signature() {
    let line = fixture("v1_vectors.tsv");
    let query = line.lines().next().unwrap().split('\t').next().unwrap();
    let upper = query.replace("f2713bd997956aa284420c5e25226d6f", "F2713BD997956AA284420C5E25226D6F");
    v1().verify(&Params::parse_query(&upper).unwrap()).unwrap();
}

#[test]
fn v2_agrees_with_openssl_both_ways() {
    let params = Params::parse_query(&fixture("v2_notify.txt")).unwrap();
    assert_eq!(params.signing_string(), fixture("v2_signing_string.txt"));
    // openssl's signature verifies here …
    v2().verify(&params).unwrap();
    // … and PKCS#1 v1.5 is deterministic, so ours is byte for byte openssl's.
    assert_eq!(v2().sign(&params).unwrap(), params.get("sign").unwrap());
}

#[test]
fn v2_reads_pkcs1_keys_and_bare_base64() {
    let params = Params::parse_query(&fixture("v2_notify.txt")).unwrap();
    let bare = |pem: &str| pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    for (private, public) in [
        (fixture("rsa_private_pkcs1.pem"), fixture("rsa_public_pkcs1.pem")),
        (bare(&fixture("rsa_private_pkcs8.pem")), bare(&fixture("rsa_public_spki.pem"))),
        (bare(&fixture("rsa_private_pkcs1.pem")), bare(&fixture("rsa_public_pkcs1.pem"))),
    ] {
        let credentials = Credentials::V2 {
            merchant: MerchantKey::from_pem(&private).unwrap(),
            platform: PlatformKey::from_pem(&public).unwrap(),
        };
        credentials.verify(&params).unwrap();
        assert_eq!(credentials.sign(&params).unwrap(), params.get("sign").unwrap());
    }
    assert!(matches!(MerchantKey::from_pem("not a key"), Err(Error::Key(_))));
    assert!(matches!(PlatformKey::from_pem(&fixture("rsa_private_pkcs8.pem")), Err(Error::Key(_))));
}

#[test]
fn v2_refuses_a_tampered_notify_and_the_wrong_sign_type() {
    let query = fixture("v2_notify.txt");
    let tampered = query.replace("money=12.50", "money=1250.00");
    assert_eq!(v2().verify(&Params::parse_query(&tampered).unwrap()), Err(Error::BadSignature));
    let md5 = query.replace("sign_type=RSA", "sign_type=MD5");
    assert!(matches!(v2().verify(&Params::parse_query(&md5).unwrap()), Err(Error::SignType { .. })));
    let unsigned = Params::from_pairs([("pid", "1"), ("sign_type", "RSA")]).unwrap();
    assert_eq!(v2().verify(&unsigned), Err(Error::Missing("sign")));
    let not_base64 = Params::from_pairs([("pid", "1"), ("sign", "@@@")]).unwrap();
    assert_eq!(v2().verify(&not_base64), Err(Error::BadSignature));
}

#[test]
fn secrets_never_show_in_debug() {
    let shown = format!("{:?} {:?}", v1(), v2());
    assert!(!shown.contains(V1_KEY), "{shown}");
    assert!(shown.contains("<redacted>"));
    let pem = fixture("rsa_private_pkcs8.pem");
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!shown.contains(&body_line[..20]), "{shown}");
}

#[test]
fn a_duplicated_key_is_refused() {
    assert_eq!(Params::parse_query("a=1&b=2&a=1"), Err(Error::Duplicate("a".into())));
    let mut params = Params::new();
    params.push("sign", "x").unwrap();
    assert_eq!(params.push("sign", "y"), Err(Error::Duplicate("sign".into())));
}
