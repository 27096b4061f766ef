//! Validation: turns a [`CohortDefinition`] into a checked [`Plan`] the evaluator runs, or
//! reports every problem (not only the first) as `path: what is wrong; what to do`, with the
//! JSON path of the offending value (docs/cohort-semantics.md, "Validation").

use serde_json::Value;

use super::ValidationError;
use super::date::parse_date;
use super::definition::{
    Attribute, CohortDefinition, Modifier, SearchGroup, SearchGroupItem, SearchParameter,
};
use super::index::Tab;
use crate::vocab::Vocab;

/// Systolic blood pressure (All of Us physical measurement).
pub(crate) const SYSTOLIC: i32 = 903_118;
/// Diastolic blood pressure.
pub(crate) const DIASTOLIC: i32 = 903_115;

/// A checked definition.
#[derive(Debug)]
pub(crate) struct Plan {
    pub includes: Vec<GroupPlan>,
    pub excludes: Vec<GroupPlan>,
    pub filters: Vec<DataFilter>,
    pub restrict: bool,
}

/// A `dataFilters` entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DataFilter {
    Ehr,
    PhysicalMeasurement,
}

/// A checked group.
#[derive(Debug)]
pub(crate) struct GroupPlan {
    pub id: Value,
    pub items: Vec<ItemPlan>,
    pub temporal: Option<TemporalPlan>,
}

/// How a temporal group relates its two sets of events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TemporalPlan {
    pub mention: Mention,
    pub time: Time,
    pub days: f64,
}

/// Which events of set A a temporal group uses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mention {
    Any,
    First,
    Last,
}

/// The relation between an A event and a B event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Time {
    SameEncounter,
    DaysBefore,
    DaysAfter,
    Within,
}

/// A checked item.
#[derive(Debug)]
pub(crate) struct ItemPlan {
    pub id: Value,
    pub criteria: Vec<Criterion>,
    pub mods: Modifiers,
    pub temporal_group: u8,
}

/// What one parameter selects.
#[derive(Debug)]
pub(crate) enum Criterion {
    /// Rows of `table` whose `column` concept is in `concepts` (sorted) and which satisfy
    /// every attribute; `visits` says whether the events carry the row's visit.
    Rows { table: Tab, source: bool, concepts: Vec<i32>, attrs: Vec<RowAttr>, visits: bool },
    /// Every row of `table`.
    AllRows { table: Tab },
    /// Systolic and diastolic rows satisfying their attributes on the same date.
    BloodPressure { systolic: Vec<RowAttr>, diastolic: Vec<RowAttr> },
    /// A person-level criterion.
    Person(PersonCriterion),
}

/// A condition on a row's value.
#[derive(Debug)]
pub(crate) enum RowAttr {
    /// `value_as_number` compared.
    Number(Cmp<f64>),
    /// `value_as_concept_id` among the (sorted) concepts.
    ValueConcept(Vec<i32>),
    /// `value_source_concept_id` among the (sorted) concepts.
    ValueSource(Vec<i32>),
}

/// A person-level criterion.
#[derive(Debug)]
pub(crate) enum PersonCriterion {
    Age(Vec<(AgeAt, Cmp<f64>)>),
    Gender(i32),
    Sex(i32),
    Race(i32),
    Ethnicity(i32),
    Deceased,
    /// Any Fitbit data; with comparisons, on the mean daily steps.
    Fitbit(Vec<Cmp<f64>>),
}

/// The date an age is computed at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AgeAt {
    Reference,
    Consent,
}

/// An item's modifiers, by kind (they apply in the spec's order whatever the list order).
#[derive(Debug, Default)]
pub(crate) struct Modifiers {
    pub age: Vec<Cmp<f64>>,
    pub date: Vec<Cmp<i32>>,
    pub encounters: Vec<Vec<i32>>,
    pub occurrences: Vec<Cmp<f64>>,
}

impl Modifiers {
    /// Whether any row-level modifier is present.
    pub fn filters_rows(&self) -> bool {
        !(self.age.is_empty() && self.date.is_empty() && self.encounters.is_empty())
    }
}

/// An operator with its operands.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cmp<T> {
    Eq(T),
    Ne(T),
    Lt(T),
    Gt(T),
    Le(T),
    Ge(T),
    In(Vec<T>),
    Between(T, T),
}

