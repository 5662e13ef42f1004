use youying_epay::{Error, fen_to_yuan, yuan_to_fen};

#[test]
fn fen_reads_as_yuan_with_two_decimals() {
    assert_eq!(fen_to_yuan(1250), "12.50");
    assert_eq!(fen_to_yuan(1), "0.01");
    assert_eq!(fen_to_yuan(0), "0.00");
    assert_eq!(fen_to_yuan(1200), "12.00");
    assert_eq!(fen_to_yuan(-5), "-0.05");
    assert_eq!(fen_to_yuan(i64::MAX), "92233720368547758.07");
    assert_eq!(fen_to_yuan(i64::MIN), "-92233720368547758.08");
}

#[test]
fn yuan_parses_exactly_to_the_fen() {
    for (yuan, fen) in [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.01", 1), ("0", 0), ("012.30", 1230)] {
        assert_eq!(yuan_to_fen(yuan), Ok(fen), "{yuan}");
    }
    assert_eq!(yuan_to_fen("92233720368547758.07"), Ok(i64::MAX));
    for fen in [0, 1, 99, 100, 1250, 123_456_789] {
        assert_eq!(yuan_to_fen(&fen_to_yuan(fen)), Ok(fen));
    }
}

#[test]
fn yuan_refuses_everything_else() {
    for bad in [
        "12.501",
        "-1",
        "+1",
        "",
        "1e3",
        " 12",
        "12 ",
        "12.",
        ".5",
        "1.2.3",
        "١٢",
        "１２",
        "12,50",
        "0x10",
        "NaN",
        "92233720368547758.08",
        "99999999999999999999",
    ] {
        assert!(matches!(yuan_to_fen(bad), Err(Error::Malformed { field: "money", .. })), "{bad:?} accepted");
    }
}
