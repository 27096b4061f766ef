//! The checks of each item and search parameter, as the Workbench's query builder reads them
//! (`SearchGroupItemQueryBuilder`: event parts, attributes and blood pressure, drug roll-up,
//! criteria-tree expansion, person criteria, "has data" flags): what a parameter may say, and
//! the [`Criterion`] it selects.

use serde_json::Value;

use super::definition::{Attribute, SearchParameter};
use super::plan::*;
use super::validate::{Checker, Kind, integer, shown};
use crate::cdm::EventTable;
use crate::cdm::concepts::{DIASTOLIC, SYSTOLIC};
use crate::vocab::Concept;

/// An item's domain (its `type`), as the Workbench's query builder dispatches on it (`SGIQB.buildBaseQuery`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum ItemDomain {
    /// Events of `cb_search_all_events` by concept.
    Events,
    /// Events, every part rolled up through the drug tree.
    Drug,
    /// Extension: events of `death`.
    Death,
    /// Events; a lone parameter without concept is "has physical measurement data".
    PhysicalMeasurement,
    /// Events; CAT attributes compare `value_source_concept_id`.
    Survey,
    Person,
    /// A "has data" flag, whatever the parameters say.
    HasData(Flag),
    /// Genomic or task data an OMOP dataset does not hold.
    Unavailable,
}

pub(super) const DOMAINS: &str = "an All of Us Cohort Builder domain such as CONDITION, PROCEDURE, DRUG, MEASUREMENT, OBSERVATION, VISIT, DEVICE, SURVEY, PHYSICAL_MEASUREMENT, PERSON or FITBIT";

pub(super) fn domain(s: &str) -> Option<ItemDomain> {
    Some(match s {
        "CONDITION"
        | "PROCEDURE"
        | "MEASUREMENT"
        | "OBSERVATION"
        | "DEVICE"
        | "VISIT"
        | "LAB"
        | "VITAL"
        | "ALL_EVENTS"
        | "PHYSICAL_MEASUREMENT_CSS"
        | "CONCEPT_SET"
        | "CONCEPT_QUICK_ADD"
        | "ZIP_CODE_SOCIOECONOMIC" => ItemDomain::Events,
        "DRUG" => ItemDomain::Drug,
        "DEATH" => ItemDomain::Death,
        "PHYSICAL_MEASUREMENT" => ItemDomain::PhysicalMeasurement,
        "SURVEY" => ItemDomain::Survey,
        "PERSON" => ItemDomain::Person,
        "FITBIT" | "FITBIT_PLUS_DEVICE" => ItemDomain::HasData(Flag::Fitbit),
        "FITBIT_ACTIVITY" => ItemDomain::HasData(Flag::FitbitActivity),
        "FITBIT_HEART_RATE_SUMMARY" => ItemDomain::HasData(Flag::FitbitHeartRateSummary),
        "FITBIT_HEART_RATE_LEVEL"
        | "FITBIT_INTRADAY_STEPS"
        | "FITBIT_SLEEP_DAILY_SUMMARY"
        | "FITBIT_SLEEP_LEVEL"
        | "FITBIT_DEVICE"
        | "WEAR_CONSENT" => ItemDomain::HasData(Flag::Absent),
        "WHOLE_GENOME_VARIANT"
        | "LR_WHOLE_GENOME_VARIANT"
        | "ARRAY_DATA"
        | "STRUCTURAL_VARIANT_DATA"
        | "SNP_INDEL_VARIANT" => ItemDomain::Unavailable,
        s if s.starts_with("ETM_") => ItemDomain::Unavailable,
        _ => return None,
    })
}

/// The tables of `cb_search_all_events` (`all-events.sh`).
const SEARCH_TABLES: [EventTable; 7] = [
    EventTable::Condition,
    EventTable::Procedure,
    EventTable::Drug,
    EventTable::Measurement,
    EventTable::Observation,
    EventTable::Device,
    EventTable::Visit,
];

