//! Statistics of a cohort or a concept — the Data Browser's and the Cohort Builder's tables
//! (demographics, ages, Age × Sex, top concepts, value histograms, survey answers, Fitbit,
//! record sources) — as raw [`StatTable`]s of [`Tally`] cells. They leave the crate only through
//! [`Policy::disclose_table`](crate::privacy::Policy::disclose_table).
//!
//! Every cell counts distinct persons of the scope. Categorical rows are ordered by label (known
//! concepts first, then "No matching concept", "Not recorded" and concepts missing from the
//! vocabulary), never by count, so the order reveals nothing the disclosed numbers do not.
//! The rules of each table are on [`StatRequest`] and in docs/statistics.md.

use std::collections::BTreeMap;

use roaring::RoaringBitmap;
use serde::Deserialize;

use crate::cohort::{Cohort, CohortError, Dense, Engine, Index, Tab};
use crate::columns::NULL_I32;
use crate::privacy::Tally;
use crate::vocab::Vocab;

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

/// Whose statistics.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// The persons of a cohort.
    Cohort(&'a Cohort),
    /// The persons with a record of the concept or of one of its descendants, in any concept
    /// column (standard, source, survey answer) or as a demographic concept — the persons the
    /// Data Browser counts for a concept.
    Concept(i32),
}

/// Which statistic to compute (JSON: `{"kind": "age", "bands": "dataBrowser", "at": "now"}`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum StatRequest {
    /// Persons by `sex_at_birth_concept_id`.
    SexAtBirth,
    /// Persons by `gender_concept_id`.
    Gender,
    /// Persons by `race_concept_id`.
    Race,
    /// Persons by `ethnicity_concept_id`.
    Ethnicity,
    /// Persons by age band, plus "Under 18" and "Unknown" (no date of birth or no event date)
    /// rows when not empty: the rows partition the scope.
    Age {
        /// The bands.
        bands: AgeBands,
        /// Age now (at the dataset's reference date) or at the concept's first occurrence.
        #[serde(default)]
        at: AgeAt,
    },
    /// Persons by age band × sex at birth (every combination, zeros included).
    AgeBySex {
        /// The bands.
        bands: AgeBands,
        /// As for [`StatRequest::Age`].
        #[serde(default)]
        at: AgeAt,
    },
    /// The `limit` standard concepts of a domain with most persons in scope (ranked by the
    /// All of Us rounded count, then by name); the total is the scope.
    TopConcepts {
        /// CONDITION, DRUG, PROCEDURE, MEASUREMENT, OBSERVATION, DEVICE, VISIT or
        /// PHYSICAL_MEASUREMENT.
        domain: String,
        /// Most rows, 1–1,000.
        limit: usize,
    },
    /// Histogram of `value_as_number` of a measurement (and its descendants) per unit; a person
    /// counts in every bin one of their values falls in; the total is the persons in scope with
    /// a value.
    MeasurementValues {
        /// The measurement concept.
        concept_id: i32,
    },
    /// Persons by answer (`value_source_concept_id`) to a survey question; the total is the
    /// persons in scope who took the question's survey, and "Did not answer" is the rest.
    SurveyAnswers {
        /// The question concept (`observation_source_concept_id`).
        question_concept_id: i32,
    },
    /// Persons with Fitbit data by mean daily steps.
    FitbitSteps,
    /// Persons with an `activity_summary` row per calendar month ("2021-03"), every month from
    /// the scope's first to its last (zeros included); the total is the scope's persons with
    /// any `activity_summary` row.
    FitbitMonthly,
    /// Persons in scope with a record of the concept (or a descendant), per table.
    RecordSources {
        /// The concept.
        concept_id: i32,
    },
}

/// Age bands: the Data Browser's or the Cohort Builder's.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AgeBands {
    /// 18–29, 30–39, …, 80–89, 90+ (the Data Browser's "89+" means over 89).
    DataBrowser,
    /// 18–44, 45–64, 65+.
    CohortBuilder,
}

/// When ages are taken.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum AgeAt {
    /// At the dataset's reference date.
    #[default]
    Now,
    /// At the first occurrence of the scope's concept (concept scopes only).
    Event,
}

impl AgeBands {
    /// Each band's lowest age and label; a band ends where the next begins.
    fn bands(self) -> &'static [(i32, &'static str)] {
        match self {
            AgeBands::DataBrowser => &[
                (18, "18–29"),
                (30, "30–39"),
                (40, "40–49"),
                (50, "50–59"),
                (60, "60–69"),
                (70, "70–79"),
                (80, "80–89"),
                (90, "90+"),
            ],
            AgeBands::CohortBuilder => &[(18, "18–44"), (45, "45–64"), (65, "65+")],
        }
    }
}

/// Domains of [`StatRequest::TopConcepts`]: table, and whether its concepts must be PPI
/// (`Some(true)`), must not be (`Some(false)`), or either.
const TOP_DOMAINS: [(&str, Tab, Option<bool>); 8] = [
    ("CONDITION", Tab::Condition, None),
    ("DRUG", Tab::Drug, None),
    ("PROCEDURE", Tab::Procedure, None),
    ("MEASUREMENT", Tab::Measurement, Some(false)),
    ("OBSERVATION", Tab::Observation, Some(false)),
    ("DEVICE", Tab::Device, None),
    ("VISIT", Tab::Visit, None),
    ("PHYSICAL_MEASUREMENT", Tab::Measurement, Some(true)),
];

