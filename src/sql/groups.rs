//! Items, modifiers and groups in SQL (docs/cohort-semantics.md, "The result", "Modifiers",
//! "Temporal groups"): each item and group is a common table expression; the query keeps the
//! persons of every include group and of no exclude group, then the data filters.

use std::collections::BTreeSet;

use super::{Dialect, Tables};
use crate::cohort::plan::{Criterion, GroupPlan, ItemPlan, Mention, Plan, TemporalPlan, Time};
use crate::vocab::Vocab;

/// A table the query derives once for its person criteria and modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Support {
    /// `births(person_id, birth_date)`.
    Births,
    /// `cdr(cdr_date)`: the latest search-event date.
    Cdr,
    /// `consent(person_id, consent_date)`.
    Consent,
}

/// Compiles one checked plan; collects the common table expressions it needs.
pub(super) struct Compiler<'a> {
    pub(super) vocab: &'a Vocab,
    pub(super) tables: &'a Tables,
    pub(super) dialect: Dialect,
    pub(super) needs: BTreeSet<Support>,
    ctes: Vec<String>,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(vocab: &'a Vocab, tables: &'a Tables, dialect: Dialect) -> Compiler<'a> {
        Compiler { vocab, tables, dialect, needs: BTreeSet::new(), ctes: Vec::new() }
    }

    /// The query of the whole definition.
    pub(super) fn definition(mut self, plan: &Plan) -> String {
        let includes: Vec<String> = plan
            .includes
            .iter()
            .enumerate()
            .map(|(i, g)| self.group(g, &format!("include{i}"), plan.restrict))
            .collect();
        let excludes: Vec<String> = plan
            .excludes
            .iter()
            .enumerate()
            .map(|(i, g)| self.group(g, &format!("exclude{i}"), plan.restrict))
            .collect();
        // With no include group, the exclude groups act as includes (`QB.addWhereClause`).
        let (required, removed) =
            if includes.is_empty() { (excludes, Vec::new()) } else { (includes, excludes) };
        let mut required = required;
        for (i, &f) in plan.filters.iter().enumerate() {
            let name = format!("filter{i}");
            let persons = self.flag(f);
            self.ctes.push(format!("{name} AS ({persons})"));
            required.push(name);
        }
        let within = |cte: &str| format!("EXISTS (SELECT 1 FROM {cte} WHERE {cte}.person_id = p.person_id)");
        let mut conditions = vec!["p.person_id IS NOT NULL".to_owned()];
        conditions.extend(required.iter().map(|c| within(c)));
        conditions.extend(removed.iter().map(|c| format!("NOT {}", within(c))));
        let support: Vec<String> = self.needs.iter().map(|&s| self.support(s)).collect();
        let ctes: Vec<String> = support.into_iter().chain(self.ctes).collect();
        format!(
            "WITH\n{}\nSELECT DISTINCT p.person_id FROM person p\nWHERE {}\n",
            ctes.join(",\n"),
            conditions.join("\n  AND ")
        )
    }

    /// Adds a group's table expressions; returns the name of its persons' one.
    fn group(&mut self, g: &GroupPlan, name: &str, restrict: bool) -> String {
        let persons = match &g.temporal {
            None => {
                let items: Vec<String> = g
                    .items
                    .iter()
                    .enumerate()
                    .map(|(j, item)| {
                        let item_name = format!("{name}_item{j}");
                        let persons = self.item_persons(item, restrict);
                        self.ctes.push(format!("{item_name} AS ({persons})"));
                        format!("SELECT person_id FROM {item_name}")
                    })
                    .collect();
                self.union(items)
            }
            Some(t) => self.temporal(g, t, name, restrict),
        };
        self.ctes.push(format!("{name} AS ({persons})"));
        name.to_owned()
    }

    /// The persons of a non-temporal item.
    fn item_persons(&mut self, item: &ItemPlan, restrict: bool) -> String {
        let people: Vec<String> = item
            .criteria
            .iter()
            .filter_map(|(_, c)| match c {
                Criterion::Person(pc) => Some(self.person_criterion(pc)),
                _ => None,
            })
            .collect();
        let has_events = item.criteria.iter().any(|(_, c)| !matches!(c, Criterion::Person(_)));
        if !has_events {
            return self.union(people);
        }
        let events = self.item_events(item, restrict);
        match &item.mods.occurrences {
            // Distinct (person, date, concept) counted per (person, concept); a NULL date is
            // one more date, as in the engine.
            Some(cmp) => {
                let n =
                    "COUNT(DISTINCT x.entry_date) + MAX(CASE WHEN x.entry_date IS NULL THEN 1 ELSE 0 END)";
                format!(
                    "SELECT person_id FROM (SELECT x.person_id, {n} AS n FROM ({events}) x GROUP BY x.person_id, x.concept_id) y WHERE {}",
                    self.compare("y.n", cmp)
                )
            }
            None => self.union(
                std::iter::once(format!("SELECT DISTINCT x.person_id FROM ({events}) x"))
                    .chain(people)
                    .collect(),
            ),
        }
    }

    /// An item's events after the row modifiers (observation period, age at event, event
    /// date, encounters).
    fn item_events(&mut self, item: &ItemPlan, restrict: bool) -> String {
        let selects: Vec<String> =
            item.criteria.iter().filter_map(|(part, c)| self.events(c, u32::from(*part))).collect();
        let events = if selects.is_empty() { self.no_events() } else { selects.join("\nUNION ALL\n") };
        let mods = &item.mods;
        let mut conditions = Vec::new();
        if restrict {
            conditions.push(if self.tables.has("observation_period") {
                let start = self.dialect.to_date("op.observation_period_start_date");
                let end = self.dialect.to_date("op.observation_period_end_date");
                format!(
                    "EXISTS (SELECT 1 FROM observation_period op WHERE op.person_id = ev.person_id AND {start} <= ev.entry_date AND ev.entry_date <= {end})"
                )
            } else {
                "FALSE".into()
            });
        }
        if let Some(cmp) = &mods.age {
            self.needs.insert(Support::Births);
            let age = self.age("b.birth_date", "ev.entry_date");
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM births b WHERE b.person_id = ev.person_id AND {})",
                self.compare(&age, cmp)
            ));
        }
        if let Some(cmp) = &mods.date {
            conditions.push(self.compare_date("ev.entry_date", cmp));
        }
        if let Some(visit) = mods.encounter {
            conditions.push(if self.tables.has_column("visit_occurrence", "visit_concept_id") {
                format!(
                    "EXISTS (SELECT 1 FROM visit_occurrence v WHERE v.visit_occurrence_id = ev.visit_id AND v.visit_concept_id = {visit})"
                )
            } else {
                "FALSE".into()
            });
        }
        let filter = if conditions.is_empty() { "TRUE".to_owned() } else { conditions.join(" AND ") };
        format!(
            "SELECT ev.person_id, ev.entry_date, ev.concept_id, ev.visit_id, ev.part FROM (\n{events}\n) ev WHERE {filter}"
        )
    }

    /// A temporal group: each item's events (no occurrence counts) with the mention picked
    /// per part, side A (temporal group 0) related to side B (1) by the time.
    fn temporal(&mut self, g: &GroupPlan, t: &TemporalPlan, name: &str, restrict: bool) -> String {
        let mut sides = [Vec::new(), Vec::new()];
        for (j, item) in g.items.iter().enumerate() {
            let item_name = format!("{name}_item{j}");
            let events = self.item_events(item, restrict);
            let picked = match t.mention {
                Mention::Any => events,
                Mention::First | Mention::Last => {
                    let order = if t.mention == Mention::First { "" } else { " DESC" };
                    format!(
                        "SELECT person_id, entry_date, concept_id, visit_id, part FROM (SELECT x.*, RANK() OVER (PARTITION BY x.person_id, x.part ORDER BY x.entry_date{order}) AS r FROM ({events}) x WHERE x.entry_date IS NOT NULL) y WHERE r = 1"
                    )
                }
            };
            self.ctes.push(format!("{item_name} AS ({picked})"));
            sides[usize::from(item.temporal_group == 1)].push(format!("SELECT * FROM {item_name}"));
        }
        let [a, b] = sides.map(|s| if s.is_empty() { self.no_events() } else { s.join(" UNION ALL ") });
        let x = self.dialect.double(t.days);
        let between = |from: &str, to: &str| self.dialect.days_between(from, to);
        let relation = match t.time {
            // `IFNULL(visit, 0)` equal and the same date (`SGIQB.SAME_ENC`).
            Time::SameEncounter => {
                "(a.visit_id IS NOT DISTINCT FROM b.visit_id) AND a.entry_date = b.entry_date".to_owned()
            }
            Time::DaysBefore => format!("{} >= {x}", between("a.entry_date", "b.entry_date")),
            Time::DaysAfter => format!("{} >= {x}", between("b.entry_date", "a.entry_date")),
            Time::Within => format!("ABS({}) <= {x}", between("a.entry_date", "b.entry_date")),
        };
        format!(
            "SELECT DISTINCT a.person_id FROM ({a}) a JOIN ({b}) b ON a.person_id = b.person_id WHERE a.entry_date IS NOT NULL AND b.entry_date IS NOT NULL AND {relation}"
        )
    }
}
