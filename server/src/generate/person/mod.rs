//! One synthetic participant from enrollment to the data cut-off: demographics, latent health
//! (conditions with age- and sex-dependent risk, body size, blood pressure, smoking), and the
//! rows that follow from it — EHR visits, conditions, drugs, labs, procedures, devices, death,
//! physical measurements, survey answers and Fitbit days.
//!
//! `ehr`, `enrollment` and `survey` hold the rows of each source; this file the participant and
//! the run.
//!
//! Every participant draws from its own ChaCha8 stream, selected by the person's index, so a
//! person's rows depend only on (seed, index).

mod ehr;
mod enrollment;
mod survey;
mod wearable;

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
        let (person_id, enroll, death) = (person.id, person.enroll, person.death);
        let fitbit_from = chunk.activity.len();
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
        let Chunk { activity, heart_rate_intraday, steps_intraday, sleep_daily, sleep_levels, .. } = chunk;
        let out = wearable::DetailRows { heart_rate_intraday, steps_intraday, sleep_daily, sleep_levels };
        wearable::detail(seed, index, &activity[fitbit_from..], out);
        survey::state_answer(seed, index, person_id, enroll, &mut chunk.observations);
        let (observations, versions) = (&mut chunk.observations, &mut chunk.observation_versions);
        survey::cope_answers(seed, index, (person_id, enroll, death), observations, versions);
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
}