/// Most rows of a top-concepts table.
const TOP_LIMIT: usize = 1_000;

/// Mean-daily-steps bands: lowest mean and label.
const STEP_BANDS: [(f64, &str); 5] = [
    (0.0, "Under 5,000"),
    (5_000.0, "5,000–7,499"),
    (7_500.0, "7,500–9,999"),
    (10_000.0, "10,000–12,499"),
    (12_500.0, "12,500 or more"),
];

impl Engine {
    /// The raw statistics table `request` asks for, over the persons of `scope`. Fails on an
    /// unknown concept, an unknown domain, a bad limit, or age at event for a cohort.
    pub fn statistics(&self, scope: &Scope<'_>, request: &StatRequest) -> Result<StatTable, CohortError> {
        let s = Stats::new(self.vocab(), self.index(), scope)?;
        let persons = &s.index.persons;
        Ok(match request {
            StatRequest::SexAtBirth => s.demographic("sex_at_birth", "Sex assigned at birth", &persons.sex),
            StatRequest::Gender => s.demographic("gender", "Gender identity", &persons.gender),
            StatRequest::Race => s.demographic("race", "Race", &persons.race),
            StatRequest::Ethnicity => s.demographic("ethnicity", "Ethnicity", &persons.ethnicity),
            StatRequest::Age { bands, at } => s.age(*bands, *at)?,
            StatRequest::AgeBySex { bands, at } => s.age_by_sex(*bands, *at)?,
            StatRequest::TopConcepts { domain, limit } => s.top_concepts(domain, *limit)?,
            StatRequest::MeasurementValues { concept_id } => s.measurement_values(*concept_id)?,
            StatRequest::SurveyAnswers { question_concept_id } => s.survey_answers(*question_concept_id)?,
            StatRequest::FitbitSteps => s.fitbit_steps(),
            StatRequest::FitbitMonthly => s.fitbit_monthly(),
            StatRequest::RecordSources { concept_id } => s.record_sources(*concept_id)?,
        })
    }
}

/// A row label and whether it names no known concept (such rows sort last).
type Label = (bool, String);

/// The label of a concept value: its name, or what its absence means.
fn concept_label(vocab: &Vocab, c: i32) -> Label {
    match c {
        NULL_I32 => (true, "Not recorded".to_owned()),
        0 => (true, "No matching concept".to_owned()),
        _ => match vocab.concept(c) {
            Some(concept) => (false, concept.name.clone()),
            None => (true, format!("Concept {c} (not in the vocabulary)")),
        },
    }
}

/// The label of a unit concept: its UCUM code (e.g. `mg/dL`) when it has one, else its name.
fn unit_label(vocab: &Vocab, u: i32) -> Label {
    match vocab.concept(u) {
        _ if u == NULL_I32 || u == 0 => (true, "No unit".to_owned()),
        Some(c) if c.domain == "Unit" && !c.code.is_empty() => (false, c.code.clone()),
        _ => concept_label(vocab, u),
    }
}

/// A concept and its descendants, sorted; an error when the vocabulary lacks it.
fn concept_set(vocab: &Vocab, id: i32) -> Result<Vec<i32>, CohortError> {
    vocab.concept(id).ok_or(CohortError::UnknownConcept(id))?;
    let mut set = vec![id];
    set.extend_from_slice(vocab.descendants(id));
    set.sort_unstable();
    set.dedup();
    Ok(set)
}

/// Sorted, deduplicated person ordinals.
fn distinct(mut persons: Vec<u32>) -> Vec<u32> {
    persons.sort_unstable();
    persons.dedup();
    persons
}

/// The statistics of one scope.
struct Stats<'a> {
    vocab: &'a Vocab,
    index: &'a Index,
    /// The scope's persons.
    persons: RoaringBitmap,
    /// The same set, for membership tests in row scans.
    member: Dense,
    /// The concept set of a concept scope.
    concepts: Option<Vec<i32>>,
}

