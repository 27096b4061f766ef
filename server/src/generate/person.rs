//! One synthetic participant from enrollment to the data cut-off: demographics, latent health
//! (conditions with age- and sex-dependent risk, body size, blood pressure, smoking), and the
//! rows that follow from it — EHR visits, conditions, drugs, labs, procedures, devices, death,
//! physical measurements, survey answers and Fitbit days.
//!
//! Every participant draws from its own ChaCha8 stream, selected by the person's index, so a
//! person's rows depend only on (seed, index).

use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::tables::{
    ActivityRow, Chunk, ConditionRow, DeathRow, DeviceRow, DrugRow, HeartRateRow, MeasurementRow,
    ObservationRow, PeriodRow, PersonRow, ProcedureRow, VisitRow,
};
use super::vocab::{self, Answer, Code, Cond, Course, Ing, Lab, Question};

const fn date(y: i32, m: u32, d: u32) -> i32 {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(day) => day.to_epoch_days(),
        None => panic!("not a date"),
    }
}

/// The data cut-off ("reference date"); current ages are computed at it.
pub(super) const REFERENCE: i32 = date(2023, 10, 1);
/// The reference date as written in the manifest.
pub(super) const REFERENCE_TEXT: &str = "2023-10-01";
/// First enrollment date (All of Us began enrolling in 2017).
const ENROLLMENT_START: i32 = date(2017, 6, 1);
/// First day of Fitbit data.
const FITBIT_START: i32 = date(2019, 1, 1);
/// First day SARS-CoV-2 tests were ordered.
const COVID_START: i32 = date(2020, 3, 1);

const DAY_MICROS: i64 = 86_400_000_000;
const HOUR_MICROS: i64 = 3_600_000_000;
const MINUTE_MICROS: i64 = 60_000_000;
const N_CONDITIONS: usize = Cond::ALL.len();

