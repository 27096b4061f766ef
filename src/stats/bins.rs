//! Histogram bins of measurement values.

/// Histogram bins of one measurement unit: `step = step_units / 10^decimals`, bins `first..=last`
/// where bin `j` is [`j·step`, `(j+1)·step`), set on the dataset's values (not the scope's, so
/// that the bins do not depend on who is in scope) from the 1st to the 99th percentile (nearest
/// rank below and above: sorted values at `(n−1)/100` and `(n−1) − (n−1)/100`), with the
/// smallest step of 1, 2, 2.5 or 5 × 10^k at least a fifteenth of that range. Values below
/// and above fall in two open-ended slots.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Bins {
    step_units: i64,
    decimals: u32,
    first: i64,
    last: i64,
}

impl Bins {
    /// The bins of these values (at least one, finite; sorted in place).
    pub(super) fn of(values: &mut [f64]) -> Bins {
        values.sort_by(f64::total_cmp);
        let k = (values.len() - 1) / 100;
        let (lo, hi) = (values[k], values[values.len() - 1 - k]);
        let span = hi - lo;
        let target = if span > 0.0 { span / 15.0 } else { lo.abs().max(1.0) / 10.0 };
        let mut chosen = (5, 0);
        'search: for exponent in -9i32..=15 {
            for tenths in [10i64, 20, 25, 50] {
                let (mut units, mut decimals) = if exponent >= 1 {
                    (tenths * 10i64.pow((exponent - 1) as u32), 0)
                } else {
                    (tenths, (1 - exponent) as u32)
                };
                while decimals > 0 && units % 10 == 0 {
                    units /= 10;
                    decimals -= 1;
                }
                chosen = (units, decimals);
                if units as f64 / 10f64.powi(decimals as i32) >= target {
                    break 'search;
                }
            }
        }
        let mut bins = Bins { step_units: chosen.0, decimals: chosen.1, first: 0, last: 0 };
        bins.first = bins.bin(lo);
        bins.last = bins.bin(hi);
        bins
    }

    /// The lower edge of bin `j`.
    pub(super) fn edge(&self, j: i64) -> f64 {
        (j as f64 * self.step_units as f64) / 10f64.powi(self.decimals as i32)
    }

    /// The bin `j` with `edge(j) <= v < edge(j + 1)` (clamped to ±2^52 bins).
    pub(super) fn bin(&self, v: f64) -> i64 {
        const FAR: i64 = 1 << 52;
        let guess = (v * 10f64.powi(self.decimals as i32) / self.step_units as f64).floor();
        let mut j = (guess as i64).clamp(-FAR, FAR);
        while j > -FAR && self.edge(j) > v {
            j -= 1;
        }
        while j < FAR && self.edge(j + 1) <= v {
            j += 1;
        }
        j
    }

    /// Slots: 0 below the first bin, then the bins, then above the last.
    pub(super) fn slots(&self) -> usize {
        (self.last - self.first + 3) as usize
    }

    /// The slot of a value.
    pub(super) fn slot(&self, v: f64) -> usize {
        let j = self.bin(v);
        if j < self.first {
            0
        } else if j > self.last {
            self.slots() - 1
        } else {
            (j - self.first + 1) as usize
        }
    }

    /// The label of a slot, e.g. `"7.0–7.5"`, `"< 4.0"`, `"≥ 12.5"`.
    pub(super) fn label(&self, slot: usize) -> String {
        let f = |j: i64| format!("{:.*}", self.decimals as usize, self.edge(j));
        match slot {
            0 => format!("< {}", f(self.first)),
            s if s == self.slots() - 1 => format!("≥ {}", f(self.last + 1)),
            s => {
                let j = self.first + s as i64 - 1;
                format!("{}–{}", f(j), f(j + 1))
            }
        }
    }
}

// The tests read raw counts, which exist only natively.

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_nice_and_cover_the_percentile_range() {
        // The 1st and 99th percentiles are 4.015 and 5.485: a fifteenth of that is 0.098.
        let mut values: Vec<f64> = (0..=100).map(|i| 4.0 + f64::from(i) * 0.015).collect();
        let bins = Bins::of(&mut values);
        assert_eq!((bins.step_units, bins.decimals, bins.first, bins.last), (1, 1, 40, 54));
        assert_eq!(bins.label(1), "4.0–4.1");
        assert_eq!(bins.label(0), "< 4.0");
        assert_eq!(bins.label(bins.slots() - 1), "≥ 5.5");
        assert_eq!(bins.slot(3.9), 0);
        assert_eq!(bins.slot(4.1), 2, "an edge belongs to the bin it starts");
        assert_eq!(bins.slot(1e300), bins.slots() - 1);
        let mut same = vec![7.0; 5];
        let one = Bins::of(&mut same);
        assert_eq!((one.first, one.last, one.label(1)), (7, 7, "7–8".to_owned()));
        assert_eq!(Bins::of(&mut [0.0]).label(1), "0.0–0.1");
    }
}
