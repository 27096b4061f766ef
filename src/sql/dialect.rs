//! What differs between the SQL engines a definition compiles for: type names, date
//! functions, literals.

use std::fmt;

/// A SQL engine's dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Apache DataFusion.
    DataFusion,
    /// DuckDB.
    DuckDb,
    /// Apache Spark SQL.
    Spark,
    /// Google BigQuery standard SQL.
    BigQuery,
}

impl Dialect {
    /// The dialect of a `--dialect` name (`datafusion`, `duckdb`, `spark`, `bigquery`).
    pub fn of_name(name: &str) -> Option<Dialect> {
        Some(match name.to_ascii_lowercase().as_str() {
            "datafusion" => Dialect::DataFusion,
            "duckdb" => Dialect::DuckDb,
            "spark" => Dialect::Spark,
            "bigquery" => Dialect::BigQuery,
            _ => return None,
        })
    }

    /// Whether the compiled text of this dialect is tested against the engine (only these are
    /// produced).
    pub(super) fn is_tested(self) -> bool {
        matches!(self, Dialect::DuckDb | Dialect::DataFusion)
    }

    /// A double-precision literal exactly equal to `x`.
    pub(super) fn double(self, x: f64) -> String {
        format!("CAST('{x:?}' AS DOUBLE)")
    }

    /// A date literal of the day number `days` (days since 1970-01-01).
    pub(super) fn date(self, days: i32) -> String {
        let (y, m, d) = crate::date::civil_from_days(days);
        format!("DATE '{y:04}-{m:02}-{d:02}'")
    }

    /// The date of a date or timestamp expression.
    pub(super) fn to_date(self, expr: &str) -> String {
        format!("CAST({expr} AS DATE)")
    }

    /// The date of a year, month and day (all valid).
    pub(super) fn make_date(self, year: &str, month: &str, day: &str) -> String {
        format!("make_date({year}, {month}, {day})")
    }

    /// The number of days in the month of a date.
    pub(super) fn days_in_month(self, date: &str) -> String {
        match self {
            // DataFusion has no `last_day`.
            Dialect::DataFusion => {
                format!("EXTRACT(DAY FROM {date} + INTERVAL '1 month' - INTERVAL '1 day')")
            }
            _ => format!("EXTRACT(DAY FROM last_day({date}))"),
        }
    }

    /// `to - from` in days.
    pub(super) fn days_between(self, from: &str, to: &str) -> String {
        match self {
            // DataFusion has no `date_diff`; a date cast to an integer is its day number.
            Dialect::DataFusion => format!("(CAST({to} AS INT) - CAST({from} AS INT))"),
            _ => format!("date_diff('day', {from}, {to})"),
        }
    }

    /// Today's date.
    pub(super) fn today(self) -> &'static str {
        "CURRENT_DATE"
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::DataFusion => "datafusion",
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::BigQuery => "bigquery",
        })
    }
}
