//! Procedures and devices (CPT4 and HCPCS codes, synthetic ids).

use super::*;

/// A procedure or device concept.
pub(in crate::generate) struct Code {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub parent: i32,
}

pub(super) const DIGESTIVE_PROCEDURES: i32 = 2_100_400_901;
pub(super) const CARDIOVASCULAR_PROCEDURES: i32 = 2_100_400_902;
pub(super) const RADIOLOGY: i32 = 2_100_400_903;
pub(super) const DIALYSIS: i32 = 2_100_400_904;
pub(super) const PULMONARY: i32 = 2_100_400_905;
pub(super) const NEUROLOGY: i32 = 2_100_400_906;
pub(super) const MUSCULOSKELETAL_PROCEDURES: i32 = 2_100_400_907;
pub(super) const MALE_GENITAL: i32 = 2_100_400_908;
pub(super) const DME: i32 = 2_100_500_900;

pub(super) const PROCEDURE_GROUPS: &[Node] = &[
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
pub(in crate::generate) const COLONOSCOPY: Code = Code {
    id: 2_100_400_001,
    code: "45378",
    name: "Colonoscopy, flexible; diagnostic",
    parent: DIGESTIVE_PROCEDURES,
};
/// Upper GI endoscopy with biopsy.
pub(in crate::generate) const EGD: Code = Code {
    id: 2_100_400_002,
    code: "43239",
    name: "Esophagogastroduodenoscopy, flexible, transoral; with biopsy",
    parent: DIGESTIVE_PROCEDURES,
};
/// Transthoracic echocardiography.
pub(in crate::generate) const ECHO: Code = Code {
    id: 2_100_400_003,
    code: "93306",
    name: "Echocardiography, transthoracic, real-time with image documentation (2D), complete",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Electrocardiogram.
pub(in crate::generate) const ECG: Code = Code {
    id: 2_100_400_004,
    code: "93000",
    name: "Electrocardiogram, routine ECG with at least 12 leads; with interpretation and report",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Coronary stent placement.
pub(in crate::generate) const PCI: Code = Code {
    id: 2_100_400_005,
    code: "92928",
    name: "Percutaneous transcatheter placement of intracoronary stent(s); single major coronary artery",
    parent: CARDIOVASCULAR_PROCEDURES,
};
/// Hemodialysis.
pub(in crate::generate) const HEMODIALYSIS: Code = Code {
    id: 2_100_400_006,
    code: "90935",
    name: "Hemodialysis procedure with single evaluation",
    parent: DIALYSIS,
};
/// Screening mammography.
pub(in crate::generate) const MAMMOGRAPHY: Code =
    Code { id: 2_100_400_007, code: "77067", name: "Screening mammography, bilateral", parent: RADIOLOGY };
/// Spirometry.
pub(in crate::generate) const SPIROMETRY: Code =
    Code { id: 2_100_400_008, code: "94010", name: "Spirometry", parent: PULMONARY };
/// Total knee arthroplasty.
pub(in crate::generate) const KNEE_ARTHROPLASTY: Code = Code {
    id: 2_100_400_009,
    code: "27447",
    name: "Arthroplasty, knee, condyle and plateau",
    parent: MUSCULOSKELETAL_PROCEDURES,
};
/// Polysomnography.
pub(in crate::generate) const POLYSOMNOGRAPHY: Code = Code {
    id: 2_100_400_010,
    code: "95810",
    name: "Polysomnography; age 6 years or older, sleep staging",
    parent: NEUROLOGY,
};
/// Prostate biopsy.
pub(in crate::generate) const PROSTATE_BIOPSY: Code = Code {
    id: 2_100_400_011,
    code: "55700",
    name: "Biopsy, prostate; needle or punch",
    parent: MALE_GENITAL,
};
/// Bone density (DXA).
pub(in crate::generate) const DXA: Code = Code {
    id: 2_100_400_012,
    code: "77080",
    name: "Dual-energy X-ray absorptiometry (DXA), bone density study",
    parent: RADIOLOGY,
};

pub(super) const PROCEDURES: &[Code] = &[
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
pub(in crate::generate) const GLUCOSE_MONITOR: Code =
    Code { id: 2_100_500_001, code: "E0607", name: "Home blood glucose monitor", parent: DME };
/// Blood glucose test strips.
pub(in crate::generate) const TEST_STRIPS: Code = Code {
    id: 2_100_500_002,
    code: "A4253",
    name: "Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips",
    parent: DME,
};
/// Continuous glucose monitor sensor.
pub(in crate::generate) const CGM_SENSOR: Code = Code {
    id: 2_100_500_003,
    code: "A9276",
    name: "Sensor; invasive, disposable, for use with interstitial continuous glucose monitoring system",
    parent: DME,
};
/// CPAP device.
pub(in crate::generate) const CPAP: Code = Code {
    id: 2_100_500_004,
    code: "E0601",
    name: "Continuous positive airway pressure (CPAP) device",
    parent: DME,
};
/// Cane.
pub(in crate::generate) const CANE: Code = Code {
    id: 2_100_500_005,
    code: "E0100",
    name: "Cane, includes canes of all materials, adjustable or fixed, with tip",
    parent: DME,
};
/// Nebulizer.
pub(in crate::generate) const NEBULIZER: Code =
    Code { id: 2_100_500_006, code: "E0570", name: "Nebulizer, with compressor", parent: DME };

pub(super) const DEVICES: &[Code] = &[GLUCOSE_MONITOR, TEST_STRIPS, CGM_SENSOR, CPAP, CANE, NEBULIZER];
