//! The Values chart (`run-measurement-queries.sh`, the general section after the physical
//! measurements): a measurement concept's values by unit and sex, binned between the fences of
//! analysis 1815 into the bins of analysis 1900, and its value concepts (1900, values without
//! a unit). Bin bounds are text as BigQuery writes them (`CAST(FLOAT64 AS STRING)`), and every
//! step rounds, compares and re-reads that text as the script's updates do, so the labels are
//! the Data Browser's. The rules, step by step, are in docs/statistics.md.

use std::collections::{BTreeMap, HashMap};

use super::{EhrDomain, sex_label};
use crate::columns::NULL_I32;
use crate::index::Events;
use crate::privacy::{TallyRow, TallyTable};
use crate::stats::{StatError, Stats, distinct};

/// Bins the script writes after the first (`iqr_min + k·bin_width`, k = 1…15).
const MORE_BINS: i32 = 15;

/// BigQuery's `CAST(x AS STRING)` of a FLOAT64: `%.15g`, or `%.17g` when that does not read
/// back as `x`; zero unsigned; "inf", "-inf", "nan" for the others.
pub(crate) fn bq_string(x: f64) -> String {
    if x == 0.0 {
        return "0".to_owned();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "nan"
        } else if x > 0.0 {
            "inf"
        } else {
            "-inf"
        }
        .to_owned();
    }
    let short = format_g(x, 15);
    if short.parse::<f64>().ok() == Some(x) { short } else { format_g(x, 17) }
}

/// C's `%.{precision}g` of a finite `x`.
fn format_g(x: f64, precision: usize) -> String {
    let scientific = format!("{:.*e}", precision - 1, x);
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    let trim = |s: String| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
    };
    if exponent < -4 || exponent >= precision as i32 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_owned()), exponent.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent) as usize;
        trim(format!("{x:.decimals$}"))
    }
}

/// BigQuery's `ROUND(x, digits)` (ZetaSQL's `RoundDecimal`, in extended precision): `x`'s
/// exact value rounded to `digits` decimals, halves away from zero, as the nearest FLOAT64.
fn round_to(x: f64, digits: i32) -> f64 {
    let power = 10f64.powi(digits);
    let scaled = x * power;
    if !scaled.is_finite() {
        return x;
    }
    // Away from a half, the product's rounding error cannot change the result.
    let near_half = ((scaled - scaled.trunc()).abs() - 0.5).abs() <= 1e-9 * scaled.abs().max(1.0);
    if !near_half || digits < 0 {
        return scaled.round() / power;
    }
    // Near a half, decide on the exact decimal expansion (every digit of a double of this
    // size fits in 80 places).
    let text = format!("{:.80}", x.abs());
    let (whole, fraction) = text.split_once('.').expect("a fixed-point number");
    let keep = digits as usize;
    let mut whole_and_kept: f64 =
        format!("{whole}{}", &fraction[..keep]).parse().expect("digits read as a number");
    if fraction.as_bytes()[keep] >= b'5' {
        whole_and_kept += 1.0;
    }
    let magnitude = whole_and_kept / power;
    if x < 0.0 { -magnitude } else { magnitude }
}

/// `CAST(text AS FLOAT64)` of text this module wrote.
fn number(text: &str) -> f64 {
    text.parse().expect("bound text is a number this module wrote")
}

/// `SAFE_CAST(text AS INT64) IS NOT NULL`.
fn is_integer(text: &str) -> bool {
    text.trim().parse::<i64>().is_ok()
}

/// The unit of a row (cohortlens's rule in place of the Data Browser's `unit_map`): its
/// `unit_concept_id` above 0, else none (0, "No unit").
fn unit_of(events: &Events, r: usize) -> i32 {
    let unit = events.unit(r);
    if unit > 0 { unit } else { 0 }
}

/// Analysis 1815 for one concept, unit and sex: what the bins read of it (p10 and p90 as the
/// script's cumulative counts pick them) and the fences `iqr_min` / `iqr_max` (`stratum_4`,
/// `stratum_5`) after the per-sex updates.
#[derive(Debug)]
struct Distribution {
    p10: f64,
    p90: f64,
    lo: String,
    hi: String,
}

