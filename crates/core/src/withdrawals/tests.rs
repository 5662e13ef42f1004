use super::*;
use crate::money::Fen;

fn fen(n: i64) -> Fen {
    Fen::new(n).unwrap()
}

#[test]
fn the_fee_is_basis_points_rounded_down() {
    assert_eq!(fee_for(fen(6_000), 60), fen(36));
    assert_eq!(fee_for(fen(1_000), 60), fen(6));
    // 999 × 0.6 % = 5.994 fen: the fee is 5, never 6.
    assert_eq!(fee_for(fen(999), 60), fen(5));
    assert_eq!(fee_for(fen(166), 60), fen(0));
    assert_eq!(fee_for(fen(167), 60), fen(1));
    assert_eq!(fee_for(fen(10_000), 0), fen(0));
    assert_eq!(fee_for(fen(10_000), 2_000), fen(2_000));
}

#[test]
fn the_fee_never_exceeds_the_amount() {
    for amount in [1, 7, 99, 1_001, 123_457] {
        assert!(fee_for(fen(amount), 10_000) <= fen(amount));
    }
}
