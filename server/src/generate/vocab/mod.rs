//! The generator's vocabulary: every concept it can emit (conditions with their ICD10CM source
//! codes, drugs from ATC class down to clinical drug, labs, All of Us physical measurements and
//! survey questions/answers, procedures, devices, demographics, units, type concepts) and the
//! hierarchy between them, from which `concept`, `concept_ancestor` and `concept_relationship`
//! are built. One file per
//! family (`demographics`, `conditions`, `drugs`, `measurements`, `surveys`, `procedures`); this
//! one assembles them.
//!
//! Concept ids are the real OMOP ids where they are well known. Where they are not, the concept
//! gets an id in the synthetic range 2,100,001,000–2,100,799,999 (above every Athena id the
//! generator uses, below `i32::MAX`) with its real code (ICD10CM, CPT4, HCPCS, ATC, LOINC) as
//! `concept_code`, so a reader can still tell what it stands for.

mod conditions;
mod demographics;
mod drugs;
mod measurements;
mod procedures;
mod surveys;

use std::collections::BTreeMap;

use cohortlens::cdm::concepts::{DIASTOLIC, SYSTOLIC};

/// First id of synthetic ICD10CM codes.
const ICD_BASE: i32 = 2_100_001_000;
/// First id of synthetic ICD10CM categories (three-character codes).
const ICD_CATEGORY_BASE: i32 = 2_100_001_500;
/// First id of synthetic ATC classes.
const ATC_BASE: i32 = 2_100_200_000;

/// One row of the `concept` table.
#[derive(Clone, Debug)]
pub(super) struct Concept {
    pub id: i32,
    pub name: String,
    pub domain: &'static str,
    pub vocabulary: &'static str,
    pub class: &'static str,
    pub standard: Option<&'static str>,
    pub code: String,
}

/// One row of the `concept_ancestor` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ancestor {
    pub ancestor: i32,
    pub descendant: i32,
    pub min_levels: i32,
    pub max_levels: i32,
}

/// A concept defined only for the hierarchy or for one column (groups, demographics, units…).
pub(super) struct Node {
    pub id: i32,
    pub name: &'static str,
    pub domain: &'static str,
    pub vocabulary: &'static str,
    pub class: &'static str,
    pub standard: Option<&'static str>,
    pub code: &'static str,
    /// Direct parents in `concept_ancestor`.
    pub parents: &'static [i32],
}

const fn node(
    id: i32,
    name: &'static str,
    domain: &'static str,
    vocabulary: &'static str,
    class: &'static str,
    code: &'static str,
    parents: &'static [i32],
) -> Node {
    Node { id, name, domain, vocabulary, class, standard: Some("S"), code, parents }
}

pub(super) use conditions::*;
pub(super) use demographics::*;
pub(super) use drugs::*;
pub(super) use measurements::*;
pub(super) use procedures::*;
pub(super) use surveys::*;

/// The whole vocabulary: concepts in a fixed order and direct parent → child edges.
pub(super) struct Vocabulary {
    pub concepts: Vec<Concept>,
    pub edges: Vec<(i32, i32)>,
}

impl Vocabulary {
    fn add(&mut self, c: Concept, parents: &[i32]) {
        for &p in parents {
            self.edges.push((p, c.id));
        }
        self.concepts.push(c);
    }

    fn add_node(&mut self, n: &Node) {
        let c = Concept {
            id: n.id,
            name: n.name.to_owned(),
            domain: n.domain,
            vocabulary: n.vocabulary,
            class: n.class,
            standard: n.standard,
            code: n.code.to_owned(),
        };
        self.add(c, n.parents);
    }

    /// Adds a standard concept; `kind` is (domain, vocabulary, concept class).
    fn add_simple(
        &mut self,
        id: i32,
        name: &str,
        kind: (&'static str, &'static str, &'static str),
        code: &str,
        parents: &[i32],
    ) {
        let (domain, vocabulary, class) = kind;
        let c = Concept {
            id,
            name: name.to_owned(),
            domain,
            vocabulary,
            class,
            standard: Some("S"),
            code: code.to_owned(),
        };
        self.add(c, parents);
    }
}

fn icd_class(code: &str, has_children: bool) -> &'static str {
    match code.chars().filter(|c| c.is_ascii_alphanumeric()).count() {
        3 if has_children => "3-char nonbill code",
        3 => "3-char billing code",
        4 => "4-char billing code",
        5 => "5-char billing code",
        6 => "6-char billing code",
        _ => "7-char billing code",
    }
}

