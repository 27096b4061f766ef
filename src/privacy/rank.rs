//! Ranking by disclosed values: rows are ordered by what is shown, never by the raw counts
//! behind it, so an order reveals nothing the shown numbers do not (under `perturbed`, ordering
//! by raw counts would let the order contradict the noisy numbers and undo the noise).

use std::cmp::Reverse;

use super::{Disclosed, Policy, TallyTable};

impl Disclosed {
    /// The key that orders counts as shown: larger shown numbers first, withheld ones (no
    /// number) after every shown one. Ties are for the caller to break (by label, then id).
    pub fn rank_key(&self) -> Reverse<Option<u64>> {
        Reverse(self.value)
    }
}

impl Policy {
    /// `table` with its rows in the order they are shown: for a ranking
    /// ([`TallyTable::rank`]), ordered by their disclosed counts under this policy (largest
    /// first, withheld last; equal counts keep the given order, e.g. by label) and cut to the
    /// ranking's length; any other table as it is. Native callers that print raw cells next to
    /// the disclosed ones use it to keep the two in step.
    pub fn ranked(self, table: &TallyTable) -> TallyTable {
        let Some(keep) = table.rank else { return table.clone() };
        let mut rows: Vec<_> =
            table.rows.iter().map(|r| (self.disclose(r.tally).rank_key(), r.clone())).collect();
        rows.sort_by_key(|(key, _)| *key);
        rows.truncate(keep);
        TallyTable { rows: rows.into_iter().map(|(_, r)| r).collect(), rank: None, ..table.clone() }
    }
}
