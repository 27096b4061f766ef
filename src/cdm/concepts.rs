//! Well-known concept ids the engine and the generator both rely on: the All of Us physical
//! measurement and survey type concepts and the blood-pressure pair.

/// `measurement_type_concept_id` of All of Us physical measurements ("From physical
/// examination").
pub const PHYSICAL_EXAM: i32 = 44_818_701;

/// `observation_type_concept_id` of survey rows ("Observation Recorded from a Survey").
pub const SURVEY_TYPE: i32 = 45_905_771;

/// Computed systolic blood pressure (an All of Us physical measurement).
pub const SYSTOLIC: i32 = 903_118;

/// Computed diastolic blood pressure.
pub const DIASTOLIC: i32 = 903_115;
