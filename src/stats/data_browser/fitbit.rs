//! The Fitbit tiles (`generate-fitbit-data-counts.sh`): per tile, the participants with a row,
//! the running total by year of their first row (analysis 3107), and their sex (3101), age at
//! their first row (3102) and age + sex (3105).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{age_label, age_stratum, sex_label};
use crate::cdm::FitbitTable;
use crate::columns::NULL_I32;
use crate::date::{civil_from_days, days_from_civil};
use crate::privacy::{PercentOf, TallyRow, TallyTable};
use crate::stats::Stats;

/// A Fitbit tile: every Fitbit table together, or one table (JSON in camelCase).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum FitbitTile {
    /// "Any Fitbit Data": the union of the Fitbit tables.
    Any,
    /// "Heart Rate (Summary)": `heart_rate_summary`.
    HeartRateSummary,
    /// "Heart rate (minute-level)": `heart_rate_intraday`.
    HeartRateIntraday,
    /// "Activity intraday steps (minute-level)": `steps_intraday`.
    StepsIntraday,
    /// "Activity daily summary": `activity_summary`.
    ActivitySummary,
    /// "Sleep Daily Summary": `sleep_daily_summary`.
    SleepDailySummary,
    /// "Sleep Level (Sequence by level)": `sleep_level`.
    SleepLevel,
}

impl FitbitTile {
    /// Every tile, in the script's order.
    pub const ALL: [FitbitTile; 7] = [
        FitbitTile::Any,
        FitbitTile::HeartRateSummary,
        FitbitTile::HeartRateIntraday,
        FitbitTile::StepsIntraday,
        FitbitTile::ActivitySummary,
        FitbitTile::SleepDailySummary,
        FitbitTile::SleepLevel,
    ];

    /// The tile's label (the script's `stratum_1`).
    pub fn label(self) -> &'static str {
        match self {
            FitbitTile::Any => "Any Fitbit Data",
            FitbitTile::HeartRateSummary => "Heart Rate (Summary)",
            FitbitTile::HeartRateIntraday => "Heart rate (minute-level)",
            FitbitTile::StepsIntraday => "Activity intraday steps (minute-level)",
            FitbitTile::ActivitySummary => "Activity daily summary",
            FitbitTile::SleepDailySummary => "Sleep Daily Summary",
            FitbitTile::SleepLevel => "Sleep Level (Sequence by level)",
        }
    }

    /// The tile's one table (`None` for "Any Fitbit Data", which reads them all).
    pub fn table(self) -> Option<FitbitTable> {
        match self {
            FitbitTile::Any => None,
            FitbitTile::HeartRateSummary => Some(FitbitTable::HeartRateSummary),
            FitbitTile::HeartRateIntraday => Some(FitbitTable::HeartRateIntraday),
            FitbitTile::StepsIntraday => Some(FitbitTable::StepsIntraday),
            FitbitTile::ActivitySummary => Some(FitbitTable::ActivitySummary),
            FitbitTile::SleepDailySummary => Some(FitbitTable::SleepDailySummary),
            FitbitTile::SleepLevel => Some(FitbitTable::SleepLevel),
        }
    }
}

/// What a Fitbit tile's participants are counted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum FitbitBreakdown {
    /// Year of the first row, each row the running total up to that year (analysis 3107).
    Year,
    /// `gender_concept_id` (3101).
    Sex,
    /// Age group at the first row, in completed years (3102).
    Age,
    /// Age group at the first row × Male, Female, Other (3105), percents of the age group.
    AgeSex,
}

/// Age in completed years at `date` of a person born on day `birth`, as the script computes it:
/// the difference of the years, less one when `date`'s day of the year is before the birth's.
pub(crate) fn fitbit_age(birth: i32, date: i32) -> i32 {
    let day_of_year = |d: i32| {
        let (year, _, _) = civil_from_days(d);
        (year, d - days_from_civil(year, 1, 1))
    };
    let ((by, bd), (y, d)) = (day_of_year(birth), day_of_year(date));
    y - by - i32::from(d < bd)
}

