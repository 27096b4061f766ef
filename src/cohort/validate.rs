//! Validation: turns a [`CohortDefinition`] into a checked [`Plan`] the evaluator runs, or
//! reports every problem (not only the first) as `path: what is wrong; what to do`, with the
//! JSON path of the offending value (docs/cohort-semantics.md, "Validation"). This file checks
//! the structure (groups, items, modifiers, operators, operands); the checks of each domain's
//! parameters are in [`super::checks`].

use serde_json::Value;

use super::ValidationError;
use super::checks::{DOMAINS, ItemDomain, domain};
use super::definition::{CohortDefinition, Modifier, SearchGroup, SearchGroupItem};
use super::plan::*;
use crate::date::parse_date;
use crate::vocab::Vocab;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Between,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Eq => "EQUAL",
            Op::Ne => "NOT_EQUAL",
            Op::Lt => "LESS_THAN",
            Op::Gt => "GREATER_THAN",
            Op::Le => "LESS_THAN_OR_EQUAL_TO",
            Op::Ge => "GREATER_THAN_OR_EQUAL_TO",
            Op::In => "IN",
            Op::Between => "BETWEEN",
        }
    }
}

const OPERATORS: &str = "EQUAL, NOT_EQUAL, LESS_THAN, GREATER_THAN, LESS_THAN_OR_EQUAL_TO, GREATER_THAN_OR_EQUAL_TO, IN or BETWEEN";

/// Checks `definition` against the vocabulary and builds its plan.
pub(crate) fn validate(definition: &CohortDefinition, vocab: &Vocab) -> Result<Plan, Vec<ValidationError>> {
    let mut c = Checker { vocab, errors: Vec::new() };
    let plan = c.definition(definition);
    match plan {
        Some(plan) if c.errors.is_empty() => Ok(plan),
        _ => Err(c.errors),
    }
}

pub(super) struct Checker<'a> {
    pub(super) vocab: &'a Vocab,
    pub(super) errors: Vec<ValidationError>,
}

/// The text of an operand given as a string (or, leniently, a number).
pub(super) fn operand_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn number(v: &Value) -> Option<f64> {
    operand_text(v)?.parse::<f64>().ok().filter(|x| x.is_finite())
}

pub(super) fn integer(v: &Value) -> Option<i32> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).ok(),
            None => n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 2_147_483_648.0).map(|f| f as i32),
        },
        Value::String(s) => s.trim().parse::<i32>().ok(),
        _ => None,
    }
}

pub(super) fn shown(v: &Value) -> String {
    v.to_string()
}

