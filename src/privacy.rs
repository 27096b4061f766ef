//! The only door out for a count: every number that reaches JavaScript, the DOM, a chart or an
//! export leaves as a [`Disclosed`] value made by a [`Policy`] (DESIGN.md, "Privacy").
//!
//! A `Disclosed` can only be made by [`Policy::disclose`] from a [`Tally`], a raw count whose
//! number is readable only natively; the raw input is not kept. One read back from JSON (a
//! result JavaScript hands back, e.g. to chart it) is checked to have a form its policy makes.

use serde::{Deserialize, Serialize};

use crate::stats::StatTable;

/// How raw participant counts are turned into shown numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// The All of Us Data and Statistics Dissemination Policy as the Data Browser applies it:
    /// 0 shows as 0, 1–20 as 20 ("≤ 20"), anything above rounded up to the next multiple of 20.
    #[default]
    Aou,
    /// Primary suppression: 1–20 are withheld (no number, label "≤ 20"); 0 and counts above 20
    /// are shown exactly.
    Suppress,
    /// Cell-key perturbation for live, ad-hoc queries: noise drawn from the cell's key (so the
    /// same persons always get the same noise, whatever the query), then the `aou` rounding.
    Perturbed,
}

/// The largest noise `perturbed` adds or subtracts.
const PERTURBATION: i64 = 10;

/// A raw count of persons with its cell key, the wrapping sum of their [`PersonKeys`]: equal
/// person sets have equal keys, different sets independent ones. Only `privacy` turns it into
/// a number anyone sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    count: u64,
    key: u64,
}

impl Tally {
    /// The tally of the persons (ordinals) in `persons`.
    pub(crate) fn of(persons: impl IntoIterator<Item = u32>, keys: &PersonKeys) -> Tally {
        let mut t = Tally::default();
        persons.into_iter().for_each(|p| t.add(keys.key(p)));
        t
    }

    /// Counts one more person, with key `person_key`.
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
#[derive(Clone, Debug, Default)]
pub(crate) struct PersonKeys(Vec<u64>);

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
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Rounding step and small-count floor of the All of Us policy; also the suppression threshold.
const AOU_STEP: u64 = 20;

impl Policy {
    /// Parses a policy name as JavaScript and the command line give it.
    pub fn from_name(name: &str) -> Result<Policy, UnknownPolicy> {
        match name {
            "aou" => Ok(Policy::Aou),
            "suppress" => Ok(Policy::Suppress),
            "perturbed" => Ok(Policy::Perturbed),
            _ => Err(UnknownPolicy(name.to_owned())),
        }
    }

    /// The policy's name, as `from_name` reads it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Aou => "aou",
            Policy::Suppress => "suppress",
            Policy::Perturbed => "perturbed",
        }
    }

    /// The disclosed form of a tally under this policy.
    pub fn disclose(self, tally: Tally) -> Disclosed {
        let raw = tally.count;
        let small = || format!("≤ {AOU_STEP}");
        let (value, label) = match (self, raw) {
            (_, 0) => (Some(0), "0".to_owned()),
            (Policy::Aou, _) => round_aou(raw),
            (Policy::Perturbed, _) => round_aou(raw.saturating_add_signed(noise(tally.key)).max(1)),
            (Policy::Suppress, 1..=AOU_STEP) => (None, small()),
            (Policy::Suppress, _) => (Some(raw), raw.to_string()),
        };
        Disclosed { value, label, policy: self }
    }
}

/// The `aou` rule for a count above 0: 1–20 as "≤ 20", else up to the next multiple of 20.
fn round_aou(n: u64) -> (Option<u64>, String) {
    if n <= AOU_STEP {
        return (Some(AOU_STEP), format!("≤ {AOU_STEP}"));
    }
    let value = n.div_ceil(AOU_STEP).checked_mul(AOU_STEP).unwrap_or(u64::MAX / AOU_STEP * AOU_STEP);
    (Some(value), value.to_string())
}