impl Stats<'_> {
    /// Each participant in scope of the tile with the date of their first row (`NULL_I32` when
    /// no row has a date).
    fn db_fitbit_firsts(&self, tile: FitbitTile) -> Vec<(u32, i32)> {
        let tables = &self.index.persons.fitbit_tables;
        let earliest = |a: i32, b: i32| match (a, b) {
            (NULL_I32, x) | (x, NULL_I32) => x,
            (x, y) => x.min(y),
        };
        let first_in = |t: FitbitTable, p: u32| {
            let rows = &tables[t as usize];
            rows.persons.contains(p).then(|| rows.first[p as usize])
        };
        self.persons
            .iter()
            .filter_map(|p| {
                let first = match tile.table() {
                    Some(t) => first_in(t, p),
                    None => FitbitTable::ALL.into_iter().filter_map(|t| first_in(t, p)).reduce(earliest),
                }?;
                Some((p, first))
            })
            .collect()
    }

    pub(super) fn db_fitbit_tiles(&self) -> TallyTable {
        let rows = FitbitTile::ALL
            .into_iter()
            .map(|tile| {
                let persons = self.db_fitbit_firsts(tile).into_iter().map(|(p, _)| p);
                TallyRow::new(vec![tile.label().to_owned()], self.tally(persons))
            })
            .collect();
        self.table(
            "data_browser_fitbit_tiles",
            "Fitbit".to_owned(),
            &["Fitbit data"],
            rows,
            self.tally(&self.persons),
        )
    }

    /// The age stratum at the first row of a participant (none without a birth or a date).
    fn db_fitbit_stratum(&self, p: u32, first: i32) -> Option<u8> {
        let birth = self.index.persons.birth[p as usize]?;
        (first != NULL_I32).then(|| age_stratum(fitbit_age(birth.days(), first)))
    }

    pub(super) fn db_fitbit(&self, tile: FitbitTile, breakdown: FitbitBreakdown) -> TallyTable {
        let firsts = self.db_fitbit_firsts(tile);
        let total = self.tally(firsts.iter().map(|&(p, _)| p));
        let label = tile.label();
        match breakdown {
            FitbitBreakdown::Year => {
                let mut by_year: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
                for &(p, first) in firsts.iter().filter(|&&(_, f)| f != NULL_I32) {
                    by_year.entry(civil_from_days(first).0).or_default().push(p);
                }
                let mut running = Vec::new();
                let rows = by_year
                    .into_iter()
                    .map(|(year, persons)| {
                        running.extend(persons);
                        TallyRow::new(vec![year.to_string()], self.tally(running.iter().copied()))
                    })
                    .collect();
                self.table(
                    "data_browser_fitbit_year",
                    format!("{label}: participants by year of their first record, running total"),
                    &["Year"],
                    rows,
                    total,
                )
            }
            FitbitBreakdown::Sex => {
                let persons: Vec<u32> = firsts.iter().map(|&(p, _)| p).collect();
                let mut rows: Vec<TallyRow> = (self.db_by_sex(&persons).into_iter())
                    .map(|(g, group)| {
                        let label =
                            if g == NULL_I32 { "Not recorded".to_owned() } else { sex_label(self.vocab, g) };
                        TallyRow::new(vec![label], self.tally(group))
                    })
                    .collect();
                rows.sort_by(|a, b| a.labels.cmp(&b.labels));
                self.table(
                    "data_browser_fitbit_sex",
                    format!("{label} by sex assigned at birth"),
                    &["Sex assigned at birth"],
                    rows,
                    total,
                )
            }
            FitbitBreakdown::Age | FitbitBreakdown::AgeSex => {
                let mut by_stratum: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
                for &(p, first) in &firsts {
                    if let Some(s) = self.db_fitbit_stratum(p, first) {
                        by_stratum.entry(s).or_default().push(p);
                    }
                }
                let mut rows = Vec::new();
                for (s, persons) in by_stratum {
                    let Some(age) = age_label(s) else { continue };
                    if breakdown == FitbitBreakdown::Age {
                        rows.push(TallyRow::new(vec![age.to_owned()], self.tally(persons)));
                        continue;
                    }
                    let by_sex = self.db_by_sex(&persons);
                    for (sex, gender) in [("Male", 8507), ("Female", 8532), ("Other", 0)] {
                        let group = by_sex.get(&gender).map_or(&[][..], Vec::as_slice);
                        rows.push(TallyRow::new(
                            vec![age.to_owned(), sex.to_owned()],
                            self.tally(group.iter().copied()),
                        ));
                    }
                }
                if breakdown == FitbitBreakdown::Age {
                    self.table(
                        "data_browser_fitbit_age",
                        format!("{label} by age at the first record"),
                        &["Age"],
                        rows,
                        total,
                    )
                } else {
                    let table = self.table(
                        "data_browser_fitbit_age_sex",
                        format!("{label} by age at the first record and sex"),
                        &["Age", "Sex assigned at birth"],
                        rows,
                        total,
                    );
                    TallyTable { percent_of: PercentOf::Group, ..table }
                }
            }
        }
    }
}

#[cfg(test)]
mod age_tests {
    use super::fitbit_age;
    use crate::date::days_from_civil;

    #[test]
    fn ages_are_completed_years_by_day_of_the_year() {
        let d = days_from_civil;
        assert_eq!(fitbit_age(d(1990, 6, 15), d(2020, 6, 15)), 30, "the birthday itself");
        assert_eq!(fitbit_age(d(1990, 6, 15), d(2019, 6, 14)), 28);
        assert_eq!(fitbit_age(d(1990, 6, 15), d(2020, 6, 13)), 29);
        // 14 June 2020 is the 166th day of a leap year, as 15 June 1990 is of its year.
        assert_eq!(fitbit_age(d(1990, 6, 15), d(2020, 6, 14)), 30, "a day early in a leap year");
        // 2020 is a leap year: 1 March is its 61st day, after 1 March 1990's 60th, so the
        // script counts the birthday a day early.
        assert_eq!(fitbit_age(d(1990, 3, 1), d(2020, 2, 29)), 30);
        assert_eq!(fitbit_age(d(1990, 3, 1), d(2019, 2, 28)), 28);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
