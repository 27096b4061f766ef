//! The combined race/ethnicity chart: The Basics race/ethnicity question (1586140) as
//! `generate-survey-counts.sh` counts it for the Data Browser (analysis 3110, the
//! `basics_category_rows` query), with the labels `make-bq-data.sh` renames (DB-1396).

use std::collections::BTreeMap;

use crate::cdm::EventTable;
use crate::columns::NULL_I32;
use crate::privacy::{PercentOf, TallyRow, TallyTable};
use crate::stats::{StatError, Stats, concept_label, distinct};

/// The Basics race/ethnicity question (`observation_source_concept_id`).
const RACE_ETHNICITY: i32 = 1_586_140;

/// The answers a single answerer is counted under "Other" for (the query's
/// `not in (1586144,1586148,1586145,903070)`: Middle Eastern or North African, None of these,
/// Native Hawaiian or other Pacific Islander, Other).
const OTHER_ANSWERS: [i32; 4] = [1_586_144, 1_586_148, 1_586_145, 903_070];

/// `make-bq-data.sh`'s renamed labels of single answers (`stratum_3` → `stratum_4`).
const RENAMED: [(i32, &str); 4] =
    [(1_586_143, "Black"), (1_586_146, "White"), (1_586_147, "Hispanic"), (1_586_142, "Asian")];

/// The group of the participants with several answers (or only null ones), as renamed.
pub(crate) const MORE_THAN_ONE: &str = "More than one";

impl Stats<'_> {
    /// Participants by their race/ethnicity answers: a participant with one distinct answer
    /// counts under that answer (renamed, or "Other"), one with several under "More than one";
    /// the total is the participants with a row of the question. Each row of the query is
    /// grouped: a single answerer's row with a null answer counts under "Other" too (SQL's
    /// `NULL NOT IN (…)`). Rows ranked by disclosed count; percents of the total, two decimals.
    pub(super) fn db_race_ethnicity(&self) -> Result<TallyTable, StatError> {
        let obs = self.index.events(EventTable::Observation);
        let answer = |r: usize| obs.value_source.get(r).copied().filter(|&a| a != NULL_I32);
        let mut answers: BTreeMap<u32, Vec<i32>> = BTreeMap::new();
        let mut rows = Vec::new();
        obs.by_source.rows(RACE_ETHNICITY).each(|r| {
            let p = obs.person[r];
            if self.member.contains(p) {
                rows.push((p, answer(r)));
                answers.entry(p).or_default().extend(answer(r));
            }
        });
        let single = |p: u32| {
            let mut a = answers[&p].clone();
            a.sort_unstable();
            a.dedup();
            a.len() == 1
        };
        // Grouped by the query's (stratum_3, stratum_4): the answer id (903070 for Other, ""
        // for several) and its label.
        let mut groups: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
        for &(p, a) in &rows {
            let key = match a {
                _ if !single(p) => (String::new(), MORE_THAN_ONE.to_owned()),
                Some(a) if !OTHER_ANSWERS.contains(&a) => {
                    let label = RENAMED
                        .iter()
                        .find(|(id, _)| *id == a)
                        .map_or_else(|| concept_label(self.vocab, a).1, |(_, l)| (*l).to_owned());
                    (a.to_string(), label)
                }
                _ => ("903070".to_owned(), "Other".to_owned()),
            };
            groups.entry(key).or_default().push(p);
        }
        let mut out: Vec<TallyRow> = groups
            .into_iter()
            .map(|((_, label), persons)| TallyRow::new(vec![label], self.tally(distinct(persons))))
            .collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        let total = self.tally(answers.into_keys());
        let table = self.table(
            "data_browser_race_ethnicity",
            "Race / ethnicity".to_owned(),
            &["Race / ethnicity"],
            out,
            total,
        );
        Ok(TallyTable { rank: Some(usize::MAX), percent_of: PercentOf::Answered, ..table })
    }
}