impl Distribution {
    /// The statistics of some values (not empty).
    fn of(mut values: Vec<f64>) -> Distribution {
        values.sort_by(f64::total_cmp);
        let total = values.len() as f64;
        let max_value = *values.last().expect("a distribution has values");
        // Each distinct value with the rows up to it (the script's `priorstats.accumulated`).
        let mut accumulated: Vec<(f64, f64)> = Vec::new();
        for (i, &v) in values.iter().enumerate() {
            match accumulated.last_mut() {
                Some(last) if last.0 == v => last.1 = (i + 1) as f64,
                _ => accumulated.push((v, (i + 1) as f64)),
            }
        }
        // MIN over the distinct values of (the value when its rows reach the share, else
        // ROUND(max, 2)).
        let percentile = |share: f64| -> f64 {
            accumulated
                .iter()
                .map(|&(v, acc)| if acc >= share * total { v } else { round_to(max_value, 2) })
                .fold(f64::INFINITY, f64::min)
        };
        let (p10, p25, p75, p90) = (percentile(0.10), percentile(0.25), percentile(0.75), percentile(0.90));
        // The stored `min_value` and `max_value`, which the fences read.
        let (min, max) = (round_to(values[0], 2), round_to(max_value, 2));
        let iqr = p75 - p25;
        let low = p25 - 1.5 * iqr;
        let high = p75 + 1.5 * iqr;
        let mut lo = bq_string(round_to(if low > min { low } else { min }, 2));
        let mut hi = bq_string(round_to(if high < max { high } else { max }, 2));
        if lo == hi {
            (lo, hi) = (bq_string(round_to(p10, 2)), bq_string(round_to(p90, 2)));
        }
        if lo == "0" && hi == "0" && (min != 0.0 || max != 0.0) {
            (lo, hi) = (bq_string(round_to(min, 2)), bq_string(round_to(max, 2)));
        }
        if number(&lo) >= 10.0 {
            lo = (((number(&lo) / 10.0).floor() * 10.0) as i64).to_string();
        }
        if number(&hi) >= 10.0 {
            hi = (((number(&hi) / 10.0).ceil() * 10.0) as i64).to_string();
        }
        for bound in [&mut lo, &mut hi] {
            if !is_integer(bound) {
                *bound = bq_string(round_to(number(bound), 1));
            }
        }
        for bound in [&mut lo, &mut hi] {
            if !is_integer(bound) && number(bound) > 1.0 {
                *bound = bq_string(number(bound).round());
            }
        }
        Distribution { p10, p90, lo, hi }
    }
}

/// The bin width (`stratum_6`) of fences `lo` and `hi`, as text.
fn bin_width(lo: f64, hi: f64) -> String {
    let w = (hi - lo) / 11.0;
    let width = if w >= 5.0 {
        ((w.round() as i64) as f64 / 5.0).round() * 5.0
    } else if (0.1..=1.0).contains(&w) {
        round_to((w / 0.1).ceil() * 0.1, 1)
    } else if (1.0..=2.0).contains(&w) {
        round_to((w / 2.0).round() * 2.0, 1)
    } else if (2.0..=3.0).contains(&w) {
        round_to((w / 3.0).round() * 3.0, 1)
    } else if (3.0..=5.0).contains(&w) {
        round_to((w / 5.0).round() * 5.0, 1)
    } else {
        round_to(w, 1)
    };
    let text = bq_string(width);
    if text == "0" { bq_string(round_to(w, 2)) } else { text }
}

/// Analysis 1900's bins of one concept, unit and sex.
struct Bins {
    iqr_min: f64,
    iqr_max: f64,
    width: f64,
    calc_iqr_max: f64,
    p10: f64,
    p90: f64,
    has_unit: bool,
}

impl Bins {
    fn new(d: &Distribution, width: &str, has_unit: bool) -> Bins {
        let (iqr_min, iqr_max, w) = (number(&d.lo), number(&d.hi), number(width));
        let buckets = if w != 0.0 { ((iqr_max - iqr_min) / w).ceil() as i64 + 1 } else { 1 };
        let updated = iqr_min + (buckets - 1) as f64 * w;
        // LENGTH(REGEXP_EXTRACT(width, r'.(.*)')): the text after its first character.
        let places = width.chars().count() as i32 - 1;
        let decimals = if places > 1 { places - 1 } else { 0 };
        Bins {
            iqr_min,
            iqr_max,
            width: w,
            calc_iqr_max: round_to(updated, decimals),
            p10: d.p10,
            p90: d.p90,
            has_unit,
        }
    }

