//! The generator's vocabulary: every concept it can emit (conditions with their ICD10CM source
//! codes, drugs from ATC class down to clinical drug, labs, All of Us physical measurements and
//! survey questions/answers, procedures, devices, demographics, units, type concepts) and the
//! hierarchy between them, from which `concept` and `concept_ancestor` are built.
//!
//! Concept ids are the real OMOP ids where they are well known. Where they are not, the concept
//! gets an id in the synthetic range 2,100,001,000–2,100,799,999 (above every Athena id the
//! generator uses, below `i32::MAX`) with its real code (ICD10CM, CPT4, HCPCS, ATC, LOINC) as
//! `concept_code`, so a reader can still tell what it stands for.

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

// ---------------------------------------------------------------------------------------------
// Demographics, visits, types, units, answers of the Meas Value domain.

/// `0`, "No matching concept".
pub(super) const NO_MATCHING: i32 = 0;
/// Gender MALE.
pub(super) const MALE: i32 = 8507;
/// Gender FEMALE.
pub(super) const FEMALE: i32 = 8532;
/// Sex at birth "Male" (LOINC answer, as All of Us stores it in `person`).
pub(super) const SEX_MALE: i32 = 45880669;
/// Sex at birth "Female".
pub(super) const SEX_FEMALE: i32 = 45878463;
/// Sex at birth "Intersex" (PPI answer SexAtBirth_Intersex).
pub(super) const SEX_INTERSEX: i32 = 1585848;
/// Race White.
pub(super) const WHITE: i32 = 8527;
/// Race Black or African American.
pub(super) const BLACK: i32 = 8516;
/// Race Asian.
pub(super) const ASIAN: i32 = 8515;
/// Race Native Hawaiian or Other Pacific Islander.
pub(super) const NHPI: i32 = 8557;
/// Race American Indian or Alaska Native.
pub(super) const AIAN: i32 = 8657;
/// All of Us "More than one population".
pub(super) const MORE_THAN_ONE: i32 = 2000000008;
/// All of Us "I prefer not to answer" (person race/ethnicity).
pub(super) const PREFER_NOT: i32 = 1177221;
/// PPI "PMI: Skip".
pub(super) const SKIP: i32 = 903096;
/// PPI "PMI: Prefer Not To Answer" (survey answer).
pub(super) const PMI_PREFER_NOT: i32 = 903079;
/// All of Us "None Indicated" (race).
pub(super) const NONE_INDICATED: i32 = 45882607;
/// Ethnicity Hispanic or Latino.
pub(super) const HISPANIC: i32 = 38003563;
/// Ethnicity Not Hispanic or Latino.
pub(super) const NOT_HISPANIC: i32 = 38003564;
/// Inpatient Visit.
pub(super) const INPATIENT: i32 = 9201;
/// Outpatient Visit.
pub(super) const OUTPATIENT: i32 = 9202;
/// Emergency Room Visit.
pub(super) const EMERGENCY: i32 = 9203;
/// Type concept "EHR".
pub(super) const EHR: i32 = 32817;
pub(super) use cohortlens::cdm::concepts::{PHYSICAL_EXAM, SURVEY_TYPE};
/// LOINC answer "Positive".
pub(super) const POSITIVE: i32 = 45884084;
/// LOINC answer "Negative".
pub(super) const NEGATIVE: i32 = 45878583;
/// Route "Oral".
pub(super) const ORAL: i32 = 4132161;
/// Route "Subcutaneous".
pub(super) const SUBCUTANEOUS: i32 = 4142048;

const DEMOGRAPHIC_NODES: &[Node] = &[
    Node {
        id: NO_MATCHING,
        name: "No matching concept",
        domain: "Metadata",
        vocabulary: "None",
        class: "Undefined",
        standard: None,
        code: "No matching concept",
        parents: &[],
    },
    node(MALE, "MALE", "Gender", "Gender", "Gender", "M", &[]),
    node(FEMALE, "FEMALE", "Gender", "Gender", "Gender", "F", &[]),
    node(SEX_MALE, "Male", "Meas Value", "LOINC", "Answer", "LA2-8", &[]),
    node(SEX_FEMALE, "Female", "Meas Value", "LOINC", "Answer", "LA3-6", &[]),
    node(WHITE, "White", "Race", "Race", "Race", "5", &[]),
    node(BLACK, "Black or African American", "Race", "Race", "Race", "3", &[]),
    node(ASIAN, "Asian", "Race", "Race", "Race", "2", &[]),
    node(NHPI, "Native Hawaiian or Other Pacific Islander", "Race", "Race", "Race", "4", &[]),
    node(AIAN, "American Indian or Alaska Native", "Race", "Race", "Race", "1", &[]),
    node(
        MORE_THAN_ONE,
        "More than one population",
        "Race",
        "PPI",
        "Answer",
        "WhatRaceEthnicity_GeneralizedMultPopulations",
        &[],
    ),
    node(PREFER_NOT, "I prefer not to answer", "Observation", "PPI", "Answer", "PreferNotToAnswer", &[]),
    node(NONE_INDICATED, "None Indicated", "Observation", "PPI", "Answer", "AoUDRC_NoneIndicated", &[]),
    node(HISPANIC, "Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity", "Hispanic", &[]),
    node(NOT_HISPANIC, "Not Hispanic or Latino", "Ethnicity", "Ethnicity", "Ethnicity", "Not Hispanic", &[]),
    node(INPATIENT, "Inpatient Visit", "Visit", "Visit", "Visit", "IP", &[]),
    node(OUTPATIENT, "Outpatient Visit", "Visit", "Visit", "Visit", "OP", &[]),
    node(EMERGENCY, "Emergency Room Visit", "Visit", "Visit", "Visit", "ER", &[]),
    node(EHR, "EHR", "Type Concept", "Type Concept", "Type Concept", "OMOP4976890", &[]),
    node(
        PHYSICAL_EXAM,
        "From physical examination",
        "Type Concept",
        "Meas Type",
        "Meas Type",
        "OMOP generated",
        &[],
    ),
    node(
        SURVEY_TYPE,
        "Observation Recorded from a Survey",
        "Type Concept",
        "Observation Type",
        "Observation Type",
        "OMOP generated",
        &[],
    ),
    node(POSITIVE, "Positive", "Meas Value", "LOINC", "Answer", "LA6576-8", &[]),
    node(NEGATIVE, "Negative", "Meas Value", "LOINC", "Answer", "LA6577-6", &[]),
    node(ORAL, "Oral", "Route", "SNOMED", "Qualifier Value", "26643006", &[]),
    node(SUBCUTANEOUS, "Subcutaneous", "Route", "SNOMED", "Qualifier Value", "34206005", &[]),
];

/// A unit of measure (UCUM).
#[derive(Clone, Copy, Debug)]
pub(super) struct Unit {
    pub id: i32,
    pub name: &'static str,
    pub code: &'static str,
}

/// %.
pub(super) const PERCENT: Unit = Unit { id: 8554, name: "percent", code: "%" };
/// mg/dL.
pub(super) const MG_DL: Unit = Unit { id: 8840, name: "milligram per deciliter", code: "mg/dL" };
/// g/dL.
pub(super) const G_DL: Unit = Unit { id: 8713, name: "gram per deciliter", code: "g/dL" };
/// mmol/L.
pub(super) const MMOL_L: Unit = Unit { id: 8753, name: "millimole per liter", code: "mmol/L" };
/// cm.
pub(super) const CM: Unit = Unit { id: 8582, name: "centimeter", code: "cm" };
/// kg.
pub(super) const KG: Unit = Unit { id: 9529, name: "kilogram", code: "kg" };
/// kg/m2.
pub(super) const KG_M2: Unit = Unit { id: 9531, name: "kilogram per square meter", code: "kg/m2" };
/// mmHg.
pub(super) const MM_HG: Unit = Unit { id: 8876, name: "millimeter mercury column", code: "mm[Hg]" };
/// Beats per minute.
pub(super) const PER_MIN: Unit = Unit { id: 8541, name: "per minute", code: "/min" };
/// U/L.
pub(super) const U_L: Unit = Unit { id: 8645, name: "unit per liter", code: "U/L" };

const UNITS: &[Unit] = &[PERCENT, MG_DL, G_DL, MMOL_L, CM, KG, KG_M2, MM_HG, PER_MIN, U_L];

// ---------------------------------------------------------------------------------------------
// Conditions.

/// SNOMED grouping concepts above the generated conditions.
mod groups {
    pub const CLINICAL_FINDING: i32 = 441840;
    pub const DISEASE: i32 = 4274025;
    pub const CARDIOVASCULAR: i32 = 134057;
    pub const HEART_DISEASE: i32 = 321588;
    pub const ISCHEMIC_HEART: i32 = 4185932;
    pub const ARRHYTHMIA: i32 = 44784217;
    pub const HYPERTENSIVE: i32 = 316866;
    pub const CEREBROVASCULAR: i32 = 381591;
    pub const ENDOCRINE: i32 = 31821;
    pub const DIABETES: i32 = 201820;
    pub const METABOLIC: i32 = 436670;
    pub const RESPIRATORY: i32 = 320136;
    pub const MENTAL: i32 = 432586;
    pub const MALIGNANT: i32 = 443392;
    pub const KIDNEY: i32 = 198124;
    pub const NERVOUS: i32 = 376337;
    pub const DIGESTIVE: i32 = 2_100_600_001;
    pub const MUSCULOSKELETAL: i32 = 2_100_600_002;
    pub const HEMATOPOIETIC: i32 = 2_100_600_003;
}

