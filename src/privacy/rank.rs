//! Ranking by disclosed values: rows are ordered by what is shown, never by the raw counts
//! behind it, so an order reveals nothing the shown numbers do not (under `perturbed`, ordering
//! by raw counts would let the order contradict the noisy numbers and undo the noise).

use std::cmp::Reverse;

use super::Disclosed;

impl Disclosed {
    /// The key that orders counts as shown: larger shown numbers first, withheld ones (no
    /// number) after every shown one. Ties are for the caller to break (by label, then id).
    pub fn rank_key(&self) -> Reverse<Option<u64>> {
        Reverse(self.value)
    }
}