    /// The label of value `v`.
    #[cfg(test)]
    fn label(&self, v: f64) -> String {
        self.text(self.place(v))
    }

    /// The bin `v` falls in (a chart of millions of rows formats each bin's label once).
    fn place(&self, v: f64) -> Place {
        let between = |a: f64, b: f64| a <= v && v <= b;
        let (lo, w, calc) = (self.iqr_min, self.width, self.calc_iqr_max);
        if w == 0.0 {
            return Place::Span(self.iqr_min, self.iqr_max);
        }
        if self.iqr_min != self.iqr_max {
            if v < lo {
                return Place::Below(lo);
            }
            if v >= calc {
                return Place::From(calc);
            }
            if between(lo, lo + w) && v < self.iqr_max {
                return Place::Range(lo, lo + w);
            }
            for k in 1..=MORE_BINS {
                let a = lo + f64::from(k) * w;
                let b = lo + f64::from(k + 1) * w;
                if between(a, b) && v < calc && b <= calc {
                    return Place::Range(a, b);
                }
            }
            return Place::Value(v);
        }
        if self.p10 != self.p90 {
            let (p10, p90) = (self.p10, self.p90);
            let d = (p90 - p10) / 11.0;
            if v < p10 {
                return Place::Below(p10);
            }
            for k in 0..=MORE_BINS {
                let a = p10 + f64::from(k) * d;
                let b = p10 + f64::from(k + 1) * d;
                if between(a, b) && v < p90 {
                    return Place::Range(a, b);
                }
            }
            return Place::Below(p90);
        }
        Place::Value(v)
    }

    /// The label of a bin: bounds rounded to 2 places; without a unit only the upper bound.
    fn text(&self, place: Place) -> String {
        let s = |x: f64| bq_string(round_to(x, 2));
        let range = |a: f64, b: f64| format!("{} - {}", s(a), s(b));
        match place {
            Place::Span(a, b) => range(a, b),
            Place::Below(x) if self.has_unit => format!("< {}", s(x)),
            Place::From(x) if self.has_unit => format!(">= {}", s(x)),
            Place::Range(a, b) if self.has_unit => range(a, b),
            Place::Below(x) | Place::From(x) | Place::Range(_, x) => s(x),
            Place::Value(v) => bq_string(v),
        }
    }
}

/// Where a value falls among the bins of [`Bins`]; each place has one label.
#[derive(Clone, Copy)]
enum Place {
    /// Every value in one zero-width bin `a - b`.
    Span(f64, f64),
    /// Below the lowest bin, which starts at the bound.
    Below(f64),
    /// At or above the bound: the last bin.
    From(f64),
    /// In the bin from `a` to `b`.
    Range(f64, f64),
    /// In no bin: the value itself.
    Value(f64),
}

impl Place {
    /// Its kind and its bounds' bits: places are equal when these are.
    fn key(self) -> (u8, u64, u64) {
        match self {
            Place::Span(a, b) => (0, a.to_bits(), b.to_bits()),
            Place::Below(x) => (1, x.to_bits(), 0),
            Place::From(x) => (2, x.to_bits(), 0),
            Place::Range(a, b) => (3, a.to_bits(), b.to_bits()),
            Place::Value(v) => (4, v.to_bits(), 0),
        }
    }
}

impl PartialEq for Place {
    fn eq(&self, other: &Place) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Place {}

impl std::hash::Hash for Place {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

/// One row of the chart before it is tallied.
struct Cell {
    /// The unit's label and id.
    unit: (String, i32),
    /// The sex's label and `gender_concept_id`.
    sex: (String, i32),
    /// The bin's place: numbers by the lowest value in the bin, then value concepts by id.
    order: (bool, f64),
    /// The bin's label (or the value concept's name).
    label: String,
    /// Its participants, with repeats.
    persons: Vec<u32>,
}

impl Stats<'_> {
    /// The label of a unit: its concept's name; "No unit" for none (the script renames
    /// "No matching concept" so).
    fn db_unit_label(&self, unit: i32) -> String {
        match super::super::concept_label(self.vocab, unit) {
            (_, name) if unit == 0 || name == "No matching concept" => "No unit".to_owned(),
            (_, name) => name,
        }
    }

