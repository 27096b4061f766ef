//! Calendar arithmetic without a date library: days since 1970-01-01 to and from civil dates
//! (Howard Hinnant's algorithms), `YYYY-MM-DD` parsing, and age in completed years.

/// Days since 1970-01-01 of a proleptic Gregorian date; out-of-range days roll over linearly
/// (February 29 of a common year is March 1).
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days.clamp(i64::from(i32::MIN) + 1, i64::from(i32::MAX)) as i32
}

/// The civil date `(year, month, day)` of a day number.
pub(crate) fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month, day)
}

/// The month of a day number, counted from year 0: `year * 12 + month - 1`.
pub(crate) fn month_of(days: i32) -> i32 {
    let (year, month, _) = civil_from_days(days);
    year * 12 + month as i32 - 1
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in a month of a year (0 for a month outside 1–12).
pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses a strict `YYYY-MM-DD` calendar date into days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u32 = s[5..7].parse().ok()?;
    let day: u32 = s[8..10].parse().ok()?;
    (day >= 1 && day <= days_in_month(year, month)).then(|| days_from_civil(year, month, day))
}

/// A date of birth as a civil date, for ages in completed years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Birth {
    year: i32,
    month: u32,
    day: u32,
}

impl Birth {
    /// The birth date of a day number (from `birth_datetime`).
    pub(crate) fn from_days(days: i32) -> Birth {
        let (year, month, day) = civil_from_days(days);
        Birth { year, month, day }
    }

    /// The birth date from `year_of_birth`, `month_of_birth`, `day_of_birth`, a missing (or
    /// impossible) month or day taken as 1.
    pub(crate) fn from_parts(year: i32, month: Option<i32>, day: Option<i32>) -> Birth {
        let month = month.and_then(|m| u32::try_from(m).ok()).filter(|m| (1..=12).contains(m)).unwrap_or(1);
        let day = day
            .and_then(|d| u32::try_from(d).ok())
            .filter(|&d| d >= 1 && d <= days_in_month(year, month))
            .unwrap_or(1);
        Birth { year, month, day }
    }

    /// The day number of the birth date.
    pub(crate) fn days(self) -> i32 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// Age in completed years on the day `days` (a birthday on that day counts).
    pub(crate) fn age_on(self, days: i32) -> i32 {
        let (y, m, d) = civil_from_days(days);
        y.saturating_sub(self.year).saturating_sub(i32::from((m, d) < (self.month, self.day)))
    }
}

/// The civil dates of a span of days, looked up instead of computed: ages at event dates are
/// the evaluator's hottest arithmetic.
#[derive(Debug, Default)]
pub(crate) struct Calendar {
    start: i32,
    /// `year << 9 | month << 5 | day` of each day from `start`.
    packed: Vec<u32>,
}

/// Most days a calendar covers (about 300 years).
const CALENDAR_DAYS: i64 = 110_000;

impl Calendar {
    /// A calendar of the days `first..=last` (clipped to about 300 years from `first`).
    pub(crate) fn new(first: i32, last: i32) -> Calendar {
        if last < first || i64::from(first) < i64::from(i32::MIN) + 1 {
            return Calendar::default();
        }
        let len = (i64::from(last) - i64::from(first) + 1).min(CALENDAR_DAYS);
        let packed = (0..len)
            .map(|i| {
                let (y, m, d) = civil_from_days(first + i as i32);
                // Years before 0 are outside the table's packing; callers fall back then.
                if y < 0 { u32::MAX } else { (y as u32) << 9 | m << 5 | d }
            })
            .collect();
        Calendar { start: first, packed }
    }

    /// `birth.age_on(days)`, from the table when `days` is in it.
    #[inline]
    pub(crate) fn age(&self, birth: Birth, days: i32) -> i32 {
        let at = i64::from(days) - i64::from(self.start);
        match usize::try_from(at).ok().and_then(|i| self.packed.get(i)) {
            Some(&p) if p != u32::MAX => {
                let (y, md) = ((p >> 9) as i32, p & 0x1ff);
                y.saturating_sub(birth.year).saturating_sub(i32::from(md < (birth.month << 5 | birth.day)))
            }
            _ => birth.age_on(days),
        }
    }
}

/// Today's date (UTC) in days since 1970-01-01: the Workbench's `CURRENT_DATE`.
pub(crate) fn today() -> i32 {
    #[cfg(target_arch = "wasm32")]
    let ms = js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    (ms / 86_400_000.0).floor() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2023, 2, 29), days_from_civil(2023, 3, 1));
        for d in (-800_000..800_000).step_by(97) {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d);
        }
    }

    #[test]
    fn months_count_from_year_zero() {
        assert_eq!(month_of(days_from_civil(2021, 3, 1)), 2021 * 12 + 2);
        assert_eq!(month_of(days_from_civil(2021, 3, 31)), 2021 * 12 + 2);
        assert_eq!(month_of(days_from_civil(2021, 4, 1)), 2021 * 12 + 3);
        assert_eq!(month_of(-1), 1969 * 12 + 11);
    }

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("2024-02-29"), Some(days_from_civil(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "20230101",
            "2023-01-32",
            "",
            "abcd-ef-gh",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn age_counts_completed_years_and_birthdays() {
        let born = Birth::from_parts(1980, Some(6), Some(15));
        let on = |y, m, d| born.age_on(days_from_civil(y, m, d));
        assert_eq!(on(2020, 6, 14), 39);
        assert_eq!(on(2020, 6, 15), 40, "a birthday on the date counts");
        assert_eq!(on(2020, 12, 31), 40);
        assert_eq!(on(1980, 6, 15), 0);
        assert_eq!(on(1979, 1, 1), -2);
        // Missing month or day count as 1.
        let jan1 = Birth::from_parts(1980, None, None);
        assert_eq!(jan1, Birth::from_parts(1980, Some(1), Some(1)));
        assert_eq!(jan1.age_on(days_from_civil(2019, 12, 31)), 39);
        assert_eq!(jan1.age_on(days_from_civil(2020, 1, 1)), 40);
        assert_eq!(Birth::from_parts(1980, Some(3), None), Birth::from_parts(1980, Some(3), Some(1)));
        assert_eq!(Birth::from_parts(1980, None, Some(20)), Birth::from_parts(1980, Some(1), Some(20)));
        // February 29: the birthday is reached on March 1 of a common year.
        let leap = Birth::from_days(days_from_civil(2000, 2, 29));
        assert_eq!(leap.age_on(days_from_civil(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(days_from_civil(2001, 3, 1)), 1);
        assert_eq!(leap.age_on(days_from_civil(2004, 2, 29)), 4);
    }

    #[test]
    fn the_calendar_agrees_with_the_arithmetic() {
        let first = days_from_civil(1999, 1, 1);
        let calendar = Calendar::new(first, days_from_civil(2005, 12, 31));
        for birth in
            [Birth::from_days(days_from_civil(2000, 2, 29)), Birth::from_parts(1950, Some(12), Some(31))]
        {
            for d in first - 40..first + 2_700 {
                assert_eq!(calendar.age(birth, d), birth.age_on(d), "day {d}");
            }
        }
        assert_eq!(Calendar::new(5, 1).age(Birth::from_parts(1970, None, None), 365), 1);
        // Absurd years saturate instead of overflowing.
        assert_eq!(
            Birth::from_parts(-2_147_483_647, None, None).age_on(days_from_civil(2000, 1, 1)),
            i32::MAX
        );
    }
}