/// The perturbation of a cell with key `key`: uniform in ±[`PERTURBATION`], a function of the
/// key alone.
fn noise(key: u64) -> i64 {
    let span = 2 * PERTURBATION as u64 + 1;
    (mix(key ^ 0x5bd1_e995_u64) % span) as i64 - PERTURBATION
}

/// A policy name that is not one of `aou`, `suppress`, `perturbed`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown privacy policy {0:?}; use \"aou\" (the All of Us rounding), \"suppress\" or \"perturbed\"")]
pub struct UnknownPolicy(String);

/// A count as it may be shown: the number (none when withheld), its label and the policy that
/// made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "DisclosedForm")]
pub struct Disclosed {
    value: Option<u64>,
    label: String,
    policy: Policy,
}

/// A [`Disclosed`] as read from JSON, before its form is checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DisclosedForm {
    value: Option<u64>,
    label: String,
    policy: Policy,
}

impl TryFrom<DisclosedForm> for Disclosed {
    type Error = String;

    /// Accepts only what `policy` could have made: `aou` and `perturbed` show 0 or a multiple of
    /// 20 (20 may read "≤ 20"); `suppress` shows 0 or more than 20, or withholds ("≤ 20",
    /// "suppressed"). The label always agrees with the value.
    fn try_from(f: DisclosedForm) -> Result<Disclosed, String> {
        let small = format!("≤ {AOU_STEP}");
        let labelled = |v: u64| f.label == v.to_string();
        let ok = match (f.policy, f.value) {
            (_, Some(0)) => labelled(0),
            (Policy::Aou | Policy::Perturbed, Some(v)) => {
                v % AOU_STEP == 0 && (labelled(v) || (v == AOU_STEP && f.label == small))
            }
            (Policy::Aou | Policy::Perturbed, None) => false,
            (Policy::Suppress, Some(v)) => v > AOU_STEP && labelled(v),
            (Policy::Suppress, None) => f.label == small || f.label == "suppressed",
        };
        if !ok {
            return Err(format!(
                "{{value: {:?}, label: {:?}}} is not a count the {} policy discloses; pass results \
                 exactly as cohortlens returned them",
                f.value,
                f.label,
                f.policy.name()
            ));
        }
        Ok(Disclosed { value: f.value, label: f.label, policy: f.policy })
    }
}

impl Disclosed {
    /// The number shown (already rounded), or `None` when the policy withholds it.
    pub fn value(&self) -> Option<u64> {
        self.value
    }

    /// The text shown, e.g. `"≤ 20"` or `"140"`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The policy that made it.
    pub fn policy(&self) -> Policy {
        self.policy
    }
}

/// A statistics table as it may be shown or exported: every cell disclosed under one policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "TableForm")]
pub struct DisclosedTable {
    /// Stable name, e.g. `"sex_at_birth"`.
    pub name: String,
    /// Human title.
    pub title: String,
    /// The policy that made every number of the table.
    pub policy: Policy,
    /// What each label of a row means.
    pub dimensions: Vec<String>,
    /// The rows, the derived remainder row last.
    pub rows: Vec<DisclosedRow>,
    /// The persons in scope.
    pub total: Disclosed,
}

/// One row of a [`DisclosedTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisclosedRow {
    /// One label per dimension.
    pub labels: Vec<String>,
    /// The disclosed count.
    pub count: Disclosed,
    /// Percent of the disclosed total, computed from disclosed numbers only.
    pub percent: Option<f64>,
}

/// A [`DisclosedTable`] as read from JSON, before its cells are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TableForm {
    name: String,
    title: String,
    policy: Policy,
    dimensions: Vec<String>,
    rows: Vec<DisclosedRow>,
    total: Disclosed,
}

impl TryFrom<TableForm> for DisclosedTable {
    type Error = String;