impl<T: PartialOrd + Copy> Cmp<T> {
    /// Whether `x` satisfies the comparison (callers never pass a null).
    pub fn test(&self, x: T) -> bool {
        match self {
            Cmp::Eq(v) => x == *v,
            Cmp::Ne(v) => x != *v,
            Cmp::Lt(v) => x < *v,
            Cmp::Gt(v) => x > *v,
            Cmp::Le(v) => x <= *v,
            Cmp::Ge(v) => x >= *v,
            Cmp::In(vs) => vs.contains(&x),
            Cmp::Between(lo, hi) => x >= *lo && x <= *hi,
        }
    }

    /// The operands, in order.
    fn values(&self) -> Vec<T> {
        match self {
            Cmp::Eq(v) | Cmp::Ne(v) | Cmp::Lt(v) | Cmp::Gt(v) | Cmp::Le(v) | Cmp::Ge(v) => vec![*v],
            Cmp::In(vs) => vs.clone(),
            Cmp::Between(lo, hi) => vec![*lo, *hi],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
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

/// A parameter's domain.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Domain {
    Event(Tab),
    PhysicalMeasurement,
    Survey,
    Person,
    Fitbit,
}

const DOMAINS: &str = "PERSON, CONDITION, PROCEDURE, DRUG, MEASUREMENT, OBSERVATION, VISIT, DEVICE, DEATH, SURVEY, PHYSICAL_MEASUREMENT or FITBIT";

fn domain(s: &str) -> Option<Domain> {
    Some(match s {
        "CONDITION" => Domain::Event(Tab::Condition),
        "PROCEDURE" => Domain::Event(Tab::Procedure),
        "DRUG" => Domain::Event(Tab::Drug),
        "MEASUREMENT" => Domain::Event(Tab::Measurement),
        "OBSERVATION" => Domain::Event(Tab::Observation),
        "DEVICE" => Domain::Event(Tab::Device),
        "VISIT" => Domain::Event(Tab::Visit),
        "DEATH" => Domain::Event(Tab::Death),
        "PHYSICAL_MEASUREMENT" => Domain::PhysicalMeasurement,
        "SURVEY" => Domain::Survey,
        "PERSON" => Domain::Person,
        s if s == "FITBIT" || s.starts_with("FITBIT_") => Domain::Fitbit,
        _ => return None,
    })
}

/// Criteria types the Workbench sends (vocabularies and person criteria), upper case.
const TYPES: &[&str] = &[
    "SNOMED",
    "ICD9CM",
    "ICD10CM",
    "ICD9PROC",
    "ICD10PCS",
    "CPT4",
    "HCPCS",
    "LOINC",
    "RXNORM",
    "ATC",
    "PPI",
    "BRAND",
    "VISIT",
    "DEVICE",
    "AGE",
    "GENDER",
    "SEX",
    "RACE",
    "ETHNICITY",
    "DECEASED",
    "HAS_EHR_DATA",
    "HAS_PHYSICAL_MEASUREMENT_DATA",
    "FITBIT",
    "NONE",
    "CPT",
    "ICD9",
    "ICD10",
    "PM",
    "DEMO",
];

const PERSON_TYPES: &str = "AGE, GENDER, SEX, RACE, ETHNICITY or DECEASED";

/// Subtypes the Workbench sends for physical measurements and surveys.
const SUBTYPES: &[&str] = &[
    "BP",
    "HEIGHT",
    "WEIGHT",
    "BMI",
    "HR",
    "HR_DETAIL",
    "HR_IRR",
    "HR_NOIRR",
    "WC",
    "HC",
    "PREG",
    "WHEEL",
    "QUESTION",
    "ANSWER",
    "SURVEY",
];

/// Checks `definition` against the vocabulary and builds its plan.
pub(crate) fn validate(definition: &CohortDefinition, vocab: &Vocab) -> Result<Plan, Vec<ValidationError>> {
    let mut c = Checker { vocab, errors: Vec::new() };
    let plan = c.definition(definition);
    match plan {
        Some(plan) if c.errors.is_empty() => Ok(plan),
        _ => Err(c.errors),
    }
}

struct Checker<'a> {
    vocab: &'a Vocab,
    errors: Vec<ValidationError>,
}

/// The text of an operand given as a string (or, leniently, a number).
fn operand_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    operand_text(v)?.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn integer(v: &Value) -> Option<i32> {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).ok(),
            None => n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 2_147_483_648.0).map(|f| f as i32),
        },
        Value::String(s) => s.trim().parse::<i32>().ok(),
        _ => None,
    }
}