/// Whether `all-events.sh` makes an event of a `table` row holding `c` in its source (or
/// standard) concept column.
fn searched(table: EventTable, source: bool, c: &Concept) -> bool {
    let standard_of = |domain: &str, vocabularies: &[&str]| {
        c.standard && c.domain == domain && vocabularies.contains(&c.vocabulary.as_str())
    };
    match (table, source) {
        (EventTable::Condition | EventTable::Procedure, true) => c.vocabulary != "SNOMED",
        (EventTable::Procedure, false) => !standard_of("Procedure", &["CPT4", "ICD9Proc", "ICD10PCS"]),
        (EventTable::Measurement, false) => !standard_of("Measurement", &["CPT4"]),
        (EventTable::Observation, false) => {
            !standard_of("Observation", &["CPT4"]) && c.vocabulary != "PPI" && c.class != "Survey"
        }
        (EventTable::Drug | EventTable::Device | EventTable::Visit, true) => false,
        (EventTable::Device, false) => c.standard && c.domain == "Device",
        _ => true,
    }
}

/// Source vocabularies whose hierarchy is read from the codes (`E11` > `E11.65`).
const CODE_HIERARCHIES: [&str; 4] = ["ICD9CM", "ICD10CM", "ICD9Proc", "ICD10PCS"];

/// The source vocabulary whose hierarchy is its part of `concept_ancestor` besides PPI (the
/// survey tree): CPT4, the CPT4 Hierarchy classes over the codes that the Workbench's
/// `prep_cpt` holds (`build-cb-criteria-cpt4.sh`); CPT4 codes prefix nothing.
const CPT4: &str = "CPT4";

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
    "SELF_REPORTED_CATEGORY",
];

const PERSON_TYPES: &str = "AGE, GENDER, SEX, RACE, ETHNICITY, DECEASED or HAS_EHR_DATA";

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
    "CLIN",
    "LAB",
    "HR-DETAIL",
    "HR-IRR",
    "HR-NOIRR",
];