/// Builds every concept and hierarchy edge the generator can emit.
pub(super) fn build() -> Vocabulary {
    let mut v = Vocabulary { concepts: Vec::new(), edges: Vec::new() };
    for n in DEMOGRAPHIC_NODES {
        v.add_node(n);
    }
    for u in UNITS {
        v.add_simple(u.id, u.name, ("Unit", "UCUM", "Unit"), u.code, &[]);
    }

    // Conditions and their ICD10CM source codes.
    for n in CONDITION_GROUPS {
        v.add_node(n);
    }
    for (i, &(code, name)) in ICD_CATEGORIES.iter().enumerate() {
        let c = Concept {
            id: ICD_CATEGORY_BASE + i as i32,
            name: name.to_owned(),
            domain: "Condition",
            vocabulary: "ICD10CM",
            class: icd_class(code, true),
            standard: None,
            code: code.to_owned(),
        };
        v.add(c, &[]);
    }
    for c in &CONDITIONS {
        v.add_simple(c.id, c.name, ("Condition", "SNOMED", "Disorder"), c.snomed, c.parents);
        for s in c.icd {
            let category = s.code.split_once('.').map(|(cat, _)| cat);
            let parent = category.and_then(|cat| ICD_CATEGORIES.iter().position(|&(k, _)| k == cat));
            let parents: Vec<i32> = parent.map(|i| ICD_CATEGORY_BASE + i as i32).into_iter().collect();
            let concept = Concept {
                id: s.id,
                name: s.name.to_owned(),
                domain: "Condition",
                vocabulary: "ICD10CM",
                class: icd_class(s.code, false),
                standard: None,
                code: s.code.to_owned(),
            };
            v.add(concept, &parents);
        }
    }

    // Drugs.
    let atc =
        |v: &mut Vocabulary, offset: i32, code: &str, name: &str, class: &'static str, parents: &[i32]| {
            let c = Concept {
                id: ATC_BASE + offset,
                name: name.to_owned(),
                domain: "Drug",
                vocabulary: "ATC",
                class,
                standard: Some("C"),
                code: code.to_owned(),
            };
            v.add(c, parents);
            ATC_BASE + offset
        };
    for (i, &(code, name)) in ATC_FIRST.iter().enumerate() {
        atc(&mut v, i as i32, code, name, "ATC 1st", &[]);
    }
    for (i, &(code, name)) in ATC_SECOND.iter().enumerate() {
        let first = ATC_FIRST
            .iter()
            .position(|&(k, _)| code.starts_with(k))
            .expect("every ATC 2nd class has a 1st class");
        atc(&mut v, 100 + i as i32, code, name, "ATC 2nd", &[ATC_BASE + first as i32]);
    }
    for (i, ingredient) in INGREDIENTS.iter().enumerate() {
        let second = ATC_SECOND
            .iter()
            .position(|&(k, _)| ingredient.atc.starts_with(k))
            .expect("every ingredient's ATC code has a 2nd-level class");
        let fifth = atc(
            &mut v,
            1000 + i as i32,
            ingredient.atc,
            ingredient.name,
            "ATC 5th",
            &[ATC_BASE + 100 + second as i32],
        );
        v.add_simple(
            ingredient.id,
            ingredient.name,
            ("Drug", "RxNorm", "Ingredient"),
            ingredient.rxcui,
            &[fifth],
        );
        for d in ingredient.drugs {
            v.add_simple(
                d.id,
                d.name,
                ("Drug", "RxNorm", "Clinical Drug"),
                &d.id.to_string(),
                &[ingredient.id],
            );
        }
    }

    // Measurements.
    for n in LAB_GROUPS {
        v.add_node(n);
    }
    for l in LABS {
        let parents: &[i32] = if l.group == 0 { &[] } else { std::slice::from_ref(&l.group) };
        let class = if l.group == VITALS { "Clinical Observation" } else { "Lab Test" };
        v.add_simple(l.id, l.name, ("Measurement", "LOINC", class), l.code, parents);
    }
    for l in PHYSICAL_MEASUREMENTS {
        v.add_simple(l.id, l.name, ("Measurement", "PPI", "Clinical Observation"), l.code, &[]);
    }

    // Surveys: module → question; answers stand alone.
    let mut answers_seen = std::collections::BTreeSet::new();
    let mut add_answer = |v: &mut Vocabulary, ans: &Answer| {
        if answers_seen.insert(ans.id) {
            v.add_simple(ans.id, ans.name, ("Observation", "PPI", "Answer"), ans.code, &[]);
        }
    };
    add_answer(&mut v, &ANSWER_SKIP);
    add_answer(&mut v, &ANSWER_PREFER_NOT);
    for s in SURVEYS {
        v.add_simple(s.id, s.name, ("Observation", "PPI", "Module"), s.code, &[]);
        for q in s.questions {
            v.add_simple(q.id, q.name, ("Observation", "PPI", "Question"), q.code, &[s.id]);
            for ans in q.answers {
                add_answer(&mut v, ans);
            }
        }
    }
    for (id, name) in COPE_VERSIONS {
        v.add_simple(id, name, ("Observation", "PPI", "Survey Version"), &id.to_string(), &[]);
    }
    v.add_simple(Q_PII_STATE.id, Q_PII_STATE.name, ("Observation", "PPI", "Question"), Q_PII_STATE.code, &[]);
    for ans in Q_PII_STATE.answers {
        add_answer(&mut v, ans);
    }
    v.add_simple(
        TOBACCO_STATUS.id,
        TOBACCO_STATUS.name,
        ("Observation", "LOINC", "Clinical Observation"),
        TOBACCO_STATUS.code,
        &[],
    );
    for ans in TOBACCO_STATUS.answers {
        v.add_simple(ans.id, ans.name, ("Meas Value", "LOINC", "Answer"), ans.code, &[]);
    }

    // Procedures and devices.
    for n in PROCEDURE_GROUPS {
        v.add_node(n);
    }
    for p in PROCEDURES {
        v.add_simple(p.id, p.name, ("Procedure", "CPT4", "CPT4"), p.code, &[p.parent]);
    }
    for d in DEVICES {
        v.add_simple(d.id, d.name, ("Device", "HCPCS", "HCPCS"), d.code, &[d.parent]);
    }
    v
}