const fn disorder(id: i32, name: &'static str, code: &'static str, parents: &'static [i32]) -> Node {
    node(id, name, "Condition", "SNOMED", "Disorder", code, parents)
}

const CONDITION_GROUPS: &[Node] = {
    use groups::*;
    &[
        node(
            CLINICAL_FINDING,
            "Clinical finding",
            "Condition",
            "SNOMED",
            "Clinical Finding",
            "404684003",
            &[],
        ),
        disorder(DISEASE, "Disease", "64572001", &[CLINICAL_FINDING]),
        disorder(CARDIOVASCULAR, "Disorder of cardiovascular system", "49601007", &[DISEASE]),
        disorder(HEART_DISEASE, "Heart disease", "56265001", &[CARDIOVASCULAR]),
        disorder(ISCHEMIC_HEART, "Ischemic heart disease", "414545008", &[HEART_DISEASE]),
        disorder(ARRHYTHMIA, "Cardiac arrhythmia", "698247007", &[HEART_DISEASE]),
        disorder(HYPERTENSIVE, "Hypertensive disorder", "38341003", &[CARDIOVASCULAR]),
        disorder(CEREBROVASCULAR, "Cerebrovascular disease", "62914000", &[CARDIOVASCULAR]),
        disorder(ENDOCRINE, "Disorder of endocrine system", "362969004", &[DISEASE]),
        disorder(METABOLIC, "Metabolic disease", "75934005", &[DISEASE]),
        disorder(DIABETES, "Diabetes mellitus", "73211009", &[ENDOCRINE, METABOLIC]),
        disorder(RESPIRATORY, "Disorder of respiratory system", "50043002", &[DISEASE]),
        disorder(MENTAL, "Mental disorder", "74732009", &[DISEASE]),
        disorder(MALIGNANT, "Malignant neoplastic disease", "363346000", &[DISEASE]),
        disorder(KIDNEY, "Kidney disease", "90708001", &[DISEASE]),
        disorder(NERVOUS, "Disorder of nervous system", "118940003", &[DISEASE]),
        disorder(DIGESTIVE, "Disorder of digestive system", "53619000", &[DISEASE]),
        disorder(MUSCULOSKELETAL, "Disorder of musculoskeletal system", "928000", &[DISEASE]),
        disorder(HEMATOPOIETIC, "Disorder of hematopoietic structure", "414022008", &[DISEASE]),
    ]
};

/// An ICD10CM source code of a condition.
pub(super) struct Icd {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
}

/// How a condition shows up in the record over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Course {
    /// Coded again at a share of later visits (the share is `recur`).
    Chronic,
    /// One event (ER or inpatient), then a few follow-up visits.
    Acute,
}

/// A condition the generator can give a person.
pub(super) struct ConditionDef {
    pub id: i32,
    pub name: &'static str,
    pub snomed: &'static str,
    pub parents: &'static [i32],
    /// Source codes; the first is the most frequent.
    pub icd: &'static [Icd],
    pub course: Course,
    /// Probability that a later visit codes the condition again.
    pub recur: f64,
    /// Drugs started for it, each with the probability that a patient gets it.
    pub drugs: &'static [(Ing, f64)],
}

/// The generated conditions, in the order their risks are drawn (causes before effects).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cond {
    Obesity,
    T2dm,
    T1dm,
    Hypertension,
    Hyperlipidemia,
    Hypercholesterolemia,
    Hypothyroidism,
    Asthma,
    Copd,
    AllergicRhinitis,
    SleepApnea,
    Depression,
    Anxiety,
    Migraine,
    AtrialFibrillation,
    CoronaryArteriosclerosis,
    MyocardialInfarction,
    HeartFailure,
    Stroke,
    Ckd,
    Anemia,
    Gerd,
    GiHemorrhage,
    Osteoarthritis,
    Osteoporosis,
    BreastCancer,
    ProstateCancer,
    ColonCancer,
}

impl Cond {
    /// Every condition, in `Cond` order.
    pub const ALL: [Cond; 28] = [
        Cond::Obesity,
        Cond::T2dm,
        Cond::T1dm,
        Cond::Hypertension,
        Cond::Hyperlipidemia,
        Cond::Hypercholesterolemia,
        Cond::Hypothyroidism,
        Cond::Asthma,
        Cond::Copd,
        Cond::AllergicRhinitis,
        Cond::SleepApnea,
        Cond::Depression,
        Cond::Anxiety,
        Cond::Migraine,
        Cond::AtrialFibrillation,
        Cond::CoronaryArteriosclerosis,
        Cond::MyocardialInfarction,
        Cond::HeartFailure,
        Cond::Stroke,
        Cond::Ckd,
        Cond::Anemia,
        Cond::Gerd,
        Cond::GiHemorrhage,
        Cond::Osteoarthritis,
        Cond::Osteoporosis,
        Cond::BreastCancer,
        Cond::ProstateCancer,
        Cond::ColonCancer,
    ];

    /// Its definition.
    pub fn def(self) -> &'static ConditionDef {
        &CONDITIONS[self as usize]
    }
}

const fn icd(n: i32, code: &'static str, name: &'static str) -> Icd {
    Icd { id: ICD_BASE + n, code, name }
}

const fn chronic(
    id: i32,
    name: &'static str,
    snomed: &'static str,
    parents: &'static [i32],
    icd: &'static [Icd],
    recur: f64,
    drugs: &'static [(Ing, f64)],
) -> ConditionDef {
    ConditionDef { id, name, snomed, parents, icd, course: Course::Chronic, recur, drugs }
}

const fn acute(
    id: i32,
    name: &'static str,
    snomed: &'static str,
    parents: &'static [i32],
    icd: &'static [Icd],
    drugs: &'static [(Ing, f64)],
) -> ConditionDef {
    ConditionDef { id, name, snomed, parents, icd, course: Course::Acute, recur: 0.0, drugs }
}

