//! Demographics, visits, types, units, answers of the Meas Value domain.

use super::*;

/// `0`, "No matching concept".
pub(in crate::generate) const NO_MATCHING: i32 = 0;
/// Gender MALE.
pub(in crate::generate) const MALE: i32 = 8507;
/// Gender FEMALE.
pub(in crate::generate) const FEMALE: i32 = 8532;
/// Sex at birth "Male" (LOINC answer, as All of Us stores it in `person`).
pub(in crate::generate) const SEX_MALE: i32 = 45880669;
/// Sex at birth "Female".
pub(in crate::generate) const SEX_FEMALE: i32 = 45878463;
/// Sex at birth "Intersex" (PPI answer SexAtBirth_Intersex).
pub(in crate::generate) const SEX_INTERSEX: i32 = 1585848;
/// Race White.
pub(in crate::generate) const WHITE: i32 = 8527;
/// Race Black or African American.
pub(in crate::generate) const BLACK: i32 = 8516;
/// Race Asian.
pub(in crate::generate) const ASIAN: i32 = 8515;
/// Race Native Hawaiian or Other Pacific Islander.
pub(in crate::generate) const NHPI: i32 = 8557;
/// Race American Indian or Alaska Native.
pub(in crate::generate) const AIAN: i32 = 8657;
/// All of Us "More than one population".
pub(in crate::generate) const MORE_THAN_ONE: i32 = 2000000008;
/// All of Us "I prefer not to answer" (person race/ethnicity).
pub(in crate::generate) const PREFER_NOT: i32 = 1177221;
/// PPI "PMI: Skip".
pub(in crate::generate) const SKIP: i32 = 903096;
/// PPI "PMI: Prefer Not To Answer" (survey answer).
pub(in crate::generate) const PMI_PREFER_NOT: i32 = 903079;
/// All of Us "None Indicated" (race).
pub(in crate::generate) const NONE_INDICATED: i32 = 45882607;
/// Ethnicity Hispanic or Latino.
pub(in crate::generate) const HISPANIC: i32 = 38003563;
/// Ethnicity Not Hispanic or Latino.
pub(in crate::generate) const NOT_HISPANIC: i32 = 38003564;
/// Inpatient Visit.
pub(in crate::generate) const INPATIENT: i32 = 9201;
/// Outpatient Visit.
pub(in crate::generate) const OUTPATIENT: i32 = 9202;
/// Emergency Room Visit.
pub(in crate::generate) const EMERGENCY: i32 = 9203;
/// Type concept "EHR".
pub(in crate::generate) const EHR: i32 = 32817;
pub(in crate::generate) use cohortlens::cdm::concepts::{PHYSICAL_EXAM, SURVEY_TYPE};
/// LOINC answer "Positive".
pub(in crate::generate) const POSITIVE: i32 = 45884084;
/// LOINC answer "Negative".
pub(in crate::generate) const NEGATIVE: i32 = 45878583;
/// Route "Oral".
pub(in crate::generate) const ORAL: i32 = 4132161;
/// Route "Subcutaneous".
pub(in crate::generate) const SUBCUTANEOUS: i32 = 4142048;

pub(super) const DEMOGRAPHIC_NODES: &[Node] = &[
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
pub(in crate::generate) struct Unit {
    pub id: i32,
    pub name: &'static str,
    pub code: &'static str,
}

/// %.
pub(in crate::generate) const PERCENT: Unit = Unit { id: 8554, name: "percent", code: "%" };
/// mg/dL.
pub(in crate::generate) const MG_DL: Unit = Unit { id: 8840, name: "milligram per deciliter", code: "mg/dL" };
/// g/dL.
pub(in crate::generate) const G_DL: Unit = Unit { id: 8713, name: "gram per deciliter", code: "g/dL" };
/// mmol/L.
pub(in crate::generate) const MMOL_L: Unit = Unit { id: 8753, name: "millimole per liter", code: "mmol/L" };
/// cm.
pub(in crate::generate) const CM: Unit = Unit { id: 8582, name: "centimeter", code: "cm" };
/// kg.
pub(in crate::generate) const KG: Unit = Unit { id: 9529, name: "kilogram", code: "kg" };
/// kg/m2.
pub(in crate::generate) const KG_M2: Unit =
    Unit { id: 9531, name: "kilogram per square meter", code: "kg/m2" };
/// mmHg.
pub(in crate::generate) const MM_HG: Unit =
    Unit { id: 8876, name: "millimeter mercury column", code: "mm[Hg]" };
/// Beats per minute.
pub(in crate::generate) const PER_MIN: Unit = Unit { id: 8541, name: "per minute", code: "/min" };
/// U/L.
pub(in crate::generate) const U_L: Unit = Unit { id: 8645, name: "unit per liter", code: "U/L" };

pub(super) const UNITS: &[Unit] = &[PERCENT, MG_DL, G_DL, MMOL_L, CM, KG, KG_M2, MM_HG, PER_MIN, U_L];
