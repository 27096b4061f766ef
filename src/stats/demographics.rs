//! The demographic tables: persons by sex at birth, gender, race and ethnicity, by age band and
//! by age band × sex or gender. A dataset without sex at birth (an OMOP export without All of
//! Us's `sex_at_birth_concept_id`) gets gender in its place, labelled "Gender".

use std::collections::BTreeMap;

use super::{AgeAt, AgeBands, Label, StatError, Stats, concept_label};
use crate::columns::NULL_I32;
use crate::privacy::{TallyRow, TallyTable};

impl Stats<'_> {
    /// The scope's persons by a person-level concept column.
    pub(super) fn demographic(&self, name: &str, title: &str, column: &[i32]) -> TallyTable {
        let mut groups: BTreeMap<Label, Vec<u32>> = BTreeMap::new();
        for p in &self.persons {
            groups.entry(concept_label(self.vocab, column[p as usize])).or_default().push(p);
        }
        let rows = self.grouped(groups);
        self.table(name, title.to_owned(), &[title], rows, self.tally(&self.persons))
    }

    /// Each person's age (`NULL_I32` when unknown), now or at the concept's first occurrence.
    pub(super) fn ages(&self, at: AgeAt) -> Result<Vec<(u32, i32)>, StatError> {
        let persons = &self.index.persons;
        match at {
            AgeAt::Now => Ok(self.persons.iter().map(|p| (p, persons.age_now[p as usize])).collect()),
            AgeAt::Event => {
                let Some(concepts) = &self.concepts else {
                    return Err(StatError::Statistic(
                        "age at event is the age at the first occurrence of a concept, so it needs a \
                         concept scope; for a cohort ask for \"at\": \"now\""
                            .to_owned(),
                    ));
                };
                let first = self.first_dates(concepts);
                Ok(self
                    .persons
                    .iter()
                    .map(|p| {
                        let age = match (persons.birth[p as usize], first[p as usize]) {
                            (Some(birth), d) if d != NULL_I32 => self.index.calendar.age(birth, d),
                            _ => NULL_I32,
                        };
                        (p, age)
                    })
                    .collect())
            }
        }
    }

    /// Each person's earliest date of a row of `concepts` in any concept column of any event
    /// table (`NULL_I32` for none).
    pub(super) fn first_dates(&self, concepts: &[i32]) -> Vec<i32> {
        let mut first = vec![NULL_I32; self.index.persons.len()];
        for events in &self.index.events {
            for buckets in [&events.by_concept, &events.by_source, &events.by_value_source] {
                for &c in concepts {
                    buckets.rows(c).each(|r| {
                        let (p, d) = (events.person[r] as usize, events.date[r]);
                        if d != NULL_I32 && (first[p] == NULL_I32 || d < first[p]) {
                            first[p] = d;
                        }
                    });
                }
            }
        }
        first
    }

    /// Age slots: 0 "Under 18", 1..=n the bands, n + 1 "Unknown"; and which slots are shown
    /// (the bands always, the other two when not empty).
    pub(super) fn age_slots(
        &self,
        bands: AgeBands,
        at: AgeAt,
    ) -> Result<(Vec<String>, Vec<Vec<u32>>), StatError> {
        let bands = bands.bands();
        let mut labels = vec!["Under 18".to_owned()];
        labels.extend(bands.iter().map(|(_, l)| (*l).to_owned()));
        labels.push("Unknown".to_owned());
        let mut slots = vec![Vec::new(); labels.len()];
        for (p, age) in self.ages(at)? {
            let slot = match age {
                NULL_I32 => bands.len() + 1,
                a if a < bands[0].0 => 0,
                a => bands.iter().rposition(|&(lo, _)| lo <= a).map_or(0, |i| i + 1),
            };
            slots[slot].push(p);
        }
        Ok((labels, slots))
    }

    pub(super) fn age_title(&self, at: AgeAt) -> &'static str {
        match at {
            AgeAt::Now => "Current age",
            AgeAt::Event => "Age at first occurrence",
        }
    }

    pub(super) fn age(&self, bands: AgeBands, at: AgeAt) -> Result<TallyTable, StatError> {
        let (labels, slots) = self.age_slots(bands, at)?;
        let last = slots.len() - 1;
        let rows = labels
            .into_iter()
            .zip(slots)
            .enumerate()
            .filter(|(i, (_, persons))| (1..last).contains(i) || !persons.is_empty())
            .map(|(_, (label, persons))| TallyRow::new(vec![label], self.tally(persons)))
            .collect();
        Ok(self.table("age", self.age_title(at).to_owned(), &["Age"], rows, self.tally(&self.persons)))
    }

    /// Whether any person of the dataset (not only of the scope, so the choice reveals nothing
    /// about it) has a sex at birth.
    pub(super) fn records_sex_at_birth(&self) -> bool {
        self.index.persons.sex.iter().any(|&s| s != NULL_I32)
    }

    pub(super) fn age_by_sex(&self, bands: AgeBands, at: AgeAt) -> Result<TallyTable, StatError> {
        let title = format!("{} by sex assigned at birth", self.age_title(at));
        let rows = self.age_by(bands, at, &self.index.persons.sex)?;
        Ok(self.table(
            "age_by_sex",
            title,
            &["Age", "Sex assigned at birth"],
            rows,
            self.tally(&self.persons),
        ))
    }

    pub(super) fn age_by_gender(&self, bands: AgeBands, at: AgeAt) -> Result<TallyTable, StatError> {
        let title = format!("{} by gender", self.age_title(at));
        let rows = self.age_by(bands, at, &self.index.persons.gender)?;
        Ok(self.table("age_by_gender", title, &["Age", "Gender"], rows, self.tally(&self.persons)))
    }

    /// Rows of age band × the person-level concept in `column`, every combination present in
    /// the scope (zeros included).
    fn age_by(&self, bands: AgeBands, at: AgeAt, column: &[i32]) -> Result<Vec<TallyRow>, StatError> {
        let (labels, slots) = self.age_slots(bands, at)?;
        let value_of = |p: u32| concept_label(self.vocab, column[p as usize]);
        let values: Vec<Label> = {
            let mut all: Vec<Label> = self.persons.iter().map(value_of).collect();
            all.sort();
            all.dedup();
            all
        };
        let last = slots.len() - 1;
        let mut rows = Vec::new();
        for (i, (age, persons)) in labels.into_iter().zip(slots).enumerate() {
            if !(1..last).contains(&i) && persons.is_empty() {
                continue;
            }
            let mut by_value: BTreeMap<Label, Vec<u32>> =
                values.iter().map(|s| (s.clone(), Vec::new())).collect();
            for p in persons {
                by_value.entry(value_of(p)).or_default().push(p);
            }
            for ((_, value), persons) in by_value {
                rows.push(TallyRow::new(vec![age.clone(), value], self.tally(persons)));
            }
        }
        Ok(rows)
    }
}