/// The `Maps to` rows of `concept_relationship` as (from, to): every standard concept to itself,
/// every ICD10CM code to its condition (the OMOP convention, and how the event rows are coded).
pub(super) fn maps_to(v: &Vocabulary) -> Vec<(i32, i32)> {
    let mut rows: Vec<(i32, i32)> =
        v.concepts.iter().filter(|c| c.standard == Some("S")).map(|c| (c.id, c.id)).collect();
    rows.extend(CONDITIONS.iter().flat_map(|c| c.icd.iter().map(move |s| (s.id, c.id))));
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// The transitive closure of the hierarchy: a self row for every standard or classification
/// concept and every concept in the hierarchy, then every ancestor with the fewest and most
/// levels between the two. Sorted by (ancestor, descendant).
pub(super) fn ancestors(v: &Vocabulary) -> Vec<Ancestor> {
    let mut parents: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for &(p, c) in &v.edges {
        parents.entry(c).or_default().push(p);
        parents.entry(p).or_default();
    }
    for c in &v.concepts {
        if c.standard.is_some() {
            parents.entry(c.id).or_default();
        }
    }
    // Ancestors of each node with (min, max) levels, memoised; the hierarchy is a DAG.
    fn up(
        id: i32,
        parents: &BTreeMap<i32, Vec<i32>>,
        memo: &mut BTreeMap<i32, BTreeMap<i32, (i32, i32)>>,
    ) -> BTreeMap<i32, (i32, i32)> {
        if let Some(m) = memo.get(&id) {
            return m.clone();
        }
        let mut result = BTreeMap::from([(id, (0, 0))]);
        for &p in parents.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
            for (a, (mn, mx)) in up(p, parents, memo) {
                let e = result.entry(a).or_insert((mn + 1, mx + 1));
                e.0 = e.0.min(mn + 1);
                e.1 = e.1.max(mx + 1);
            }
        }
        memo.insert(id, result.clone());
        result
    }
    let mut memo = BTreeMap::new();
    let mut rows = Vec::new();
    for &id in parents.keys() {
        for (a, (mn, mx)) in up(id, &parents, &mut memo) {
            rows.push(Ancestor { ancestor: a, descendant: id, min_levels: mn, max_levels: mx });
        }
    }
    rows.sort_by_key(|r| (r.ancestor, r.descendant));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_index_their_tables() {
        for (i, c) in Cond::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i);
        }
        assert_eq!(Cond::ALL.len(), CONDITIONS.len());
        assert_eq!(Ing::Azithromycin as usize + 1, INGREDIENTS.len());
        assert!(INGREDIENTS.len() <= 64, "ingredient sets are kept in a u64");
        assert_eq!(Cond::T2dm.def().id, 201826);
        assert_eq!(Ing::Metformin.def().id, 1503297);
        assert_eq!(Ing::Levothyroxine.def().id, 1501700);
    }

    #[test]
    fn concept_ids_are_unique() {
        let v = build();
        let mut ids: Vec<i32> = v.concepts.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate concept id");
        for (p, c) in &v.edges {
            assert!(ids.binary_search(p).is_ok(), "edge parent {p} is not a concept");
            assert!(ids.binary_search(c).is_ok(), "edge child {c} is not a concept");
        }
    }

    #[test]
    fn hierarchy_has_real_multi_level_paths() {
        let rows = ancestors(&build());
        let find = |a: i32, d: i32| rows.iter().find(|r| r.ancestor == a && r.descendant == d).copied();
        let t2dm = find(groups::ENDOCRINE, 201826).expect("endocrine above T2DM");
        assert_eq!((t2dm.min_levels, t2dm.max_levels), (2, 2));
        // Diabetes sits under both endocrine and metabolic disease; Disease is 3 levels above
        // T2DM either way, Clinical finding 4.
        let top = find(groups::CLINICAL_FINDING, 201826).expect("clinical finding above T2DM");
        assert_eq!((top.min_levels, top.max_levels), (4, 4));
        let af = find(groups::CARDIOVASCULAR, 313217).expect("cardiovascular above AF");
        assert_eq!(af.min_levels, 3);
        let metformin_drug = find(ATC_BASE, 2_100_100_001).expect("ATC A above metformin tablets");
        assert_eq!(metformin_drug.min_levels, 4);
        assert!(find(1586134, 1585838).is_some(), "The Basics above its gender question");
        assert!(find(ICD_CATEGORY_BASE + 1, ICD_BASE + 2).is_some(), "E11 above E11.9");
    }
}