/// The domain of each parameter of an item (its own, else the item's type), where known.
fn item_domains(item: &SearchGroupItem) -> Vec<Option<Domain>> {
    item.search_parameters
        .iter()
        .map(|p| p.domain.as_deref().or(item.kind.as_deref()).and_then(domain))
        .collect()
}

fn shown(v: &Value) -> String {
    v.to_string()
}

impl Checker<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(ValidationError { path: path.to_owned(), message: message.into() });
    }

    fn definition(&mut self, d: &CohortDefinition) -> Option<Plan> {
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
            match f.as_str() {
                "HAS_EHR_DATA" => filters.push(DataFilter::Ehr),
                "HAS_PHYSICAL_MEASUREMENT_DATA" => filters.push(DataFilter::PhysicalMeasurement),
                other => self.err(
                    &format!("dataFilters[{i}]"),
                    format!(
                        "unknown data filter {other:?}; use HAS_EHR_DATA or HAS_PHYSICAL_MEASUREMENT_DATA"
                    ),
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

    fn groups(&mut self, groups: &[SearchGroup], path: &str) -> Option<Vec<GroupPlan>> {
        let plans: Vec<_> =
            groups.iter().enumerate().map(|(i, g)| self.group(g, &format!("{path}[{i}]"))).collect();
        plans.into_iter().collect()
    }

    fn group(&mut self, g: &SearchGroup, path: &str) -> Option<GroupPlan> {
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
            let same_encounter = g.time.as_deref() == Some("DURING_SAME_ENCOUNTER_AS");
            for (i, item) in g.items.iter().enumerate() {
                let domains = item_domains(item);
                let message = if domains.iter().any(|d| matches!(d, Some(Domain::Person | Domain::Fitbit))) {
                    "person-level (PERSON, FITBIT) items have no events to relate in time; move it to a non-temporal group"
                } else if same_encounter && domains.contains(&Some(Domain::Event(Tab::Death))) {
                    "DEATH events have no encounter; use a day-based time or move the item to another group"
                } else {
                    continue;
                };
                self.err(&format!("{path}.items[{i}]"), message);
            }
        }
        let items: Option<Vec<ItemPlan>> = items.into_iter().collect();
        if g.temporal && temporal.is_none() {
            return None;
        }
        Some(GroupPlan { id: g.id.clone(), items: items?, temporal })
    }

    fn temporal(&mut self, g: &SearchGroup, path: &str) -> Option<TemporalPlan> {
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

    fn item(&mut self, item: &SearchGroupItem, path: &str, temporal: bool) -> Option<ItemPlan> {
        let item_domain = match item.kind.as_deref() {
            None => None,
            Some(k) => {
                let d = domain(k);
                if d.is_none() {
                    self.err(&format!("{path}.type"), format!("unknown domain {k:?}; use {DOMAINS}"));
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
        if item.search_parameters.is_empty() {
            self.err(
                &format!("{path}.searchParameters"),
                "the item has no parameters; add a parameter or remove the item",
            );
        }
        let criteria: Vec<_> = item
            .search_parameters
            .iter()
            .enumerate()
            .map(|(i, p)| {
                self.parameter(p, &format!("{path}.searchParameters[{i}]"), item.kind.as_deref(), item_domain)
            })
            .collect();
        let criteria: Option<Vec<Criterion>> = criteria.into_iter().collect();
        let person_level =
            item_domains(item).iter().any(|d| matches!(d, Some(Domain::Person | Domain::Fitbit)));
        let mut mods = Modifiers::default();
        for (i, m) in item.modifiers.iter().enumerate() {
            let mpath = format!("{path}.modifiers[{i}]");
            if person_level {
                self.err(&mpath, "modifiers apply to events, and PERSON and FITBIT criteria have none; remove the modifier or move it to an event item");
                continue;
            }
            self.modifier(m, &mpath, &mut mods);
        }
        Some(ItemPlan { id: item.id.clone(), criteria: criteria?, mods, temporal_group: temporal_group? })
    }

    fn modifier(&mut self, m: &Modifier, path: &str, mods: &mut Modifiers) {
        let name = m.name.as_deref().unwrap_or("");
        match name {
            "AGE_AT_EVENT" => {
                if let Some(c) = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Number) {
                    mods.age.push(c);
                }
            }
            "NUM_OF_OCCURRENCES" => {
                if let Some(c) = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Number) {
                    mods.occurrences.push(c);
                }
            }
            "EVENT_DATE" => {
                if let Some(c) = self.compare(m.operator.as_deref(), &m.operands, path, Kind::Date) {
                    mods.date.push(c);
                }
            }
            "ENCOUNTERS" => {
                let op = self.operator(m.operator.as_deref(), path);
                if op.is_some_and(|op| !matches!(op, Op::In | Op::Eq)) {
                    self.err(&format!("{path}.operator"), "ENCOUNTERS takes IN or EQUAL; list the visit concepts with IN");
                } else if let Some(c) = self.compare::<i32>(m.operator.as_deref(), &m.operands, path, Kind::Concept) {
                    let mut set = c.values();
                    set.sort_unstable();
                    set.dedup();
                    mods.encounters.push(set);
                }
            }
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

    fn operator(&mut self, op: Option<&str>, path: &str) -> Option<Op> {
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
    fn compare<T: Copy>(
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
    fn known_concept(&mut self, v: &Value, path: &str) -> Option<i32> {
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
    fn concept_id(&mut self, v: &Value, path: &str) -> Option<i32> {
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

    /// The concept set `{conceptId}` plus, when asked, its descendants; sorted.
    fn concept_set(&self, id: i32, descendants: bool) -> Vec<i32> {
        let mut set = vec![id];
        if descendants {
            set.extend_from_slice(self.vocab.descendants(id));
        }
        set.sort_unstable();
        set.dedup();
        set
    }

    fn parameter(
        &mut self,
        p: &SearchParameter,
        path: &str,
        item_kind: Option<&str>,
        item_domain: Option<Domain>,
    ) -> Option<Criterion> {
        let domain = match (p.domain.as_deref(), item_domain) {
            (Some(d), _) => {
                let parsed = domain(d);
                if parsed.is_none() {
                    self.err(&format!("{path}.domain"), format!("unknown domain {d:?}; use {DOMAINS}"));
                }
                parsed
            }
            (None, Some(d)) => Some(d),
            (None, None) => {
                if item_kind.is_none() {
                    self.err(
                        &format!("{path}.domain"),
                        format!("the domain is missing; set it (or the item's type) to {DOMAINS}"),
                    );
                }
                None
            }
        };
        if let Some(t) = p.kind.as_deref() {
            let upper = t.to_uppercase();
            let known = TYPES.contains(&upper.as_str()) || self.vocab.is_vocabulary(t);
            if !known {
                self.err(&format!("{path}.type"), format!("unknown type {t:?}; use a vocabulary such as SNOMED, ICD10CM, LOINC, RXNORM or PPI, or for PERSON {PERSON_TYPES}"));
            }
        }
        if let Some(s) = p.subtype.as_deref()
            && !SUBTYPES.contains(&s)
        {
            self.err(
                &format!("{path}.subtype"),
                format!("unknown subtype {s:?}; use one of {}", SUBTYPES.join(", ")),
            );
        }
        let descendants = p.group || p.ancestor_data;
        let source = !p.standard.unwrap_or(true);
        match domain? {
            Domain::Event(Tab::Death) => {
                let any = match &p.concept_id {
                    Value::Null => true,
                    v => integer(v) == Some(0),
                };
                self.no_attributes(p, path, "DEATH");
                if any {
                    return Some(Criterion::AllRows { table: Tab::Death });
                }
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"))?;
                Some(Criterion::Rows {
                    table: Tab::Death,
                    source,
                    concepts: self.concept_set(id, descendants),
                    attrs: vec![],
                    visits: false,
                })
            }
            Domain::Event(table) => {
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"));
                let attrs = if table == Tab::Measurement {
                    self.row_attributes(&p.attributes, path)
                } else {
                    self.no_attributes(p, path, &format!("{table:?}").to_uppercase());
                    Some(vec![])
                };
                Some(Criterion::Rows {
                    table,
                    source,
                    concepts: self.concept_set(id?, descendants),
                    attrs: attrs?,
                    visits: true,
                })
            }
            Domain::PhysicalMeasurement if p.subtype.as_deref() == Some("BP") => self.blood_pressure(p, path),
            Domain::PhysicalMeasurement => {
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"));
                let attrs = self.row_attributes(&p.attributes, path);
                Some(Criterion::Rows {
                    table: Tab::Measurement,
                    source: false,
                    concepts: self.concept_set(id?, descendants),
                    attrs: attrs?,
                    visits: true,
                })
            }
            Domain::Survey => self.survey(p, path),
            Domain::Person => self.person(p, path),
            Domain::Fitbit => {
                let mut steps = Vec::new();
                let mut ok = true;
                for (i, a) in p.attributes.iter().enumerate() {
                    let apath = format!("{path}.attributes[{i}]");
                    match a.name.as_deref() {
                        Some("NUM") => {
                            match self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number) {
                                Some(c) => steps.push(c),
                                None => ok = false,
                            }
                        }
                        other => {
                            ok = false;
                            self.unknown_attribute(other, &apath, "FITBIT takes only NUM (mean daily steps)");
                        }
                    }
                }
                ok.then_some(Criterion::Person(PersonCriterion::Fitbit(steps)))
            }
        }
    }

    fn unknown_attribute(&mut self, name: Option<&str>, path: &str, what: &str) {
        let got = name.map_or("the attribute has no name".to_owned(), |n| {
            format!("attribute {n:?} does not apply here")
        });
        self.err(&format!("{path}.name"), format!("{got}; {what}"));
    }

    fn no_attributes(&mut self, p: &SearchParameter, path: &str, domain: &str) {
        for i in 0..p.attributes.len() {
            self.err(
                &format!("{path}.attributes[{i}]"),
                format!("{domain} parameters take no attributes; remove it (values are filtered for MEASUREMENT, PHYSICAL_MEASUREMENT and SURVEY)"),
            );
        }
    }

    /// NUM, CAT and ANY attributes of a measurement row (all must hold).
    fn row_attributes(&mut self, attributes: &[Attribute], path: &str) -> Option<Vec<RowAttr>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, a) in attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            match self.row_attribute(a, &apath) {
                Some(Some(attr)) => out.push(attr),
                Some(None) => {}
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// One measurement attribute: `Some(None)` for ANY.
    fn row_attribute(&mut self, a: &Attribute, path: &str) -> Option<Option<RowAttr>> {
        match a.name.as_deref() {
            Some("NUM") => self
                .compare(a.operator.as_deref(), &a.operands, path, Kind::Number)
                .map(|c| Some(RowAttr::Number(c))),
            Some("CAT") => self.categories(a, path).map(|set| Some(RowAttr::ValueConcept(set))),
            Some("ANY") => Some(None),
            other => {
                self.unknown_attribute(other, path, "measurements take NUM, CAT or ANY");
                None
            }
        }
    }

    /// The sorted concept ids of a CAT attribute.
    fn categories(&mut self, a: &Attribute, path: &str) -> Option<Vec<i32>> {
        let c = self.compare::<i32>(a.operator.as_deref(), &a.operands, path, Kind::Concept)?;
        let mut set = c.values();
        set.sort_unstable();
        set.dedup();
        Some(set)
    }

    fn blood_pressure(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        let (mut systolic, mut diastolic) = (Vec::new(), Vec::new());
        let mut ok = true;
        for (i, a) in p.attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            let side = match integer(&a.concept_id) {
                Some(SYSTOLIC) => Some(true),
                Some(DIASTOLIC) => Some(false),
                _ => {
                    self.err(
                        &format!("{apath}.conceptId"),
                        format!("{} is not a blood-pressure concept; give 903118 (systolic) or 903115 (diastolic)", shown(&a.concept_id)),
                    );
                    None
                }
            };
            match (self.row_attribute(a, &apath), side) {
                (Some(attr), Some(side)) => {
                    let list = if side { &mut systolic } else { &mut diastolic };
                    list.extend(attr);
                }
                _ => ok = false,
            }
        }
        ok.then_some(Criterion::BloodPressure { systolic, diastolic })
    }

    fn survey(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"));
        let mut answers: Option<Vec<i32>> = None;
        let mut ok = true;
        for (i, a) in p.attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            match a.name.as_deref() {
                Some("CAT") => match self.categories(a, &apath) {
                    Some(set) => {
                        let all = answers.get_or_insert_with(Vec::new);
                        if all.is_empty() {
                            *all = set;
                        } else {
                            all.retain(|c| set.binary_search(c).is_ok());
                        }
                    }
                    None => ok = false,
                },
                other => {
                    ok = false;
                    self.unknown_attribute(
                        other,
                        &apath,
                        "survey parameters take only CAT (the answer concepts)",
                    );
                }
            }
        }
        let subtype = match p.subtype.as_deref() {
            Some(s @ ("SURVEY" | "QUESTION" | "ANSWER")) => Some(s),
            other => {
                let got =
                    other.map_or("is missing".to_owned(), |s| format!("{s:?} does not apply to SURVEY"));
                self.err(
                    &format!("{path}.subtype"),
                    format!("the subtype {got}; use SURVEY, QUESTION or ANSWER"),
                );
                None
            }
        };
        if subtype == Some("ANSWER") && answers.is_none() && ok {
            self.err(
                &format!("{path}.attributes"),
                "an ANSWER parameter needs a CAT attribute listing the answer concepts; add {\"name\": \"CAT\", \"operator\": \"IN\", \"operands\": [\"<answer id>\"]}",
            );
            ok = false;
        }
        let (id, subtype) = (id?, subtype?);
        if !ok {
            return None;
        }
        let concepts = if subtype == "SURVEY" { self.vocab.descendants(id).to_vec() } else { vec![id] };
        let attrs = match answers {
            Some(set) if subtype != "SURVEY" => vec![RowAttr::ValueSource(set)],
            _ => vec![],
        };
        Some(Criterion::Rows { table: Tab::Observation, source: true, concepts, attrs, visits: false })
    }

    fn person(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        let kind = p.kind.as_deref().map(str::to_uppercase);
        let demographic = |c: &mut Self, make: fn(i32) -> PersonCriterion| {
            c.no_attributes(p, path, "this PERSON");
            c.concept_id(&p.concept_id, &format!("{path}.conceptId")).map(|id| Criterion::Person(make(id)))
        };
        match kind.as_deref() {
            Some("AGE") => {
                let mut ages = Vec::new();
                let mut ok = true;
                if p.attributes.is_empty() {
                    self.err(
                        &format!("{path}.attributes"),
                        "an AGE parameter needs an attribute; add {\"name\": \"AGE\", \"operator\": \"BETWEEN\", \"operands\": [\"40\", \"65\"]}",
                    );
                    ok = false;
                }
                for (i, a) in p.attributes.iter().enumerate() {
                    let apath = format!("{path}.attributes[{i}]");
                    let at = match a.name.as_deref() {
                        Some("AGE" | "AGE_AT_CDR") => Some(AgeAt::Reference),
                        Some("AGE_AT_CONSENT") => Some(AgeAt::Consent),
                        other => {
                            self.unknown_attribute(
                                other,
                                &apath,
                                "AGE takes AGE, AGE_AT_CDR or AGE_AT_CONSENT",
                            );
                            None
                        }
                    };
                    match (at, self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number)) {
                        (Some(at), Some(c)) => ages.push((at, c)),
                        _ => ok = false,
                    }
                }
                ok.then_some(Criterion::Person(PersonCriterion::Age(ages)))
            }
            Some("GENDER") => demographic(self, PersonCriterion::Gender),
            Some("SEX") => demographic(self, PersonCriterion::Sex),
            Some("RACE") => demographic(self, PersonCriterion::Race),
            Some("ETHNICITY") => demographic(self, PersonCriterion::Ethnicity),
            Some("DECEASED") => {
                self.no_attributes(p, path, "DECEASED");
                Some(Criterion::Person(PersonCriterion::Deceased))
            }
            other => {
                let got =
                    other.map_or("is missing".to_owned(), |t| format!("{t:?} does not apply to PERSON"));
                self.err(&format!("{path}.type"), format!("the type {got}; use {PERSON_TYPES}"));
                None
            }
        }
    }
}

/// How an operand is read.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    Date,
    Concept,
}

/// Reading an operand as a `T`.
trait Parse<T> {
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
    fn not(self) -> &'static str {
        match self {
            Kind::Number => "not a number",
            Kind::Date => "not a YYYY-MM-DD date",
            Kind::Concept => "not a concept id",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Kind::Number => "give a number as a string, e.g. \"7\"",
            Kind::Date => "give a calendar date as \"YYYY-MM-DD\", e.g. \"2020-01-31\"",
            Kind::Concept => "give an integer concept id as a string, e.g. \"9202\"",
        }
    }
}
