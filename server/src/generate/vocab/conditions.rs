//! Conditions.

use super::*;

/// SNOMED grouping concepts above the generated conditions.
pub(super) mod groups {
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

pub(super) const fn disorder(
    id: i32,
    name: &'static str,
    code: &'static str,
    parents: &'static [i32],
) -> Node {
    node(id, name, "Condition", "SNOMED", "Disorder", code, parents)
}

pub(super) const CONDITION_GROUPS: &[Node] = {
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
pub(in crate::generate) struct Icd {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
}

/// How a condition shows up in the record over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::generate) enum Course {
    /// Coded again at a share of later visits (the share is `recur`).
    Chronic,
    /// One event (ER or inpatient), then a few follow-up visits.
    Acute,
}

/// A condition the generator can give a person.
pub(in crate::generate) struct ConditionDef {
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
pub(in crate::generate) enum Cond {
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

pub(super) const fn icd(n: i32, code: &'static str, name: &'static str) -> Icd {
    Icd { id: ICD_BASE + n, code, name }
}

pub(super) const fn chronic(
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

pub(super) const fn acute(
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
pub(super) static CONDITIONS: [ConditionDef; 28] = {
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
pub(super) const ICD_CATEGORIES: &[(&str, &str)] = &[
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
