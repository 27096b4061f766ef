//! Raw counts: a [`Tally`] of persons with its cell key, from each person's fixed random
//! key ([`PersonKeys`]).

/// A raw count of persons with its cell key, the wrapping sum of their [`PersonKeys`]: equal
/// person sets have equal keys, different sets independent ones. Only `privacy` turns it into
/// a number anyone sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub(super) count: u64,
    pub(super) key: u64,
}

impl Tally {
    /// The tally of the persons (ordinals) in `persons`.
    #[cfg(feature = "engine")]
    pub(crate) fn of(persons: impl IntoIterator<Item = u32>, keys: &PersonKeys) -> Tally {
        let mut t = Tally::default();
        persons.into_iter().for_each(|p| t.add(keys.key(p)));
        t
    }

    /// Counts one more person, with key `person_key`.
    #[cfg(feature = "engine")]
    #[inline]
    pub(crate) fn add(&mut self, person_key: u64) {
        self.count += 1;
        self.key = self.key.wrapping_add(person_key);
    }

    /// The exact count (native only: raw counts never reach JavaScript).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn raw(&self) -> u64 {
        self.count
    }

    /// A tally of `count` persons with an explicit key (tests only).
    #[cfg(test)]
    pub(crate) fn new(count: u64, key: u64) -> Tally {
        Tally { count, key }
    }
}

/// Each person's fixed random key for cell-key perturbation, by person ordinal. Keys are a
/// keyed hash of `person_id`; the salt is derived from the dataset's own ids, so the same
/// dataset always perturbs the same way (anyone holding the rows can recompute it: perturbation
/// protects what is shown, not the rows themselves).
#[cfg(feature = "engine")]
#[derive(Clone, Debug, Default)]
pub(crate) struct PersonKeys(Vec<u64>);

#[cfg(feature = "engine")]
impl PersonKeys {
    /// Keys for the persons with these `person_id`s, in ordinal order.
    pub(crate) fn new(person_ids: &[i64]) -> PersonKeys {
        let salt = person_ids.iter().fold(0x243f_6a88_85a3_08d3_u64, |h, &id| mix(h ^ id as u64));
        PersonKeys(person_ids.iter().map(|&id| mix(salt ^ mix(id as u64))).collect())
    }

    /// The key of person ordinal `p` (0 for an unknown ordinal).
    #[inline]
    pub(crate) fn key(&self, p: u32) -> u64 {
        self.0.get(p as usize).copied().unwrap_or(0)
    }
}

/// SplitMix64's finalizer: a bijective mix of 64 bits.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