    /// Accepts a table whose cells (each already checked) all carry the table's policy and
    /// whose rows have one label per dimension; percents are computed again from the cells.
    fn try_from(t: TableForm) -> Result<DisclosedTable, String> {
        let cells = t.rows.iter().map(|r| &r.count).chain([&t.total]);
        if let Some(other) = cells.map(Disclosed::policy).find(|&p| p != t.policy) {
            return Err(format!(
                "the table is marked {} but has a cell disclosed under {}; pass tables exactly as \
                 cohortlens returned them",
                t.policy.name(),
                other.name()
            ));
        }
        if let Some(r) = t.rows.iter().find(|r| r.labels.len() != t.dimensions.len()) {
            return Err(format!(
                "row {:?} has {} labels for {} dimensions",
                r.labels,
                r.labels.len(),
                t.dimensions.len()
            ));
        }
        let rows =
            t.rows.into_iter().map(|r| DisclosedRow { percent: percent(&r.count, &t.total), ..r }).collect();
        Ok(DisclosedTable {
            name: t.name,
            title: t.title,
            policy: t.policy,
            dimensions: t.dimensions,
            rows,
            total: t.total,
        })
    }
}

/// A cell's percent of the total, to one decimal, from disclosed numbers only.
fn percent(count: &Disclosed, total: &Disclosed) -> Option<f64> {
    match (count.value, total.value) {
        (Some(c), Some(t)) if t > 0 => Some((c as f64 * 1000.0 / t as f64).round() / 10.0),
        _ => None,
    }
}

impl Policy {
    /// Discloses a whole table. `aou`: cells rounded, the remainder row = disclosed total −
    /// Σ disclosed rows, floored at 20. `suppress`: cells of 1–20 withheld, plus secondary
    /// suppression so no withheld cell follows from a line's margin. `perturbed`: every cell and
    /// the margin perturbed independently, by their own person sets, then rounded.
    pub fn disclose_table(self, table: &StatTable) -> DisclosedTable {
        let total = self.disclose(table.total);
        let mut counts: Vec<Disclosed> = table.rows.iter().map(|r| self.disclose(r.tally)).collect();
        let mut labels: Vec<Vec<String>> = table.rows.iter().map(|r| r.labels.clone()).collect();
        let mut raw: Vec<u64> = table.rows.iter().map(|r| r.tally.count).collect();
        if let Some(label) = &table.remainder {
            let rest = table.total.count.saturating_sub(raw.iter().sum());
            let shown = match self {
                Policy::Suppress => self.disclose(Tally { count: rest, key: 0 }),
                Policy::Aou | Policy::Perturbed => {
                    let sum: u64 = counts.iter().filter_map(Disclosed::value).sum();
                    let value = total.value.unwrap_or(0).saturating_sub(sum).max(AOU_STEP);
                    Disclosed { value: Some(value), label: value.to_string(), policy: self }
                }
            };
            let mut row = vec![label.clone()];
            row.resize(table.dimensions.len().max(1), String::new());
            labels.push(row);
            counts.push(shown);
            raw.push(rest);
        }
        if self == Policy::Suppress {
            suppress_secondary(&labels, &raw, &mut counts);
        }
        let rows = labels
            .into_iter()
            .zip(counts)
            .map(|(labels, count)| DisclosedRow { percent: percent(&count, &total), labels, count })
            .collect();
        DisclosedTable {
            name: table.name.clone(),
            title: table.title.clone(),
            policy: self,
            dimensions: table.dimensions.clone(),
            rows,
            total,
        }
    }
}

