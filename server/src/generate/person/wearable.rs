//! The Fitbit detail tables of a participant with Fitbit days: minute-level heart rate
//! (`heart_rate_intraday`) and steps (`steps_intraday`) on a few of those days, and a few
//! nights of sleep (`sleep_daily_summary`, `sleep_level`).
//!
//! They draw from a stream of their own, apart from the participant's main stream, so adding
//! them left every other table byte for byte as it was. To keep datasets small, a participant
//! has at most 2 days × 24 heart-rate minutes, 2 days × 16 step minutes and 3 nights of sleep.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{DAY_MICROS, HOUR_MICROS, MINUTE_MICROS};
use crate::generate::MAX_PERSONS;
use crate::generate::tables::{
    ActivityRow, HeartRateIntradayRow, SleepDailyRow, SleepLevelRow, StepsIntradayRow,
};

/// The detail streams' ids: this bit set on the person's index (main streams are the bare
/// indexes, all below it).
const DETAIL_STREAM: u64 = 1 << 63;
const _: () = assert!(MAX_PERSONS < DETAIL_STREAM);

/// Days with minute-level data, and minutes of each.
const INTRADAY_DAYS: usize = 2;
const HEART_RATE_MINUTES: i64 = 24;
const STEP_MINUTES: i64 = 16;
/// Consecutive nights of sleep data.
const SLEEP_NIGHTS: usize = 3;

/// Where the detail rows go.
pub(in crate::generate) struct DetailRows<'a> {
    pub heart_rate_intraday: &'a mut Vec<HeartRateIntradayRow>,
    pub steps_intraday: &'a mut Vec<StepsIntradayRow>,
    pub sleep_daily: &'a mut Vec<SleepDailyRow>,
    pub sleep_levels: &'a mut Vec<SleepLevelRow>,
}

/// Appends the detail rows of person `index` whose `activity_summary` rows are `days` (none
/// for a participant without Fitbit days).
pub(super) fn detail(seed: u64, index: u64, days: &[ActivityRow], out: DetailRows<'_>) {
    let Some(first) = days.first() else { return };
    let person_id = first.person_id;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(DETAIL_STREAM | index);
    let resting = 60.0 + 16.0 * rng.random::<f64>();
    if rng.random_bool(0.7) {
        for day in some_days(&mut rng, days) {
            for m in minutes(&mut rng, day.date, 0, 24, HEART_RATE_MINUTES) {
                let value = (resting + 45.0 * rng.random::<f64>().powi(3)).round() as i32;
                out.heart_rate_intraday.push(HeartRateIntradayRow { person_id, micros: m, value });
            }
        }
    }
    if rng.random_bool(0.8) {
        for day in some_days(&mut rng, days) {
            let per_minute = day.steps as f64 / 960.0;
            for m in minutes(&mut rng, day.date, 7, 23, STEP_MINUTES) {
                let steps = (per_minute * 4.0 * rng.random::<f64>()).round() as i64;
                out.steps_intraday.push(StepsIntradayRow { person_id, micros: m, steps });
            }
        }
    }
    if rng.random_bool(0.6) {
        let levels = rng.random_bool(0.8);
        let start = rng.random_range(0..days.len().saturating_sub(SLEEP_NIGHTS) + 1);
        for day in days.iter().skip(start).take(SLEEP_NIGHTS) {
            let in_bed = rng.random_range(380..=560);
            let awake = rng.random_range(20..=70);
            out.sleep_daily.push(SleepDailyRow {
                person_id,
                date: day.date,
                in_bed,
                asleep: in_bed - awake,
                awake,
            });
            if !levels {
                continue;
            }
            // Bedtime between 22:00 and 00:30, then light, deep, light, rem, wake … until the
            // time in bed is over.
            let mut at = i64::from(day.date) * DAY_MICROS
                + 22 * HOUR_MICROS
                + rng.random_range(0..150) * MINUTE_MICROS;
            let mut left = in_bed;
            for level in ["light", "deep", "light", "rem", "wake"].into_iter().cycle() {
                if left <= 0 {
                    break;
                }
                let minutes = rng.random_range(5..=60).min(left);
                out.sleep_levels.push(SleepLevelRow {
                    person_id,
                    date: day.date,
                    level,
                    start_micros: at,
                    minutes,
                });
                at += i64::from(minutes) * MINUTE_MICROS;
                left -= minutes;
            }
        }
    }
}

/// Up to [`INTRADAY_DAYS`] different days of `days`, in date order.
fn some_days<'a>(rng: &mut ChaCha8Rng, days: &'a [ActivityRow]) -> Vec<&'a ActivityRow> {
    let mut picked = rand::seq::index::sample(rng, days.len(), INTRADAY_DAYS.min(days.len())).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| &days[i]).collect()
}

/// `n` different minutes of `day` between the two hours, in order (microseconds since 1970).
fn minutes(rng: &mut ChaCha8Rng, day: i32, from_hour: i64, to_hour: i64, n: i64) -> Vec<i64> {
    let span = ((to_hour - from_hour) * 60) as usize;
    let mut picked = rand::seq::index::sample(rng, span, (n as usize).min(span)).into_vec();
    picked.sort_unstable();
    picked
        .into_iter()
        .map(|m| i64::from(day) * DAY_MICROS + from_hour * HOUR_MICROS + m as i64 * MINUTE_MICROS)
        .collect()
}