/// Condition definitions, indexed by `Cond`.
static CONDITIONS: [ConditionDef; 28] = {
    use Ing::*;
    use groups::*;
    [
        chronic(
            433736,
            "Obesity",
            "414916001",
            &[METABOLIC],
            &[icd(1, "E66.9", "Obesity, unspecified")],
            0.3,
            &[(Semaglutide, 0.05)],
        ),
        chronic(
            201826,
            "Type 2 diabetes mellitus",
            "44054006",
            &[DIABETES],
            &[
                icd(2, "E11.9", "Type 2 diabetes mellitus without complications"),
                icd(3, "E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
            ],
            0.6,
            &[
                (Metformin, 0.8),
                (Glipizide, 0.15),
                (InsulinGlargine, 0.2),
                (Empagliflozin, 0.1),
                (Semaglutide, 0.1),
                (Gabapentin, 0.06),
            ],
        ),
        chronic(
            201254,
            "Type 1 diabetes mellitus",
            "46635009",
            &[DIABETES],
            &[icd(4, "E10.9", "Type 1 diabetes mellitus without complications")],
            0.6,
            &[(InsulinGlargine, 1.0)],
        ),
        chronic(
            320128,
            "Essential hypertension",
            "59621000",
            &[HYPERTENSIVE],
            &[icd(5, "I10", "Essential (primary) hypertension")],
            0.55,
            &[
                (Lisinopril, 0.45),
                (Amlodipine, 0.35),
                (Hydrochlorothiazide, 0.25),
                (Losartan, 0.2),
                (Metoprolol, 0.1),
            ],
        ),
        chronic(
            432867,
            "Hyperlipidemia",
            "55822004",
            &[METABOLIC],
            &[icd(6, "E78.5", "Hyperlipidemia, unspecified")],
            0.45,
            &[(Atorvastatin, 0.5), (Simvastatin, 0.2), (Rosuvastatin, 0.15)],
        ),
        chronic(
            437827,
            "Pure hypercholesterolemia",
            "190774002",
            &[432867],
            &[icd(7, "E78.00", "Pure hypercholesterolemia, unspecified")],
            0.45,
            &[(Atorvastatin, 0.5), (Simvastatin, 0.2), (Rosuvastatin, 0.15)],
        ),
        chronic(
            140673,
            "Hypothyroidism",
            "40930008",
            &[ENDOCRINE],
            &[icd(8, "E03.9", "Hypothyroidism, unspecified")],
            0.45,
            &[(Levothyroxine, 0.9)],
        ),
        chronic(
            317009,
            "Asthma",
            "195967001",
            &[RESPIRATORY],
            &[icd(9, "J45.909", "Unspecified asthma, uncomplicated")],
            0.25,
            &[(Albuterol, 0.85), (Fluticasone, 0.4)],
        ),
        chronic(
            255573,
            "Chronic obstructive lung disease",
            "13645005",
            &[RESPIRATORY],
            &[icd(10, "J44.9", "Chronic obstructive pulmonary disease, unspecified")],
            0.5,
            &[(Albuterol, 0.9), (Tiotropium, 0.5)],
        ),
        chronic(
            257007,
            "Allergic rhinitis",
            "61582004",
            &[RESPIRATORY],
            &[icd(11, "J30.9", "Allergic rhinitis, unspecified")],
            0.15,
            &[(Cetirizine, 0.4), (Loratadine, 0.3), (Fluticasone, 0.2)],
        ),
        chronic(
            313459,
            "Sleep apnea",
            "73430006",
            &[RESPIRATORY, NERVOUS],
            &[icd(12, "G47.33", "Obstructive sleep apnea (adult) (pediatric)")],
            0.25,
            &[],
        ),
        chronic(
            440383,
            "Depressive disorder",
            "35489007",
            &[MENTAL],
            &[
                icd(13, "F32.A", "Depression, unspecified"),
                icd(14, "F32.9", "Major depressive disorder, single episode, unspecified"),
            ],
            0.35,
            &[(Sertraline, 0.35), (Fluoxetine, 0.2), (Escitalopram, 0.25), (Bupropion, 0.2)],
        ),
        chronic(
            441542,
            "Anxiety",
            "48694002",
            &[MENTAL],
            &[icd(15, "F41.9", "Anxiety disorder, unspecified")],
            0.3,
            &[(Escitalopram, 0.2), (Sertraline, 0.2), (Alprazolam, 0.15)],
        ),
        chronic(
            318736,
            "Migraine",
            "37796009",
            &[NERVOUS],
            &[icd(16, "G43.909", "Migraine, unspecified, not intractable, without status migrainosus")],
            0.15,
            &[(Sumatriptan, 0.6)],
        ),
        chronic(
            313217,
            "Atrial fibrillation",
            "49436004",
            &[ARRHYTHMIA],
            &[icd(17, "I48.91", "Unspecified atrial fibrillation")],
            0.5,
            &[(Warfarin, 0.35), (Apixaban, 0.4), (Metoprolol, 0.5)],
        ),
        chronic(
            317576,
            "Coronary arteriosclerosis",
            "53741008",
            &[ISCHEMIC_HEART],
            &[icd(
                18,
                "I25.10",
                "Atherosclerotic heart disease of native coronary artery without angina pectoris",
            )],
            0.5,
            &[(Aspirin, 0.7), (Atorvastatin, 0.6), (Metoprolol, 0.4), (Clopidogrel, 0.2)],
        ),
        acute(
            4329847,
            "Myocardial infarction",
            "22298006",
            &[ISCHEMIC_HEART],
            &[icd(19, "I21.9", "Acute myocardial infarction, unspecified")],
            &[(Aspirin, 0.9), (Clopidogrel, 0.6), (Metoprolol, 0.6)],
        ),
        chronic(
            316139,
            "Heart failure",
            "84114007",
            &[HEART_DISEASE],
            &[icd(20, "I50.9", "Heart failure, unspecified")],
            0.55,
            &[(Furosemide, 0.8), (Carvedilol, 0.4), (Metoprolol, 0.3), (Lisinopril, 0.3)],
        ),
        acute(
            381316,
            "Cerebrovascular accident",
            "230690007",
            &[CEREBROVASCULAR, NERVOUS],
            &[icd(21, "I63.9", "Cerebral infarction, unspecified")],
            &[(Aspirin, 0.6), (Clopidogrel, 0.4), (Atorvastatin, 0.5)],
        ),
        chronic(
            46271022,
            "Chronic kidney disease",
            "709044004",
            &[KIDNEY],
            &[
                icd(22, "N18.9", "Chronic kidney disease, unspecified"),
                icd(23, "N18.30", "Chronic kidney disease, stage 3 unspecified"),
            ],
            0.5,
            &[(Furosemide, 0.2), (Lisinopril, 0.2)],
        ),
        chronic(
            439777,
            "Anemia",
            "271737000",
            &[HEMATOPOIETIC],
            &[icd(24, "D64.9", "Anemia, unspecified")],
            0.2,
            &[(FerrousSulfate, 0.6)],
        ),
        chronic(
            318800,
            "Gastroesophageal reflux disease",
            "235595009",
            &[DIGESTIVE],
            &[icd(25, "K21.9", "Gastro-esophageal reflux disease without esophagitis")],
            0.25,
            &[(Omeprazole, 0.6), (Pantoprazole, 0.3)],
        ),
        acute(
            192671,
            "Gastrointestinal hemorrhage",
            "74474003",
            &[DIGESTIVE],
            &[icd(26, "K92.2", "Gastrointestinal hemorrhage, unspecified")],
            &[(Pantoprazole, 0.7)],
        ),
        chronic(
            80180,
            "Osteoarthritis",
            "396275006",
            &[MUSCULOSKELETAL],
            &[icd(27, "M19.90", "Unspecified osteoarthritis, unspecified site")],
            0.35,
            &[(Ibuprofen, 0.4), (Acetaminophen, 0.4)],
        ),
        chronic(
            80502,
            "Osteoporosis",
            "64859006",
            &[MUSCULOSKELETAL],
            &[icd(28, "M81.0", "Age-related osteoporosis without current pathological fracture")],
            0.3,
            &[(Alendronate, 0.6)],
        ),
        chronic(
            4112853,
            "Malignant tumor of breast",
            "254837009",
            &[MALIGNANT],
            &[icd(29, "C50.919", "Malignant neoplasm of unspecified site of unspecified female breast")],
            0.45,
            &[(Tamoxifen, 0.4), (Anastrozole, 0.4)],
        ),
        chronic(
            4163261,
            "Malignant tumor of prostate",
            "399068003",
            &[MALIGNANT],
            &[icd(30, "C61", "Malignant neoplasm of prostate")],
            0.45,
            &[(Leuprolide, 0.4), (Tamsulosin, 0.2)],
        ),
        chronic(
            4180790,
            "Malignant tumor of colon",
            "363406005",
            &[MALIGNANT, DIGESTIVE],
            &[icd(31, "C18.9", "Malignant neoplasm of colon, unspecified")],
            0.45,
            &[],
        ),
    ]
};

/// ICD10CM three-character categories above the dotted source codes.
const ICD_CATEGORIES: &[(&str, &str)] = &[
    ("E66", "Overweight and obesity"),
    ("E11", "Type 2 diabetes mellitus"),
    ("E10", "Type 1 diabetes mellitus"),
    ("E78", "Disorders of lipoprotein metabolism and other lipidemias"),
    ("E03", "Other hypothyroidism"),
    ("J45", "Asthma"),
    ("J44", "Other chronic obstructive pulmonary disease"),
    ("J30", "Vasomotor and allergic rhinitis"),
    ("G47", "Sleep disorders"),
    ("F32", "Depressive episode"),
    ("F41", "Other anxiety disorders"),
    ("G43", "Migraine"),
    ("I48", "Atrial fibrillation and flutter"),
    ("I25", "Chronic ischemic heart disease"),
    ("I21", "Acute myocardial infarction"),
    ("I50", "Heart failure"),
    ("I63", "Cerebral infarction"),
    ("N18", "Chronic kidney disease (CKD)"),
    ("D64", "Other anemias"),
    ("K21", "Gastro-esophageal reflux disease"),
    ("K92", "Other diseases of digestive system"),
    ("M19", "Other and unspecified osteoarthritis"),
    ("M81", "Osteoporosis without current pathological fracture"),
    ("C50", "Malignant neoplasm of breast"),
    ("C18", "Malignant neoplasm of colon"),
];

// ---------------------------------------------------------------------------------------------
// Drugs: ATC 1st → ATC 2nd → ATC 5th → RxNorm ingredient → clinical drug.

/// A drug product as prescribed.
pub(super) struct ClinicalDrug {
    pub id: i32,
    pub name: &'static str,
    /// Units taken per day (tablets, actuations are counted per package: see `package`).
    pub per_day: f64,
    /// When set, one dispensed package (inhaler, pen box, injection) lasts `days` days.
    pub package: Option<f64>,
    /// Usual days of supply per prescription.
    pub days: &'static [i32],
    pub route: Option<i32>,
    pub sig: &'static str,
}

/// An RxNorm ingredient with its ATC class and products.
pub(super) struct IngredientDef {
    pub id: i32,
    pub name: &'static str,
    pub rxcui: &'static str,
    pub atc: &'static str,
    pub drugs: &'static [ClinicalDrug],
}

/// The generated ingredients (indexes into the ingredient table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ing {
    Metformin,
    Glipizide,
    InsulinGlargine,
    Empagliflozin,
    Semaglutide,
    Atorvastatin,
    Simvastatin,
    Rosuvastatin,
    Lisinopril,
    Losartan,
    Amlodipine,
    Hydrochlorothiazide,
    Furosemide,
    Metoprolol,
    Carvedilol,
    Levothyroxine,
    Albuterol,
    Fluticasone,
    Tiotropium,
    Sertraline,
    Fluoxetine,
    Escitalopram,
    Bupropion,
    Alprazolam,
    Warfarin,
    Apixaban,
    Aspirin,
    Clopidogrel,
    Omeprazole,
    Pantoprazole,
    Alendronate,
    Sumatriptan,
    Acetaminophen,
    Ibuprofen,
    Cetirizine,
    Loratadine,
    Tamoxifen,
    Anastrozole,
    Leuprolide,
    Tamsulosin,
    Gabapentin,
    FerrousSulfate,
    Amoxicillin,
    Azithromycin,
}