impl<'a> Stats<'a> {
    fn new(vocab: &'a Vocab, index: &'a Index, scope: &Scope<'_>) -> Result<Stats<'a>, CohortError> {
        let (persons, concepts) = match scope {
            Scope::Cohort(cohort) => (cohort.persons().clone(), None),
            Scope::Concept(id) => {
                let set = concept_set(vocab, *id)?;
                (index.concept_persons(&set).to_roaring(), Some(set))
            }
        };
        let mut member = Dense::new(index.persons.len());
        persons.iter().for_each(|p| member.insert(p));
        Ok(Stats { vocab, index, persons, member, concepts })
    }

    fn tally(&self, persons: impl IntoIterator<Item = u32>) -> Tally {
        Tally::of(persons, &self.index.persons.keys)
    }

    fn table(
        &self,
        name: &str,
        title: String,
        dimensions: &[&str],
        rows: Vec<StatRow>,
        total: Tally,
    ) -> StatTable {
        StatTable {
            name: name.to_owned(),
            title,
            dimensions: dimensions.iter().map(|d| (*d).to_owned()).collect(),
            rows,
            total,
            remainder: None,
        }
    }

    /// Rows of persons grouped by label, known concepts first, each group by name.
    fn grouped(&self, groups: BTreeMap<Label, Vec<u32>>) -> Vec<StatRow> {
        groups
            .into_iter()
            .map(|((_, label), persons)| StatRow {
                labels: vec![label],
                tally: self.tally(distinct(persons)),
            })
            .collect()
    }

    /// The scope's persons by a person-level concept column.
    fn demographic(&self, name: &str, title: &str, column: &[i32]) -> StatTable {
        let mut groups: BTreeMap<Label, Vec<u32>> = BTreeMap::new();
        for p in &self.persons {
            groups.entry(concept_label(self.vocab, column[p as usize])).or_default().push(p);
        }
        let rows = self.grouped(groups);
        self.table(name, title.to_owned(), &[title], rows, self.tally(&self.persons))
    }

    /// Each person's age (`NULL_I32` when unknown), now or at the concept's first occurrence.
    fn ages(&self, at: AgeAt) -> Result<Vec<(u32, i32)>, CohortError> {
        let persons = &self.index.persons;
        match at {
            AgeAt::Now => Ok(self.persons.iter().map(|p| (p, persons.age_now[p as usize])).collect()),
            AgeAt::Event => {
                let Some(concepts) = &self.concepts else {
                    return Err(CohortError::Statistic(
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
    fn first_dates(&self, concepts: &[i32]) -> Vec<i32> {
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
    fn age_slots(&self, bands: AgeBands, at: AgeAt) -> Result<(Vec<String>, Vec<Vec<u32>>), CohortError> {
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

    fn age_title(&self, at: AgeAt) -> &'static str {
        match at {
            AgeAt::Now => "Current age",
            AgeAt::Event => "Age at first occurrence",
        }
    }

    fn age(&self, bands: AgeBands, at: AgeAt) -> Result<StatTable, CohortError> {
        let (labels, slots) = self.age_slots(bands, at)?;
        let last = slots.len() - 1;
        let rows = labels
            .into_iter()
            .zip(slots)
            .enumerate()
            .filter(|(i, (_, persons))| (1..last).contains(i) || !persons.is_empty())
            .map(|(_, (label, persons))| StatRow { labels: vec![label], tally: self.tally(persons) })
            .collect();
        Ok(self.table("age", self.age_title(at).to_owned(), &["Age"], rows, self.tally(&self.persons)))
    }

    fn age_by_sex(&self, bands: AgeBands, at: AgeAt) -> Result<StatTable, CohortError> {
        let (labels, slots) = self.age_slots(bands, at)?;
        let sex_of = |p: u32| concept_label(self.vocab, self.index.persons.sex[p as usize]);
        let sexes: Vec<Label> = {
            let mut all: Vec<Label> = self.persons.iter().map(sex_of).collect();
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
            let mut by_sex: BTreeMap<Label, Vec<u32>> =
                sexes.iter().map(|s| (s.clone(), Vec::new())).collect();
            for p in persons {
                by_sex.entry(sex_of(p)).or_default().push(p);
            }
            for ((_, sex), persons) in by_sex {
                rows.push(StatRow { labels: vec![age.clone(), sex], tally: self.tally(persons) });
            }
        }
        let title = format!("{} by sex assigned at birth", self.age_title(at));
        Ok(self.table(
            "age_by_sex",
            title,
            &["Age", "Sex assigned at birth"],
            rows,
            self.tally(&self.persons),
        ))
    }

    fn top_concepts(&self, domain: &str, limit: usize) -> Result<StatTable, CohortError> {
        let Some(&(_, tab, ppi)) = TOP_DOMAINS.iter().find(|(d, _, _)| *d == domain) else {
            let known: Vec<&str> = TOP_DOMAINS.iter().map(|(d, _, _)| *d).collect();
            return Err(CohortError::Statistic(format!(
                "top concepts of domain {domain:?} are not available; use one of {}",
                known.join(", ")
            )));
        };
        if !(1..=TOP_LIMIT).contains(&limit) {
            return Err(CohortError::Statistic(format!(
                "a top-concepts limit of {limit} is out of range; ask for 1 to {TOP_LIMIT} concepts"
            )));
        }
        let events = self.index.events(tab);
        // Rows are sorted by standard concept: each concept's rows are one run. A run's persons
        // in scope are counted with a stamp per person (a run is not sorted by person).
        let mut stamp = vec![u32::MAX; self.index.persons.len()];
        let mut counted: Vec<(u64, usize)> = Vec::new(); // (rank count, run)
        for (k, &(c, r, end)) in events.runs.iter().enumerate() {
            let is_ppi = || self.vocab.concept(c).is_some_and(|k| k.vocabulary == "PPI");
            if c == NULL_I32 || c == 0 || ppi.is_some_and(|want| want != is_ppi()) {
                continue;
            }
            let mut n = 0u64;
            for &p in &events.person[r as usize..end as usize] {
                if self.member.contains(p) && stamp[p as usize] != k as u32 {
                    stamp[p as usize] = k as u32;
                    n += 1;
                }
            }
            if n > 0 {
                counted.push((n.div_ceil(20), k));
            }
        }
        // Ranked by the rounded count, then label, then id: only the concepts that can be in
        // the first `limit` need their labels.
        counted.sort_unstable_by_key(|&(n, _)| std::cmp::Reverse(n));
        let cutoff = counted.get(limit - 1).map_or(0, |&(n, _)| n);
        let mut ranked: Vec<(u64, Label, i32, usize)> = (counted.into_iter())
            .take_while(|&(n, _)| n >= cutoff)
            .map(|(n, k)| {
                let c = events.runs[k].0;
                (n, concept_label(self.vocab, c), c, k)
            })
            .collect();
        ranked.sort_by(|a, b| (std::cmp::Reverse(a.0), &a.1, a.2).cmp(&(std::cmp::Reverse(b.0), &b.1, b.2)));
        let rows = (ranked.into_iter().take(limit))
            .map(|(_, (_, label), _, k)| {
                let (_, r, end) = events.runs[k];
                let persons = events.person[r as usize..end as usize].iter().copied();
                let persons = distinct(persons.filter(|&p| self.member.contains(p)).collect());
                StatRow { labels: vec![label], tally: self.tally(persons) }
            })
            .collect();
        let title = format!("Top {} concepts", domain.to_lowercase().replace('_', " "));
        Ok(self.table("top_concepts", title, &["Concept"], rows, self.tally(&self.persons)))
    }

    fn measurement_values(&self, concept_id: i32) -> Result<StatTable, CohortError> {
        let concepts = concept_set(self.vocab, concept_id)?;
        let events = self.index.events(Tab::Measurement);
        // Every value of the dataset, per unit (the bins), and the scope's (unit, person, value).
        let mut all: BTreeMap<i32, Vec<f64>> = BTreeMap::new();
        let mut scoped: Vec<(i32, u32, f64)> = Vec::new();
        for &c in &concepts {
            events.by_concept.rows(c).each(|r| {
                let (v, u, p) = (events.value(r), events.unit(r), events.person[r]);
                if v.is_finite() {
                    all.entry(u).or_default().push(v);
                    if self.member.contains(p) {
                        scoped.push((u, p, v));
                    }
                }
            });
        }
        let mut units: BTreeMap<i32, (Bins, Vec<Vec<u32>>)> = all
            .into_iter()
            .map(|(u, mut values)| {
                let bins = Bins::of(&mut values);
                let slots = vec![Vec::new(); bins.slots()];
                (u, (bins, slots))
            })
            .collect();
        let mut with_value = Vec::new();
        for (u, p, v) in scoped {
            if let Some((bins, slots)) = units.get_mut(&u) {
                slots[bins.slot(v)].push(p);
                with_value.push(p);
            }
        }
        let mut ordered: Vec<(Label, i32, Bins, Vec<Vec<u32>>)> =
            units.into_iter().map(|(u, (bins, slots))| (unit_label(self.vocab, u), u, bins, slots)).collect();
        ordered.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut rows = Vec::new();
        for ((_, unit), _, bins, slots) in ordered {
            if slots.iter().all(Vec::is_empty) {
                continue;
            }
            let last = slots.len() - 1;
            for (i, persons) in slots.into_iter().enumerate() {
                if (i == 0 || i == last) && persons.is_empty() {
                    continue;
                }
                let tally = self.tally(distinct(persons));
                rows.push(StatRow { labels: vec![unit.clone(), bins.label(i)], tally });
            }
        }
        let name = &concept_label(self.vocab, concept_id).1;
        let total = self.tally(distinct(with_value));
        Ok(self.table("measurement_values", format!("Values of {name}"), &["Unit", "Value"], rows, total))
    }

    fn survey_answers(&self, question: i32) -> Result<StatTable, CohortError> {
        self.vocab.concept(question).ok_or(CohortError::UnknownConcept(question))?;
        let obs = self.index.events(Tab::Observation);
        let answer = |r: usize| obs.value_source.get(r).copied().unwrap_or(NULL_I32);
        // Whether anyone in the dataset gave two different answers (a multiple-choice question).
        let mut first_answer: BTreeMap<u32, i32> = BTreeMap::new();
        let mut multiple = false;
        let mut answered = Dense::new(self.index.persons.len());
        obs.by_source.rows(question).each(|r| {
            let p = obs.person[r];
            answered.insert(p);
            multiple |= *first_answer.entry(p).or_insert(answer(r)) != answer(r);
        });
        // The persons who took the question's survey: any row of a question of its module.
        let mut took = answered.clone();
        if let Some(module) = self.module_of(question) {
            for &q in self.vocab.descendants(module) {
                obs.by_source.rows(q).each(|r| took.insert(obs.person[r]));
            }
        }
        let mut groups: BTreeMap<Label, Vec<u32>> = BTreeMap::new();
        obs.by_source.rows(question).each(|r| {
            let p = obs.person[r];
            if self.member.contains(p) {
                groups.entry(concept_label(self.vocab, answer(r))).or_default().push(p);
            }
        });
        let mut rows = self.grouped(groups);
        let total: Vec<u32> = self.persons.iter().filter(|&p| took.contains(p)).collect();
        let no_answer: Vec<u32> = total.iter().copied().filter(|&p| !answered.contains(p)).collect();
        let mut table = self.table(
            "survey_answers",
            concept_label(self.vocab, question).1,
            &["Answer"],
            Vec::new(),
            self.tally(total),
        );
        // With one answer per person, "Did not answer" is the Data Browser's derived remainder;
        // answers of a multiple-choice question overlap, so it is counted instead.
        if multiple {
            rows.push(StatRow { labels: vec!["Did not answer".to_owned()], tally: self.tally(no_answer) });
        } else {
            table.remainder = Some("Did not answer".to_owned());
        }
        table.rows = rows;
        Ok(table)
    }

    /// The survey (a concept of class `Module`) a question belongs to, through its ancestors.
    fn module_of(&self, question: i32) -> Option<i32> {
        let mut queue = vec![question];
        let mut seen = vec![question];
        while let Some(c) = queue.pop() {
            if self.vocab.concept(c).is_some_and(|k| k.class.eq_ignore_ascii_case("Module")) {
                return Some(c);
            }
            for &parent in self.vocab.parents(c) {
                if !seen.contains(&parent) {
                    seen.push(parent);
                    queue.insert(0, parent);
                }
            }
        }
        None
    }

    fn fitbit_steps(&self) -> StatTable {
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
            .map(|(label, persons)| StatRow { labels: vec![label.to_owned()], tally: self.tally(persons) })
            .collect();
        self.table(
            "fitbit_steps",
            "Mean daily steps (Fitbit)".to_owned(),
            &["Mean daily steps"],
            rows,
            self.tally(total),
        )
    }

    fn fitbit_monthly(&self) -> StatTable {
        let persons = &self.index.persons;
        let scoped: BTreeMap<i32, RoaringBitmap> = (persons.activity_months.iter())
            .map(|(&month, all)| (month, all & &self.persons))
            .filter(|(_, found)| !found.is_empty())
            .collect();
        let rows = match (scoped.keys().next(), scoped.keys().next_back()) {
            (Some(&first), Some(&last)) => (first..=last)
                .map(|month| StatRow {
                    labels: vec![format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)],
                    tally: scoped.get(&month).map_or_else(Tally::default, |found| self.tally(found)),
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

    fn record_sources(&self, concept_id: i32) -> Result<StatTable, CohortError> {
        let concepts = concept_set(self.vocab, concept_id)?;
        let n = self.index.persons.len();
        let mut rows = Vec::new();
        let mut all = Dense::new(n);
        for tab in Tab::ALL {
            let events = self.index.events(tab);
            let mut found = Dense::new(n);
            for buckets in [&events.by_concept, &events.by_source, &events.by_value_source] {
                for &c in &concepts {
                    buckets.rows(c).each(|r| found.insert(events.person[r]));
                }
            }
            rows.push((tab.table(), found));
        }
        let mut person = Dense::new(n);
        for c in &concepts {
            if let Some(d) = self.index.demographics.get(c) {
                person.union_with(d);
            }
        }
        rows.insert(0, ("person", person));
        let mut out = Vec::new();
        for (table, found) in rows {
            all.union_with(&found);
            let persons: Vec<u32> = found.ordinals().filter(|&p| self.member.contains(p)).collect();
            if !persons.is_empty() {
                out.push(StatRow { labels: vec![table.to_owned()], tally: self.tally(persons) });
            }
        }
        let total: Vec<u32> = all.ordinals().filter(|&p| self.member.contains(p)).collect();
        let name = &concept_label(self.vocab, concept_id).1;
        Ok(self.table(
            "record_sources",
            format!("Record sources of {name}"),
            &["Table"],
            out,
            self.tally(total),
        ))
    }
}

/// Histogram bins of one measurement unit: `step = step_units / 10^decimals`, bins `first..=last`
/// where bin `j` is [`j·step`, `(j+1)·step`), set on the dataset's values (not the scope's, so
/// that the bins do not depend on who is in scope) from the 1st to the 99th percentile (nearest
/// rank below and above: sorted values at `(n−1)/100` and `(n−1) − (n−1)/100`), with the
/// smallest step of 1, 2, 2.5 or 5 × 10^k at least a fifteenth of that range. Values below
/// and above fall in two open-ended slots.
#[derive(Clone, Debug, PartialEq)]
struct Bins {
    step_units: i64,
    decimals: u32,
    first: i64,
    last: i64,
}

impl Bins {
    /// The bins of these values (at least one, finite; sorted in place).
    fn of(values: &mut [f64]) -> Bins {
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
    fn edge(&self, j: i64) -> f64 {
        (j as f64 * self.step_units as f64) / 10f64.powi(self.decimals as i32)
    }

    /// The bin `j` with `edge(j) <= v < edge(j + 1)` (clamped to ±2^52 bins).
    fn bin(&self, v: f64) -> i64 {
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
    fn slots(&self) -> usize {
        (self.last - self.first + 3) as usize
    }

    /// The slot of a value.
    fn slot(&self, v: f64) -> usize {
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
    fn label(&self, slot: usize) -> String {
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
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::sync::Arc;

    use arrow_array::{
        ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    };
    use arrow_schema::{Field, Schema};
    use serde_json::json;

    use super::*;
    use crate::cohort::{CohortDefinition, EngineBuilder};
    use crate::store::{Store, Table};

    const T2DM: i32 = 201_826;
    const DM: i32 = 201_820;
    const HBA1C: i32 = 3_004_410;
    const PERCENT: i32 = 8_554;
    const MODULE: i32 = 1_585_710;
    const HEALTH: i32 = 1_585_711;
    const GOOD: i32 = 1_585_712;
    const POOR: i32 = 1_585_713;
    const FEMALE: i32 = 8_532;
    const MALE: i32 = 8_507;

    fn table(name: &str, columns: Vec<(&str, ArrayRef)>) -> Table {
        let fields: Vec<Field> =
            columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let batch =
            RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
        Table::new(name.to_owned(), schema, vec![batch])
    }

    fn i32s(v: &[Option<i32>]) -> ArrayRef {
        Arc::new(Int32Array::from(v.to_vec()))
    }

    fn i64s(v: &[i64]) -> ArrayRef {
        Arc::new(Int64Array::from(v.to_vec()))
    }

    fn days(v: &[i32]) -> ArrayRef {
        Arc::new(Date32Array::from(v.to_vec()))
    }

    fn strs(v: &[&str]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    /// Five persons: 1 female born 1950, 2 male born 2000, 3 female without a birth year,
    /// 4 with sex concept 0 born 2010 (under 18), 5 male born 1930. Persons 1, 2, 3 have type 2
    /// diabetes (a descendant of diabetes); 1 and 2 have HbA1c values; 1 and 2 took the survey
    /// whose question 1 answered.
    fn engine() -> Engine {
        Engine::build(&store(), Some("2024-06-30")).unwrap()
    }

    /// The tables of [`engine`].
    fn store() -> Store {
        let mut store = Store::default();
        let concepts = [
            (T2DM, "Type 2 diabetes", "Condition", "SNOMED", "Clinical Finding", ""),
            (DM, "Diabetes", "Condition", "SNOMED", "Clinical Finding", ""),
            (HBA1C, "HbA1c", "Measurement", "LOINC", "Lab Test", ""),
            (PERCENT, "percent", "Unit", "UCUM", "Unit", "%"),
            (MODULE, "Overall Health", "Observation", "PPI", "Module", ""),
            (HEALTH, "General Health", "Observation", "PPI", "Question", ""),
            (1_585_714, "Other question", "Observation", "PPI", "Question", ""),
            (GOOD, "Good", "Observation", "PPI", "Answer", ""),
            (POOR, "Poor", "Observation", "PPI", "Answer", ""),
            (FEMALE, "Female", "Gender", "Gender", "Gender", "F"),
            (MALE, "Male", "Gender", "Gender", "Gender", "M"),
        ];
        store.insert(table(
            "concept",
            vec![
                ("concept_id", i32s(&concepts.map(|c| Some(c.0)))),
                ("concept_name", strs(&concepts.map(|c| c.1))),
                ("domain_id", strs(&concepts.map(|c| c.2))),
                ("vocabulary_id", strs(&concepts.map(|c| c.3))),
                ("concept_class_id", strs(&concepts.map(|c| c.4))),
                ("concept_code", strs(&concepts.map(|c| c.5))),
            ],
        ));
        let ancestry = [(DM, T2DM, 1), (MODULE, HEALTH, 1), (MODULE, 1_585_714, 1)];
        store.insert(table(
            "concept_ancestor",
            vec![
                ("ancestor_concept_id", i32s(&ancestry.map(|a| Some(a.0)))),
                ("descendant_concept_id", i32s(&ancestry.map(|a| Some(a.1)))),
                ("min_levels_of_separation", i32s(&ancestry.map(|a| Some(a.2)))),
            ],
        ));
        store.insert(table(
            "person",
            vec![
                ("person_id", i64s(&[1, 2, 3, 4, 5])),
                ("year_of_birth", i32s(&[Some(1950), Some(2000), None, Some(2010), Some(1930)])),
                ("gender_concept_id", i32s(&[Some(FEMALE), Some(MALE), Some(FEMALE), Some(0), Some(MALE)])),
                ("sex_at_birth_concept_id", i32s(&[Some(FEMALE), Some(MALE), Some(FEMALE), Some(0), None])),
                ("race_concept_id", i32s(&[Some(0); 5])),
                ("ethnicity_concept_id", i32s(&[Some(0); 5])),
            ],
        ));
        // 2020-01-01 is day 18262.
        store.insert(table(
            "condition_occurrence",
            vec![
                ("person_id", i64s(&[1, 1, 2, 3])),
                ("condition_concept_id", i32s(&[Some(T2DM), Some(T2DM), Some(T2DM), Some(T2DM)])),
                ("condition_start_date", days(&[18_262, 3_000, 18_262, 18_262])),
            ],
        ));
        store.insert(table(
            "measurement",
            vec![
                ("person_id", i64s(&[1, 1, 2, 2])),
                ("measurement_concept_id", i32s(&[Some(HBA1C); 4])),
                ("measurement_date", days(&[18_262; 4])),
                (
                    "value_as_number",
                    Arc::new(Float64Array::from(vec![Some(6.1), Some(6.2), Some(9.0), None])),
                ),
                ("unit_concept_id", i32s(&[Some(PERCENT); 4])),
            ],
        ));
        store.insert(table(
            "observation",
            vec![
                ("person_id", i64s(&[1, 2])),
                ("observation_concept_id", i32s(&[Some(HEALTH), Some(1_585_714)])),
                ("observation_source_concept_id", i32s(&[Some(HEALTH), Some(1_585_714)])),
                ("observation_date", days(&[18_262; 2])),
                ("value_source_concept_id", i32s(&[Some(GOOD), Some(POOR)])),
                ("observation_type_concept_id", i32s(&[Some(45_905_771); 2])),
            ],
        ));
        store
    }

    /// [`engine`] with Fitbit data, `activity_summary` streamed in two record batches as the
    /// browser does: person 1 on 2020-01-20 and 2020-03-10; person 2 on 2019-12-15, twice in
    /// 2020-03 and once without a date; person 3 only without a date; person 4 only in
    /// `heart_rate_summary`; unknown person 999 in 2019-11.
    fn fitbit_engine() -> Engine {
        let store = store();
        let fitbit = ["activity_summary", "heart_rate_summary"];
        let mut builder =
            EngineBuilder::new(store.tables().map(Table::name).chain(fitbit), Some("2024-06-30"));
        for t in store.tables() {
            builder.begin_table(t.name(), Some(t.rows())).unwrap();
            builder.push(t.batches().to_vec()).unwrap();
            builder.end_table(t.schema()).unwrap();
        }
        let dates = |v: &[Option<i32>]| -> ArrayRef { Arc::new(Date32Array::from(v.to_vec())) };
        let first = table(
            "activity_summary",
            vec![
                ("person_id", i64s(&[1, 2, 999])),
                ("date", dates(&[Some(18_281), Some(18_245), Some(18_215)])),
                ("steps", i64s(&[4_000, 9_000, 1])),
            ],
        );
        let second = table(
            "activity_summary",
            vec![
                ("person_id", i64s(&[1, 2, 2, 2, 3])),
                ("date", dates(&[Some(18_331), Some(18_331), Some(18_352), None, None])),
                ("steps", i64s(&[6_000, 9_000, 9_000, 9_000, 100])),
            ],
        );
        builder.begin_table("activity_summary", None).unwrap();
        builder.push(first.batches().to_vec()).unwrap();
        builder.push(second.batches().to_vec()).unwrap();
        builder.end_table(first.schema()).unwrap();
        let heart = table("heart_rate_summary", vec![("person_id", i64s(&[4])), ("date", days(&[18_262]))]);
        builder.begin_table("heart_rate_summary", None).unwrap();
        builder.push(heart.batches().to_vec()).unwrap();
        builder.end_table(heart.schema()).unwrap();
        builder.finish().unwrap()
    }

    fn cohort(engine: &Engine, concept: i32) -> Cohort {
        let definition = CohortDefinition::from_value(json!({"includes": [{"id": 1, "items": [{"id": 1,
            "type": "CONDITION", "searchParameters": [{"domain": "CONDITION", "conceptId": concept}]}]}]}))
        .unwrap();
        engine.cohort(&definition).unwrap()
    }

    fn raw(t: &StatTable) -> Vec<(Vec<&str>, u64)> {
        t.rows.iter().map(|r| (r.labels.iter().map(String::as_str).collect(), r.tally.raw())).collect()
    }

    fn stat(engine: &Engine, scope: Scope<'_>, request: serde_json::Value) -> Result<StatTable, CohortError> {
        engine.statistics(&scope, &serde_json::from_value(request).unwrap())
    }

    #[test]
    fn an_empty_cohort_has_empty_tables() {
        let engine = engine();
        let empty = cohort(&engine, HBA1C);
        let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "race"})).unwrap();
        assert_eq!((t.rows.len(), t.total.raw()), (0, 0));
        let t =
            stat(&engine, Scope::Cohort(&empty), json!({"kind": "age", "bands": "cohortBuilder"})).unwrap();
        assert_eq!(raw(&t), vec![(vec!["18–44"], 0), (vec!["45–64"], 0), (vec!["65+"], 0)]);
        let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "fitbitSteps"})).unwrap();
        assert!(t.rows.iter().all(|r| r.tally.raw() == 0) && t.total.raw() == 0);
    }

    #[test]
    fn ages_partition_the_scope_with_under_18_and_unknown_rows() {
        let engine = engine();
        let t = stat(&engine, Scope::Concept(DM), json!({"kind": "age", "bands": "cohortBuilder"})).unwrap();
        // Persons 1 (74), 2 (24), 3 (no birth year).
        assert_eq!(
            raw(&t),
            vec![(vec!["18–44"], 1), (vec!["45–64"], 0), (vec!["65+"], 1), (vec!["Unknown"], 1)]
        );
        // Male and "No matching concept" persons 4 (14) and 5 (94) have no condition: scope by gender.
        let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "age", "bands": "dataBrowser"})).unwrap();
        assert_eq!(t.rows.last().map(|r| (r.labels[0].as_str(), r.tally.raw())), Some(("90+", 1)));
        let t = stat(&engine, Scope::Concept(T2DM), json!({"kind": "sexAtBirth"})).unwrap();
        assert_eq!(raw(&t), vec![(vec!["Female"], 2), (vec!["Male"], 1)]);
        let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "sexAtBirth"})).unwrap();
        assert_eq!(raw(&t), vec![(vec!["Male"], 1), (vec!["Not recorded"], 1)]);
        let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "ageBySex", "bands": "cohortBuilder"}))
            .unwrap();
        assert_eq!(t.rows.len(), 3 * 2);
        assert_eq!(t.rows.iter().map(|r| r.tally.raw()).sum::<u64>(), t.total.raw());
    }

    #[test]
    fn age_at_event_is_at_the_first_occurrence_and_needs_a_concept() {
        let engine = engine();
        // Person 1's first T2DM is day 3000 (1978), aged 28; person 2 is 20 on 2020-01-01;
        // person 3 has no birth year.
        let request = json!({"kind": "age", "bands": "cohortBuilder", "at": "event"});
        let t = stat(&engine, Scope::Concept(T2DM), request).unwrap();
        assert_eq!(
            raw(&t),
            vec![(vec!["18–44"], 2), (vec!["45–64"], 0), (vec!["65+"], 0), (vec!["Unknown"], 1)]
        );
        let c = cohort(&engine, T2DM);
        let e =
            stat(&engine, Scope::Cohort(&c), json!({"kind": "age", "bands": "dataBrowser", "at": "event"}))
                .unwrap_err();
        assert_eq!(e.code(), "invalid_statistic");
        assert!(e.to_string().contains("\"now\""), "{e}");
    }

    #[test]
    fn unknown_concepts_domains_and_limits_are_errors() {
        let engine = engine();
        let e = stat(&engine, Scope::Concept(42), json!({"kind": "race"})).unwrap_err();
        assert_eq!((e.code(), e.to_string().contains("42")), ("unknown_concept", true));
        let c = cohort(&engine, T2DM);
        for request in [
            json!({"kind": "measurementValues", "conceptId": 42}),
            json!({"kind": "surveyAnswers", "questionConceptId": 42}),
            json!({"kind": "recordSources", "conceptId": 42}),
        ] {
            assert_eq!(
                stat(&engine, Scope::Cohort(&c), request).unwrap_err(),
                CohortError::UnknownConcept(42)
            );
        }
        let e = stat(&engine, Scope::Cohort(&c), json!({"kind": "topConcepts", "domain": "X", "limit": 3}));
        assert!(e.unwrap_err().to_string().contains("CONDITION"));
        let e =
            stat(&engine, Scope::Cohort(&c), json!({"kind": "topConcepts", "domain": "DRUG", "limit": 0}));
        assert!(e.unwrap_err().to_string().contains("1 to 1000"));
    }

    #[test]
    fn top_concepts_values_surveys_and_sources() {
        let engine = engine();
        let c = cohort(&engine, T2DM);
        let t = stat(
            &engine,
            Scope::Cohort(&c),
            json!({"kind": "topConcepts", "domain": "CONDITION", "limit": 5}),
        )
        .unwrap();
        assert_eq!(raw(&t), vec![(vec!["Type 2 diabetes"], 3)]);
        let t = stat(&engine, Scope::Cohort(&c), json!({"kind": "measurementValues", "conceptId": HBA1C}))
            .unwrap();
        assert_eq!(t.total.raw(), 2, "person 2's null value is not counted, their 9.0 is");
        let counted: Vec<_> = raw(&t).into_iter().filter(|(_, n)| *n > 0).collect();
        assert!(counted.iter().all(|(labels, _)| labels[0] == "%"), "{counted:?}");
        // Person 1's 6.1 and 6.2 fall in two bins: they count in both.
        let cells: Vec<(&str, u64)> = counted.iter().map(|(labels, n)| (labels[1], *n)).collect();
        assert_eq!(cells, vec![("6.0–6.2", 1), ("6.2–6.4", 1), ("9.0–9.2", 1)]);
        let t =
            stat(&engine, Scope::Cohort(&c), json!({"kind": "surveyAnswers", "questionConceptId": HEALTH}))
                .unwrap();
        // Persons 1 and 2 took the survey; 1 answered "Good".
        assert_eq!((raw(&t), t.total.raw()), (vec![(vec!["Good"], 1)], 2));
        assert_eq!(t.remainder.as_deref(), Some("Did not answer"));
        let t = stat(&engine, Scope::Concept(FEMALE), json!({"kind": "recordSources", "conceptId": T2DM}))
            .unwrap();
        assert_eq!(raw(&t), vec![(vec!["condition_occurrence"], 2)]);
    }

    #[test]
    fn fitbit_months_count_persons_with_activity_from_the_first_month_to_the_last() {
        let (engine, plain) = (fitbit_engine(), engine());
        // Persons 1, 2 and 3 (diabetes); every batch's rows count, months without data are zeros.
        let t = stat(&engine, Scope::Concept(DM), json!({"kind": "fitbitMonthly"})).unwrap();
        assert_eq!(
            raw(&t),
            vec![(vec!["2019-12"], 1), (vec!["2020-01"], 1), (vec!["2020-02"], 0), (vec!["2020-03"], 2)]
        );
        assert_eq!((t.name.as_str(), t.dimensions.as_slice()), ("fitbit_monthly", &["Month".to_owned()][..]));
        assert_eq!(t.total.raw(), 3, "person 3's undated row counts in the total only");
        // Persons 2 and 5 (male); person 4's heart rate alone is no activity.
        let t = stat(&engine, Scope::Concept(MALE), json!({"kind": "fitbitMonthly"})).unwrap();
        assert_eq!(
            raw(&t),
            vec![(vec!["2019-12"], 1), (vec!["2020-01"], 0), (vec!["2020-02"], 0), (vec!["2020-03"], 1)]
        );
        let t = stat(&engine, Scope::Concept(FEMALE), json!({"kind": "fitbitMonthly"})).unwrap();
        assert_eq!(
            (raw(&t), t.total.raw()),
            (vec![(vec!["2020-01"], 1), (vec!["2020-02"], 0), (vec!["2020-03"], 1)], 2)
        );
        let t = stat(&engine, Scope::Concept(DM), json!({"kind": "fitbitSteps"})).unwrap();
        assert_eq!(t.total.raw(), 3);
        // No activity in scope: no months.
        let empty = cohort(&engine, HBA1C);
        let t = stat(&engine, Scope::Cohort(&empty), json!({"kind": "fitbitMonthly"})).unwrap();
        assert_eq!((t.rows.len(), t.total.raw()), (0, 0));
        let t = stat(&plain, Scope::Concept(DM), json!({"kind": "fitbitMonthly"})).unwrap();
        assert_eq!((t.rows.len(), t.total.raw()), (0, 0), "a dataset without Fitbit has no months");
    }

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
