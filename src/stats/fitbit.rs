//! Fitbit tables: persons by mean daily steps, and persons with activity per month.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use super::Stats;
use crate::privacy::{Tally, TallyRow, TallyTable};

/// Mean-daily-steps bands: lowest mean and label.
const STEP_BANDS: [(f64, &str); 5] = [
    (0.0, "Under 5,000"),
    (5_000.0, "5,000–7,499"),
    (7_500.0, "7,500–9,999"),
    (10_000.0, "10,000–12,499"),
    (12_500.0, "12,500 or more"),
];

impl Stats<'_> {
    pub(super) fn fitbit_steps(&self) -> TallyTable {
        let persons = &self.index.persons;
        let mut slots = vec![Vec::new(); STEP_BANDS.len() + 1];
        let mut total = Vec::new();
        for p in self.persons.iter().filter(|&p| persons.fitbit.contains(p)) {
            let mean = persons.steps[p as usize];
            let slot = if mean.is_nan() {
                STEP_BANDS.len()
            } else {
                STEP_BANDS.iter().rposition(|&(lo, _)| lo <= mean).unwrap_or(0)
            };
            slots[slot].push(p);
            total.push(p);
        }
        let labels = STEP_BANDS.iter().map(|(_, l)| *l).chain(["No step data"]);
        let rows = labels
            .zip(slots)
            .filter(|(label, persons)| *label != "No step data" || !persons.is_empty())
            .map(|(label, persons)| TallyRow::new(vec![label.to_owned()], self.tally(persons)))
            .collect();
        self.table(
            "fitbit_steps",
            "Mean daily steps (Fitbit)".to_owned(),
            &["Mean daily steps"],
            rows,
            self.tally(total),
        )
    }

    pub(super) fn fitbit_monthly(&self) -> TallyTable {
        let persons = &self.index.persons;
        let scoped: BTreeMap<i32, RoaringBitmap> = (persons.activity_months.iter())
            .map(|(&month, all)| (month, all & &self.persons))
            .filter(|(_, found)| !found.is_empty())
            .collect();
        let rows = match (scoped.keys().next(), scoped.keys().next_back()) {
            (Some(&first), Some(&last)) => (first..=last)
                .map(|month| TallyRow {
                    labels: vec![format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)],
                    tally: scoped.get(&month).map_or_else(Tally::default, |found| self.tally(found)),
                    of: None,
                })
                .collect(),
            _ => Vec::new(),
        };
        self.table(
            "fitbit_monthly",
            "Participants with Fitbit activity data, by month".to_owned(),
            &["Month"],
            rows,
            self.tally(&(&persons.activity & &self.persons)),
        )
    }
}
