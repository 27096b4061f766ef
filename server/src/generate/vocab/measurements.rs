//! Measurements.

use super::*;

/// A measurement concept with its unit.
#[derive(Clone, Copy, Debug)]
pub(in crate::generate) struct Lab {
    pub id: i32,
    pub name: &'static str,
    /// LOINC code, or the All of Us physical measurement code.
    pub code: &'static str,
    pub unit: Option<Unit>,
    /// Synthetic LOINC group above it (0: none).
    pub group: i32,
}

pub(super) const CHEMISTRY: i32 = 2_100_600_101;
pub(super) const LIPIDS: i32 = 2_100_600_102;
pub(super) const HEMATOLOGY: i32 = 2_100_600_103;
pub(super) const VITALS: i32 = 2_100_600_104;
pub(super) const MICROBIOLOGY: i32 = 2_100_600_105;

pub(super) const fn lab(
    id: i32,
    name: &'static str,
    code: &'static str,
    unit: Option<Unit>,
    group: i32,
) -> Lab {
    Lab { id, name, code, unit, group }
}

/// HbA1c.
pub(in crate::generate) const HBA1C: Lab =
    lab(3004410, "Hemoglobin A1c/Hemoglobin.total in Blood", "4548-4", Some(PERCENT), CHEMISTRY);
/// Glucose.
pub(in crate::generate) const GLUCOSE: Lab =
    lab(3004501, "Glucose [Mass/volume] in Serum or Plasma", "2345-7", Some(MG_DL), CHEMISTRY);
/// LDL cholesterol.
pub(in crate::generate) const LDL: Lab = lab(
    3028437,
    "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
    "18262-6",
    Some(MG_DL),
    LIPIDS,
);
/// Total cholesterol.
pub(in crate::generate) const TOTAL_CHOLESTEROL: Lab =
    lab(3027114, "Cholesterol [Mass/volume] in Serum or Plasma", "2093-3", Some(MG_DL), LIPIDS);
/// HDL cholesterol.
pub(in crate::generate) const HDL: Lab =
    lab(3007070, "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "2085-9", Some(MG_DL), LIPIDS);
/// Triglycerides.
pub(in crate::generate) const TRIGLYCERIDES: Lab =
    lab(3022192, "Triglyceride [Mass/volume] in Serum or Plasma", "2571-8", Some(MG_DL), LIPIDS);
/// Creatinine.
pub(in crate::generate) const CREATININE: Lab =
    lab(3016723, "Creatinine [Mass/volume] in Serum or Plasma", "2160-0", Some(MG_DL), CHEMISTRY);
/// Urea nitrogen.
pub(in crate::generate) const BUN: Lab =
    lab(3013682, "Urea nitrogen [Mass/volume] in Serum or Plasma", "3094-0", Some(MG_DL), CHEMISTRY);
/// Hemoglobin.
pub(in crate::generate) const HEMOGLOBIN: Lab =
    lab(3000963, "Hemoglobin [Mass/volume] in Blood", "718-7", Some(G_DL), HEMATOLOGY);
/// Sodium.
pub(in crate::generate) const SODIUM: Lab =
    lab(3019550, "Sodium [Moles/volume] in Serum or Plasma", "2951-2", Some(MMOL_L), CHEMISTRY);
/// Potassium.
pub(in crate::generate) const POTASSIUM: Lab =
    lab(3023103, "Potassium [Moles/volume] in Serum or Plasma", "2823-3", Some(MMOL_L), CHEMISTRY);
/// ALT.
pub(in crate::generate) const ALT: Lab = lab(
    3006923,
    "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
    "1742-6",
    Some(U_L),
    CHEMISTRY,
);
/// SARS-CoV-2 PCR, a categorical result.
pub(in crate::generate) const COVID_PCR: Lab = lab(
    706163,
    "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection",
    "94500-6",
    None,
    MICROBIOLOGY,
);
/// EHR systolic blood pressure.
pub(in crate::generate) const EHR_SYSTOLIC: Lab =
    lab(3004249, "Systolic blood pressure", "8480-6", Some(MM_HG), VITALS);
/// EHR diastolic blood pressure.
pub(in crate::generate) const EHR_DIASTOLIC: Lab =
    lab(3012888, "Diastolic blood pressure", "8462-4", Some(MM_HG), VITALS);
/// EHR body weight.
pub(in crate::generate) const EHR_WEIGHT: Lab = lab(3025315, "Body weight", "29463-7", Some(KG), VITALS);
/// EHR body mass index.
pub(in crate::generate) const EHR_BMI: Lab =
    lab(3038553, "Body mass index (BMI) [Ratio]", "39156-5", Some(KG_M2), VITALS);

pub(super) const LABS: &[Lab] = &[
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

pub(super) const LAB_GROUPS: &[Node] = &[
    node(CHEMISTRY, "Chemistry", "Measurement", "LOINC", "LOINC Group", "LG-CHEM", &[]),
    node(LIPIDS, "Lipids", "Measurement", "LOINC", "LOINC Group", "LG-LIPID", &[CHEMISTRY]),
    node(HEMATOLOGY, "Hematology", "Measurement", "LOINC", "LOINC Group", "LG-HEM", &[]),
    node(VITALS, "Vital signs", "Measurement", "LOINC", "LOINC Group", "LG-VITAL", &[]),
    node(MICROBIOLOGY, "Microbiology", "Measurement", "LOINC", "LOINC Group", "LG-MICRO", &[]),
];

pub(super) const fn pm(id: i32, name: &'static str, code: &'static str, unit: Unit) -> Lab {
    Lab { id, name, code, unit: Some(unit), group: 0 }
}

/// Physical measurement: height.
pub(in crate::generate) const PM_HEIGHT: Lab = pm(903133, "Height", "height", CM);
/// Physical measurement: weight.
pub(in crate::generate) const PM_WEIGHT: Lab = pm(903121, "Weight", "weight", KG);
/// Physical measurement: BMI.
pub(in crate::generate) const PM_BMI: Lab = pm(903124, "BMI", "bmi", KG_M2);
/// Physical measurement: systolic blood pressure.
pub(in crate::generate) const PM_SYSTOLIC: Lab = pm(
    SYSTOLIC,
    "Computed systolic blood pressure, mean of 2nd and 3rd measures",
    "blood-pressure-systolic-mean",
    MM_HG,
);
/// Physical measurement: diastolic blood pressure.
pub(in crate::generate) const PM_DIASTOLIC: Lab = pm(
    DIASTOLIC,
    "Computed diastolic blood pressure, mean of 2nd and 3rd measures",
    "blood-pressure-diastolic-mean",
    MM_HG,
);
/// Physical measurement: heart rate.
pub(in crate::generate) const PM_HEART_RATE: Lab =
    pm(903126, "Computed heart rate, mean of 2nd and 3rd measures", "heart-rate-mean", PER_MIN);
/// Physical measurement: waist circumference.
pub(in crate::generate) const PM_WAIST: Lab =
    pm(903135, "Computed waist circumference, mean of closest two measures", "waist-circumference-mean", CM);
/// Physical measurement: hip circumference.
pub(in crate::generate) const PM_HIP: Lab =
    pm(903136, "Computed hip circumference, mean of closest two measures", "hip-circumference-mean", CM);

pub(super) const PHYSICAL_MEASUREMENTS: &[Lab] =
    &[PM_HEIGHT, PM_WEIGHT, PM_BMI, PM_SYSTOLIC, PM_DIASTOLIC, PM_HEART_RATE, PM_WAIST, PM_HIP];