impl Checker<'_> {
    /// The criteria of an event item, by part (`SGIQB.buildBaseQuery`): each parameter with
    /// attributes is a part, the standard and the source parameters without attributes are one
    /// part each.
    pub(super) fn event_parts(
        &mut self,
        params: &[SearchParameter],
        path: &str,
        drug: bool,
    ) -> Option<Vec<(u16, Criterion)>> {
        let mut out = Vec::new();
        let mut ok = true;
        // (concept, group) of the parameters without attributes.
        let mut standard: Vec<(i32, bool)> = Vec::new();
        let mut source: Vec<(i32, bool)> = Vec::new();
        let mut part = 0u16;
        for (i, p) in params.iter().enumerate() {
            let ppath = format!("{path}.searchParameters[{i}]");
            let is_source = !p.standard.unwrap_or(false);
            if p.attributes.iter().any(|a| !a.concept_id.is_null()) {
                // Blood pressure: the attributes name the concepts (the parameter's is unused).
                match self.blood_pressure(p, is_source, &ppath) {
                    Some(criteria) => out.extend(criteria.into_iter().map(|c| (part, c))),
                    None => ok = false,
                }
                part += 1;
                continue;
            }
            let Some(id) = self.known_concept(&p.concept_id, &format!("{ppath}.conceptId")) else {
                ok = false;
                continue;
            };
            if p.attributes.is_empty() {
                let list = if is_source { &mut source } else { &mut standard };
                list.push((id, p.group));
                continue;
            }
            match self.attribute_part(p, id, is_source, &ppath) {
                Some(criteria) => out.extend(criteria.into_iter().map(|c| (part, c))),
                None => ok = false,
            }
            part += 1;
        }
        for (is_source, list) in [(false, standard), (true, source)] {
            if list.is_empty() {
                continue;
            }
            let concepts = if drug {
                self.drug_set(list.iter().map(|&(id, _)| id), is_source)
            } else if list.iter().any(|&(_, group)| group) {
                self.tree_set(list.iter().map(|&(id, _)| id), is_source)
            } else {
                sorted(list.iter().map(|&(id, _)| id).collect())
            };
            out.extend(self.rows(&concepts, is_source, vec![]).into_iter().map(|c| (part, c)));
            part += 1;
        }
        ok.then_some(out)
    }

    /// `Rows` criteria of `concepts` in every table of `cb_search_all_events` that makes
    /// events of them (no domain filter).
    pub(super) fn rows(&self, concepts: &[i32], source: bool, attrs: Vec<RowAttr>) -> Vec<Criterion> {
        SEARCH_TABLES
            .iter()
            .filter_map(|&table| {
                let kept: Vec<i32> = concepts
                    .iter()
                    .copied()
                    .filter(|&c| self.vocab.concept(c).is_some_and(|c| searched(table, source, c)))
                    .collect();
                (!kept.is_empty()).then(|| Criterion::Rows {
                    table,
                    source,
                    concepts: kept,
                    attrs: attrs.clone(),
                    visits: true,
                })
            })
            .collect()
    }

    /// The concepts below `ids` in the criteria tree (`CHILD_LOOKUP_SQL`), the ids included:
    /// standard lookups through `concept_ancestor` (the standard trees, built from it) outside
    /// PPI; source lookups through `concept_ancestor` among CPT4 concepts below a CPT4 concept
    /// and among PPI concepts otherwise (the survey tree), and through the codes in the ICD
    /// vocabularies.
    pub(super) fn tree_set(&self, ids: impl Iterator<Item = i32>, source: bool) -> Vec<i32> {
        let vocabulary = |d: i32| self.vocab.concept(d).map(|c| c.vocabulary.as_str());
        let mut set = Vec::new();
        for id in ids {
            set.push(id);
            let below = self.vocab.descendants(id).iter().copied();
            if !source {
                set.extend(below.filter(|&d| vocabulary(d) != Some("PPI")));
                continue;
            }
            let tree = if vocabulary(id) == Some(CPT4) { CPT4 } else { "PPI" };
            set.extend(below.filter(|&d| vocabulary(d) == Some(tree)));
            set.extend(self.vocab.code_descendants(id, &CODE_HIERARCHIES));
        }
        sorted(set)
    }

    /// The drug concepts the drug tree rolls `ids` up to (`DRUG_SQL`): each ATC class's or
    /// RxNorm ingredient's ingredients, and every concept below those in `concept_ancestor`.
    /// Other concepts (clinical drugs, brand names) and source parameters roll up to nothing.
    pub(super) fn drug_set(&self, ids: impl Iterator<Item = i32>, source: bool) -> Vec<i32> {
        if source {
            return Vec::new();
        }
        let ingredient = |c: &Concept| {
            c.standard
                && c.class == "Ingredient"
                && matches!(c.vocabulary.as_str(), "RxNorm" | "RxNorm Extension")
        };
        let mut set = Vec::new();
        for id in ids {
            let Some(c) = self.vocab.concept(id) else { continue };
            let ingredients: Vec<i32> = if ingredient(c) {
                vec![id]
            } else if c.vocabulary == "ATC" {
                let below = self.vocab.descendants(id).iter().copied();
                below.filter(|&d| self.vocab.concept(d).is_some_and(ingredient)).collect()
            } else {
                Vec::new()
            };
            for i in ingredients {
                set.extend_from_slice(self.vocab.descendants(i));
            }
        }
        sorted(set)
    }

    /// A parameter with attributes (`SGIQB.processAttributeSql`): its own concept only.
    pub(super) fn attribute_part(
        &mut self,
        p: &SearchParameter,
        id: i32,
        source: bool,
        path: &str,
    ) -> Option<Vec<Criterion>> {
        let survey = p.domain.as_deref() == Some("SURVEY");
        let (mut number, mut concepts, mut any) = (None, None, false);
        let mut ok = true;
        for (i, a) in p.attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            match a.name.as_deref() {
                Some("NUM") => match self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number) {
                    Some(c) => {
                        number.get_or_insert(c);
                    }
                    None => ok = false,
                },
                Some("CAT") => match self.categories(a, &apath) {
                    Some(set) => {
                        concepts.get_or_insert(set);
                    }
                    None => ok = false,
                },
                Some("ANY") => any = true,
                Some("SURVEY_VERSION_CONCEPT_ID") => {
                    ok = false;
                    self.err(
                        &format!("{apath}.name"),
                        "survey versions come from the Workbench's observation_ext table, which an OMOP dataset does not hold: cohortlens cannot evaluate SURVEY_VERSION_CONCEPT_ID; remove the attribute",
                    );
                }
                other => {
                    ok = false;
                    self.unknown_attribute(other, &apath, "event parameters take NUM, CAT or ANY");
                }
            }
        }
        if !ok {
            return None;
        }
        let mut attrs = match (number, concepts) {
            (Some(number), Some(concepts)) => vec![RowAttr::NumberOr { number, concepts, source: survey }],
            (Some(number), None) => vec![RowAttr::Number(number)],
            (None, Some(set)) if survey => vec![RowAttr::ValueSource(set)],
            (None, Some(set)) => vec![RowAttr::ValueConcept(set)],
            (None, None) => vec![],
        };
        if any && survey {
            attrs.push(RowAttr::HasNumber);
        }
        Some(self.rows(&[id], source, attrs))
    }

    /// Blood pressure as the UI sends it (attributes carrying 903118 / 903115): each NUM
    /// compares the reading of its own concept (`processBloodPressureSql` takes them by order;
    /// the concept is its evident intent); ANY alone: every reading.
    pub(super) fn blood_pressure(
        &mut self,
        p: &SearchParameter,
        source: bool,
        path: &str,
    ) -> Option<Vec<Criterion>> {
        let (mut systolic, mut diastolic, mut concepts) = (None, None, Vec::new());
        let mut ok = true;
        for (i, a) in p.attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            let concept = integer(&a.concept_id);
            if !matches!(concept, Some(SYSTOLIC | DIASTOLIC)) {
                self.err(
                    &format!("{apath}.conceptId"),
                    format!(
                        "{} is not a blood-pressure concept; give 903118 (systolic) or 903115 (diastolic)",
                        shown(&a.concept_id)
                    ),
                );
                ok = false;
                continue;
            }
            let concept = concept.unwrap_or_default();
            concepts.push(concept);
            match a.name.as_deref() {
                Some("NUM") => match self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number) {
                    Some(c) => {
                        let side = if concept == SYSTOLIC { &mut systolic } else { &mut diastolic };
                        side.get_or_insert(c);
                    }
                    None => ok = false,
                },
                Some("ANY") => {}
                other => {
                    ok = false;
                    self.unknown_attribute(other, &apath, "blood-pressure attributes are NUM or ANY");
                }
            }
        }
        if !ok {
            return None;
        }
        if systolic.is_none() && diastolic.is_none() {
            return Some(self.rows(&sorted(concepts), source, vec![]));
        }
        Some(vec![Criterion::BloodPressure { source, systolic, diastolic }])
    }

    /// Type and subtype, checked against what the Workbench sends (they select nothing).
    pub(super) fn check_labels(&mut self, p: &SearchParameter, path: &str) {
        if let Some(t) = p.kind.as_deref() {
            let upper = t.to_uppercase();
            if !(TYPES.contains(&upper.as_str()) || self.vocab.is_vocabulary(t)) {
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
        if let Some(d) = p.domain.as_deref()
            && domain(d).is_none()
        {
            self.err(&format!("{path}.domain"), format!("unknown domain {d:?}; use {DOMAINS}"));
        }
    }

    /// Extension: DEATH events, of a cause concept (0 or none: every death).
    pub(super) fn death(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        self.no_attributes(p, path, "DEATH");
        if matches!(&p.concept_id, Value::Null) || integer(&p.concept_id) == Some(0) {
            return Some(Criterion::AllRows { table: EventTable::Death });
        }
        let id = self.known_concept(&p.concept_id, &format!("{path}.conceptId"))?;
        let source = !p.standard.unwrap_or(false);
        let concepts = if p.group { self.tree_set(std::iter::once(id), source) } else { vec![id] };
        Some(Criterion::Rows { table: EventTable::Death, source, concepts, attrs: vec![], visits: false })
    }

    /// Extension: a FITBIT parameter with NUM attributes on the mean daily steps.
    pub(super) fn steps(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        let mut steps = Vec::new();
        let mut ok = true;
        for (i, a) in p.attributes.iter().enumerate() {
            let apath = format!("{path}.attributes[{i}]");
            match a.name.as_deref() {
                Some("NUM") => match self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number) {
                    Some(c) => steps.push(c),
                    None => ok = false,
                },
                other => {
                    ok = false;
                    self.unknown_attribute(other, &apath, "FITBIT takes only NUM (mean daily steps)");
                }
            }
        }
        ok.then_some(Criterion::Person(PersonCriterion::Steps(steps)))
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

    /// The sorted concept ids of a CAT attribute.
    pub(super) fn categories(&mut self, a: &Attribute, path: &str) -> Option<Vec<i32>> {
        let c = self.compare::<i32>(a.operator.as_deref(), &a.operands, path, Kind::Concept)?;
        let mut set = c.values();
        set.sort_unstable();
        set.dedup();
        Some(set)
    }

    pub(super) fn person(&mut self, p: &SearchParameter, path: &str) -> Option<Criterion> {
        let kind = p.kind.as_deref().map(str::to_uppercase);
        let demographic = |c: &mut Self, make: fn(i32) -> PersonCriterion| {
            c.no_attributes(p, path, "this PERSON");
            c.concept_id(&p.concept_id, &format!("{path}.conceptId")).map(|id| Criterion::Person(make(id)))
        };
        match kind.as_deref() {
            Some("AGE") => {
                // The Workbench reads the parameter's first attribute (`buildDemoSql`).
                let Some(a) = p.attributes.first() else {
                    self.err(
                        &format!("{path}.attributes"),
                        "an AGE parameter needs an attribute; add {\"name\": \"AGE\", \"operator\": \"BETWEEN\", \"operands\": [\"40\", \"65\"]}",
                    );
                    return None;
                };
                let apath = format!("{path}.attributes[0]");
                let at = match a.name.as_deref() {
                    Some("AGE") => Some(AgeAt::Today),
                    Some("AGE_AT_CDR") => Some(AgeAt::Cdr),
                    Some("AGE_AT_CONSENT") => Some(AgeAt::Consent),
                    other => {
                        self.unknown_attribute(other, &apath, "AGE takes AGE, AGE_AT_CDR or AGE_AT_CONSENT");
                        None
                    }
                };
                let cmp = self.compare(a.operator.as_deref(), &a.operands, &apath, Kind::Number);
                Some(Criterion::Person(PersonCriterion::Age(vec![(at?, cmp?)])))
            }
            Some("GENDER") => demographic(self, PersonCriterion::Gender),
            Some("SEX") => demographic(self, PersonCriterion::Sex),
            Some("RACE") => demographic(self, PersonCriterion::Race),
            Some("ETHNICITY") => demographic(self, PersonCriterion::Ethnicity),
            Some("DECEASED") => {
                self.no_attributes(p, path, "DECEASED");
                Some(Criterion::Person(PersonCriterion::Deceased))
            }
            Some("HAS_EHR_DATA") => Some(Criterion::Person(PersonCriterion::Flag(Flag::Ehr))),
            Some("SELF_REPORTED_CATEGORY") => {
                self.err(
                    &format!("{path}.type"),
                    "SELF_REPORTED_CATEGORY reads person.self_reported_category_concept_id, which OMOP does not define: cohortlens cannot evaluate it; use RACE or ETHNICITY",
                );
                None
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

/// `ids` sorted, each once.
fn sorted(mut ids: Vec<i32>) -> Vec<i32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}