    /// The label of a sex (`gender_concept_id`), "Not recorded" for none.
    fn db_gender_label(&self, gender: i32) -> String {
        if gender == NULL_I32 { "Not recorded".to_owned() } else { sex_label(self.vocab, gender) }
    }

    pub(super) fn db_values(&self, concept: i32) -> Result<TallyTable, StatError> {
        let t = self.db_table(EhrDomain::Measurement);
        let rows = self.db_concept_rows(t, concept)?;
        let events = self.index.events(EhrDomain::Measurement.table());
        let gender = |r: usize| self.index.persons.gender[events.person[r] as usize];
        let rows: Vec<usize> = rows.into_iter().filter(|&r| self.member.contains(events.person[r])).collect();
        // 1815: the values by unit and sex (a person without a sex joins no `priorstats` row:
        // in none); the fences then shared by every sex of a unit.
        let mut values: BTreeMap<(i32, i32), Vec<f64>> = BTreeMap::new();
        for &r in &rows {
            let v = events.value(r);
            if !v.is_nan() && gender(r) != NULL_I32 {
                values.entry((unit_of(events, r), gender(r))).or_default().push(v);
            }
        }
        let mut dists: BTreeMap<(i32, i32), Distribution> =
            values.into_iter().map(|(key, v)| (key, Distribution::of(v))).collect();
        let mut fences: BTreeMap<i32, (f64, f64)> = BTreeMap::new();
        for (&(unit, _), d) in &dists {
            let f = fences.entry(unit).or_insert((f64::INFINITY, f64::NEG_INFINITY));
            *f = (f.0.min(number(&d.lo)), f.1.max(number(&d.hi)));
        }
        for (&(unit, _), d) in dists.iter_mut() {
            let (lo, hi) = fences[&unit];
            (d.lo, d.hi) = (bq_string(lo), bq_string(hi));
        }
        // 1900: participants per bin; a person without a sex is in no bin.
        let bins: BTreeMap<(i32, i32), Bins> = dists
            .iter()
            .map(|(&(unit, g), d)| {
                let width = bin_width(number(&d.lo), number(&d.hi));
                ((unit, g), Bins::new(d, &width, unit != 0))
            })
            .collect();
        let mut counted = Vec::new();
        // Rows by bin, then bins by label (bins of one label are one cell).
        let mut placed: HashMap<(i32, i32, Place), (f64, Vec<u32>)> = HashMap::new();
        for &r in &rows {
            let (v, unit, g) = (events.value(r), unit_of(events, r), gender(r));
            if v.is_nan() || g == NULL_I32 {
                continue;
            }
            let cell = placed.entry((unit, g, bins[&(unit, g)].place(v))).or_insert((v, Vec::new()));
            cell.0 = cell.0.min(v);
            cell.1.push(events.person[r]);
            counted.push(events.person[r]);
        }
        let mut numeric: BTreeMap<(i32, i32, String), (f64, Vec<u32>)> = BTreeMap::new();
        for ((unit, g, place), (low, persons)) in placed {
            let cell = numeric.entry((unit, g, bins[&(unit, g)].text(place))).or_insert((low, Vec::new()));
            cell.0 = cell.0.min(low);
            cell.1.extend(persons);
        }
        // 1900, values without a unit: the value concept's name, under "No unit".
        let mut named: BTreeMap<(i32, i32, String), Vec<u32>> = BTreeMap::new();
        for &r in &rows {
            let value = events.value_concept.get(r).copied().unwrap_or(NULL_I32);
            let Some(name) = self.vocab.concept(value).filter(|_| value != 0).map(|c| c.name.clone()) else {
                continue;
            };
            named.entry((gender(r), value, name)).or_default().push(events.person[r]);
            counted.push(events.person[r]);
        }
        let mut cells: Vec<Cell> = numeric
            .into_iter()
            .map(|((unit, g, label), (low, persons))| (unit, g, (false, low), label, persons))
            .chain(
                named
                    .into_iter()
                    .map(|((g, value, name), persons)| (0, g, (true, f64::from(value)), name, persons)),
            )
            .map(|(unit, g, order, label, persons)| Cell {
                unit: (self.db_unit_label(unit), unit),
                sex: (self.db_gender_label(g), g),
                order,
                label,
                persons,
            })
            .collect();
        cells.sort_by(|a, b| {
            (&a.unit, &a.sex, a.order.0)
                .cmp(&(&b.unit, &b.sex, b.order.0))
                .then(a.order.1.total_cmp(&b.order.1))
                .then(a.label.cmp(&b.label))
        });
        let out = cells
            .into_iter()
            .map(|c| TallyRow::new(vec![c.unit.0, c.sex.0, c.label], self.tally(distinct(c.persons))))
            .collect();
        Ok(self.table(
            "data_browser_values",
            "Values".to_owned(),
            &["Unit", "Sex assigned at birth", "Value"],
            out,
            self.tally(distinct(counted)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_bigquery_casts_them() {
        let cases = [
            (120.0, "120"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-0.0, "0"),
            (-2.25, "-2.25"),
            (1e20, "1e+20"),
            (1e15, "1e+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.33333333333333331"),
            (2.0 / 3.0, "0.66666666666666663"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (x, text) in cases {
            assert_eq!(bq_string(x), text, "{x:?}");
        }
    }

    #[test]
    fn rounding_is_of_the_exact_value_and_halves_go_away_from_zero() {
        // 2.675 is 2.67499999999999982… and 1.005 is 1.00499999999999989…: down; 0.125 and
        // 2.5 are exact halves: away from zero.
        let cases = [(2.675, 2, 2.67), (1.005, 2, 1.0), (0.125, 2, 0.13), (-0.125, 2, -0.13), (2.5, 0, 3.0)];
        for (x, digits, rounded) in cases {
            assert_eq!(round_to(x, digits), rounded, "ROUND({x}, {digits})");
        }
        assert_eq!(
            (round_to(5.65, 1), round_to(123_456.785, 2), round_to(4.56789, 2)),
            (5.7, 123_456.79, 4.57)
        );
    }

    #[test]
    fn fences_follow_the_script_updates() {
        // 1..=100: p25 = 25, p75 = 75, fences −50 → min 1 and 150 → max 100 (ceiled to a
        // multiple of 10: 100); width 99/11 = 9 → ROUND(9/5)·5 = 10.
        let d = Distribution::of((1..=100).map(f64::from).collect());
        assert_eq!((d.p10, d.p90), (10.0, 90.0));
        assert_eq!((d.lo.as_str(), d.hi.as_str()), ("1", "100"));
        assert_eq!(bin_width(1.0, 100.0), "10");
        let b = Bins::new(&d, "10", true);
        assert_eq!(b.calc_iqr_max, 101.0);
        assert_eq!(b.label(0.5), "< 1");
        assert_eq!(b.label(1.0), "1 - 11");
        assert_eq!(b.label(11.0), "1 - 11", "BETWEEN is inclusive: the first bin that holds it");
        assert_eq!(b.label(11.5), "11 - 21");
        assert_eq!(b.label(101.0), ">= 101");
        let none = Bins::new(&d, "10", false);
        assert_eq!((none.label(0.5).as_str(), none.label(5.0).as_str()), ("1", "11"));
        // Fractional fences: 0.12…0.2 ⇒ rounded to one decimal.
        let d = Distribution::of(vec![0.12, 0.14, 0.15, 0.17, 0.2]);
        assert_eq!((d.lo.as_str(), d.hi.as_str()), ("0.1", "0.2"));
        assert_eq!(bin_width(0.1, 0.2), "0.01", "ROUND(w, 1) = 0 falls back to 2 decimals");
        // One value: equal fences, then p10 = p90: one bin "lo - hi" when the width is 0.
        let d = Distribution::of(vec![5.0; 4]);
        assert_eq!((d.lo.as_str(), d.hi.as_str()), ("5", "5"));
        assert_eq!(bin_width(5.0, 5.0), "0");
        assert_eq!(Bins::new(&d, "0", true).label(5.0), "5 - 5");
    }

    #[test]
    fn a_percentile_not_reached_before_the_maximum_is_the_rounded_maximum() {
        // 90 % of 3 rows is 2.7: only the last value reaches it, and ROUND(max, 2) is smaller.
        let d = Distribution::of(vec![1.0, 2.0, 4.56123]);
        assert_eq!(d.p90, 4.56);
        // p10: the first value reaches 0.3 rows; the maximum rounded is larger.
        assert_eq!(d.p10, 1.0);
    }
}
