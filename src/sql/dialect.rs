//! What differs between the SQL engines a definition compiles for: type names, date
//! functions, literals, `UNION` and empty selects. Every dialect difference is here; the rest
//! of the compiler writes SQL all four engines read alike.

use std::fmt;

/// A SQL engine's dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Apache DataFusion.
    DataFusion,
    /// DuckDB.
    DuckDb,
    /// Apache Spark SQL (4.x).
    Spark,
    /// Google BigQuery (GoogleSQL).
    BigQuery,
}

/// A column type the query writes (casts and typed NULLs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SqlType {
    /// A 64-bit integer (person, visit ids).
    BigInt,
    /// A 32-bit integer (concept ids, months, days).
    Integer,
    /// A double-precision number.
    Double,
    /// A date.
    Date,
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

    /// The name of a type (BigQuery has only `INT64` integers and calls doubles `FLOAT64`).
    pub(super) fn type_name(self, ty: SqlType) -> &'static str {
        match (self, ty) {
            (Dialect::BigQuery, SqlType::BigInt | SqlType::Integer) => "INT64",
            (Dialect::BigQuery, SqlType::Double) => "FLOAT64",
            (_, SqlType::BigInt) => "BIGINT",
            (_, SqlType::Integer) => "INTEGER",
            (_, SqlType::Double) => "DOUBLE",
            (_, SqlType::Date) => "DATE",
        }
    }

    /// `expr` cast to `ty`.
    pub(super) fn cast(self, expr: &str, ty: SqlType) -> String {
        format!("CAST({expr} AS {})", self.type_name(ty))
    }

    /// A NULL of type `ty`.
    pub(super) fn null(self, ty: SqlType) -> String {
        self.cast("NULL", ty)
    }

    /// The select list `CAST(NULL AS ty) AS name, …` of `columns` (the columns of an empty set).
    pub(super) fn nulls(self, columns: &[(&str, SqlType)]) -> String {
        let list: Vec<String> =
            columns.iter().map(|&(name, ty)| format!("{} AS {name}", self.null(ty))).collect();
        list.join(", ")
    }

    /// A double-precision literal exactly equal to `x`.
    pub(super) fn double(self, x: f64) -> String {
        self.cast(&format!("'{x:?}'"), SqlType::Double)
    }

    /// A date literal of the day number `days` (days since 1970-01-01).
    pub(super) fn date(self, days: i32) -> String {
        let (y, m, d) = crate::date::civil_from_days(days);
        format!("DATE '{y:04}-{m:02}-{d:02}'")
    }

    /// The date of a date or timestamp expression.
    pub(super) fn to_date(self, expr: &str) -> String {
        self.cast(expr, SqlType::Date)
    }

    /// The date of a year, month and day (all valid).
    pub(super) fn make_date(self, year: &str, month: &str, day: &str) -> String {
        match self {
            Dialect::BigQuery => format!("DATE({year}, {month}, {day})"),
            _ => format!("make_date({year}, {month}, {day})"),
        }
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
            Dialect::DuckDb => format!("date_diff('day', {from}, {to})"),
            Dialect::Spark => format!("datediff({to}, {from})"),
            Dialect::BigQuery => format!("DATE_DIFF({to}, {from}, DAY)"),
        }
    }

    /// Today's date.
    pub(super) fn today(self) -> &'static str {
        "CURRENT_DATE"
    }

    /// The set union of selects (BigQuery requires `DISTINCT` spelled out).
    pub(super) fn union(self) -> &'static str {
        match self {
            Dialect::BigQuery => "UNION DISTINCT",
            _ => "UNION",
        }
    }

    /// A select of `columns` that returns no row (BigQuery allows no `WHERE` without `FROM`).
    pub(super) fn no_rows(self, columns: &str) -> String {
        match self {
            Dialect::BigQuery => format!("SELECT {columns} FROM (SELECT 1) AS one WHERE FALSE"),
            _ => format!("SELECT {columns} WHERE FALSE"),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigquery_writes_its_own_types_and_functions() {
        let bq = Dialect::BigQuery;
        assert_eq!(bq.double(1.5), "CAST('1.5' AS FLOAT64)");
        assert_eq!(bq.null(SqlType::BigInt), "CAST(NULL AS INT64)");
        assert_eq!(bq.days_between("a", "b"), "DATE_DIFF(b, a, DAY)");
        assert_eq!(bq.make_date("y", "m", "d"), "DATE(y, m, d)");
        assert_eq!(bq.union(), "UNION DISTINCT");
        assert!(bq.no_rows("1 AS x").contains(" FROM "));
    }

    #[test]
    fn spark_subtracts_dates_with_datediff() {
        assert_eq!(Dialect::Spark.days_between("a", "b"), "datediff(b, a)");
        assert_eq!(Dialect::Spark.double(2.0), "CAST('2.0' AS DOUBLE)");
        assert_eq!(Dialect::Spark.no_rows("1 AS x"), "SELECT 1 AS x WHERE FALSE");
    }
}
