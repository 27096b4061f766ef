//! Dense person sets, one bit per person ordinal: the evaluator's scratch sets.

use roaring::RoaringBitmap;

/// A dense person set (one bit per person ordinal): the evaluator's scratch sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dense {
    words: Vec<u64>,
}

impl Dense {
    /// The empty set over `n` persons.
    pub(crate) fn new(n: usize) -> Dense {
        Dense { words: vec![0; n.div_ceil(64)] }
    }

    /// Adds person `p` (ignored when out of range).
    #[inline]
    pub(crate) fn insert(&mut self, p: u32) {
        if let Some(w) = self.words.get_mut(p as usize / 64) {
            *w |= 1 << (p % 64);
        }
    }

    /// Whether person `p` is in the set.
    #[inline]
    pub(crate) fn contains(&self, p: u32) -> bool {
        self.words.get(p as usize / 64).is_some_and(|w| w >> (p % 64) & 1 == 1)
    }

    /// Adds every person of `other`.
    pub(crate) fn union_with(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    /// Keeps the persons also in `other`.
    pub(crate) fn intersect_with(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    /// Removes the persons of `other`.
    pub(crate) fn subtract(&mut self, other: &Dense) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= !b);
    }

    /// The persons in the set, in ordinal order.
    pub(crate) fn ordinals(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    i as u32 * 64 + b
                })
            })
        })
    }

    /// The set as a roaring bitmap.
    pub(crate) fn to_roaring(&self) -> RoaringBitmap {
        let bytes: Vec<u8> = self.words.iter().flat_map(|w| w.to_le_bytes()).collect();
        RoaringBitmap::from_lsb0_bytes(0, &bytes)
    }
}
