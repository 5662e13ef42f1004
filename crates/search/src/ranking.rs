//! The order of results: relevance, mildly adjusted by rank, then rank, then id.
//!
//! Rank is folded into the score as a bounded factor rather than used only as a tie-break, because
//! BM25 scores of "equally relevant" products rarely tie exactly (a title one word longer scores a
//! little lower), and a down-ranked product must still sort below its peers. The factor stays
//! within `1 ± RANK_WEIGHT`, so rank reorders near-equals but never buries a much better match.
//! With no query text every score is 0 and the order is rank, then id, both descending.

use std::sync::Arc;

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{SegmentSortKeyComputer, SortKeyComputer};
use tantivy::columnar::ColumnValues;
use tantivy::{DocId, Score, SegmentReader};

use crate::schema::{ID, RANK};

/// How far rank can move a score: at most ±25 %.
const RANK_WEIGHT: f32 = 0.25;
/// The rank at which about three quarters of [`RANK_WEIGHT`] applies (tanh(1) ≈ 0.76).
const RANK_SCALE: f32 = 100.0;

/// `(adjusted score, rank, id)`, compared lexicographically, greatest first.
pub(crate) type SortKey = (Score, i64, i64);

/// The multiplier rank applies to a relevance score: 1 at rank 0, below 1 when penalised.
pub(crate) fn rank_factor(rank: i64) -> Score {
    // Precision loss is fine: tanh saturates long before ranks reach ±2^24.
    let rank = rank as f32;
    1.0 + RANK_WEIGHT * (rank / RANK_SCALE).tanh()
}

/// Sort key computer for [`tantivy::collector::TopDocs::order_by`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RankedRelevance;

impl SortKeyComputer for RankedRelevance {
    type SortKey = SortKey;
    type Child = SegmentRankedRelevance;
    type Comparator = NaturalComparator;

    fn requires_scoring(&self) -> bool {
        true
    }

    fn segment_sort_key_computer(&self, segment: &SegmentReader) -> tantivy::Result<SegmentRankedRelevance> {
        let fast = segment.fast_fields();
        // Every document has both values; the default is never read.
        Ok(SegmentRankedRelevance {
            rank: fast.i64(RANK)?.first_or_default_col(0),
            id: fast.i64(ID)?.first_or_default_col(0),
        })
    }
}

/// [`RankedRelevance`] for one segment: its rank and id columns.
pub(crate) struct SegmentRankedRelevance {
    rank: Arc<dyn ColumnValues<i64>>,
    id: Arc<dyn ColumnValues<i64>>,
}

impl SegmentSortKeyComputer for SegmentRankedRelevance {
    type SortKey = SortKey;
    type SegmentSortKey = SortKey;
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> SortKey {
        let rank = self.rank.get_val(doc);
        (score * rank_factor(rank), rank, self.id.get_val(doc))
    }

    fn convert_segment_sort_key(&self, key: SortKey) -> SortKey {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::rank_factor;

    #[test]
    fn rank_factor_is_bounded_and_monotonic() {
        assert!((rank_factor(0) - 1.0).abs() < f32::EPSILON);
        assert!(rank_factor(-100) < rank_factor(-1));
        assert!(rank_factor(-1) < rank_factor(0));
        assert!(rank_factor(0) < rank_factor(10));
        assert!(rank_factor(i64::MIN) >= 0.75 - f32::EPSILON);
        assert!(rank_factor(i64::MAX) <= 1.25 + f32::EPSILON);
    }
}
