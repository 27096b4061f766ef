//! The Fitbit tables of the data contract (the All of Us CDR's names), each with the column
//! that dates its rows.

/// A Fitbit table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FitbitTable {
    /// `activity_summary`: one row per day.
    ActivitySummary,
    /// `heart_rate_summary`: one row per day and heart-rate zone.
    HeartRateSummary,
    /// `heart_rate_intraday`: minute-level heart rate.
    HeartRateIntraday,
    /// `steps_intraday`: minute-level steps.
    StepsIntraday,
    /// `sleep_daily_summary`: one row per night.
    SleepDailySummary,
    /// `sleep_level`: the sleep levels of each night in sequence.
    SleepLevel,
}

impl FitbitTable {
    /// Every Fitbit table, in the contract's load order.
    pub const ALL: [FitbitTable; 6] = [
        FitbitTable::ActivitySummary,
        FitbitTable::HeartRateSummary,
        FitbitTable::HeartRateIntraday,
        FitbitTable::StepsIntraday,
        FitbitTable::SleepDailySummary,
        FitbitTable::SleepLevel,
    ];

    /// The table's name.
    pub fn table(self) -> &'static str {
        match self {
            FitbitTable::ActivitySummary => "activity_summary",
            FitbitTable::HeartRateSummary => "heart_rate_summary",
            FitbitTable::HeartRateIntraday => "heart_rate_intraday",
            FitbitTable::StepsIntraday => "steps_intraday",
            FitbitTable::SleepDailySummary => "sleep_daily_summary",
            FitbitTable::SleepLevel => "sleep_level",
        }
    }

    /// The column that dates a row (a date, or a datetime whose day counts).
    pub fn date_column(self) -> &'static str {
        match self {
            FitbitTable::ActivitySummary | FitbitTable::HeartRateSummary => "date",
            FitbitTable::HeartRateIntraday | FitbitTable::StepsIntraday => "datetime",
            FitbitTable::SleepDailySummary | FitbitTable::SleepLevel => "sleep_date",
        }
    }

    /// The Fitbit table of that name.
    pub fn of(table: &str) -> Option<FitbitTable> {
        FitbitTable::ALL.into_iter().find(|t| t.table() == table)
    }
}