/// Secondary suppression: along every line of the table (the cells that share all labels but
/// one, whose sum is a known margin), a single withheld cell could be recovered as margin − Σ
/// others, so the smallest shown non-zero cell of that line is withheld too (labelled
/// "suppressed"), until no line has exactly one.
fn suppress_secondary(labels: &[Vec<String>], raw: &[u64], counts: &mut [Disclosed]) {
    let dims = labels.iter().map(Vec::len).max().unwrap_or(0);
    let withhold = |d: &mut Disclosed| {
        d.value = None;
        d.label = "suppressed".to_owned();
    };
    loop {
        let mut changed = false;
        for d in 0..dims.max(1) {
            let line_of = |i: usize| -> Vec<&String> {
                labels[i].iter().enumerate().filter(|&(j, _)| j != d).map(|(_, l)| l).collect()
            };
            let mut lines: Vec<Vec<usize>> = Vec::new();
            for i in 0..labels.len() {
                match lines.iter_mut().find(|line| line_of(line[0]) == line_of(i)) {
                    Some(line) => line.push(i),
                    None => lines.push(vec![i]),
                }
            }
            for line in lines {
                let withheld = line.iter().filter(|&&i| counts[i].value.is_none()).count();
                if withheld != 1 {
                    continue;
                }
                let smallest = line
                    .iter()
                    .copied()
                    .filter(|&i| counts[i].value.is_some_and(|v| v > 0))
                    .min_by_key(|&i| raw[i]);
                if let Some(i) = smallest {
                    withhold(&mut counts[i]);
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: u64) -> (u64, String) {
        let d = Policy::Aou.disclose(Tally::new(raw, 0));
        (d.value().unwrap(), d.label().to_owned())
    }

    #[test]
    fn zero_is_shown_as_zero() {
        assert_eq!(shown(0), (0, "0".to_owned()));
    }

    #[test]
    fn one_to_twenty_show_as_at_most_twenty() {
        for raw in 1..=20 {
            assert_eq!(shown(raw), (20, "≤ 20".to_owned()), "raw {raw}");
        }
    }

    #[test]
    fn above_twenty_rounds_up_to_the_next_multiple_of_twenty() {
        assert_eq!(shown(21), (40, "40".to_owned()));
        assert_eq!(shown(39), (40, "40".to_owned()));
        assert_eq!(shown(40), (40, "40".to_owned()));
        assert_eq!(shown(41), (60, "60".to_owned()));
        assert_eq!(shown(99_981), (100_000, "100000".to_owned()));
        for raw in 21..2_000 {
            let (value, _) = shown(raw);
            assert!(value >= raw && value < raw + 20 && value % 20 == 0, "raw {raw} → {value}");
        }
        assert_eq!(shown(u64::MAX).0 % 20, 0);
    }

    #[test]
    fn suppress_withholds_one_to_twenty_and_shows_the_rest_exactly() {
        let d = Policy::Suppress.disclose(Tally::new(0, 0));
        assert_eq!((d.value(), d.label()), (Some(0), "0"));
        for raw in 1..=20 {
            let d = Policy::Suppress.disclose(Tally::new(raw, 0));
            assert_eq!((d.value(), d.label()), (None, "≤ 20"), "raw {raw}");
        }
        for raw in [21, 22, 39, 12_345] {
            let d = Policy::Suppress.disclose(Tally::new(raw, 0));
            assert_eq!((d.value(), d.label()), (Some(raw), raw.to_string().as_str()));
        }
    }

    #[test]
    fn perturbed_is_a_function_of_the_key_and_never_shows_one_to_nineteen() {
        let keys = PersonKeys::new(&(1..=500).collect::<Vec<i64>>());
        let mut moved = 0;
        for n in 0..500u32 {
            let t = Tally::of(0..n, &keys);
            let d = Policy::Perturbed.disclose(t);
            assert_eq!(
                d,
                Policy::Perturbed.disclose(Tally::of((0..n).rev(), &keys)),
                "order must not matter"
            );
            let v = d.value().unwrap();
            assert!(v.is_multiple_of(20) && (n == 0) == (v == 0), "n {n} → {v}");
            assert!(v + 20 >= u64::from(n).saturating_sub(PERTURBATION as u64), "n {n} → {v}");
            moved += usize::from(Some(v) != Policy::Aou.disclose(t).value());
        }
        // The noise really changes the rounded value for a good share of counts.
        assert!(moved > 50, "perturbation changed only {moved} of 500 counts");
    }

    #[test]
    fn person_keys_sum_to_a_key_of_the_set() {
        let keys = PersonKeys::new(&[10, 20, 30]);
        assert_eq!(Tally::of([0, 2], &keys), Tally::of([2, 0], &keys));
        assert_ne!(Tally::of([0, 2], &keys).key, Tally::of([0, 1], &keys).key);
        assert_eq!(Tally::of([0, 2], &keys).count, 2);
    }

    #[test]
    fn policies_parse_by_name() {
        assert_eq!(Policy::from_name("aou"), Ok(Policy::Aou));
        assert_eq!(Policy::from_name("suppress"), Ok(Policy::Suppress));
        assert_eq!(Policy::from_name("perturbed"), Ok(Policy::Perturbed));
        let e = Policy::from_name("exact").unwrap_err().to_string();
        assert!(e.contains("\"exact\"") && e.contains("aou"), "{e}");
    }

    fn table(dimensions: &[&str], rows: &[(&[&str], u64)], total: u64, remainder: Option<&str>) -> StatTable {
        // Distinct keys per cell, as distinct person sets would have.
        StatTable {
            name: "t".into(),
            title: "T".into(),
            dimensions: dimensions.iter().map(|d| d.to_string()).collect(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (labels, n))| crate::stats::StatRow {
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                    tally: Tally::new(*n, mix(i as u64 + 1)),
                })
                .collect(),
            total: Tally::new(total, mix(999)),
            remainder: remainder.map(str::to_owned),
        }
    }

    fn shown_cells(t: &DisclosedTable) -> Vec<(Option<u64>, String)> {
        t.rows.iter().map(|r| (r.count.value(), r.count.label().to_owned())).collect()
    }

    #[test]
    fn aou_table_rounds_cells_and_derives_the_remainder_from_disclosed_numbers() {
        let t =
            table(&["Answer"], &[(&["Yes"], 5), (&["No"], 30), (&["Skip"], 0)], 95, Some("Did not answer"));
        let d = Policy::Aou.disclose_table(&t);
        let cells: Vec<Option<u64>> = shown_cells(&d).into_iter().map(|c| c.0).collect();
        // 100 − (20 + 40 + 0) = 40 (the raw remainder is 60: derived from disclosed numbers only).
        assert_eq!(cells, [Some(20), Some(40), Some(0), Some(40)]);
        assert_eq!(d.rows[3].labels, ["Did not answer"]);
        assert_eq!(d.total.value(), Some(100));
        assert_eq!(
            d.rows.iter().map(|r| r.percent).collect::<Vec<_>>(),
            [Some(20.0), Some(40.0), Some(0.0), Some(40.0)]
        );
        // The remainder is floored at 20 even when the disclosed cells exceed the total.
        let t = table(&["Answer"], &[(&["Yes"], 21), (&["No"], 21)], 42, Some("Did not answer"));
        assert_eq!(Policy::Aou.disclose_table(&t).rows[2].count.value(), Some(20));
    }

    #[test]
    fn suppress_table_withholds_a_second_cell_so_the_first_cannot_be_recovered() {
        let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 30), (&["Other"], 45)], 80, None);
        let d = Policy::Suppress.disclose_table(&t);
        assert_eq!(
            shown_cells(&d),
            [(None, "≤ 20".to_owned()), (None, "suppressed".to_owned()), (Some(45), "45".to_owned())]
        );
        assert_eq!(d.total.value(), Some(80));
        // Two withheld cells, or none: nothing else is withheld.
        let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 7), (&["Other"], 45)], 57, None);
        assert_eq!(shown_cells(&Policy::Suppress.disclose_table(&t))[2].0, Some(45));
    }

    #[test]
    fn suppress_cross_table_protects_every_row_and_column() {
        // A 2 × 3 Age × Sex table with one small cell: its row and its column each need a second
        // withheld cell, and those in turn need partners.
        let rows: &[(&[&str], u64)] = &[
            (&["18–44", "F"], 3),
            (&["18–44", "M"], 50),
            (&["18–44", "X"], 60),
            (&["45–64", "F"], 70),
            (&["45–64", "M"], 80),
            (&["45–64", "X"], 90),
        ];
        let d = Policy::Suppress.disclose_table(&table(&["Age", "Sex"], rows, 353, None));
        let withheld = |i: usize| d.rows[i].count.value().is_none();
        for line in [[0, 1, 2].as_slice(), &[3, 4, 5], &[0, 3], &[1, 4], &[2, 5]] {
            let n = line.iter().filter(|&&i| withheld(i)).count();
            assert!(n != 1, "line {line:?} has a single withheld cell: {:?}", shown_cells(&d));
        }
        assert!(withheld(0));
    }

    #[test]
    fn perturbed_table_perturbs_cells_and_margin_each_by_its_own_key() {
        let t = table(&["Race"], &[(&["A"], 300), (&["B"], 300)], 600, None);
        let d = Policy::Perturbed.disclose_table(&t);
        for row in &d.rows {
            let v = row.count.value().unwrap();
            assert!(v % 20 == 0 && (280..=320).contains(&v), "{v}");
        }
        // Same persons (same key) → same number, in any table.
        assert_eq!(d.rows[0].count, Policy::Perturbed.disclose(t.rows[0].tally));
        assert_eq!(d.total, Policy::Perturbed.disclose(t.total));
    }

    #[test]
    fn disclosure_never_shows_one_to_nineteen_under_any_policy() {
        for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
            for raw in 0..200u64 {
                for key in 0..20u64 {
                    let d = policy.disclose(Tally::new(raw, mix(key)));
                    let v = d.value();
                    assert!(!matches!(v, Some(1..=19)), "{policy:?} raw {raw} → {v:?}");
                    assert!(!(1..=19).any(|n| d.label() == n.to_string()), "{policy:?} raw {raw}");
                }
            }
        }
    }

    #[test]
    fn serializes_value_label_and_policy_only() {
        let json = serde_json::to_value(Policy::Aou.disclose(Tally::new(7, 0))).unwrap();
        assert_eq!(json, serde_json::json!({"value": 20, "label": "≤ 20", "policy": "aou"}));
    }
    #[test]
    fn disclosed_values_read_back_only_in_a_form_their_policy_makes() {
        let read = |v: serde_json::Value| serde_json::from_value::<Disclosed>(v).map_err(|e| e.to_string());
        for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
            for raw in [0, 1, 19, 20, 21, 40, 41, 12_345] {
                let d = policy.disclose(Tally::new(raw, mix(raw)));
                assert_eq!(read(serde_json::to_value(&d).unwrap()), Ok(d), "{policy:?} {raw}");
            }
        }
        use serde_json::json;
        for bad in [
            json!({"value": 7, "label": "7", "policy": "aou"}),
            json!({"value": 7, "label": "7", "policy": "suppress"}),
            json!({"value": 20, "label": "20", "policy": "suppress"}),
            json!({"value": 40, "label": "60", "policy": "aou"}),
            json!({"value": null, "label": "≤ 20", "policy": "aou"}),
            json!({"value": null, "label": "7", "policy": "suppress"}),
            json!({"value": 40, "label": "40", "policy": "exact"}),
            json!({"value": 40, "label": "40", "policy": "aou", "raw": 37}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad} was accepted");
        }
        let e = read(json!({"value": 7, "label": "7", "policy": "aou"})).unwrap_err();
        assert!(e.contains("exactly as cohortlens returned them"), "{e}");
    }

    #[test]
    fn disclosed_tables_read_back_with_percents_from_their_cells() {
        let t = table(&["Sex"], &[(&["Female"], 5), (&["Male"], 30), (&["Other"], 45)], 80, None);
        for policy in [Policy::Aou, Policy::Suppress, Policy::Perturbed] {
            let d = policy.disclose_table(&t);
            let back: DisclosedTable = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
            assert_eq!(back, d);
        }
        let mut json = serde_json::to_value(Policy::Aou.disclose_table(&t)).unwrap();
        json["rows"][1]["percent"] = serde_json::json!(99.0);
        let back: DisclosedTable = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.rows[1].percent, Some(50.0), "percents are computed again");
        json["rows"][1]["count"] = serde_json::json!({"value": 40, "label": "40", "policy": "suppress"});
        let e = serde_json::from_value::<DisclosedTable>(json).unwrap_err().to_string();
        assert!(e.contains("marked aou"), "{e}");
    }
}