impl Ing {
    /// Its definition.
    pub fn def(self) -> &'static IngredientDef {
        &INGREDIENTS[self as usize]
    }

    /// Whether it lowers LDL cholesterol (a statin).
    pub fn is_statin(self) -> bool {
        matches!(self, Ing::Atorvastatin | Ing::Simvastatin | Ing::Rosuvastatin)
    }
}

const DAILY: &str = "Take 1 tablet by mouth once daily";
const TWICE: &str = "Take 1 tablet by mouth twice daily";

const fn tablet(id: i32, name: &'static str, per_day: f64, sig: &'static str) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day, package: None, days: &[30, 90], route: Some(ORAL), sig }
}

const fn course(
    id: i32,
    name: &'static str,
    per_day: f64,
    days: &'static [i32],
    sig: &'static str,
) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day, package: None, days, route: Some(ORAL), sig }
}

const fn package(
    id: i32,
    name: &'static str,
    lasts: f64,
    route: Option<i32>,
    sig: &'static str,
) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day: 0.0, package: Some(lasts), days: &[30, 90], route, sig }
}

const fn ing(
    id: i32,
    name: &'static str,
    rxcui: &'static str,
    atc: &'static str,
    drugs: &'static [ClinicalDrug],
) -> IngredientDef {
    IngredientDef { id, name, rxcui, atc, drugs }
}