/// Appends the rows of persons `first .. first + count` to `chunk`.
pub(super) fn generate_chunk(seed: u64, first: u64, count: u64, chunk: &mut Chunk) {
    for index in first..first + count {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let person = draw_person(&mut rng, index);
        Sim {
            rng,
            out: chunk,
            p: person,
            visits: Vec::new(),
            onset: [None; N_CONDITIONS],
            started: 0,
            statin_since: None,
            diabetes_treated_since: None,
        }
        .run();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SexAtBirth {
    Male,
    Female,
    Intersex,
    Skip,
    PreferNot,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Race {
    White,
    Black,
    Asian,
    Nhpi,
    Aian,
    Multi,
    NoneIndicated,
    PreferNot,
    Skip,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Smoking {
    Never,
    Former,
    Current,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Outpatient,
    Emergency,
    Inpatient,
}

#[derive(Clone, Copy)]
struct Visit {
    date: i32,
    end: i32,
    micros: i64,
    kind: Kind,
    local: u32,
}

/// What a participant is, before any row is written.
struct Person {
    id: i64,
    sex_at_birth: SexAtBirth,
    /// Sex used for risks and reference ranges (drawn at random when not reported).
    female: bool,
    gender: &'static Answer,
    race: Race,
    hispanic: bool,
    age: i32,
    birth: i32,
    enroll: i32,
    death: Option<i32>,
    height: f64,
    bmi: f64,
    smoking: Smoking,
    sbp: f64,
    dbp: f64,
    heart_rate: f64,
    has: [bool; N_CONDITIONS],
    /// EHR observation period, if the participant shared EHR data.
    period: Option<(i32, i32)>,
}

impl Person {
    fn has(&self, c: Cond) -> bool {
        self.has[c as usize]
    }

    fn weight(&self) -> f64 {
        self.bmi * (self.height / 100.0).powi(2)
    }

    fn condition_count(&self) -> usize {
        self.has.iter().filter(|&&h| h).count()
    }
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (x * m).round() / m
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    mean + sd * z
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, weights: &[(T, f64)]) -> T {
    let total: f64 = weights.iter().map(|w| w.1).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in weights {
        if x < w {
            return item;
        }
        x -= w;
    }
    weights[weights.len() - 1].0
}

fn between(rng: &mut ChaCha8Rng, lo: i32, hi: i32) -> i32 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

/// Draws demographics and latent health; dates of EHR events come later.
fn draw_person(rng: &mut ChaCha8Rng, index: u64) -> Person {
    use SexAtBirth as S;
    let sex_at_birth = pick(
        rng,
        &[
            (S::Female, 0.535),
            (S::Male, 0.446),
            (S::Intersex, 0.002),
            (S::Skip, 0.011),
            (S::PreferNot, 0.006),
        ],
    );
    let female = match sex_at_birth {
        S::Female => true,
        S::Male => false,
        _ => rng.random_bool(0.5),
    };
    let answers = vocab::Q_GENDER.answers;
    let (same, other) = if female { (&answers[1], &answers[0]) } else { (&answers[0], &answers[1]) };
    let gender = match sex_at_birth {
        S::Skip if rng.random_bool(0.7) => &vocab::ANSWER_SKIP,
        S::PreferNot if rng.random_bool(0.7) => &vocab::ANSWER_PREFER_NOT,
        _ => pick(
            rng,
            &[
                (same, 0.972),
                (&answers[2], 0.010),
                (&answers[3], 0.005),
                (other, 0.003),
                (&vocab::ANSWER_SKIP, 0.006),
                (&vocab::ANSWER_PREFER_NOT, 0.004),
            ],
        ),
    };

    use Race as R;
    let race = pick(
        rng,
        &[
            (R::White, 0.50),
            (R::Black, 0.20),
            (R::Asian, 0.04),
            (R::Nhpi, 0.003),
            (R::Aian, 0.009),
            (R::Multi, 0.03),
            (R::NoneIndicated, 0.158),
            (R::PreferNot, 0.035),
            (R::Skip, 0.025),
        ],
    );
    let hispanic = rng.random_bool(match race {
        R::NoneIndicated => 0.85,
        R::White => 0.06,
        R::Multi => 0.2,
        R::PreferNot | R::Skip => 0.0,
        _ => 0.03,
    });

    // Age at the reference date, and a birth date that gives exactly that age.
    let band =
        pick(rng, &[(18, 0.10), (30, 0.15), (40, 0.15), (50, 0.19), (60, 0.22), (70, 0.14), (80, 0.05)]);
    let age = band + rng.random_range(0..if band == 18 { 12 } else { 10 });
    let year = 2023 - age;
    let birth = between(rng, date(year - 1, 10, 1) + 1, date(year, 10, 1));
    let adult = NaiveDate::from_epoch_days(birth)
        .and_then(|b| b.checked_add_months(Months::new(18 * 12)))
        .expect("birth dates are in range")
        .to_epoch_days();
    let first = ENROLLMENT_START.max(adult);
    let enroll = between(rng, first, (REFERENCE - 14).max(first));

    // Body and habits.
    let height = if female { normal(rng, 162.0, 7.0) } else { normal(rng, 176.0, 7.5) }.clamp(140.0, 205.0);
    let mut bmi_mean = 27.6;
    if (40..70).contains(&age) {
        bmi_mean += 1.5;
    }
    if race == R::Black && female {
        bmi_mean += 2.0;
    }
    if race == R::Asian {
        bmi_mean -= 3.5;
    }
    let bmi = (bmi_mean * normal(rng, 0.0, 0.2).exp()).clamp(15.5, 65.0);
    let ever_smoked =
        rng.random_bool(0.30 + if female { 0.0 } else { 0.08 } + if age >= 50 { 0.08 } else { 0.0 });
    let smoking = if !ever_smoked {
        Smoking::Never
    } else if rng.random_bool(if age >= 65 { 0.2 } else { 0.38 }) {
        Smoking::Current
    } else {
        Smoking::Former
    };

    let mut p = Person {
        id: index as i64 + 1,
        sex_at_birth,
        female,
        gender,
        race,
        hispanic,
        age,
        birth,
        enroll,
        death: None,
        height,
        bmi,
        smoking,
        sbp: 0.0,
        dbp: 0.0,
        heart_rate: 0.0,
        has: [false; N_CONDITIONS],
        period: None,
    };
    for c in Cond::ALL {
        let r = risk(c, &p).clamp(0.0, 0.9);
        p.has[c as usize] = rng.random::<f64>() < r;
    }

    let obese = bmi >= 30.0;
    p.sbp = 110.0
        + 0.45 * f64::from((age - 30).max(0))
        + 0.5 * (bmi - 25.0)
        + if female { 0.0 } else { 4.0 }
        + if p.has(Cond::Hypertension) { 12.0 } else { 0.0 }
        + normal(rng, 0.0, 9.0);
    p.dbp = 0.4 * p.sbp + 26.0 + if p.has(Cond::Hypertension) { 4.0 } else { 0.0 } + normal(rng, 0.0, 6.0);
    p.heart_rate = normal(rng, 71.0, 9.0) + if obese { 4.0 } else { 0.0 };

    // Death: a few percent, more with age and serious disease; always after enrollment.
    let mut p_death = 0.006 + 0.0012 * f64::from((age - 45).max(0));
    for (c, factor) in [
        (Cond::HeartFailure, 2.0),
        (Cond::BreastCancer, 2.0),
        (Cond::ProstateCancer, 1.5),
        (Cond::ColonCancer, 3.0),
        (Cond::Copd, 1.5),
        (Cond::Ckd, 1.5),
    ] {
        if p.has(c) {
            p_death *= factor;
        }
    }
    if rng.random::<f64>() < p_death.min(0.4) && enroll + 30 < REFERENCE - 1 {
        p.death = Some(between(rng, enroll + 30, REFERENCE - 1));
    }

    // EHR coverage: most participants share records reaching back 1–15 years.
    if rng.random_bool(0.80) {
        let years = 1.0 + 14.0 * rng.random::<f64>().powf(1.3);
        let mut end = REFERENCE - 1 - rng.random_range(0..120);
        if let Some(death) = p.death {
            end = end.min(death);
        }
        let start = (end - (years * 365.25) as i32).max(adult);
        if end - start >= 30 {
            p.period = Some((start, end));
        }
    }
    p
}

/// Probability that a person has a condition, given what was drawn before it.
fn risk(c: Cond, p: &Person) -> f64 {
    use Cond::*;
    let age = f64::from(p.age);
    let by_age = |base: f64, k: f64| base * (k * (age - 50.0)).exp();
    let sex = |male: f64, female: f64| if p.female { female } else { male };
    let times = |yes: bool, factor: f64| if yes { factor } else { 1.0 };
    let obese = p.bmi >= 30.0;
    let smoker = p.smoking != Smoking::Never;
    let black = p.race == Race::Black;
    let lipids = p.has(Hyperlipidemia) || p.has(Hypercholesterolemia);
    match c {
        Obesity if p.bmi >= 30.0 => 0.65,
        Obesity if p.bmi >= 27.0 => 0.05,
        Obesity => 0.0,
        T2dm => by_age(0.08, 0.04) * times(obese, 2.2) * times(black || p.hispanic, 1.4),
        T1dm if p.has(T2dm) => 0.0,
        T1dm => 0.006,
        Hypertension => by_age(0.30, 0.045) * times(obese, 1.5) * times(black, 1.4),
        Hyperlipidemia => by_age(0.22, 0.04) * times(p.has(T2dm), 1.4),
        Hypercholesterolemia if p.has(Hyperlipidemia) => 0.0,
        Hypercholesterolemia => by_age(0.09, 0.04),
        Hypothyroidism => by_age(0.05, 0.02) * sex(0.5, 2.0),
        Asthma => by_age(0.10, -0.005) * sex(0.8, 1.25),
        Copd => by_age(0.015, 0.06) * times(smoker, 4.0),
        AllergicRhinitis => by_age(0.12, -0.01),
        SleepApnea => by_age(0.05, 0.03) * times(obese, 2.5) * sex(1.4, 0.7),
        Depression => by_age(0.16, -0.01) * sex(0.7, 1.3),
        Anxiety => by_age(0.15, -0.015) * sex(0.75, 1.25) * times(p.has(Depression), 1.8),
        Migraine => by_age(0.08, -0.02) * sex(0.5, 1.6),
        AtrialFibrillation => by_age(0.025, 0.08) * sex(1.3, 0.8),
        CoronaryArteriosclerosis => {
            by_age(0.03, 0.06)
                * sex(1.5, 0.6)
                * times(p.has(T2dm), 1.5)
                * times(smoker, 1.5)
                * times(lipids, 1.3)
        }
        MyocardialInfarction if p.has(CoronaryArteriosclerosis) => 0.25,
        MyocardialInfarction => by_age(0.003, 0.05),
        HeartFailure => {
            by_age(0.009, 0.07)
                * times(p.has(Hypertension), 1.8)
                * times(p.has(AtrialFibrillation), 2.0)
                * times(p.has(CoronaryArteriosclerosis), 1.8)
        }
        Stroke => {
            by_age(0.012, 0.06) * times(p.has(Hypertension), 1.5) * times(p.has(AtrialFibrillation), 2.0)
        }
        Ckd => by_age(0.02, 0.06) * times(p.has(T2dm), 2.5) * times(p.has(Hypertension), 1.6),
        Anemia => by_age(0.07, 0.02) * sex(0.8, 1.3) * times(p.has(Ckd), 1.6),
        Gerd => by_age(0.14, 0.01) * times(obese, 1.3),
        GiHemorrhage => by_age(0.012, 0.04) * times(p.has(AtrialFibrillation), 2.0),
        Osteoarthritis => by_age(0.11, 0.06) * times(obese, 1.5) * sex(0.85, 1.15),
        Osteoporosis => by_age(0.025, 0.08) * sex(0.2, 1.8),
        BreastCancer if p.female => by_age(0.022, 0.04),
        ProstateCancer if !p.female => by_age(0.02, 0.08),
        BreastCancer | ProstateCancer => 0.0,
        ColonCancer => by_age(0.005, 0.05),
    }
}

/// A survey reply.
#[derive(Clone, Copy)]
enum Reply {
    Answer(&'static Answer),
    Number(f64),
}

/// The state of one participant's simulation.
struct Sim<'a> {
    rng: ChaCha8Rng,
    out: &'a mut Chunk,
    p: Person,
    visits: Vec<Visit>,
    onset: [Option<i32>; N_CONDITIONS],
    /// Ingredients already started (bit `Ing as usize`).
    started: u64,
    statin_since: Option<i32>,
    diabetes_treated_since: Option<i32>,
}

impl Sim<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        normal(&mut self.rng, mean, sd)
    }

    fn between(&mut self, lo: i32, hi: i32) -> i32 {
        between(&mut self.rng, lo, hi)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.random::<f64>()
    }

    fn poisson(&mut self, lambda: f64) -> u32 {
        let d = Poisson::new(lambda.max(1e-6)).expect("a positive, finite rate");
        d.sample(&mut self.rng) as u32
    }

    /// A time on `day` between the two hours, to the minute.
    fn at(&mut self, day: i32, from_hour: i64, to_hour: i64) -> i64 {
        let t = self.rng.random_range(from_hour * HOUR_MICROS..to_hour * HOUR_MICROS);
        i64::from(day) * DAY_MICROS + t / MINUTE_MICROS * MINUTE_MICROS
    }

    fn active(&self, c: Cond, day: i32) -> bool {
        self.onset[c as usize].is_some_and(|o| o <= day)
    }

    fn run(mut self) {
        self.person_row();
        if let Some(death) = self.p.death {
            let cause = [
                Cond::MyocardialInfarction,
                Cond::HeartFailure,
                Cond::Stroke,
                Cond::BreastCancer,
                Cond::ProstateCancer,
                Cond::ColonCancer,
                Cond::Copd,
                Cond::Ckd,
            ]
            .into_iter()
            .find(|&c| self.p.has(c))
            .map(|c| c.def().id);
            self.out.deaths.push(DeathRow { person_id: self.p.id, date: death, cause });
        }
        if self.chance(0.85) {
            self.physical_measurements();
        }
        self.surveys();
        if self.chance(0.15) {
            self.fitbit();
        }
        if let Some(period) = self.p.period {
            self.ehr(period);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Person.

    fn person_row(&mut self) {
        let p = &self.p;
        let born = NaiveDate::from_epoch_days(p.birth).expect("birth dates are in range");
        let sex_at_birth = match p.sex_at_birth {
            SexAtBirth::Male => vocab::SEX_MALE,
            SexAtBirth::Female => vocab::SEX_FEMALE,
            SexAtBirth::Intersex => vocab::SEX_INTERSEX,
            SexAtBirth::Skip => vocab::SKIP,
            SexAtBirth::PreferNot => vocab::PREFER_NOT,
        };
        let gender = match p.gender.code {
            "GenderIdentity_Man" => vocab::MALE,
            "GenderIdentity_Woman" => vocab::FEMALE,
            _ => vocab::NO_MATCHING,
        };
        let (race, race_source, race_source_concept) = match p.race {
            Race::White => (vocab::WHITE, "WhatRaceEthnicity_White", Some(1586146)),
            Race::Black => (vocab::BLACK, "WhatRaceEthnicity_Black", Some(1586143)),
            Race::Asian => (vocab::ASIAN, "WhatRaceEthnicity_Asian", Some(1586142)),
            Race::Nhpi => (vocab::NHPI, "WhatRaceEthnicity_NHPI", Some(1586145)),
            Race::Aian => (vocab::AIAN, "WhatRaceEthnicity_AIAN", Some(1586141)),
            Race::Multi => (
                vocab::MORE_THAN_ONE,
                "WhatRaceEthnicity_GeneralizedMultPopulations",
                Some(vocab::MORE_THAN_ONE),
            ),
            Race::NoneIndicated => (vocab::NONE_INDICATED, "AoUDRC_NoneIndicated", None),
            Race::PreferNot => (vocab::PREFER_NOT, "PMI_PreferNotToAnswer", Some(vocab::PMI_PREFER_NOT)),
            Race::Skip => (vocab::SKIP, "PMI_Skip", Some(vocab::SKIP)),
        };
        let (ethnicity, ethnicity_source, ethnicity_source_concept) = match p.race {
            Race::Skip => (vocab::SKIP, "PMI_Skip", Some(vocab::SKIP)),
            Race::PreferNot => (vocab::PREFER_NOT, "PMI_PreferNotToAnswer", Some(vocab::PMI_PREFER_NOT)),
            _ if p.hispanic => (vocab::HISPANIC, "WhatRaceEthnicity_Hispanic", Some(1586147)),
            _ => (vocab::NOT_HISPANIC, "Not Hispanic", None),
        };
        self.out.persons.push(PersonRow {
            person_id: p.id,
            gender,
            year: born.year(),
            month: born.month() as i32,
            day: born.day() as i32,
            birth_micros: i64::from(p.birth) * DAY_MICROS,
            race,
            ethnicity,
            sex_at_birth,
            gender_source: p.gender.code,
            gender_source_concept: p.gender.id,
            race_source,
            race_source_concept,
            ethnicity_source,
            ethnicity_source_concept,
        });
    }

    // -----------------------------------------------------------------------------------------
    // Program data: physical measurements, surveys, Fitbit.

    fn measurement(
        &self,
        lab: &Lab,
        day: i32,
        micros: i64,
        value: Option<f64>,
        range: Option<(f64, f64)>,
    ) -> MeasurementRow {
        MeasurementRow {
            person_id: self.p.id,
            concept: lab.id,
            date: day,
            micros,
            type_concept: vocab::EHR,
            value,
            value_concept: None,
            unit: lab.unit.map(|u| u.id),
            low: range.map(|r| r.0),
            high: range.map(|r| r.1),
            visit: None,
            source_value: lab.code,
            unit_source: lab.unit.map(|u| u.code),
            value_source: None,
        }
    }

    fn physical_measurements(&mut self) {
        let day = self.p.enroll;
        let micros = self.at(day, 8, 18);
        let height = round_to(self.p.height + self.normal(0.0, 0.4), 1);
        let weight = round_to(self.p.weight() + self.normal(0.0, 0.8), 1);
        let bmi = round_to(weight / (height / 100.0).powi(2), 1);
        let sbp = (self.p.sbp + self.normal(0.0, 5.0)).round();
        let dbp = (self.p.dbp + self.normal(0.0, 4.0)).round().min(sbp - 15.0);
        let heart_rate = (self.p.heart_rate + self.normal(0.0, 4.0)).round();
        let male = if self.p.female { 0.0 } else { 4.0 };
        let waist = round_to(38.0 + 1.9 * self.p.bmi + male + self.normal(0.0, 4.0), 1);
        let hip = round_to(58.0 + 1.5 * self.p.bmi + (4.0 - male) + self.normal(0.0, 4.0), 1);
        let items = [
            (&vocab::PM_HEIGHT, height, 0.99),
            (&vocab::PM_WEIGHT, weight, 0.99),
            (&vocab::PM_BMI, bmi, 0.99),
            (&vocab::PM_SYSTOLIC, sbp, 0.98),
            (&vocab::PM_DIASTOLIC, dbp, 0.98),
            (&vocab::PM_HEART_RATE, heart_rate, 0.98),
            (&vocab::PM_WAIST, waist, 0.92),
            (&vocab::PM_HIP, hip, 0.92),
        ];
        let mut bp_taken = true;
        for (lab, value, share) in items {
            // Both blood pressures or neither.
            let taken = if lab.id == vocab::PM_DIASTOLIC.id { bp_taken } else { self.chance(share) };
            if lab.id == vocab::PM_SYSTOLIC.id {
                bp_taken = taken;
            }
            if taken {
                let mut row = self.measurement(lab, day, micros, Some(value), None);
                row.type_concept = vocab::PHYSICAL_EXAM;
                self.out.measurements.push(row);
            }
        }
    }

    fn ask(&mut self, q: &'static Question, day: i32, micros: i64, reply: Reply) {
        let (value_number, value_concept, value_source_value) = match reply {
            Reply::Answer(a) => (None, Some(a.id), Some(a.code)),
            Reply::Number(x) => (Some(x), None, None),
        };
        self.out.observations.push(ObservationRow {
            person_id: self.p.id,
            concept: q.id,
            date: day,
            micros,
            type_concept: vocab::SURVEY_TYPE,
            value_number,
            value_concept,
            visit: None,
            source_value: q.code,
            value_source_value,
        });
    }

    /// Answers `q` with answer number `i`, or skips it / prefers not to answer now and then.
    fn answer(&mut self, q: &'static Question, day: i32, micros: i64, i: usize, skip: f64, prefer_not: f64) {
        let x = self.rng.random::<f64>();
        let a = if x < skip {
            &vocab::ANSWER_SKIP
        } else if x < skip + prefer_not {
            &vocab::ANSWER_PREFER_NOT
        } else {
            &q.answers[i.min(q.answers.len() - 1)]
        };
        self.ask(q, day, micros, Reply::Answer(a));
    }

    /// An index on a five-point scale from a latent score (0 best).
    fn scale(&mut self, score: f64) -> usize {
        (score + self.normal(0.0, 0.8)).round().clamp(0.0, 4.0) as usize
    }

    fn surveys(&mut self) {
        let day = self.p.enroll;
        let micros = self.at(day, 7, 23);
        let p = &self.p;
        let (age, female) = (p.age, p.female);

        // The Basics: everyone completes it at enrollment.
        self.ask(&vocab::Q_GENDER, day, micros, Reply::Answer(self.p.gender));
        let sab = &vocab::Q_SEX_AT_BIRTH;
        let sex_answer = match self.p.sex_at_birth {
            SexAtBirth::Male => &sab.answers[0],
            SexAtBirth::Female => &sab.answers[1],
            SexAtBirth::Intersex => &sab.answers[2],
            SexAtBirth::Skip => &vocab::ANSWER_SKIP,
            SexAtBirth::PreferNot => &vocab::ANSWER_PREFER_NOT,
        };
        self.ask(sab, day, micros, Reply::Answer(sex_answer));
        self.race_answers(day, micros);
        let education = pick(
            &mut self.rng,
            &[(0, 0.003), (1, 0.005), (2, 0.02), (3, 0.06), (4, 0.20), (5, 0.27), (6, 0.25), (7, 0.19)],
        );
        self.answer(&vocab::Q_EDUCATION, day, micros, education, 0.02, 0.01);
        let income =
            (f64::from(education as i32) - 1.5 + self.normal(0.0, 1.8)).round().clamp(0.0, 8.0) as usize;
        self.answer(&vocab::Q_INCOME, day, micros, income, 0.03, 0.08);
        let marital = match age {
            ..30 => pick(&mut self.rng, &[(0, 0.2), (1, 0.15), (2, 0.6), (3, 0.03), (4, 0.02)]),
            30..65 => pick(&mut self.rng, &[(0, 0.5), (1, 0.1), (2, 0.2), (3, 0.15), (4, 0.04), (5, 0.01)]),
            _ => pick(&mut self.rng, &[(0, 0.5), (1, 0.04), (2, 0.07), (3, 0.18), (4, 0.02), (5, 0.19)]),
        };
        self.answer(&vocab::Q_MARITAL, day, micros, marital, 0.02, 0.02);
        let employment = if age >= 66 {
            pick(&mut self.rng, &[(0, 0.15), (1, 0.07), (5, 0.7), (6, 0.08)])
        } else if age < 25 {
            pick(&mut self.rng, &[(0, 0.45), (2, 0.1), (4, 0.4), (6, 0.05)])
        } else {
            pick(&mut self.rng, &[(0, 0.58), (1, 0.08), (2, 0.08), (3, 0.06), (5, 0.08), (6, 0.12)])
        };
        self.answer(&vocab::Q_EMPLOYMENT, day, micros, employment, 0.02, 0.01);
        let insured = usize::from(!self.chance(0.9));
        self.answer(&vocab::Q_INSURANCE, day, micros, insured, 0.02, 0.01);
        let own = if age >= 50 { 0.68 } else { 0.42 };
        let home = pick(&mut self.rng, &[(0, own), (1, 0.93 - own), (2, 0.07)]);
        self.answer(&vocab::Q_HOME, day, micros, home, 0.02, 0.02);

        // Lifestyle.
        if self.chance(0.93) {
            let smoking = self.p.smoking;
            self.answer(&vocab::Q_SMOKE_100, day, micros, usize::from(smoking == Smoking::Never), 0.01, 0.0);
            if smoking != Smoking::Never {
                let frequency = match smoking {
                    Smoking::Current if self.chance(0.7) => 0,
                    Smoking::Current => 1,
                    _ => 2,
                };
                self.answer(&vocab::Q_SMOKE_FREQUENCY, day, micros, frequency, 0.02, 0.0);
            }
            let vaped = self.chance(if age < 35 { 0.35 } else { 0.12 });
            self.answer(&vocab::Q_VAPING, day, micros, usize::from(!vaped), 0.02, 0.0);
            let smokeless = self.chance(if female { 0.02 } else { 0.09 });
            self.answer(&vocab::Q_SMOKELESS, day, micros, usize::from(!smokeless), 0.02, 0.0);
            let drinker = self.chance(0.86);
            self.answer(&vocab::Q_ALCOHOL, day, micros, usize::from(!drinker), 0.01, 0.0);
            if drinker {
                let frequency = pick(&mut self.rng, &[(0, 0.1), (1, 0.32), (2, 0.2), (3, 0.2), (4, 0.18)]);
                self.answer(&vocab::Q_DRINK_FREQUENCY, day, micros, frequency, 0.02, 0.01);
                if frequency > 0 {
                    let count = pick(&mut self.rng, &[(0, 0.62), (1, 0.24), (2, 0.08), (3, 0.04), (4, 0.02)]);
                    self.answer(&vocab::Q_DRINK_COUNT, day, micros, count, 0.03, 0.01);
                }
            }
        }

        // Overall Health.
        if self.chance(0.94) {
            let p = &self.p;
            let burden = 0.3 * p.condition_count() as f64
                + if p.bmi >= 35.0 { 0.4 } else { 0.0 }
                + if p.smoking == Smoking::Current { 0.4 } else { 0.0 };
            let mental = if p.has(Cond::Depression) || p.has(Cond::Anxiety) { 1.0 } else { 0.0 };
            let pain_base =
                1.0 + 0.5 * p.condition_count() as f64 + if p.has(Cond::Osteoarthritis) { 2.0 } else { 0.0 };
            let general = self.scale(1.2 + burden);
            self.answer(&vocab::Q_GENERAL_HEALTH, day, micros, general, 0.01, 0.0);
            let quality = self.scale(1.0 + 0.7 * burden + 0.5 * mental);
            self.answer(&vocab::Q_QUALITY_OF_LIFE, day, micros, quality, 0.01, 0.0);
            let physical = self.scale(1.3 + burden);
            self.answer(&vocab::Q_PHYSICAL_HEALTH, day, micros, physical, 0.01, 0.0);
            let mental_health = self.scale(1.1 + 1.2 * mental);
            self.answer(&vocab::Q_MENTAL_HEALTH, day, micros, mental_health, 0.01, 0.0);
            let social = self.scale(1.3 + 0.3 * burden + 0.8 * mental);
            self.answer(&vocab::Q_SOCIAL, day, micros, social, 0.02, 0.0);
            let activities = self.scale(0.4 + 0.8 * burden);
            self.answer(&vocab::Q_ACTIVITIES, day, micros, activities, 0.02, 0.0);
            let fatigue = self.scale(0.8 + 0.6 * burden + 0.5 * mental);
            self.answer(&vocab::Q_FATIGUE, day, micros, fatigue, 0.02, 0.0);
            if self.chance(0.97) {
                let pain = (pain_base + self.normal(0.0, 1.5)).round().clamp(0.0, 10.0);
                self.ask(&vocab::Q_PAIN, day, micros, Reply::Number(pain));
            }
            let transplant = self.chance(0.005);
            self.answer(&vocab::Q_TRANSPLANT, day, micros, usize::from(!transplant), 0.02, 0.0);
        }
    }

    /// The Basics race/ethnicity question: one row per selected answer.
    fn race_answers(&mut self, day: i32, micros: i64) {
        let q = &vocab::Q_RACE;
        let [aian, asian, black, mena, nhpi, white, hispanic, none] = [0, 1, 2, 3, 4, 5, 6, 7];
        let mut selected: Vec<usize> = match self.p.race {
            Race::White => vec![white],
            Race::Black => vec![black],
            Race::Asian => vec![asian],
            Race::Nhpi => vec![nhpi],
            Race::Aian => vec![aian],
            Race::Multi => {
                let first = [white, black, asian, aian][self.rng.random_range(0..4)];
                let second = loop {
                    let s = [aian, asian, black, mena, nhpi, white][self.rng.random_range(0..6)];
                    if s != first {
                        break s;
                    }
                };
                vec![first, second]
            }
            Race::NoneIndicated if self.p.hispanic => vec![],
            Race::NoneIndicated => vec![if self.chance(0.6) { mena } else { none }],
            Race::PreferNot => {
                self.ask(q, day, micros, Reply::Answer(&vocab::ANSWER_PREFER_NOT));
                return;
            }
            Race::Skip => {
                self.ask(q, day, micros, Reply::Answer(&vocab::ANSWER_SKIP));
                return;
            }
        };
        if self.p.hispanic {
            selected.push(hispanic);
        }
        for i in selected {
            self.ask(q, day, micros, Reply::Answer(&q.answers[i]));
        }
    }

    fn fitbit(&mut self) {
        let days = self.rng.random_range(30..=120);
        let lo = self.p.enroll.max(FITBIT_START);
        let last = self.p.death.map_or(REFERENCE - 1, |d| d - 1).min(REFERENCE - 1);
        if last - lo + 1 < days {
            return;
        }
        let start = self.between(lo, last - days + 1);
        let p = &self.p;
        let (age, weight, height, female) = (f64::from(p.age), p.weight(), p.height, p.female);
        let sick = p.has(Cond::HeartFailure) || p.has(Cond::Copd);
        let obese = p.bmi >= 30.0;
        let resting = p.heart_rate - 4.0;
        let mean_steps = (9800.0
            - 70.0 * (age - 40.0)
            - if obese { 1800.0 } else { 0.0 }
            - if sick { 1500.0 } else { 0.0 }
            + self.normal(0.0, 1800.0))
        .clamp(1500.0, 17000.0);
        let bmr = 10.0 * weight + 6.25 * height - 5.0 * age + if female { -161.0 } else { 5.0 };
        let max_hr = 220.0 - age;
        let zone = |share: f64| (share * max_hr).round() as i32;
        let kcal = weight / 70.0;
        for d in 0..days {
            let day = start + d;
            let weekend = matches!((day + 4).rem_euclid(7), 0 | 6); // 1970-01-01 was a Thursday
            let worn_little = self.chance(0.03);
            let factor = if weekend { 0.85 } else { 1.0 } * if worn_little { 0.05 } else { 1.0 };
            let steps = (mean_steps * factor * self.normal(0.0, 0.35).exp()).round().clamp(0.0, 40_000.0);
            let activity = steps / 10_000.0;
            let very = (25.0 * activity * self.uniform(0.3, 1.7)).round();
            let fairly = (20.0 * activity * self.uniform(0.5, 1.5)).round();
            let lightly =
                ((150.0 + 130.0 * activity) * self.uniform(0.7, 1.3) * if worn_little { 0.2 } else { 1.0 })
                    .round();
            let asleep = self.uniform(400.0, 540.0).round();
            let sedentary = (1440.0 - asleep - very - fairly - lightly).max(0.0);
            let calories = (bmr * 1.15 + steps * 0.04 * kcal + very * 8.0 + fairly * 5.0).round();
            let person_id = self.p.id;
            self.out.activity.push(ActivityRow {
                person_id,
                date: day,
                steps: steps as i64,
                calories,
                sedentary: sedentary as i32,
                lightly: lightly as i32,
                fairly: fairly as i32,
                very: very as i32,
            });
            let peak = (very * 0.2 * self.uniform(0.0, 1.0)).round();
            let cardio = (very * 0.6 + fairly * 0.2).round();
            let fat_burn = (fairly * 0.8 + lightly * 0.3).round();
            let off_wrist = self.uniform(60.0, 240.0).round();
            let out_of_range = (1440.0 - off_wrist - peak - cardio - fat_burn).max(0.0);
            let rest_min = (resting - 12.0).round().max(35.0) as i32;
            for (name, min, max, minutes, per_minute) in [
                ("Out of Range", rest_min, zone(0.5) - 1, out_of_range, 1.1),
                ("Fat Burn", zone(0.5), zone(0.7) - 1, fat_burn, 4.5),
                ("Cardio", zone(0.7), zone(0.85) - 1, cardio, 8.0),
                ("Peak", zone(0.85), 220, peak, 11.0),
            ] {
                self.out.heart_rate.push(HeartRateRow {
                    person_id,
                    date: day,
                    zone: name,
                    min,
                    max,
                    minutes: minutes as i32,
                    calories: round_to(minutes * per_minute * kcal, 2),
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // EHR.

    fn add_visit(&mut self, day: i32, kind: Kind, period_end: i32) -> Visit {
        let (concept, source, micros) = match kind {
            Kind::Outpatient => (vocab::OUTPATIENT, "OP", self.at(day, 8, 17)),
            Kind::Emergency => (vocab::EMERGENCY, "ER", self.at(day, 0, 24)),
            Kind::Inpatient => (vocab::INPATIENT, "IP", self.at(day, 0, 24)),
        };
        let (end, end_micros) = match kind {
            Kind::Outpatient => (day, micros + self.rng.random_range(15..90) * MINUTE_MICROS),
            Kind::Emergency => {
                let end_micros = micros + self.rng.random_range(2..14) * HOUR_MICROS;
                ((end_micros / DAY_MICROS) as i32, end_micros)
            }
            Kind::Inpatient => {
                let end = (day + self.rng.random_range(1..=7)).min(period_end).max(day);
                (end, self.at(end, 9, 15).max(micros + HOUR_MICROS))
            }
        };
        let (end, end_micros) = if end > period_end {
            (period_end, end_micros.min(i64::from(period_end + 1) * DAY_MICROS - MINUTE_MICROS))
        } else {
            (end, end_micros)
        };
        let local = self.out.visits.len() as u32;
        self.out.visits.push(VisitRow {
            person_id: self.p.id,
            concept,
            start: day,
            start_micros: micros,
            end,
            end_micros,
            source,
        });
        let visit = Visit { date: day, end, micros, kind, local };
        self.visits.push(visit);
        visit
    }

    fn ehr(&mut self, (start, end): (i32, i32)) {
        let p = &self.p;
        let years = f64::from(end - start) / 365.25;
        let lambda =
            1.5 + 1.6 * p.condition_count() as f64 + 0.4 * years + if p.age >= 65 { 1.5 } else { 0.0 };
        self.out.periods.push(PeriodRow { person_id: p.id, start, end });

        // Onsets: recorded conditions are mostly found early in the record.
        for c in Cond::ALL {
            if self.p.has(c) {
                let u = self.rng.random::<f64>().powf(1.5);
                self.onset[c as usize] = Some(start + (f64::from(end - start) * u) as i32);
            }
        }
        // Routine visits.
        let n = self.poisson(lambda) + 1;
        for _ in 0..n {
            let day = self.between(start, end);
            let kind = match self.rng.random::<f64>() {
                x if x < 0.85 => Kind::Outpatient,
                x if x < 0.96 => Kind::Emergency,
                _ => Kind::Inpatient,
            };
            self.add_visit(day, kind, end);
        }
        for c in Cond::ALL {
            if let Some(onset) = self.onset[c as usize] {
                self.condition(c, onset, end);
            }
        }
        self.screening(end);
        self.acute_prescriptions(end);
        self.labs();
        self.tobacco_status();
    }

    fn condition(&mut self, c: Cond, onset: i32, end: i32) {
        let def = c.def();
        let first = match def.course {
            Course::Acute => {
                let kind = if self.chance(0.6) { Kind::Emergency } else { Kind::Inpatient };
                self.add_visit(onset, kind, end)
            }
            Course::Chronic => {
                match self
                    .visits
                    .iter()
                    .filter(|v| v.date >= onset && v.date <= onset + 180)
                    .min_by_key(|v| v.date)
                {
                    Some(v) => *v,
                    None => self.add_visit(onset, Kind::Outpatient, end),
                }
            }
        };
        let mut coded = vec![first];
        match def.course {
            Course::Chronic => {
                for i in 0..self.visits.len() {
                    let v = self.visits[i];
                    if v.date > first.date && self.chance(def.recur) {
                        coded.push(v);
                    }
                }
            }
            Course::Acute => {
                for _ in 0..self.rng.random_range(0..=2) {
                    let day = first.end + self.rng.random_range(7..=60);
                    if day <= end {
                        coded.push(self.add_visit(day, Kind::Outpatient, end));
                    }
                }
            }
        }
        for v in &coded {
            let source = if def.icd.len() > 1 && self.chance(0.3) { &def.icd[1] } else { &def.icd[0] };
            self.out.conditions.push(ConditionRow {
                person_id: self.p.id,
                concept: def.id,
                start: v.date,
                end: (def.course == Course::Acute).then_some(v.end),
                visit: v.local,
                source_value: source.code,
                source_concept: source.id,
            });
        }
        for &(ing, share) in def.drugs {
            if self.started & (1 << ing as u64) == 0 && self.chance(share) {
                self.started |= 1 << ing as u64;
                self.prescribe(ing, first, end);
            }
        }
        self.procedures_for(c, &coded, end);
        self.devices_for(c, first, end);
    }

    /// Starts a drug at `visit` and refills it until the patient stops or the record ends.
    fn prescribe(&mut self, ing: Ing, visit: Visit, end: i32) {
        let def = ing.def();
        let drug = &def.drugs[self.rng.random_range(0..def.drugs.len())];
        if ing.is_statin() {
            self.statin_since = Some(self.statin_since.map_or(visit.date, |d| d.min(visit.date)));
        }
        if matches!(
            ing,
            Ing::Metformin | Ing::InsulinGlargine | Ing::Glipizide | Ing::Empagliflozin | Ing::Semaglutide
        ) {
            self.diabetes_treated_since =
                Some(self.diabetes_treated_since.map_or(visit.date, |d| d.min(visit.date)));
        }
        let mut day = visit.date;
        let mut prescribing = Some(visit);
        for _ in 0..12 {
            if day > end {
                break;
            }
            let days = drug.days[self.rng.random_range(0..drug.days.len())];
            let refills = if days <= 10 {
                0
            } else if days >= 84 {
                self.rng.random_range(0..=1)
            } else {
                self.rng.random_range(0..=3)
            };
            let quantity = match drug.package {
                Some(lasts) => (f64::from(days) / lasts).ceil().max(1.0),
                None => (drug.per_day * f64::from(days)).round().max(1.0),
            };
            let stop = (day + days * (refills + 1) - 1).min(end);
            self.out.drugs.push(DrugRow {
                person_id: self.p.id,
                concept: drug.id,
                start: day,
                end: stop,
                refills,
                quantity,
                days_supply: days,
                sig: drug.sig,
                route: drug.route,
                visit: prescribing.map(|v| v.local),
                source_value: def.rxcui,
            });
            if days <= 10 || !self.chance(0.88) {
                break;
            }
            day = stop + 1 + self.rng.random_range(0..=14);
            // A renewal is written at the latest visit before it, if any is close.
            prescribing = self
                .visits
                .iter()
                .filter(|v| v.date <= day && v.date + 120 >= day)
                .max_by_key(|v| v.date)
                .copied();
        }
    }

    fn procedure(&mut self, code: &Code, visit: Visit) {
        let micros = visit.micros + self.rng.random_range(10..120) * MINUTE_MICROS;
        self.out.procedures.push(ProcedureRow {
            person_id: self.p.id,
            concept: code.id,
            date: visit.date,
            micros,
            visit: visit.local,
            source_value: code.code,
        });
    }

    fn procedures_for(&mut self, c: Cond, coded: &[Visit], end: i32) {
        let at = |s: &mut Self| coded[s.rng.random_range(0..coded.len())];
        let plan: &[(&Code, f64)] = match c {
            Cond::ColonCancer => &[(&vocab::COLONOSCOPY, 0.8)],
            Cond::GiHemorrhage => &[(&vocab::EGD, 0.6), (&vocab::COLONOSCOPY, 0.5)],
            Cond::Gerd => &[(&vocab::EGD, 0.1)],
            Cond::HeartFailure => &[(&vocab::ECHO, 0.8), (&vocab::ECG, 0.5)],
            Cond::AtrialFibrillation => &[(&vocab::ECHO, 0.5), (&vocab::ECG, 0.8)],
            Cond::MyocardialInfarction => &[(&vocab::ECG, 0.95), (&vocab::ECHO, 0.6), (&vocab::PCI, 0.5)],
            Cond::CoronaryArteriosclerosis => &[(&vocab::ECG, 0.5), (&vocab::PCI, 0.1)],
            Cond::Copd => &[(&vocab::SPIROMETRY, 0.5)],
            Cond::Asthma => &[(&vocab::SPIROMETRY, 0.2)],
            Cond::Osteoarthritis => &[(&vocab::KNEE_ARTHROPLASTY, 0.05)],
            Cond::SleepApnea => &[(&vocab::POLYSOMNOGRAPHY, 0.6)],
            Cond::ProstateCancer => &[(&vocab::PROSTATE_BIOPSY, 0.7)],
            Cond::Osteoporosis => &[(&vocab::DXA, 0.6)],
            _ => &[],
        };
        for &(code, share) in plan {
            if self.chance(share) {
                let v = at(self);
                self.procedure(code, v);
            }
        }
        if c == Cond::Ckd && self.chance(0.08) {
            // Dialysis sessions three times a week for a while, each its own outpatient visit.
            let first = coded[0].date;
            for k in 0..self.rng.random_range(3..=12) {
                let day = first + 7 + k * 2 + k / 3;
                if day > end {
                    break;
                }
                let v = self.add_visit(day, Kind::Outpatient, end);
                self.procedure(&vocab::HEMODIALYSIS, v);
            }
        }
    }

    fn device(&mut self, code: &Code, visit: Visit, quantity: i32, lasts: Option<i32>, end: i32) {
        self.out.devices.push(DeviceRow {
            person_id: self.p.id,
            concept: code.id,
            start: visit.date,
            end: lasts.map(|d| (visit.date + d).min(end)),
            quantity,
            visit: visit.local,
            source_value: code.code,
        });
    }

    fn devices_for(&mut self, c: Cond, first: Visit, end: i32) {
        let later: Vec<Visit> = self.visits.iter().filter(|v| v.date >= first.date).copied().collect();
        match c {
            Cond::T2dm | Cond::T1dm => {
                if self.chance(0.4) {
                    self.device(&vocab::GLUCOSE_MONITOR, first, 1, None, end);
                }
                if self.chance(0.5) {
                    for _ in 0..self.rng.random_range(1..=4) {
                        let v = later[self.rng.random_range(0..later.len())];
                        self.device(&vocab::TEST_STRIPS, v, 100, Some(90), end);
                    }
                }
                if (c == Cond::T1dm || self.started & (1 << Ing::InsulinGlargine as u64) != 0)
                    && self.chance(0.35)
                {
                    for _ in 0..self.rng.random_range(2..=6) {
                        let v = later[self.rng.random_range(0..later.len())];
                        self.device(&vocab::CGM_SENSOR, v, 3, Some(30), end);
                    }
                }
            }
            Cond::SleepApnea if self.chance(0.5) => self.device(&vocab::CPAP, first, 1, None, end),
            Cond::Copd if self.chance(0.2) => self.device(&vocab::NEBULIZER, first, 1, None, end),
            Cond::Osteoarthritis if self.chance(0.1) => self.device(&vocab::CANE, first, 1, None, end),
            _ => {}
        }
    }

    fn screening(&mut self, end: i32) {
        let outpatient: Vec<Visit> =
            self.visits.iter().filter(|v| v.kind == Kind::Outpatient).copied().collect();
        if outpatient.is_empty() {
            return;
        }
        let birth = self.p.birth;
        let age_at = |v: &Visit| (v.date - birth) / 365;
        let random_visit = |s: &mut Self, min_age: i32| {
            let eligible: Vec<Visit> = outpatient.iter().filter(|v| age_at(v) >= min_age).copied().collect();
            (!eligible.is_empty()).then(|| eligible[s.rng.random_range(0..eligible.len())])
        };
        if self.chance(0.12)
            && let Some(v) = random_visit(self, 45)
        {
            self.procedure(&vocab::COLONOSCOPY, v);
        }
        if self.p.female && self.chance(0.35) {
            for _ in 0..self.rng.random_range(1..=3) {
                if let Some(v) = random_visit(self, 40) {
                    self.procedure(&vocab::MAMMOGRAPHY, v);
                }
            }
        }
        if self.p.female
            && self.chance(0.1)
            && let Some(v) = random_visit(self, 65)
        {
            self.procedure(&vocab::DXA, v);
        }
        if self.chance(0.08)
            && let Some(v) = random_visit(self, 18)
        {
            self.procedure(&vocab::ECG, v);
        }
        if self.p.age >= 80
            && self.chance(0.05)
            && let Some(v) = random_visit(self, 75)
        {
            self.device(&vocab::CANE, v, 1, None, end);
        }
    }

    /// Short courses: antibiotics at some visits, pain relief after emergency visits.
    fn acute_prescriptions(&mut self, end: i32) {
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            if self.chance(0.07) {
                let ing = if self.chance(0.6) { Ing::Amoxicillin } else { Ing::Azithromycin };
                self.prescribe(ing, v, end);
            }
            if v.kind == Kind::Emergency && self.chance(0.3) {
                let ing = if self.chance(0.5) { Ing::Ibuprofen } else { Ing::Acetaminophen };
                let drug = &ing.def().drugs[0];
                let days = drug.days[0];
                self.out.drugs.push(DrugRow {
                    person_id: self.p.id,
                    concept: drug.id,
                    start: v.date,
                    end: (v.date + days - 1).min(end),
                    refills: 0,
                    quantity: (drug.per_day * f64::from(days)).round(),
                    days_supply: days,
                    sig: drug.sig,
                    route: drug.route,
                    visit: Some(v.local),
                    source_value: ing.def().rxcui,
                });
            }
        }
    }

    fn lab(&mut self, lab: &Lab, v: Visit, value: f64, decimals: i32, range: Option<(f64, f64)>) {
        let micros = v.micros + 30 * MINUTE_MICROS;
        let mut row = self.measurement(lab, v.date, micros, Some(round_to(value, decimals)), range);
        row.visit = Some(v.local);
        self.out.measurements.push(row);
    }

    fn labs(&mut self) {
        let female = self.p.female;
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            let d = v.date;
            let op = v.kind == Kind::Outpatient;
            let t2dm = self.p.has(Cond::T2dm);
            let diabetic = self.active(Cond::T2dm, d) || self.active(Cond::T1dm, d);
            let ckd = self.active(Cond::Ckd, d);
            let on_statin = self.statin_since.is_some_and(|s| s <= d);
            let treated = self.diabetes_treated_since.is_some_and(|s| s <= d);
            let lipid_dx = self.active(Cond::Hyperlipidemia, d) || self.active(Cond::Hypercholesterolemia, d);
            let obese = self.p.bmi >= 30.0;

            if op && self.chance(0.25) {
                let sbp = (self.p.sbp + self.normal(0.0, 8.0)).round();
                let dbp = (self.p.dbp + self.normal(0.0, 6.0)).round().min(sbp - 15.0);
                let weight = round_to(self.p.weight() + self.normal(0.0, 1.5), 1);
                let bmi = weight / (self.p.height / 100.0).powi(2);
                self.lab(&vocab::EHR_SYSTOLIC, v, sbp, 0, Some((90.0, 120.0)));
                self.lab(&vocab::EHR_DIASTOLIC, v, dbp, 0, Some((60.0, 80.0)));
                self.lab(&vocab::EHR_WEIGHT, v, weight, 1, None);
                self.lab(&vocab::EHR_BMI, v, bmi, 1, None);
            }
            if self.chance(if op { 0.15 } else { 0.8 }) {
                let glucose =
                    if diabetic { self.normal(155.0, 40.0) } else { self.normal(95.0, 11.0) }.max(55.0);
                self.lab(&vocab::GLUCOSE, v, glucose, 0, Some((70.0, 99.0)));
                let na = self.normal(139.0, 2.5);
                self.lab(&vocab::SODIUM, v, na, 0, Some((135.0, 145.0)));
                let k = self.normal(if ckd { 4.6 } else { 4.2 }, 0.4).max(2.5);
                self.lab(&vocab::POTASSIUM, v, k, 1, Some((3.5, 5.1)));
                let creatinine = if ckd {
                    self.normal(1.9, 0.6).max(1.1)
                } else if female {
                    self.normal(0.78, 0.12)
                } else {
                    self.normal(1.0, 0.15)
                }
                .max(0.3);
                let creatinine_range = if female { (0.5, 1.1) } else { (0.7, 1.3) };
                self.lab(&vocab::CREATININE, v, creatinine, 2, Some(creatinine_range));
                let bun = if ckd { self.normal(32.0, 10.0) } else { self.normal(15.0, 4.0) }.max(3.0);
                self.lab(&vocab::BUN, v, bun, 0, Some((7.0, 20.0)));
            }
            let lipid_share = if lipid_dx || self.active(Cond::CoronaryArteriosclerosis, d) || diabetic {
                0.3
            } else {
                0.08
            };
            if op && self.chance(lipid_share) {
                let ldl = if on_statin {
                    self.normal(85.0, 25.0)
                } else if self.p.has(Cond::Hyperlipidemia) || self.p.has(Cond::Hypercholesterolemia) {
                    self.normal(150.0, 32.0)
                } else {
                    self.normal(112.0, 28.0)
                }
                .max(30.0);
                let hdl = (if female { self.normal(58.0, 13.0) } else { self.normal(47.0, 11.0) }
                    - if t2dm { 5.0 } else { 0.0 })
                .max(20.0);
                let tg = (self.normal(4.7, 0.45).exp()
                    * if t2dm { 1.4 } else { 1.0 }
                    * if obese { 1.25 } else { 1.0 })
                .max(30.0);
                let total = ldl + hdl + tg / 5.0;
                self.lab(&vocab::LDL, v, ldl, 0, Some((0.0, 99.0)));
                self.lab(&vocab::HDL, v, hdl, 0, Some((40.0, 100.0)));
                self.lab(&vocab::TRIGLYCERIDES, v, tg, 0, Some((0.0, 149.0)));
                self.lab(&vocab::TOTAL_CHOLESTEROL, v, total, 0, Some((0.0, 199.0)));
            }
            if op && self.chance(if diabetic { 0.55 } else { 0.07 }) {
                let a1c = if self.active(Cond::T1dm, d) {
                    self.normal(8.0, 1.2)
                } else if diabetic {
                    self.normal(if treated { 7.3 } else { 7.9 }, 1.2)
                } else if t2dm {
                    self.normal(6.1, 0.3)
                } else {
                    self.normal(5.35 + if obese { 0.15 } else { 0.0 }, 0.3)
                }
                .clamp(4.0, 14.0);
                self.lab(&vocab::HBA1C, v, a1c, 1, Some((4.0, 5.6)));
            }
            let anemic = self.active(Cond::Anemia, d);
            if self.chance(if !op {
                0.8
            } else if anemic || ckd {
                0.4
            } else {
                0.12
            }) {
                let base = if female { self.normal(13.2, 1.0) } else { self.normal(14.8, 1.1) };
                let hb = (base - if anemic { 2.5 } else { 0.0 } - if ckd { 1.0 } else { 0.0 }).max(5.0);
                let range = if female { (12.0, 15.5) } else { (13.5, 17.5) };
                self.lab(&vocab::HEMOGLOBIN, v, hb, 1, Some(range));
            }
            if op && self.chance(0.08) {
                let alt = self.normal(3.1, 0.35).exp() * if obese { 1.2 } else { 1.0 };
                self.lab(&vocab::ALT, v, alt, 0, Some((7.0, 56.0)));
            }
            if d >= COVID_START && self.chance(if op { 0.05 } else { 0.5 }) {
                let positive = self.chance(0.1);
                let micros = v.micros + 20 * MINUTE_MICROS;
                let mut row = self.measurement(&vocab::COVID_PCR, d, micros, None, None);
                row.visit = Some(v.local);
                row.value_concept = Some(if positive { vocab::POSITIVE } else { vocab::NEGATIVE });
                row.value_source = Some(if positive { "Positive" } else { "Negative" });
                self.out.measurements.push(row);
            }
        }
    }

    /// EHR observation: tobacco smoking status at the first visit and now and then later.
    fn tobacco_status(&mut self) {
        let answer = &vocab::TOBACCO_STATUS.answers[match self.p.smoking {
            Smoking::Current => 0,
            Smoking::Former => 1,
            Smoking::Never => 2,
        }];
        for i in 0..self.visits.len() {
            let v = self.visits[i];
            if v.kind == Kind::Outpatient && self.chance(if i == 0 { 0.5 } else { 0.1 }) {
                self.out.observations.push(ObservationRow {
                    person_id: self.p.id,
                    concept: vocab::TOBACCO_STATUS.id,
                    date: v.date,
                    micros: v.micros + 5 * MINUTE_MICROS,
                    type_concept: vocab::EHR,
                    value_number: None,
                    value_concept: Some(answer.id),
                    visit: Some(v.local),
                    source_value: vocab::TOBACCO_STATUS.code,
                    value_source_value: Some(answer.code),
                });
            }
        }
    }
}
