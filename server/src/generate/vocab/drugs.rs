//! Drugs: ATC 1st → ATC 2nd → ATC 5th → RxNorm ingredient → clinical drug.

use super::*;

/// A drug product as prescribed.
pub(in crate::generate) struct ClinicalDrug {
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
pub(in crate::generate) struct IngredientDef {
    pub id: i32,
    pub name: &'static str,
    pub rxcui: &'static str,
    pub atc: &'static str,
    pub drugs: &'static [ClinicalDrug],
}

/// The generated ingredients (indexes into the ingredient table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::generate) enum Ing {
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

pub(super) const DAILY: &str = "Take 1 tablet by mouth once daily";
pub(super) const TWICE: &str = "Take 1 tablet by mouth twice daily";

pub(super) const fn tablet(id: i32, name: &'static str, per_day: f64, sig: &'static str) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day, package: None, days: &[30, 90], route: Some(ORAL), sig }
}

pub(super) const fn course(
    id: i32,
    name: &'static str,
    per_day: f64,
    days: &'static [i32],
    sig: &'static str,
) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day, package: None, days, route: Some(ORAL), sig }
}

pub(super) const fn package(
    id: i32,
    name: &'static str,
    lasts: f64,
    route: Option<i32>,
    sig: &'static str,
) -> ClinicalDrug {
    ClinicalDrug { id, name, per_day: 0.0, package: Some(lasts), days: &[30, 90], route, sig }
}

pub(super) const fn ing(
    id: i32,
    name: &'static str,
    rxcui: &'static str,
    atc: &'static str,
    drugs: &'static [ClinicalDrug],
) -> IngredientDef {
    IngredientDef { id, name, rxcui, atc, drugs }
}

/// Ingredient definitions, indexed by `Ing`. Clinical drug ids are synthetic (2,100,100,001…).
pub(super) static INGREDIENTS: [IngredientDef; 44] = [
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

pub(super) const ATC_SECOND: &[(&str, &str)] = &[
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

pub(super) const ATC_FIRST: &[(&str, &str)] = &[
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