impl Checker<'_> {
    pub(super) fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ValidationError { path: path.to_owned(), message: message.into() });
    }

    pub(super) fn definition(&mut self, d: &CohortDefinition) -> Option<Plan> {
        if d.includes.is_empty() && d.excludes.is_empty() {
            self.err(
                "includes",
                "the definition has no include or exclude group; add at least one group to includes",
            );
        }
        let includes = self.groups(&d.includes, "includes");
        let excludes = self.groups(&d.excludes, "excludes");
        let mut filters = Vec::new();
        for (i, f) in d.data_filters.iter().enumerate() {
            match Flag::of_column(f) {
                Some(flag) => filters.push(flag),
                None => self.err(
                    &format!("dataFilters[{i}]"),
                    format!("unknown data filter {f:?}; use a cb_search_person flag: {FLAGS}"),
                ),
            }
        }
        Some(Plan {
            includes: includes?,
            excludes: excludes?,
            filters,
            restrict: d.restrict_to_observation_period,
        })
    }

    pub(super) fn groups(&mut self, groups: &[SearchGroup], path: &str) -> Option<Vec<GroupPlan>> {
        let plans: Vec<_> =
            groups.iter().enumerate().map(|(i, g)| self.group(g, &format!("{path}[{i}]"))).collect();
        plans.into_iter().collect()
    }

    pub(super) fn group(&mut self, g: &SearchGroup, path: &str) -> Option<GroupPlan> {
        if g.items.is_empty() {
            self.err(&format!("{path}.items"), "the group has no items; add an item or remove the group");
        }
        let temporal = if g.temporal { self.temporal(g, path) } else { None };
        let items: Vec<_> = g
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| self.item(item, &format!("{path}.items[{i}]"), g.temporal))
            .collect();
        if g.temporal {
            let group_of = |item: &SearchGroupItem| match &item.temporal_group {
                Value::Null => Some(0),
                v => integer(v),
            };
            let has = |n: i32| g.items.iter().any(|i| group_of(i) == Some(n));
            if !g.items.is_empty() && (!has(0) || !has(1)) {
                self.err(
                    &format!("{path}.items"),
                    "a temporal group needs at least one item with temporalGroup 0 and one with temporalGroup 1; set temporalGroup on its items",
                );
            }
        }
        let items: Option<Vec<ItemPlan>> = items.into_iter().collect();
        if g.temporal && temporal.is_none() {
            return None;
        }
        Some(GroupPlan { id: g.id.clone(), items: items?, temporal })
    }

    pub(super) fn temporal(&mut self, g: &SearchGroup, path: &str) -> Option<TemporalPlan> {
        let mention = match g.mention.as_deref() {
            Some("ANY_MENTION") => Some(Mention::Any),
            Some("FIRST_MENTION") => Some(Mention::First),
            Some("LAST_MENTION") => Some(Mention::Last),
            other => {
                let what = other.map_or("is missing".to_owned(), |m| format!("{m:?} is unknown"));
                self.err(
                    &format!("{path}.mention"),
                    format!("the mention {what}; use ANY_MENTION, FIRST_MENTION or LAST_MENTION"),
                );
                None
            }
        };
        let time = match g.time.as_deref() {
            Some("DURING_SAME_ENCOUNTER_AS") => Some(Time::SameEncounter),
            Some("X_DAYS_BEFORE") => Some(Time::DaysBefore),
            Some("X_DAYS_AFTER") => Some(Time::DaysAfter),
            Some("WITHIN_X_DAYS_OF") => Some(Time::Within),
            other => {
                let what = other.map_or("is missing".to_owned(), |m| format!("{m:?} is unknown"));
                self.err(
                    &format!("{path}.time"),
                    format!("the time {what}; use DURING_SAME_ENCOUNTER_AS, X_DAYS_BEFORE, X_DAYS_AFTER or WITHIN_X_DAYS_OF"),
                );
                None
            }
        };
        let days = match &g.time_value {
            Value::Null => Some(0.0),
            v => match number(v) {
                Some(d) if d >= 0.0 => Some(d),
                Some(_) if time == Some(Time::SameEncounter) => Some(0.0),
                Some(_) => {
                    self.err(
                        &format!("{path}.timeValue"),
                        format!("{} days is negative; give 0 or more days", shown(v)),
                    );
                    None
                }
                None if time == Some(Time::SameEncounter) => Some(0.0),
                None => {
                    self.err(
                        &format!("{path}.timeValue"),
                        format!("{} is not a number of days; give a number such as 30", shown(v)),
                    );
                    None
                }
            },
        };
        Some(TemporalPlan { mention: mention?, time: time?, days: days? })
    }

    pub(super) fn item(&mut self, item: &SearchGroupItem, path: &str, temporal: bool) -> Option<ItemPlan> {
        let kind = item.kind.as_deref().or_else(|| item.search_parameters.first()?.domain.as_deref());
        let item_domain = match kind {
            None => {
                self.err(&format!("{path}.type"), format!("the item has no type; set it to {DOMAINS}"));
                None
            }
            Some(k) => {
                let d = domain(k);
                match d {
                    None => self.err(&format!("{path}.type"), format!("unknown domain {k:?}; use {DOMAINS}")),
                    Some(ItemDomain::Unavailable) => self.err(
                        &format!("{path}.type"),
                        format!("{k} criteria need genomic or task data that an OMOP dataset does not hold: cohortlens cannot evaluate them; remove the item"),
                    ),
                    _ => {}
                }
                d
            }
        };
        let temporal_group = match &item.temporal_group {
            Value::Null => Some(0),
            v => match integer(v) {
                Some(n @ (0 | 1)) => Some(n as u8),
                _ if !temporal => Some(0),
                _ => {
                    self.err(
                        &format!("{path}.temporalGroup"),
                        format!("{} is not 0 or 1; set 0 or 1", shown(v)),
                    );
                    None
                }
            },
        };
        let params = &item.search_parameters;
        if params.is_empty() {
            self.err(
                &format!("{path}.searchParameters"),
                "the item has no parameters; add a parameter or remove the item",
            );
        }
        let ppath = |i: usize| format!("{path}.searchParameters[{i}]");
        for (i, p) in params.iter().enumerate() {
            self.check_labels(p, &ppath(i));
        }
        let lone_pm = params.len() == 1
            && params[0].domain.as_deref() == Some("PHYSICAL_MEASUREMENT")
            && params[0].concept_id.is_null()
            && params[0].attributes.is_empty();
        // Person-level items: the Workbench never reads their modifiers.
        let person_level = |criteria: Vec<Option<Criterion>>| -> Option<Vec<(u16, Criterion)>> {
            criteria.into_iter().map(|c| c.map(|c| (0, c))).collect()
        };
        let criteria = match item_domain? {
            ItemDomain::Unavailable => return None,
            ItemDomain::Person => {
                person_level(params.iter().enumerate().map(|(i, p)| self.person(p, &ppath(i))).collect())
            }
            ItemDomain::HasData(Flag::Fitbit) if params.iter().any(|p| !p.attributes.is_empty()) => {
                person_level(params.iter().enumerate().map(|(i, p)| self.steps(p, &ppath(i))).collect())
            }
            ItemDomain::HasData(flag) => Some(vec![(0, Criterion::Person(PersonCriterion::Flag(flag)))]),
            ItemDomain::PhysicalMeasurement if lone_pm => {
                Some(vec![(0, Criterion::Person(PersonCriterion::Flag(Flag::PhysicalMeasurement)))])
            }
            ItemDomain::Death => {
                person_level(params.iter().enumerate().map(|(i, p)| self.death(p, &ppath(i))).collect())
            }
            d => self.event_parts(params, path, d == ItemDomain::Drug),
        };
        let is_person = matches!(item_domain, Some(ItemDomain::Person | ItemDomain::HasData(_)))
            || (item_domain == Some(ItemDomain::PhysicalMeasurement) && lone_pm);
        if temporal && is_person {
            self.err(path, "person-level items (PERSON, FITBIT, has-data) have no events to relate in time; move it to a non-temporal group");
        }
        let mut mods = Modifiers::default();
        if !is_person {
            for (i, m) in item.modifiers.iter().enumerate() {
                self.modifier(m, &format!("{path}.modifiers[{i}]"), &mut mods);
            }
        }
        Some(ItemPlan { id: item.id.clone(), criteria: criteria?, mods, temporal_group: temporal_group? })
    }

    /// One modifier; the first of each name counts (`SGIQB.getModifier`), later ones are
    /// checked and ignored.
    pub(super) fn modifier(&mut self, m: &Modifier, path: &str, mods: &mut Modifiers) {
        let name = m.name.as_deref().unwrap_or("");
        match name {
            "AGE_AT_EVENT" => {
                let c = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Number);
                if mods.age.is_none() {
                    mods.age = c;
                }
            }
            "NUM_OF_OCCURRENCES" => {
                let c = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Number);
                if mods.occurrences.is_none() {
                    mods.occurrences = c;
                }
            }
            "EVENT_DATE" => {
                let c = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Date);
                if mods.date.is_none() {
                    mods.date = c;
                }
            }
            "ENCOUNTERS" => {
                let op = self.operator(m.operator.as_deref(), path);
                if op.is_some_and(|op| !matches!(op, Op::In | Op::Eq)) {
                    self.err(&format!("{path}.operator"), "ENCOUNTERS takes IN or EQUAL; name the visit concept with EQUAL");
                } else if let Some(c) = self.compare::<i32>(m.operator.as_deref(), &m.operands, path, Kind::Concept)
                    && mods.encounter.is_none()
                {
                    // The Workbench binds the first operand only (`getAgeDateAndEncounterSql`).
                    mods.encounter = c.values().first().copied();
                }
            }
            "CATI" => self.err(
                &format!("{path}.name"),
                "CATI compares the survey's collection method (survey_conduct), which an OMOP dataset does not hold: cohortlens cannot evaluate it; remove the modifier",
            ),
            "" => self.err(
                &format!("{path}.name"),
                "the modifier has no name; use AGE_AT_EVENT, EVENT_DATE, NUM_OF_OCCURRENCES or ENCOUNTERS",
            ),
            other => self.err(
                &format!("{path}.name"),
                format!("unknown modifier {other:?}; use AGE_AT_EVENT, EVENT_DATE, NUM_OF_OCCURRENCES or ENCOUNTERS"),
            ),
        }
    }

    pub(super) fn operator(&mut self, op: Option<&str>, path: &str) -> Option<Op> {
        let parsed = match op {
            Some("EQUAL") => Some(Op::Eq),
            Some("NOT_EQUAL") => Some(Op::Ne),
            Some("LESS_THAN") => Some(Op::Lt),
            Some("GREATER_THAN") => Some(Op::Gt),
            Some("LESS_THAN_OR_EQUAL_TO") => Some(Op::Le),
            Some("GREATER_THAN_OR_EQUAL_TO") => Some(Op::Ge),
            Some("IN") => Some(Op::In),
            Some("BETWEEN") => Some(Op::Between),
            _ => None,
        };
        if parsed.is_none() {
            let what = op.map_or("is missing".to_owned(), |o| format!("{o:?} is unknown"));
            self.err(&format!("{path}.operator"), format!("the operator {what}; use {OPERATORS}"));
        }
        parsed
    }

    /// An operator and its operands, each operand parsed as `kind`.
    pub(super) fn compare<T: Copy>(
        &mut self,
        op: Option<&str>,
        operands: &[Value],
        path: &str,
        kind: Kind,
    ) -> Option<Cmp<T>>
    where
        Kind: Parse<T>,
    {
        let op = self.operator(op, path);
        let mut values = Vec::new();
        let mut ok = true;
        for (i, v) in operands.iter().enumerate() {
            match kind.parse(v) {
                Some(x) => values.push(x),
                None => {
                    ok = false;
                    self.err(
                        &format!("{path}.operands[{i}]"),
                        format!("{} is {}; {}", shown(v), kind.not(), kind.hint()),
                    );
                }
            }
        }
        let op = op?;
        let (wanted, count_ok) = match op {
            Op::Between => ("exactly 2 operands (low and high)", operands.len() == 2),
            Op::In => ("at least 1 operand", !operands.is_empty()),
            _ => ("exactly 1 operand", operands.len() == 1),
        };
        if !count_ok {
            self.err(
                &format!("{path}.operands"),
                format!("{} takes {wanted}, got {}; give {wanted}", op.name(), operands.len()),
            );
            return None;
        }
        if !ok {
            return None;
        }
        Some(match op {
            Op::Eq => Cmp::Eq(values[0]),
            Op::Ne => Cmp::Ne(values[0]),
            Op::Lt => Cmp::Lt(values[0]),
            Op::Gt => Cmp::Gt(values[0]),
            Op::Le => Cmp::Le(values[0]),
            Op::Ge => Cmp::Ge(values[0]),
            Op::In => Cmp::In(values),
            Op::Between => Cmp::Between(values[0], values[1]),
        })
    }

    /// A concept id that must be in `concept`.
    pub(super) fn known_concept(&mut self, v: &Value, path: &str) -> Option<i32> {
        let id = self.concept_id(v, path)?;
        if self.vocab.concept(id).is_none() {
            self.err(
                path,
                format!(
                    "concept {id} is not in this dataset; search the vocabulary for the concept you mean"
                ),
            );
            return None;
        }
        Some(id)
    }

    /// A concept id, present and an integer.
    pub(super) fn concept_id(&mut self, v: &Value, path: &str) -> Option<i32> {
        if v.is_null() {
            self.err(path, "the concept id is missing; give the concept's id, e.g. 201826");
            return None;
        }
        let id = integer(v);
        if id.is_none() {
            self.err(path, format!("{} is not a concept id; give an integer such as 201826", shown(v)));
        }
        id
    }
}

/// How an operand is read.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Number,
    Date,
    Concept,
}

/// Reading an operand as a `T`.
pub(super) trait Parse<T> {
    fn parse(&self, v: &Value) -> Option<T>;
}

impl Parse<f64> for Kind {
    fn parse(&self, v: &Value) -> Option<f64> {
        match self {
            Kind::Concept => integer(v).map(f64::from),
            _ => number(v),
        }
    }
}

impl Parse<i32> for Kind {
    fn parse(&self, v: &Value) -> Option<i32> {
        match self {
            Kind::Date => parse_date(&operand_text(v)?),
            _ => integer(v),
        }
    }
}

impl Kind {
    pub(super) fn not(self) -> &'static str {
        match self {
            Kind::Number => "not a number",
            Kind::Date => "not a YYYY-MM-DD date",
            Kind::Concept => "not a concept id",
        }
    }

    pub(super) fn hint(self) -> &'static str {
        match self {
            Kind::Number => "give a number as a string, e.g. \"7\"",
            Kind::Date => "give a calendar date as \"YYYY-MM-DD\", e.g. \"2020-01-31\"",
            Kind::Concept => "give an integer concept id as a string, e.g. \"9202\"",
        }
    }
}
