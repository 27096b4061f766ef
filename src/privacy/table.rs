//! Tables of tallies and their disclosure: a [`TallyTable`] (raw, as the statistics compute
//! it) becomes a [`DisclosedTable`] under a policy, with the remainder row derived from
//! disclosed numbers and, under `suppress`, secondary suppression.

use serde::{Deserialize, Serialize};

use super::{AOU_STEP, Disclosed, Policy, Tally};

/// One table, raw: each row a combination of labels and its tally of persons.
#[derive(Clone, Debug, PartialEq)]
pub struct TallyTable {
    /// Stable name, e.g. `"sex_at_birth"`, `"age_by_sex"`.
    pub name: String,
    /// Human title, e.g. `"Sex assigned at birth"`.
    pub title: String,
    /// What each label of a row means, e.g. `["Age", "Sex assigned at birth"]`.
    pub dimensions: Vec<String>,
    /// The rows, in display order.
    pub rows: Vec<TallyRow>,
    /// The persons in scope (the cohort, or the persons with the concept): the table's margin.
    pub total: Tally,
    /// A derived last row, total − Σ rows (e.g. `"Did not answer"`), shown under its label.
    pub remainder: Option<String>,
    /// When set, the rows are a ranking: disclosure orders them by their disclosed counts
    /// (largest first; equal counts keep the order given) and keeps this many
    /// ([`Policy::ranked`]).
    pub rank: Option<usize>,
    /// What each row's percent is a share of.
    pub percent_of: PercentOf,
}

/// What a row's percent is a share of; every percent is computed from disclosed numbers only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum PercentOf {
    /// The table's total, to one decimal.
    #[default]
    Total,
    /// The row's own denominator ([`TallyRow::of`], disclosed like any cell), as a whole
    /// percent: the Data Browser's Sex and Age charts (a share of the domain's participants of
    /// that sex or age group).
    Row,
    /// The sum of the disclosed counts of the rows that share the row's first label, to one
    /// decimal: the Data Browser's "% of age group" in Age + Sex.
    Group,
    /// The table's total, the participants who answered a survey question, to two decimals:
    /// the Data Browser's survey answer percentages (`countPercentage`, `toFixed(2)`).
    Question,
}

impl PercentOf {
    fn is_total(&self) -> bool {
        *self == PercentOf::Total
    }
}

/// One row of a [`TallyTable`].
#[derive(Clone, Debug, PartialEq)]
pub struct TallyRow {
    /// One label per dimension.
    pub labels: Vec<String>,
    /// The persons counted in this cell.
    pub tally: Tally,
    /// The persons the row's percent is a share of, when the table's percents are
    /// [`PercentOf::Row`].
    pub of: Option<Tally>,
}

impl TallyRow {
    /// A row without its own denominator.
    pub fn new(labels: Vec<String>, tally: Tally) -> TallyRow {
        TallyRow { labels, tally, of: None }
    }
}

/// A statistics table as it may be shown or exported: every cell disclosed under one policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "TableForm")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
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
    /// What each row's percent is a share of (absent: the total).
    #[serde(default, skip_serializing_if = "PercentOf::is_total")]
    pub percent_of: PercentOf,
}

/// One row of a [`DisclosedTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct DisclosedRow {
    /// One label per dimension.
    pub labels: Vec<String>,
    /// The disclosed count.
    pub count: Disclosed,
    /// Percent of what [`DisclosedTable::percent_of`] says, computed from disclosed numbers only.
    pub percent: Option<f64>,
    /// The row's own denominator, disclosed ([`PercentOf::Row`] tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Disclosed>,
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
    #[serde(default)]
    percent_of: PercentOf,
}

impl TryFrom<TableForm> for DisclosedTable {
    type Error = String;

    /// Accepts a table whose cells (each already checked) all carry the table's policy and
    /// whose rows have one label per dimension; percents are computed again from the cells.
    fn try_from(t: TableForm) -> Result<DisclosedTable, String> {
        let cells = t.rows.iter().flat_map(|r| [Some(&r.count), r.of.as_ref()]).flatten().chain([&t.total]);
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
        if t.percent_of == PercentOf::Row && t.rows.iter().any(|r| r.of.is_none()) {
            return Err("a table of row percents needs every row's denominator (of)".to_owned());
        }
        let mut rows = t.rows;
        set_percents(&mut rows, &t.total, t.percent_of);
        Ok(DisclosedTable {
            name: t.name,
            title: t.title,
            policy: t.policy,
            dimensions: t.dimensions,
            rows,
            total: t.total,
            percent_of: t.percent_of,
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

/// `count / of × 100` as the Data Browser's charts compute it (a JavaScript division, then
/// `toFixed(decimals)`: halves round up), or none when a number is withheld or `of` is 0.
fn share(count: Option<u64>, of: Option<u64>, decimals: i32) -> Option<f64> {
    match (count, of) {
        (Some(c), Some(o)) if o > 0 => {
            let scale = 10f64.powi(decimals);
            Some(((c as f64 / o as f64) * 100.0 * scale).round() / scale)
        }
        _ => None,
    }
}

/// Sets every row's percent as `percent_of` says.
fn set_percents(rows: &mut [DisclosedRow], total: &Disclosed, percent_of: PercentOf) {
    let groups: Vec<Option<u64>> = match percent_of {
        PercentOf::Group => rows
            .iter()
            .map(|r| {
                let same = rows.iter().filter(|o| o.labels.first() == r.labels.first());
                same.map(|o| o.count.value).sum()
            })
            .collect(),
        _ => vec![None; rows.len()],
    };
    for (row, group) in rows.iter_mut().zip(groups) {
        row.percent = match percent_of {
            PercentOf::Total => percent(&row.count, total),
            PercentOf::Row => share(row.count.value, row.of.as_ref().and_then(Disclosed::value), 0),
            PercentOf::Group => share(row.count.value, group, 1),
            PercentOf::Question => share(row.count.value, total.value, 2),
        };
    }
}

impl Policy {
    /// Discloses a whole table. `aou`: cells rounded, the remainder row = disclosed total −
    /// Σ disclosed rows, floored at 20. `suppress`: cells of 1–20 withheld, plus secondary
    /// suppression so no withheld cell follows from a line's margin. `perturbed`: every cell and
    /// the margin perturbed independently, by their own person sets, then rounded.
    /// A ranking ([`TallyTable::rank`]) is ordered by the disclosed counts first.
    pub fn disclose_table(self, table: &TallyTable) -> DisclosedTable {
        let ranked;
        let table = if table.rank.is_some() {
            ranked = self.ranked(table);
            &ranked
        } else {
            table
        };
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
        let mut ofs: Vec<Option<Disclosed>> =
            table.rows.iter().map(|r| r.of.map(|t| self.disclose(t))).collect();
        ofs.resize(labels.len(), None);
        let mut rows: Vec<DisclosedRow> = labels
            .into_iter()
            .zip(counts)
            .zip(ofs)
            .map(|((labels, count), of)| DisclosedRow { percent: None, labels, count, of })
            .collect();
        set_percents(&mut rows, &total, table.percent_of);
        DisclosedTable {
            name: table.name.clone(),
            title: table.title.clone(),
            policy: self,
            dimensions: table.dimensions.clone(),
            rows,
            total,
            percent_of: table.percent_of,
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
