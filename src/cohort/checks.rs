//! The checks of each domain's search parameters (events, physical measurements and blood
//! pressure, surveys, person criteria, Fitbit): what a parameter of that domain may say, and
//! the [`Criterion`] it selects.

use serde_json::Value;

use super::definition::{Attribute, SearchParameter};
use super::plan::*;
use super::validate::{Checker, Kind, integer, shown};
use crate::cdm::concepts::{DIASTOLIC, SYSTOLIC};
use crate::cdm::{Domain, EventTable};

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

impl Checker<'_> {
    pub(super) fn parameter(
        &mut self,
        p: &SearchParameter,
        path: &str,
        item_kind: Option<&str>,
        item_domain: Option<Domain>,
    ) -> Option<Criterion> {
        let domain = match (p.domain.as_deref(), item_domain) {
            (Some(d), _) => {
                let parsed = Domain::parse(d);
                if parsed.is_none() {
                    self.err(
                        &format!("{path}.domain"),
                        format!("unknown domain {d:?}; use {}", Domain::list()),
                    );
                }
                parsed
            }
            (None, Some(d)) => Some(d),
            (None, None) => {
                if item_kind.is_none() {
                    self.err(
                        &format!("{path}.domain"),
                        format!("the domain is missing; set it (or the item's type) to {}", Domain::list()),
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
            Domain::Death => {
                let any = match &p.concept_id {
                    Value::Null => true,
                    v => integer(v) == Some(0),
                };
                self.no_attributes(p, path, "DEATH");
                if any {
                    return Some(Criterion::AllRows { table: EventTable::Death });
                }
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"))?;
                Some(Criterion::Rows {
                    table: EventTable::Death,
                    source,
                    concepts: self.concept_set(id, descendants),
                    attrs: vec![],
                    visits: false,
                })
            }
            Domain::PhysicalMeasurement if p.subtype.as_deref() == Some("BP") => self.blood_pressure(p, path),
            Domain::PhysicalMeasurement => {
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"));
                let attrs = self.row_attributes(&p.attributes, path);
                Some(Criterion::Rows {
                    table: EventTable::Measurement,
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
            event => {
                let table = event.event_table()?;
                let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"));
                let attrs = if table == EventTable::Measurement {
                    self.row_attributes(&p.attributes, path)
                } else {
                    self.no_attributes(p, path, event.name());
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
        }
    }

    pub(super) fn unknown_attribute(&mut self, name: Option<&str>, path: &str, what: &str) {
        let got = name.map_or("the attribute has no name".to_owned(), |n| {
            format!("attribute {n:?} does not apply here")
        });
        self.err(&format!("{path}.name"), format!("{got}; {what}"));
    }

    pub(super) fn no_attributes(&mut self, p: &SearchParameter, path: &str, domain: &str) {
        for i in 0..p.attributes.len() {
            self.err(
                &format!("{path}.attributes[{i}]"),
                format!("{domain} parameters take no attributes; remove it (values are filtered for MEASUREMENT, PHYSICAL_MEASUREMENT and SURVEY)"),
            );
        }
    }

    /// NUM, CAT and ANY attributes of a measurement row (all must hold).
    pub(super) fn row_attributes(&mut self, attributes: &[Attribute], path: &str) -> Option<Vec<RowAttr>> {
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
    pub(super) fn row_attribute(&mut self, a: &Attribute, path: &str) -> Option<Option<RowAttr>> {
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
    pub(super) fn categories(&mut self, a: &Attribute, path: &str) -> Option<Vec<i32>> {
        let c = self.compare::<i32>(a.operator.as_deref(), &a.operands, path, Kind::Concept)?;
        let mut set = c.values();
        set.sort_unstable();
        set.dedup();
        Some(set)
    }

    pub(super) fn blood_pressure(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
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

    pub(super) fn survey(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
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
        Some(Criterion::Rows { table: EventTable::Observation, source: true, concepts, attrs, visits: false })
    }

    pub(super) fn person(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
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
