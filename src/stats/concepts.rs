//! Concept tables: the top concepts of a domain, a measurement's value histogram per unit, and
//! a concept's record sources.

use std::collections::BTreeMap;

use super::bins::Bins;
use super::{Label, StatError, Stats, concept_label, concept_set, distinct, unit_label};
use crate::cdm::{Domain, EventTable};
use crate::columns::NULL_I32;
use crate::index::Dense;
use crate::privacy::{Tally, TallyRow, TallyTable};

/// Domains of [`StatRequest::TopConcepts`] (each reads its event table, PPI concepts only or
/// none as [`Domain::ppi`] says).
const TOP_DOMAINS: [Domain; 8] = [
    Domain::Condition,
    Domain::Drug,
    Domain::Procedure,
    Domain::Measurement,
    Domain::Observation,
    Domain::Device,
    Domain::Visit,
    Domain::PhysicalMeasurement,
];

/// Most rows of a top-concepts table.
const TOP_LIMIT: usize = 1_000;

impl Stats<'_> {
    pub(super) fn top_concepts(&self, domain: &str, limit: usize) -> Result<TallyTable, StatError> {
        let found = TOP_DOMAINS.iter().find(|d| d.name() == domain);
        let Some((tab, ppi)) = found.and_then(|d| Some((d.event_table()?, d.ppi()))) else {
            let known: Vec<&str> = TOP_DOMAINS.iter().map(|d| d.name()).collect();
            return Err(StatError::Statistic(format!(
                "top concepts of domain {domain:?} are not available; use one of {}",
                known.join(", ")
            )));
        };
        if !(1..=TOP_LIMIT).contains(&limit) {
            return Err(StatError::Statistic(format!(
                "a top-concepts limit of {limit} is out of range; ask for 1 to {TOP_LIMIT} concepts"
            )));
        }
        let events = self.index.events(tab);
        // Rows are sorted by standard concept: each concept's rows are one run. A run's persons
        // in scope are counted with a stamp per person (a run is not sorted by person).
        let mut stamp = vec![u32::MAX; self.index.persons.len()];
        let keys = &self.index.persons.keys;
        let mut counted: Vec<(Label, i32, Tally)> = Vec::new();
        for (k, &(c, r, end)) in events.runs.iter().enumerate() {
            let is_ppi = || self.vocab.concept(c).is_some_and(|k| k.vocabulary == "PPI");
            if c == NULL_I32 || c == 0 || ppi.is_some_and(|want| want != is_ppi()) {
                continue;
            }
            let mut tally = Tally::default();
            for &p in &events.person[r as usize..end as usize] {
                if self.member.contains(p) && stamp[p as usize] != k as u32 {
                    stamp[p as usize] = k as u32;
                    tally.add(keys.key(p));
                }
            }
            if tally != Tally::default() {
                counted.push((concept_label(self.vocab, c), c, tally));
            }
        }
        // Every concept with persons in scope, by label then id: the policy ranks them by their
        // disclosed counts (equal counts keep this order) and keeps `limit`.
        counted.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let rows =
            counted.into_iter().map(|((_, label), _, tally)| TallyRow::new(vec![label], tally)).collect();
        let title = format!("Top {} concepts", domain.to_lowercase().replace('_', " "));
        let table = self.table("top_concepts", title, &["Concept"], rows, self.tally(&self.persons));
        Ok(TallyTable { rank: Some(limit), ..table })
    }

    pub(super) fn measurement_values(&self, concept_id: i32) -> Result<TallyTable, StatError> {
        let concepts = concept_set(self.vocab, concept_id)?;
        let events = self.index.events(EventTable::Measurement);
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
                rows.push(TallyRow::new(vec![unit.clone(), bins.label(i)], tally));
            }
        }
        let name = &concept_label(self.vocab, concept_id).1;
        let total = self.tally(distinct(with_value));
        Ok(self.table("measurement_values", format!("Values of {name}"), &["Unit", "Value"], rows, total))
    }

    pub(super) fn record_sources(&self, concept_id: i32) -> Result<TallyTable, StatError> {
        let concepts = concept_set(self.vocab, concept_id)?;
        let n = self.index.persons.len();
        let mut rows = Vec::new();
        let mut all = Dense::new(n);
        for tab in EventTable::ALL {
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
                out.push(TallyRow::new(vec![table.to_owned()], self.tally(persons)));
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
