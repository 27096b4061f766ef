//! Survey answers: The Basics, Lifestyle and Overall Health, with skips and "prefer not to
//! answer", as `observation` rows the All of Us way (question in the source concept, answer in
//! the value source concept); and the state of residence (PII State), from a stream of its own.

use super::*;

impl Sim<'_> {
    pub(super) fn ask(&mut self, q: &'static Question, day: i32, micros: i64, reply: Reply) {
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
    pub(super) fn answer(
        &mut self,
        q: &'static Question,
        day: i32,
        micros: i64,
        i: usize,
        skip: f64,
        prefer_not: f64,
    ) {
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
    pub(super) fn scale(&mut self, score: f64) -> usize {
        (score + self.normal(0.0, 0.8)).round().clamp(0.0, 4.0) as usize
    }

    pub(super) fn surveys(&mut self) {
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
    pub(super) fn race_answers(&mut self, day: i32, micros: i64) {
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
}

/// The state streams' ids: this bit set on the person's index (main streams are the bare
/// indexes, the Fitbit detail streams have bit 63).
const STATE_STREAM: u64 = 1 << 62;
const _: () = assert!(crate::generate::MAX_PERSONS < STATE_STREAM);

/// The participant's answer to PII State (1585249) at enrollment, after their other rows, drawn
/// from a stream of its own so that no other table changes: one of the states, a few states
/// more likely than the others.
pub(super) fn state_answer(
    seed: u64,
    index: u64,
    person_id: i64,
    enroll: i32,
    out: &mut Vec<ObservationRow>,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(STATE_STREAM | index);
    let states = vocab::Q_PII_STATE.answers;
    let i = (rng.random::<f64>().powi(2) * states.len() as f64) as usize;
    let a = &states[i.min(states.len() - 1)];
    out.push(ObservationRow {
        person_id,
        concept: vocab::Q_PII_STATE.id,
        date: enroll,
        micros: i64::from(enroll) * DAY_MICROS + 8 * HOUR_MICROS,
        type_concept: vocab::SURVEY_TYPE,
        value_number: None,
        value_concept: Some(a.id),
        visit: None,
        source_value: vocab::Q_PII_STATE.code,
        value_source_value: Some(a.code),
    });
}

/// The COPE streams' ids: this bit set on the person's index.
const COPE_STREAM: u64 = 1 << 61;
const _: () = assert!(crate::generate::MAX_PERSONS < COPE_STREAM);

/// The day each of COPE's versions (`vocab::COPE_VERSIONS`) opened: answers come in the 20 days
/// after.
const COPE_OPENED: [i32; 6] = [
    date(2020, 5, 1),
    date(2020, 6, 1),
    date(2020, 7, 1),
    date(2020, 11, 1),
    date(2020, 12, 1),
    date(2021, 2, 1),
];

/// The participant's COPE answers, after their other rows, drawn from a stream of their own so
/// that no other table changes: a participant enrolled before COPE began takes each version
/// still alive with a chance of one in four, answering its three questions; each row's version
/// goes to `versions` as (row of `out`, `survey_version_concept_id`).
pub(super) fn cope_answers(
    seed: u64,
    index: u64,
    p: (i64, i32, Option<i32>),
    out: &mut Vec<ObservationRow>,
    versions: &mut Vec<(usize, i32)>,
) {
    let (person_id, enroll, death) = p;
    if enroll >= COPE_OPENED[0] {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(COPE_STREAM | index);
    let stressed = rng.random::<f64>() < 0.4;
    for ((version, _), opened) in vocab::COPE_VERSIONS.into_iter().zip(COPE_OPENED) {
        let day = opened + rng.random_range(0..20);
        if rng.random::<f64>() >= 0.25 || death.is_some_and(|d| d <= day) {
            continue;
        }
        let micros = i64::from(day) * DAY_MICROS + 19 * HOUR_MICROS;
        let stress = &vocab::Q_COPE_STRESS.answers[usize::from(!(stressed ^ (rng.random::<f64>() < 0.2)))];
        let home = rng.random_range(0..4);
        let work = 3 - home.min(rng.random_range(0..4));
        for (q, a) in [
            (&vocab::Q_COPE_STRESS, stress),
            (&vocab::Q_COPE_STAYED_HOME, &vocab::Q_COPE_STAYED_HOME.answers[home]),
            (&vocab::Q_COPE_WORKPLACE, &vocab::Q_COPE_WORKPLACE.answers[work]),
        ] {
            versions.push((out.len(), version));
            out.push(ObservationRow {
                person_id,
                concept: q.id,
                date: day,
                micros,
                type_concept: vocab::SURVEY_TYPE,
                value_number: None,
                value_concept: Some(a.id),
                visit: None,
                source_value: q.code,
                value_source_value: Some(a.code),
            });
        }
    }
}
