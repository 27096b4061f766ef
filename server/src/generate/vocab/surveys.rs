//! Surveys (PPI). Ids in 2,100,300,000… are synthetic stand-ins for PPI concepts whose real ids the generator does not rely on; their codes follow the All of Us codebook style.

use super::*;

/// A survey answer.
#[derive(Debug)]
pub(in crate::generate) struct Answer {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
}

/// A survey question.
#[derive(Debug)]
pub(in crate::generate) struct Question {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub answers: &'static [Answer],
}

/// A survey (a PPI module).
pub(in crate::generate) struct Survey {
    pub id: i32,
    pub code: &'static str,
    pub name: &'static str,
    pub questions: &'static [&'static Question],
}

pub(super) const fn a(id: i32, code: &'static str, name: &'static str) -> Answer {
    Answer { id, code, name }
}

/// "PMI: Skip" as a survey answer.
pub(in crate::generate) static ANSWER_SKIP: Answer = a(SKIP, "PMI_Skip", "PMI: Skip");
/// "PMI: Prefer Not To Answer" as a survey answer.
pub(in crate::generate) static ANSWER_PREFER_NOT: Answer =
    a(PMI_PREFER_NOT, "PMI_PreferNotToAnswer", "PMI: Prefer Not To Answer");

/// The Basics: gender identity (answers: man, woman, non-binary, transgender).
pub(in crate::generate) static Q_GENDER: Question = Question {
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
pub(in crate::generate) static Q_SEX_AT_BIRTH: Question = Question {
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
pub(in crate::generate) static Q_RACE: Question = Question {
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
pub(in crate::generate) static Q_EDUCATION: Question = Question {
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
pub(in crate::generate) static Q_INCOME: Question = Question {
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
pub(in crate::generate) static Q_MARITAL: Question = Question {
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
pub(in crate::generate) static Q_EMPLOYMENT: Question = Question {
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
pub(in crate::generate) static Q_INSURANCE: Question = Question {
    id: 2_100_300_020,
    code: "Insurance_HealthInsurance",
    name: "Insurance: Health Insurance",
    answers: &[a(2_100_300_021, "HealthInsurance_Yes", "Yes"), a(2_100_300_022, "HealthInsurance_No", "No")],
};
/// The Basics: home ownership (own, rent, other).
pub(in crate::generate) static Q_HOME: Question = Question {
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
pub(in crate::generate) static Q_SMOKE_100: Question = Question {
    id: 1585857,
    code: "Smoking_100CigsLifetime",
    name: "Smoking: 100 Cigs Lifetime",
    answers: &[a(1585858, "100CigsLifetime_Yes", "Yes"), a(1585859, "100CigsLifetime_No", "No")],
};
/// Lifestyle: smoking frequency now (every day, some days, not at all).
pub(in crate::generate) static Q_SMOKE_FREQUENCY: Question = Question {
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
pub(in crate::generate) static Q_VAPING: Question = Question {
    id: 2_100_300_040,
    code: "ElectronicSmoking_ElectricSmokeParticipant",
    name: "Electronic Smoking: Electric Smoke Participant",
    answers: &[
        a(2_100_300_041, "ElectricSmokeParticipant_Yes", "Yes"),
        a(2_100_300_042, "ElectricSmokeParticipant_No", "No"),
    ],
};
/// Lifestyle: smokeless tobacco ever (yes, no).
pub(in crate::generate) static Q_SMOKELESS: Question = Question {
    id: 2_100_300_045,
    code: "SmokelessTobacco_SmokelessParticipant",
    name: "Smokeless Tobacco: Smokeless Participant",
    answers: &[
        a(2_100_300_046, "SmokelessParticipant_Yes", "Yes"),
        a(2_100_300_047, "SmokelessParticipant_No", "No"),
    ],
};
/// Lifestyle: ever had a drink (yes, no).
pub(in crate::generate) static Q_ALCOHOL: Question = Question {
    id: 1586198,
    code: "Alcohol_AlcoholParticipant",
    name: "Alcohol: Alcohol Participant",
    answers: &[a(1586199, "AlcoholParticipant_Yes", "Yes"), a(1586200, "AlcoholParticipant_No", "No")],
};
/// Lifestyle: drink frequency in the past year, never first.
pub(in crate::generate) static Q_DRINK_FREQUENCY: Question = Question {
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
pub(in crate::generate) static Q_DRINK_COUNT: Question = Question {
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
pub(in crate::generate) static Q_GENERAL_HEALTH: Question = Question {
    id: 1585711,
    code: "OverallHealth_GeneralHealth",
    name: "Overall Health: General Health",
    answers: scale!("GeneralHealth", 2_100_300_100),
};
/// Overall Health: quality of life, excellent to poor.
pub(in crate::generate) static Q_QUALITY_OF_LIFE: Question = Question {
    id: 2_100_300_110,
    code: "OverallHealth_QualityOfLife",
    name: "Overall Health: General Quality",
    answers: scale!("GeneralQuality", 2_100_300_110),
};
/// Overall Health: physical health, excellent to poor.
pub(in crate::generate) static Q_PHYSICAL_HEALTH: Question = Question {
    id: 2_100_300_120,
    code: "OverallHealth_PhysicalHealth",
    name: "Overall Health: General Physical Health",
    answers: scale!("GeneralPhysicalHealth", 2_100_300_120),
};
/// Overall Health: mental health, excellent to poor.
pub(in crate::generate) static Q_MENTAL_HEALTH: Question = Question {
    id: 2_100_300_130,
    code: "OverallHealth_MentalHealth",
    name: "Overall Health: General Mental Health",
    answers: scale!("GeneralMentalHealth", 2_100_300_130),
};
/// Overall Health: social satisfaction, excellent to poor.
pub(in crate::generate) static Q_SOCIAL: Question = Question {
    id: 2_100_300_140,
    code: "OverallHealth_SocialSatisfaction",
    name: "Overall Health: Social Satisfaction",
    answers: scale!("SocialSatisfaction", 2_100_300_140),
};
/// Overall Health: everyday activities, completely to not at all.
pub(in crate::generate) static Q_ACTIVITIES: Question = Question {
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
pub(in crate::generate) static Q_FATIGUE: Question = Question {
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
pub(in crate::generate) static Q_PAIN: Question = Question {
    id: 2_100_300_170,
    code: "OverallHealth_AveragePain7Days",
    name: "Overall Health: Average Pain 7 Days",
    answers: &[],
};
/// Overall Health: organ transplant (yes, no).
pub(in crate::generate) static Q_TRANSPLANT: Question = Question {
    id: 2_100_300_180,
    code: "OverallHealth_OrganTransplant",
    name: "Overall Health: Organ Transplant",
    answers: &[a(2_100_300_181, "OrganTransplant_Yes", "Yes"), a(2_100_300_182, "OrganTransplant_No", "No")],
};

/// The Basics.
pub(in crate::generate) static THE_BASICS: Survey = Survey {
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
pub(in crate::generate) static LIFESTYLE: Survey = Survey {
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
pub(in crate::generate) static OVERALL_HEALTH: Survey = Survey {
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

/// COPE: how often, in the last 5 days (answers: 0 to 5 days).
const COPE_DAYS: &[Answer] = &[
    a(2_100_300_301, "COPE_Days_0", "0 days"),
    a(2_100_300_302, "COPE_Days_1to2", "1 to 2 days"),
    a(2_100_300_303, "COPE_Days_3to4", "3 to 4 days"),
    a(2_100_300_304, "COPE_Days_5", "5 days"),
];
/// COPE (the real question 1333102): stress from social distancing recommendations.
pub(in crate::generate) static Q_COPE_STRESS: Question = Question {
    id: 1333102,
    code: "cdc_covid_19_21",
    name: "COPE: Stress from social distancing recommendations",
    answers: &[a(2_100_300_311, "COPE_Stress_Yes", "Yes"), a(2_100_300_312, "COPE_Stress_No", "No")],
};
/// COPE (the real question 1332748): days stayed home all day, in the last 5 days.
pub(in crate::generate) static Q_COPE_STAYED_HOME: Question =
    Question { id: 1332748, code: "msds_9", name: "COPE: Days stayed home all day", answers: COPE_DAYS };
/// COPE (the real question 1333105): days gone to the workplace, in the last 5 days.
pub(in crate::generate) static Q_COPE_WORKPLACE: Question =
    Question { id: 1333105, code: "msds_10", name: "COPE: Days gone to the workplace", answers: COPE_DAYS };
/// COPE, the COVID-19 Participant Experience survey (the real module 1333342), asked in
/// versions (`observation_ext`).
pub(in crate::generate) static COPE: Survey = Survey {
    id: 1333342,
    code: "cope",
    name: "COVID-19 Participant Experience (COPE) Survey",
    questions: &[&Q_COPE_STRESS, &Q_COPE_STAYED_HOME, &Q_COPE_WORKPLACE],
};
/// COPE's versions (`survey_version_concept_id`, the real ids) with their names, in order.
pub(in crate::generate) const COPE_VERSIONS: [(i32, &str); 6] = [
    (2_100_000_002, "COPE Survey May 2020"),
    (2_100_000_003, "COPE Survey June 2020"),
    (2_100_000_004, "COPE Survey July 2020"),
    (2_100_000_005, "COPE Survey November 2020"),
    (2_100_000_006, "COPE Survey December 2020"),
    (2_100_000_007, "COPE Survey February 2021"),
];

pub(super) const SURVEYS: &[&Survey] = &[&THE_BASICS, &LIFESTYLE, &OVERALL_HEALTH, &COPE];

/// The state of residence (PII State, the real question 1585249): a question under no survey,
/// answered once at enrollment by a state whose answer is named "PII State: XX", as the All of
/// Us vocabulary names them (the Data Browser's Location rule reads the code after it).
pub(in crate::generate) static Q_PII_STATE: Question = Question {
    id: 1585249,
    code: "StreetAddress_PIIState",
    name: "PII State",
    answers: &[
        a(2_100_300_201, "PIIState_CA", "PII State: CA"),
        a(2_100_300_202, "PIIState_TX", "PII State: TX"),
        a(2_100_300_203, "PIIState_FL", "PII State: FL"),
        a(2_100_300_204, "PIIState_NY", "PII State: NY"),
        a(2_100_300_205, "PIIState_PA", "PII State: PA"),
        a(2_100_300_206, "PIIState_IL", "PII State: IL"),
        a(2_100_300_207, "PIIState_AZ", "PII State: AZ"),
        a(2_100_300_208, "PIIState_MA", "PII State: MA"),
        a(2_100_300_209, "PIIState_WI", "PII State: WI"),
        a(2_100_300_210, "PIIState_MI", "PII State: MI"),
        a(2_100_300_211, "PIIState_AL", "PII State: AL"),
        a(2_100_300_212, "PIIState_PR", "PII State: PR"),
    ],
};

/// EHR observation: tobacco smoking status (LOINC 72166-2) with its LOINC answers.
pub(in crate::generate) static TOBACCO_STATUS: Question = Question {
    id: 2_100_700_001,
    code: "72166-2",
    name: "Tobacco smoking status",
    answers: &[
        a(2_100_700_002, "LA18976-3", "Current every day smoker"),
        a(2_100_700_003, "LA15920-4", "Former smoker"),
        a(2_100_700_004, "LA18978-9", "Never smoker"),
    ],
};
