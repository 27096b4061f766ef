//! Statistics of a cohort or a concept — the Data Browser's and the Cohort Builder's tables
//! (demographics, ages, Age × Sex, top concepts, value histograms, survey answers, Fitbit,
//! record sources) — as raw [`StatTable`]s of [`Tally`] cells. They leave the crate only through
//! [`Policy::disclose_table`](crate::privacy::Policy::disclose_table).

use crate::privacy::Tally;

/// One statistics table, raw: each row a combination of labels and its tally of persons.
#[derive(Clone, Debug, PartialEq)]
pub struct StatTable {
    /// Stable name, e.g. `"sex_at_birth"`, `"age_by_sex"`.
    pub name: String,
    /// Human title, e.g. `"Sex assigned at birth"`.
    pub title: String,
    /// What each label of a row means, e.g. `["Age", "Sex assigned at birth"]`.
    pub dimensions: Vec<String>,
    /// The rows, in display order.
    pub rows: Vec<StatRow>,
    /// The persons in scope (the cohort, or the persons with the concept): the table's margin.
    pub total: Tally,
    /// A derived last row, total − Σ rows (e.g. `"Did not answer"`), shown under its label.
    pub remainder: Option<String>,
}

/// One row of a [`StatTable`].
#[derive(Clone, Debug, PartialEq)]
pub struct StatRow {
    /// One label per dimension.
    pub labels: Vec<String>,
    /// The persons counted in this cell.
    pub tally: Tally,
}