/// Ingredient definitions, indexed by `Ing`. Clinical drug ids are synthetic (2,100,100,001…).
static INGREDIENTS: [IngredientDef; 44] = [
    ing(
        1503297,
        "metformin",
        "6809",
        "A10BA02",
        &[
            tablet(2_100_100_001, "metformin hydrochloride 500 MG Oral Tablet", 2.0, TWICE),
            tablet(2_100_100_002, "metformin hydrochloride 1000 MG Oral Tablet", 2.0, TWICE),
        ],
    ),
    ing(
        1560171,
        "glipizide",
        "4821",
        "A10BB07",
        &[tablet(2_100_100_003, "glipizide 5 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1502905,
        "insulin glargine",
        "274783",
        "A10AE04",
        &[package(
            2_100_100_004,
            "insulin glargine 100 UNT/ML Pen Injector",
            15.0,
            Some(SUBCUTANEOUS),
            "Inject 20 units under the skin once daily",
        )],
    ),
    ing(
        45774751,
        "empagliflozin",
        "1545653",
        "A10BK03",
        &[tablet(2_100_100_005, "empagliflozin 10 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        793143,
        "semaglutide",
        "1991302",
        "A10BJ06",
        &[package(
            2_100_100_006,
            "semaglutide 1.34 MG/ML Pen Injector",
            28.0,
            Some(SUBCUTANEOUS),
            "Inject 0.5 mg under the skin once weekly",
        )],
    ),
    ing(
        1545958,
        "atorvastatin",
        "83367",
        "C10AA05",
        &[
            tablet(2_100_100_007, "atorvastatin 20 MG Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_008, "atorvastatin 40 MG Oral Tablet", 1.0, DAILY),
        ],
    ),
    ing(
        1539403,
        "simvastatin",
        "36567",
        "C10AA01",
        &[tablet(2_100_100_009, "simvastatin 20 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1510813,
        "rosuvastatin",
        "301542",
        "C10AA07",
        &[tablet(2_100_100_010, "rosuvastatin calcium 10 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1308216,
        "lisinopril",
        "29046",
        "C09AA03",
        &[
            tablet(2_100_100_011, "lisinopril 10 MG Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_012, "lisinopril 20 MG Oral Tablet", 1.0, DAILY),
        ],
    ),
    ing(
        1367500,
        "losartan",
        "52175",
        "C09CA01",
        &[tablet(2_100_100_013, "losartan potassium 50 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1332418,
        "amlodipine",
        "17767",
        "C08CA01",
        &[
            tablet(2_100_100_014, "amlodipine 5 MG Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_015, "amlodipine 10 MG Oral Tablet", 1.0, DAILY),
        ],
    ),
    ing(
        974166,
        "hydrochlorothiazide",
        "5487",
        "C03AA03",
        &[tablet(2_100_100_016, "hydrochlorothiazide 25 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        956874,
        "furosemide",
        "4603",
        "C03CA01",
        &[tablet(2_100_100_017, "furosemide 40 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1307046,
        "metoprolol",
        "6918",
        "C07AB02",
        &[
            tablet(2_100_100_018, "metoprolol succinate 50 MG 24HR Extended Release Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_019, "metoprolol tartrate 25 MG Oral Tablet", 2.0, TWICE),
        ],
    ),
    ing(
        1346823,
        "carvedilol",
        "20352",
        "C07AG02",
        &[tablet(2_100_100_020, "carvedilol 6.25 MG Oral Tablet", 2.0, TWICE)],
    ),
    ing(
        1501700,
        "levothyroxine",
        "10582",
        "H03AA01",
        &[
            tablet(2_100_100_021, "levothyroxine sodium 0.05 MG Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_022, "levothyroxine sodium 0.1 MG Oral Tablet", 1.0, DAILY),
        ],
    ),
    ing(
        1154343,
        "albuterol",
        "435",
        "R03AC02",
        &[package(
            2_100_100_023,
            "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler",
            30.0,
            None,
            "Inhale 2 puffs every 4 to 6 hours as needed",
        )],
    ),
    ing(
        1149380,
        "fluticasone",
        "41126",
        "R03BA05",
        &[package(
            2_100_100_024,
            "fluticasone propionate 0.05 MG/ACTUAT Nasal Spray",
            30.0,
            None,
            "Use 2 sprays in each nostril once daily",
        )],
    ),
    ing(
        1106776,
        "tiotropium",
        "69120",
        "R03BB04",
        &[package(
            2_100_100_025,
            "tiotropium 0.018 MG Inhalation Powder",
            30.0,
            None,
            "Inhale the contents of 1 capsule once daily",
        )],
    ),
    ing(
        739138,
        "sertraline",
        "36437",
        "N06AB06",
        &[
            tablet(2_100_100_026, "sertraline 50 MG Oral Tablet", 1.0, DAILY),
            tablet(2_100_100_027, "sertraline 100 MG Oral Tablet", 1.0, DAILY),
        ],
    ),
    ing(
        755695,
        "fluoxetine",
        "4493",
        "N06AB03",
        &[tablet(2_100_100_028, "fluoxetine 20 MG Oral Capsule", 1.0, DAILY)],
    ),
    ing(
        715939,
        "escitalopram",
        "321988",
        "N06AB10",
        &[tablet(2_100_100_029, "escitalopram 10 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        750982,
        "bupropion",
        "42347",
        "N06AX12",
        &[tablet(
            2_100_100_030,
            "bupropion hydrochloride 150 MG 24HR Extended Release Oral Tablet",
            1.0,
            DAILY,
        )],
    ),
    ing(
        781039,
        "alprazolam",
        "596",
        "N05BA12",
        &[course(
            2_100_100_031,
            "alprazolam 0.5 MG Oral Tablet",
            2.0,
            &[30],
            "Take 1 tablet by mouth twice daily as needed for anxiety",
        )],
    ),
    ing(
        1310149,
        "warfarin",
        "11289",
        "B01AA03",
        &[tablet(2_100_100_032, "warfarin sodium 5 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        43013024,
        "apixaban",
        "1364430",
        "B01AF02",
        &[tablet(2_100_100_033, "apixaban 5 MG Oral Tablet", 2.0, TWICE)],
    ),
    ing(
        1112807,
        "aspirin",
        "1191",
        "B01AC06",
        &[tablet(2_100_100_034, "aspirin 81 MG Delayed Release Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1322184,
        "clopidogrel",
        "32968",
        "B01AC04",
        &[tablet(2_100_100_035, "clopidogrel 75 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        923645,
        "omeprazole",
        "7646",
        "A02BC01",
        &[tablet(2_100_100_036, "omeprazole 20 MG Delayed Release Oral Capsule", 1.0, DAILY)],
    ),
    ing(
        948078,
        "pantoprazole",
        "40790",
        "A02BC02",
        &[tablet(2_100_100_037, "pantoprazole 40 MG Delayed Release Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1557272,
        "alendronate",
        "46041",
        "M05BA04",
        &[course(
            2_100_100_038,
            "alendronic acid 70 MG Oral Tablet",
            1.0 / 7.0,
            &[28, 84],
            "Take 1 tablet by mouth once weekly",
        )],
    ),
    ing(
        1140643,
        "sumatriptan",
        "37418",
        "N02CC01",
        &[course(
            2_100_100_039,
            "sumatriptan 50 MG Oral Tablet",
            0.3,
            &[30],
            "Take 1 tablet by mouth at migraine onset; may repeat after 2 hours",
        )],
    ),
    ing(
        1125315,
        "acetaminophen",
        "161",
        "N02BE01",
        &[course(
            2_100_100_040,
            "acetaminophen 500 MG Oral Tablet",
            3.0,
            &[10, 30],
            "Take 1 tablet by mouth every 8 hours as needed for pain",
        )],
    ),
    ing(
        1177480,
        "ibuprofen",
        "5640",
        "M01AE01",
        &[course(
            2_100_100_041,
            "ibuprofen 600 MG Oral Tablet",
            3.0,
            &[10, 30],
            "Take 1 tablet by mouth every 8 hours with food as needed",
        )],
    ),
    ing(
        1149196,
        "cetirizine",
        "20610",
        "R06AE07",
        &[tablet(2_100_100_042, "cetirizine hydrochloride 10 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1107830,
        "loratadine",
        "28889",
        "R06AX13",
        &[tablet(2_100_100_043, "loratadine 10 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1436678,
        "tamoxifen",
        "10324",
        "L02BA01",
        &[tablet(2_100_100_044, "tamoxifen 20 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1348265,
        "anastrozole",
        "84857",
        "L02BG03",
        &[tablet(2_100_100_045, "anastrozole 1 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1351541,
        "leuprolide",
        "42375",
        "L02AE02",
        &[ClinicalDrug {
            id: 2_100_100_046,
            name: "leuprolide acetate 22.5 MG Injection",
            per_day: 0.0,
            package: Some(90.0),
            days: &[90],
            route: None,
            sig: "Inject 22.5 mg into the muscle every 3 months",
        }],
    ),
    ing(
        924566,
        "tamsulosin",
        "77492",
        "G04CA02",
        &[tablet(2_100_100_047, "tamsulosin hydrochloride 0.4 MG Oral Capsule", 1.0, DAILY)],
    ),
    ing(
        797399,
        "gabapentin",
        "25480",
        "N03AX12",
        &[tablet(
            2_100_100_048,
            "gabapentin 300 MG Oral Capsule",
            3.0,
            "Take 1 capsule by mouth three times daily",
        )],
    ),
    ing(
        1595799,
        "ferrous sulfate",
        "24947",
        "B03AA07",
        &[tablet(2_100_100_049, "ferrous sulfate 325 MG Oral Tablet", 1.0, DAILY)],
    ),
    ing(
        1713332,
        "amoxicillin",
        "723",
        "J01CA04",
        &[course(
            2_100_100_050,
            "amoxicillin 500 MG Oral Capsule",
            3.0,
            &[10],
            "Take 1 capsule by mouth three times daily for 10 days",
        )],
    ),
    ing(
        1734104,
        "azithromycin",
        "18631",
        "J01FA10",
        &[course(
            2_100_100_051,
            "azithromycin 250 MG Oral Tablet",
            1.2,
            &[5],
            "Take 2 tablets on day 1, then 1 tablet daily for 4 days",
        )],
    ),
];

const ATC_SECOND: &[(&str, &str)] = &[
    ("A02", "DRUGS FOR ACID RELATED DISORDERS"),
    ("A10", "DRUGS USED IN DIABETES"),
    ("B01", "ANTITHROMBOTIC AGENTS"),
    ("B03", "ANTIANEMIC PREPARATIONS"),
    ("C03", "DIURETICS"),
    ("C07", "BETA BLOCKING AGENTS"),
    ("C08", "CALCIUM CHANNEL BLOCKERS"),
    ("C09", "AGENTS ACTING ON THE RENIN-ANGIOTENSIN SYSTEM"),
    ("C10", "LIPID MODIFYING AGENTS"),
    ("G04", "UROLOGICALS"),
    ("H03", "THYROID THERAPY"),
    ("J01", "ANTIBACTERIALS FOR SYSTEMIC USE"),
    ("L02", "ENDOCRINE THERAPY"),
    ("M01", "ANTIINFLAMMATORY AND ANTIRHEUMATIC PRODUCTS"),
    ("M05", "DRUGS FOR TREATMENT OF BONE DISEASES"),
    ("N02", "ANALGESICS"),
    ("N03", "ANTIEPILEPTICS"),
    ("N05", "PSYCHOLEPTICS"),
    ("N06", "PSYCHOANALEPTICS"),
    ("R03", "DRUGS FOR OBSTRUCTIVE AIRWAY DISEASES"),
    ("R06", "ANTIHISTAMINES FOR SYSTEMIC USE"),
];

const ATC_FIRST: &[(&str, &str)] = &[
    ("A", "ALIMENTARY TRACT AND METABOLISM"),
    ("B", "BLOOD AND BLOOD FORMING ORGANS"),
    ("C", "CARDIOVASCULAR SYSTEM"),
    ("G", "GENITO URINARY SYSTEM AND SEX HORMONES"),
    ("H", "SYSTEMIC HORMONAL PREPARATIONS, EXCL. SEX HORMONES AND INSULINS"),
    ("J", "ANTIINFECTIVES FOR SYSTEMIC USE"),
    ("L", "ANTINEOPLASTIC AND IMMUNOMODULATING AGENTS"),
    ("M", "MUSCULO-SKELETAL SYSTEM"),
    ("N", "NERVOUS SYSTEM"),
    ("R", "RESPIRATORY SYSTEM"),
];

// ---------------------------------------------------------------------------------------------
// Measurements.

/// A measurement concept with its unit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lab {
    pub id: i32,
    pub name: &'static str,
    /// LOINC code, or the All of Us physical measurement code.
    pub code: &'static str,
    pub unit: Option<Unit>,
    /// Synthetic LOINC group above it (0: none).
    pub group: i32,
}

const CHEMISTRY: i32 = 2_100_600_101;
const LIPIDS: i32 = 2_100_600_102;
const HEMATOLOGY: i32 = 2_100_600_103;
const VITALS: i32 = 2_100_600_104;
const MICROBIOLOGY: i32 = 2_100_600_105;

const fn lab(id: i32, name: &'static str, code: &'static str, unit: Option<Unit>, group: i32) -> Lab {
    Lab { id, name, code, unit, group }
}

/// HbA1c.
pub(super) const HBA1C: Lab =
    lab(3004410, "Hemoglobin A1c/Hemoglobin.total in Blood", "4548-4", Some(PERCENT), CHEMISTRY);
/// Glucose.
pub(super) const GLUCOSE: Lab =
    lab(3004501, "Glucose [Mass/volume] in Serum or Plasma", "2345-7", Some(MG_DL), CHEMISTRY);
/// LDL cholesterol.
pub(super) const LDL: Lab = lab(
    3028437,
    "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
    "18262-6",
    Some(MG_DL),
    LIPIDS,
);
/// Total cholesterol.
pub(super) const TOTAL_CHOLESTEROL: Lab =
    lab(3027114, "Cholesterol [Mass/volume] in Serum or Plasma", "2093-3", Some(MG_DL), LIPIDS);
/// HDL cholesterol.
pub(super) const HDL: Lab =
    lab(3007070, "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "2085-9", Some(MG_DL), LIPIDS);
/// Triglycerides.
pub(super) const TRIGLYCERIDES: Lab =
    lab(3022192, "Triglyceride [Mass/volume] in Serum or Plasma", "2571-8", Some(MG_DL), LIPIDS);
/// Creatinine.
pub(super) const CREATININE: Lab =
    lab(3016723, "Creatinine [Mass/volume] in Serum or Plasma", "2160-0", Some(MG_DL), CHEMISTRY);
/// Urea nitrogen.
pub(super) const BUN: Lab =
    lab(3013682, "Urea nitrogen [Mass/volume] in Serum or Plasma", "3094-0", Some(MG_DL), CHEMISTRY);
/// Hemoglobin.
pub(super) const HEMOGLOBIN: Lab =
    lab(3000963, "Hemoglobin [Mass/volume] in Blood", "718-7", Some(G_DL), HEMATOLOGY);
/// Sodium.
pub(super) const SODIUM: Lab =
    lab(3019550, "Sodium [Moles/volume] in Serum or Plasma", "2951-2", Some(MMOL_L), CHEMISTRY);
/// Potassium.
pub(super) const POTASSIUM: Lab =
    lab(3023103, "Potassium [Moles/volume] in Serum or Plasma", "2823-3", Some(MMOL_L), CHEMISTRY);
/// ALT.
pub(super) const ALT: Lab = lab(
    3006923,
    "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "1742-6",
    Some(U_L),
    CHEMISTRY,
);
/// SARS-CoV-2 PCR, a categorical result.
pub(super) const COVID_PCR: Lab = lab(
    706163,
    "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection",
    "94500-6",
    None,
    MICROBIOLOGY,
);
/// EHR systolic blood pressure.
pub(super) const EHR_SYSTOLIC: Lab = lab(3004249, "Systolic blood pressure", "8480-6", Some(MM_HG), VITALS);
/// EHR diastolic blood pressure.
pub(super) const EHR_DIASTOLIC: Lab = lab(3012888, "Diastolic blood pressure", "8462-4", Some(MM_HG), VITALS);
/// EHR body weight.
pub(super) const EHR_WEIGHT: Lab = lab(3025315, "Body weight", "29463-7", Some(KG), VITALS);
/// EHR body mass index.
pub(super) const EHR_BMI: Lab = lab(3038553, "Body mass index (BMI) [Ratio]", "39156-5", Some(KG_M2), VITALS);

const LABS: &[Lab] = &[
    HBA1C,
    GLUCOSE,
    LDL,
    TOTAL_CHOLESTEROL,
    HDL,
    TRIGLYCERIDES,
    CREATININE,
    BUN,
    HEMOGLOBIN,
    SODIUM,
    POTASSIUM,
    ALT,
    COVID_PCR,
    EHR_SYSTOLIC,
    EHR_DIASTOLIC,
    EHR_WEIGHT,
    EHR_BMI,
];

const LAB_GROUPS: &[Node] = &[
    node(CHEMISTRY, "Chemistry", "Measurement", "LOINC", "LOINC Group", "LG-CHEM", &[]),
    node(LIPIDS, "Lipids", "Measurement", "LOINC", "LOINC Group", "LG-LIPID", &[CHEMISTRY]),
    node(HEMATOLOGY, "Hematology", "Measurement", "LOINC", "LOINC Group", "LG-HEM", &[]),
    node(VITALS, "Vital signs", "Measurement", "LOINC", "LOINC Group", "LG-VITAL", &[]),
    node(MICROBIOLOGY, "Microbiology", "Measurement", "LOINC", "LOINC Group", "LG-MICRO", &[]),
];

const fn pm(id: i32, name: &'static str, code: &'static str, unit: Unit) -> Lab {
    Lab { id, name, code, unit: Some(unit), group: 0 }
}

/// Physical measurement: height.
pub(super) const PM_HEIGHT: Lab = pm(903133, "Height", "height", CM);
/// Physical measurement: weight.
pub(super) const PM_WEIGHT: Lab = pm(903121, "Weight", "weight", KG);
/// Physical measurement: BMI.
pub(super) const PM_BMI: Lab = pm(903124, "BMI", "bmi", KG_M2);
/// Physical measurement: systolic blood pressure.
pub(super) const PM_SYSTOLIC: Lab = pm(
    SYSTOLIC,
    "Computed systolic blood pressure, mean of 2nd and 3rd measures",
    "blood-pressure-systolic-mean",
    MM_HG,
);
/// Physical measurement: diastolic blood pressure.
pub(super) const PM_DIASTOLIC: Lab = pm(
    DIASTOLIC,
    "Computed diastolic blood pressure, mean of 2nd and 3rd measures",
    "blood-pressure-diastolic-mean",
    MM_HG,
);
/// Physical measurement: heart rate.
pub(super) const PM_HEART_RATE: Lab =
    pm(903126, "Computed heart rate, mean of 2nd and 3rd measures", "heart-rate-mean", PER_MIN);
/// Physical measurement: waist circumference.
pub(super) const PM_WAIST: Lab =
    pm(903135, "Computed waist circumference, mean of closest two measures", "waist-circumference-mean", CM);
/// Physical measurement: hip circumference.
pub(super) const PM_HIP: Lab =
    pm(903136, "Computed hip circumference, mean of closest two measures", "hip-circumference-mean", CM);

const PHYSICAL_MEASUREMENTS: &[Lab] =
    &[PM_HEIGHT, PM_WEIGHT, PM_BMI, PM_SYSTOLIC, PM_DIASTOLIC, PM_HEART_RATE, PM_WAIST, PM_HIP];

// ---------------------------------------------------------------------------------------------
// Surveys (PPI). Ids in 2,100,300,000… are synthetic stand-ins for PPI concepts whose real ids
// the generator does not rely on; their codes follow the All of Us codebook style.

/// A survey answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
}

/// A survey question.
#[derive(Debug)]
pub(super) struct Question {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub answers: &'static [Answer],
}

/// A survey (a PPI module).
pub(super) struct Survey {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub questions: &'static [&'static Question],
}

const fn a(id: i32, code: &'static str, name: &'static str) -> Answer {
    Answer { id, code, name }
}

/// "PMI: Skip" as a survey answer.
pub(super) static ANSWER_SKIP: Answer = a(SKIP, "PMI_Skip", "PMI: Skip");
/// "PMI: Prefer Not To Answer" as a survey answer.
pub(super) static ANSWER_PREFER_NOT: Answer =
    a(PMI_PREFER_NOT, "PMI_PreferNotToAnswer", "PMI: Prefer Not To Answer");

/// The Basics: gender identity (answers: man, woman, non-binary, transgender).
pub(super) static Q_GENDER: Question = Question {
    id: 1585838,
    code: "Gender_GenderIdentity",
    name: "Gender Identity: Gender Identity",
    answers: &[
        a(1585839, "GenderIdentity_Man", "Man"),
        a(1585840, "GenderIdentity_Woman", "Woman"),
        a(1585841, "GenderIdentity_NonBinary", "Non-Binary"),
        a(1585842, "GenderIdentity_Transgender", "Transgender"),
    ],
};
/// The Basics: sex assigned at birth (answers: male, female, intersex).
pub(super) static Q_SEX_AT_BIRTH: Question = Question {
    id: 1585845,
    code: "BiologicalSexAtBirth_SexAtBirth",
    name: "Biological Sex At Birth: Sex At Birth",
    answers: &[
        a(1585846, "SexAtBirth_Male", "Male"),
        a(1585847, "SexAtBirth_Female", "Female"),
        a(SEX_INTERSEX, "SexAtBirth_Intersex", "Intersex"),
    ],
};
/// The Basics: race and ethnicity, select all that apply (answers: AIAN, Asian, Black, MENA,
/// NHPI, White, Hispanic, none of these).
pub(super) static Q_RACE: Question = Question {
    id: 1586140,
    code: "Race_WhatRaceEthnicity",
    name: "Race: What Race Ethnicity",
    answers: &[
        a(1586141, "WhatRaceEthnicity_AIAN", "American Indian or Alaska Native"),
        a(1586142, "WhatRaceEthnicity_Asian", "Asian"),
        a(1586143, "WhatRaceEthnicity_Black", "Black, African American, or African"),
        a(1586144, "WhatRaceEthnicity_MENA", "Middle Eastern or North African"),
        a(1586145, "WhatRaceEthnicity_NHPI", "Native Hawaiian or other Pacific Islander"),
        a(1586146, "WhatRaceEthnicity_White", "White"),
        a(1586147, "WhatRaceEthnicity_Hispanic", "Hispanic, Latino, or Spanish"),
        a(1586148, "WhatRaceEthnicity_RaceEthnicityNoneOfThese", "None of these fully describe me"),
    ],
};
/// The Basics: highest grade, from never attended to advanced degree.
pub(super) static Q_EDUCATION: Question = Question {
    id: 1585940,
    code: "EducationLevel_HighestGrade",
    name: "Education Level: Highest Grade",
    answers: &[
        a(1585941, "HighestGrade_NeverAttended", "Never Attended"),
        a(1585942, "HighestGrade_OneThroughFour", "One Through Four"),
        a(1585943, "HighestGrade_FiveThroughEight", "Five Through Eight"),
        a(1585944, "HighestGrade_NineThroughEleven", "Nine Through Eleven"),
        a(1585945, "HighestGrade_TwelveOrGED", "Twelve Or GED"),
        a(1585946, "HighestGrade_CollegeOnetoThree", "College One to Three"),
        a(1585947, "HighestGrade_CollegeGraduate", "College Graduate"),
        a(1585948, "HighestGrade_AdvancedDegree", "Advanced Degree"),
    ],
};
/// The Basics: annual household income, lowest bracket first.
pub(super) static Q_INCOME: Question = Question {
    id: 1585375,
    code: "Income_AnnualIncome",
    name: "Income: Annual Income",
    answers: &[
        a(1585376, "AnnualIncome_less10k", "Less 10K"),
        a(1585377, "AnnualIncome_10k25k", "10K 25K"),
        a(1585378, "AnnualIncome_25k35k", "25K 35K"),
        a(1585379, "AnnualIncome_35k50k", "35K 50K"),
        a(1585380, "AnnualIncome_50k75k", "50K 75K"),
        a(1585381, "AnnualIncome_75k100k", "75K 100K"),
        a(1585382, "AnnualIncome_100k150k", "100K 150K"),
        a(1585383, "AnnualIncome_150k200k", "150K 200K"),
        a(1585384, "AnnualIncome_more200k", "More 200K"),
    ],
};
/// The Basics: marital status.
pub(super) static Q_MARITAL: Question = Question {
    id: 1585892,
    code: "MaritalStatus_CurrentMaritalStatus",
    name: "Marital Status: Current Marital Status",
    answers: &[
        a(2_100_300_001, "CurrentMaritalStatus_Married", "Married"),
        a(2_100_300_002, "CurrentMaritalStatus_LivingWithPartner", "Living With Partner"),
        a(2_100_300_003, "CurrentMaritalStatus_NeverMarried", "Never Married"),
        a(2_100_300_004, "CurrentMaritalStatus_Divorced", "Divorced"),
        a(2_100_300_005, "CurrentMaritalStatus_Separated", "Separated"),
        a(2_100_300_006, "CurrentMaritalStatus_Widowed", "Widowed"),
    ],
};
/// The Basics: employment status.
pub(super) static Q_EMPLOYMENT: Question = Question {
    id: 2_100_300_010,
    code: "Employment_EmploymentStatus",
    name: "Employment: Employment Status",
    answers: &[
        a(2_100_300_011, "EmploymentStatus_EmployedForWages", "Employed For Wages"),
        a(2_100_300_012, "EmploymentStatus_SelfEmployed", "Self Employed"),
        a(2_100_300_013, "EmploymentStatus_OutOfWorkOneOrMore", "Out Of Work One Or More"),
        a(2_100_300_014, "EmploymentStatus_Homemaker", "Homemaker"),
        a(2_100_300_015, "EmploymentStatus_Student", "Student"),
        a(2_100_300_016, "EmploymentStatus_Retired", "Retired"),
        a(2_100_300_017, "EmploymentStatus_UnableToWork", "Unable To Work"),
    ],
};
/// The Basics: health insurance (yes, no).
pub(super) static Q_INSURANCE: Question = Question {
    id: 2_100_300_020,
    code: "Insurance_HealthInsurance",
    name: "Insurance: Health Insurance",
    answers: &[a(2_100_300_021, "HealthInsurance_Yes", "Yes"), a(2_100_300_022, "HealthInsurance_No", "No")],
};
/// The Basics: home ownership (own, rent, other).
pub(super) static Q_HOME: Question = Question {
    id: 2_100_300_030,
    code: "HomeOwn_CurrentHomeOwn",
    name: "Home Own: Current Home Own",
    answers: &[
        a(2_100_300_031, "CurrentHomeOwn_Own", "Own"),
        a(2_100_300_032, "CurrentHomeOwn_Rent", "Rent"),
        a(2_100_300_033, "CurrentHomeOwn_OtherArrangement", "Other Arrangement"),
    ],
};

/// Lifestyle: smoked 100 cigarettes in lifetime (yes, no).
pub(super) static Q_SMOKE_100: Question = Question {
    id: 1585857,
    code: "Smoking_100CigsLifetime",
    name: "Smoking: 100 Cigs Lifetime",
    answers: &[a(1585858, "100CigsLifetime_Yes", "Yes"), a(1585859, "100CigsLifetime_No", "No")],
};
/// Lifestyle: smoking frequency now (every day, some days, not at all).
pub(super) static Q_SMOKE_FREQUENCY: Question = Question {
    id: 1585860,
    code: "Smoking_SmokeFrequency",
    name: "Smoking: Smoke Frequency",
    answers: &[
        a(1585861, "SmokeFrequency_EveryDay", "Every Day"),
        a(1585862, "SmokeFrequency_SomeDays", "Some Days"),
        a(1585863, "SmokeFrequency_NotAtAll", "Not At All"),
    ],
};
/// Lifestyle: electronic nicotine products ever (yes, no).
pub(super) static Q_VAPING: Question = Question {
    id: 2_100_300_040,
    code: "ElectronicSmoking_ElectricSmokeParticipant",
    name: "Electronic Smoking: Electric Smoke Participant",
    answers: &[
        a(2_100_300_041, "ElectricSmokeParticipant_Yes", "Yes"),
        a(2_100_300_042, "ElectricSmokeParticipant_No", "No"),
    ],
};
/// Lifestyle: smokeless tobacco ever (yes, no).
pub(super) static Q_SMOKELESS: Question = Question {
    id: 2_100_300_045,
    code: "SmokelessTobacco_SmokelessParticipant",
    name: "Smokeless Tobacco: Smokeless Participant",
    answers: &[
        a(2_100_300_046, "SmokelessParticipant_Yes", "Yes"),
        a(2_100_300_047, "SmokelessParticipant_No", "No"),
    ],
};
/// Lifestyle: ever had a drink (yes, no).
pub(super) static Q_ALCOHOL: Question = Question {
    id: 1586198,
    code: "Alcohol_AlcoholParticipant",
    name: "Alcohol: Alcohol Participant",
    answers: &[a(1586199, "AlcoholParticipant_Yes", "Yes"), a(1586200, "AlcoholParticipant_No", "No")],
};
/// Lifestyle: drink frequency in the past year, never first.
pub(super) static Q_DRINK_FREQUENCY: Question = Question {
    id: 1586201,
    code: "Alcohol_DrinkFrequencyPastYear",
    name: "Alcohol: Drink Frequency Past Year",
    answers: &[
        a(1586202, "DrinkFrequencyPastYear_Never", "Never"),
        a(1586203, "DrinkFrequencyPastYear_MonthlyOrLess", "Monthly Or Less"),
        a(1586204, "DrinkFrequencyPastYear_2to4PerMonth", "2 to 4 Per Month"),
        a(1586205, "DrinkFrequencyPastYear_2to3PerWeek", "2 to 3 Per Week"),
        a(1586206, "DrinkFrequencyPastYear_4ormorePerWeek", "4 or More Per Week"),
    ],
};
/// Lifestyle: drinks on a typical drinking day, fewest first.
pub(super) static Q_DRINK_COUNT: Question = Question {
    id: 1586207,
    code: "Alcohol_AverageDailyDrinkCount",
    name: "Alcohol: Average Daily Drink Count",
    answers: &[
        a(1586208, "AverageDailyDrinkCount_1or2", "1 or 2"),
        a(1586209, "AverageDailyDrinkCount_3or4", "3 or 4"),
        a(1586210, "AverageDailyDrinkCount_5or6", "5 or 6"),
        a(1586211, "AverageDailyDrinkCount_7to9", "7 to 9"),
        a(1586212, "AverageDailyDrinkCount_10orMore", "10 or More"),
    ],
};

macro_rules! scale {
    ($prefix:literal, $base:expr) => {
        &[
            a($base + 1, concat!($prefix, "_Excellent"), "Excellent"),
            a($base + 2, concat!($prefix, "_VeryGood"), "Very Good"),
            a($base + 3, concat!($prefix, "_Good"), "Good"),
            a($base + 4, concat!($prefix, "_Fair"), "Fair"),
            a($base + 5, concat!($prefix, "_Poor"), "Poor"),
        ]
    };
}

/// Overall Health: general health, excellent to poor.
pub(super) static Q_GENERAL_HEALTH: Question = Question {
    id: 1585711,
    code: "OverallHealth_GeneralHealth",
    name: "Overall Health: General Health",
    answers: scale!("GeneralHealth", 2_100_300_100),
};
/// Overall Health: quality of life, excellent to poor.
pub(super) static Q_QUALITY_OF_LIFE: Question = Question {
    id: 2_100_300_110,
    code: "OverallHealth_QualityOfLife",
    name: "Overall Health: General Quality",
    answers: scale!("GeneralQuality", 2_100_300_110),
};
/// Overall Health: physical health, excellent to poor.
pub(super) static Q_PHYSICAL_HEALTH: Question = Question {
    id: 2_100_300_120,
    code: "OverallHealth_PhysicalHealth",
    name: "Overall Health: General Physical Health",
    answers: scale!("GeneralPhysicalHealth", 2_100_300_120),
};
/// Overall Health: mental health, excellent to poor.
pub(super) static Q_MENTAL_HEALTH: Question = Question {
    id: 2_100_300_130,
    code: "OverallHealth_MentalHealth",
    name: "Overall Health: General Mental Health",
    answers: scale!("GeneralMentalHealth", 2_100_300_130),
};
/// Overall Health: social satisfaction, excellent to poor.
pub(super) static Q_SOCIAL: Question = Question {
    id: 2_100_300_140,
    code: "OverallHealth_SocialSatisfaction",
    name: "Overall Health: Social Satisfaction",
    answers: scale!("SocialSatisfaction", 2_100_300_140),
};
/// Overall Health: everyday activities, completely to not at all.
pub(super) static Q_ACTIVITIES: Question = Question {
    id: 2_100_300_150,
    code: "OverallHealth_EverydayActivities",
    name: "Overall Health: Everyday Activities",
    answers: &[
        a(2_100_300_151, "EverydayActivities_Completely", "Completely"),
        a(2_100_300_152, "EverydayActivities_Mostly", "Mostly"),
        a(2_100_300_153, "EverydayActivities_Moderately", "Moderately"),
        a(2_100_300_154, "EverydayActivities_ALittle", "A Little"),
        a(2_100_300_155, "EverydayActivities_NotAtAll", "Not At All"),
    ],
};
/// Overall Health: average fatigue over 7 days, none to very severe.
pub(super) static Q_FATIGUE: Question = Question {
    id: 2_100_300_160,
    code: "OverallHealth_AverageFatigue7Days",
    name: "Overall Health: Average Fatigue 7 Days",
    answers: &[
        a(2_100_300_161, "AverageFatigue7Days_None", "None"),
        a(2_100_300_162, "AverageFatigue7Days_Mild", "Mild"),
        a(2_100_300_163, "AverageFatigue7Days_Moderate", "Moderate"),
        a(2_100_300_164, "AverageFatigue7Days_Severe", "Severe"),
        a(2_100_300_165, "AverageFatigue7Days_VerySevere", "Very Severe"),
    ],
};
/// Overall Health: average pain over 7 days, answered as a number 0–10.
pub(super) static Q_PAIN: Question = Question {
    id: 2_100_300_170,
    code: "OverallHealth_AveragePain7Days",
    name: "Overall Health: Average Pain 7 Days",
    answers: &[],
};
/// Overall Health: organ transplant (yes, no).
pub(super) static Q_TRANSPLANT: Question = Question {
    id: 2_100_300_180,
    code: "OverallHealth_OrganTransplant",
    name: "Overall Health: Organ Transplant",
    answers: &[a(2_100_300_181, "OrganTransplant_Yes", "Yes"), a(2_100_300_182, "OrganTransplant_No", "No")],
};

/// The Basics.
pub(super) static THE_BASICS: Survey = Survey {
    id: 1586134,
    code: "TheBasics",
    name: "The Basics",
    questions: &[
        &Q_GENDER,
        &Q_SEX_AT_BIRTH,
        &Q_RACE,
        &Q_EDUCATION,
        &Q_INCOME,
        &Q_MARITAL,
        &Q_EMPLOYMENT,
        &Q_INSURANCE,
        &Q_HOME,
    ],
};
/// Lifestyle.
pub(super) static LIFESTYLE: Survey = Survey {
    id: 1585855,
    code: "Lifestyle",
    name: "Lifestyle",
    questions: &[
        &Q_SMOKE_100,
        &Q_SMOKE_FREQUENCY,
        &Q_VAPING,
        &Q_SMOKELESS,
        &Q_ALCOHOL,
        &Q_DRINK_FREQUENCY,
        &Q_DRINK_COUNT,
    ],
};
/// Overall Health.
pub(super) static OVERALL_HEALTH: Survey = Survey {
    id: 1585710,
    code: "OverallHealth",
    name: "Overall Health",
    questions: &[
        &Q_GENERAL_HEALTH,
        &Q_QUALITY_OF_LIFE,
        &Q_PHYSICAL_HEALTH,
        &Q_MENTAL_HEALTH,
        &Q_SOCIAL,
        &Q_ACTIVITIES,
        &Q_FATIGUE,
        &Q_PAIN,
        &Q_TRANSPLANT,
    ],
};

const SURVEYS: &[&Survey] = &[&THE_BASICS, &LIFESTYLE, &OVERALL_HEALTH];

/// EHR observation: tobacco smoking status (LOINC 72166-2) with its LOINC answers.
pub(super) static TOBACCO_STATUS: Question = Question {
    id: 2_100_700_001,
    code: "72166-2",
    name: "Tobacco smoking status",
    answers: &[
        a(2_100_700_002, "LA18976-3", "Current every day smoker"),
        a(2_100_700_003, "LA15920-4", "Former smoker"),
        a(2_100_700_004, "LA18978-9", "Never smoker"),
    ],
};

// ---------------------------------------------------------------------------------------------
// Procedures and devices (CPT4 and HCPCS codes, synthetic ids).

/// A procedure or device concept.
pub(super) struct Code {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub parent: i32,
}

const DIGESTIVE_PROCEDURES: i32 = 2_100_400_901;
const CARDIOVASCULAR_PROCEDURES: i32 = 2_100_400_902;
const RADIOLOGY: i32 = 2_100_400_903;
const DIALYSIS: i32 = 2_100_400_904;
const PULMONARY: i32 = 2_100_400_905;
const NEUROLOGY: i32 = 2_100_400_906;
const MUSCULOSKELETAL_PROCEDURES: i32 = 2_100_400_907;
const MALE_GENITAL: i32 = 2_100_400_908;
const DME: i32 = 2_100_500_900;

const PROCEDURE_GROUPS: &[Node] = &[
    node(
        DIGESTIVE_PROCEDURES,
        "Surgical Procedures on the Digestive System",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1006933",
        &[],
    ),
    node(
        CARDIOVASCULAR_PROCEDURES,
        "Cardiovascular Procedures",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1012384",
        &[],
    ),
    node(
        RADIOLOGY,
        "Diagnostic Radiology (Diagnostic Imaging) Procedures",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1010135",
        &[],
    ),
    node(DIALYSIS, "Dialysis Services and Procedures", "Procedure", "CPT4", "CPT4 Hierarchy", "1012735", &[]),
    node(PULMONARY, "Pulmonary Procedures", "Procedure", "CPT4", "CPT4 Hierarchy", "1013205", &[]),
    node(
        NEUROLOGY,
        "Neurology and Neuromuscular Procedures",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1013439",
        &[],
    ),
    node(
        MUSCULOSKELETAL_PROCEDURES,
        "Surgical Procedures on the Musculoskeletal System",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1002605",
        &[],
    ),
    node(
        MALE_GENITAL,
        "Surgical Procedures on the Male Genital System",
        "Procedure",
        "CPT4",
        "CPT4 Hierarchy",
        "1008121",
        &[],
    ),
    node(DME, "Durable Medical Equipment", "Device", "HCPCS", "HCPCS Class", "E0100-E8002", &[]),
];

/// Colonoscopy.
pub(super) const COLONOSCOPY: Code = Code {
    id: 2_100_400_001,
    code: "45378",
    name: "Colonoscopy, flexible; diagnostic",
    parent: DIGESTIVE_PROCEDURES,
};
/// Upper GI endoscopy with biopsy.
pub(super) const EGD: Code = Code {
    id: 2_100_400_002,
    code: "43239",
    name: "Esophagogastroduodenoscopy, flexible, transoral; with biopsy",
    parent: DIGESTIVE_PROCEDURES,
};
/// Transthoracic echocardiography.
pub(super) const ECHO: Code = Code {
    id: 2_100_400_003,
    code: "93306",
    name: "Echocardiography, transthoracic, real-time with image documentation (2D), complete",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Electrocardiogram.
pub(super) const ECG: Code = Code {
    id: 2_100_400_004,
    code: "93000",
    name: "Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Coronary stent placement.
pub(super) const PCI: Code = Code {
    id: 2_100_400_005,
    code: "92928",
    name: "Percutaneous transcatheter placement of intracoronary stent(s); single major coronary artery",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Hemodialysis.
pub(super) const HEMODIALYSIS: Code = Code {
    id: 2_100_400_006,
    code: "90935",
    name: "Hemodialysis procedure with single evaluation",
    parent: DIALYSIS,
};
/// Screening mammography.
pub(super) const MAMMOGRAPHY: Code =
    Code { id: 2_100_400_007, code: "77067", name: "Screening mammography, bilateral", parent: RADIOLOGY };
/// Spirometry.
pub(super) const SPIROMETRY: Code =
    Code { id: 2_100_400_008, code: "94010", name: "Spirometry", parent: PULMONARY };
/// Total knee arthroplasty.
pub(super) const KNEE_ARTHROPLASTY: Code = Code {
    id: 2_100_400_009,
    code: "27447",
    name: "Arthroplasty, knee, condyle and plateau",
    parent: MUSCULOSKELETAL_PROCEDURES,
};
/// Polysomnography.
pub(super) const POLYSOMNOGRAPHY: Code = Code {
    id: 2_100_400_010,
    code: "95810",
    name: "Polysomnography; age 6 years or older, sleep staging",
    parent: NEUROLOGY,
};
/// Prostate biopsy.
pub(super) const PROSTATE_BIOPSY: Code = Code {
    id: 2_100_400_011,
    code: "55700",
    name: "Biopsy, prostate; needle or punch",
    parent: MALE_GENITAL,
};
/// Bone density (DXA).
pub(super) const DXA: Code = Code {
    id: 2_100_400_012,
    code: "77080",
    name: "Dual-energy X-ray absorptiometry (DXA), bone density study",
    parent: RADIOLOGY,
};

const PROCEDURES: &[Code] = &[
    COLONOSCOPY,
    EGD,
    ECHO,
    ECG,
    PCI,
    HEMODIALYSIS,
    MAMMOGRAPHY,
    SPIROMETRY,
    KNEE_ARTHROPLASTY,
    POLYSOMNOGRAPHY,
    PROSTATE_BIOPSY,
    DXA,
];

/// Home blood glucose monitor.
pub(super) const GLUCOSE_MONITOR: Code =
    Code { id: 2_100_500_001, code: "E0607", name: "Home blood glucose monitor", parent: DME };
/// Blood glucose test strips.
pub(super) const TEST_STRIPS: Code = Code {
    id: 2_100_500_002,
    code: "A4253",
    name: "Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips",
    parent: DME,
};
/// Continuous glucose monitor sensor.
pub(super) const CGM_SENSOR: Code = Code {
    id: 2_100_500_003,
    code: "A9276",
    name: "Sensor; invasive, disposable, for use with interstitial continuous glucose monitoring system",
    parent: DME,
};
/// CPAP device.
pub(super) const CPAP: Code = Code {
    id: 2_100_500_004,
    code: "E0601",
    name: "Continuous positive airway pressure (CPAP) device",
    parent: DME,
};
/// Cane.
pub(super) const CANE: Code = Code {
    id: 2_100_500_005,
    code: "E0100",
    name: "Cane, includes canes of all materials, adjustable or fixed, with tip",
    parent: DME,
};
/// Nebulizer.
pub(super) const NEBULIZER: Code =
    Code { id: 2_100_500_006, code: "E0570", name: "Nebulizer, with compressor", parent: DME };

const DEVICES: &[Code] = &[GLUCOSE_MONITOR, TEST_STRIPS, CGM_SENSOR, CPAP, CANE, NEBULIZER];

// ---------------------------------------------------------------------------------------------
// Assembly.

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
