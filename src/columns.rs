//! Reading one column of a table (or of some of its batches) into a flat vector, or appending
//! it to one, whatever Arrow integer, date or float type it arrived as, with nulls replaced by
//! a sentinel. Used as each batch arrives while the cohort index and the vocabulary are built.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};

use crate::store::Table;

/// A column the index or the vocabulary needs is missing or of an unusable type.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error(
    "table {table}, column {column}: {detail}; load the dataset with its OMOP CDM columns (see src/cdm/mod.rs)"
)]
pub struct ColumnError {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// What is wrong.
    pub detail: String,
}

/// The value stored for a null or unusable integer (never a real concept id or date).
pub(crate) const NULL_I32: i32 = i32::MIN;

/// Each batch's array of `column`, or `None` when the table lacks it and `required` is false.
fn arrays(table: &Table, column: &str, required: bool) -> Result<Option<Vec<ArrayRef>>, ColumnError> {
    match table.schema().index_of(column) {
        Ok(i) => Ok(Some(table.batches().iter().map(|b| b.column(i).clone()).collect())),
        Err(_) if !required => Ok(None),
        Err(_) => Err(ColumnError {
            table: table.name().to_owned(),
            column: column.to_owned(),
            detail: "the column is missing".into(),
        }),
    }
}

fn wrong_type(table: &Table, column: &str, found: &DataType, wanted: &str) -> ColumnError {
    ColumnError {
        table: table.name().to_owned(),
        column: column.to_owned(),
        detail: format!("it holds {found}, not {wanted}"),
    }
}

/// Appends an integer array's values (nulls as `None`) to `out` through `f`.
fn push_ints<T>(array: &dyn Array, out: &mut Vec<T>, f: impl Fn(Option<i64>) -> T) -> bool {
    macro_rules! each {
        ($t:ty) => {
            if let Some(a) = array.as_primitive_opt::<$t>() {
                if a.null_count() == 0 {
                    out.extend(a.values().iter().map(|&v| f(Some(i64::from(v)))));
                } else {
                    out.extend(a.iter().map(|v| f(v.map(i64::from))));
                }
                return true;
            }
        };
    }
    each!(Int64Type);
    each!(Int32Type);
    each!(Int16Type);
    each!(Int8Type);
    false
}

/// An integer column as `i64`, nulls as `null`.
pub(crate) fn i64s(table: &Table, column: &str, required: bool, null: i64) -> Result<Vec<i64>, ColumnError> {
    let mut out = Vec::with_capacity(table.rows());
    append_i64s(table, column, required, null, &mut out)?;
    Ok(out)
}

/// [`i64s`], appended to `out`.
pub(crate) fn append_i64s(
    table: &Table,
    column: &str,
    required: bool,
    null: i64,
    out: &mut Vec<i64>,
) -> Result<(), ColumnError> {
    match arrays(table, column, required)? {
        None => out.resize(out.len() + table.rows(), null),
        Some(arrays) => {
            for a in &arrays {
                if !push_ints(a.as_ref(), out, |v| v.unwrap_or(null)) {
                    return Err(wrong_type(table, column, a.data_type(), "an integer"));
                }
            }
        }
    }
    Ok(())
}

/// An integer column as `i32` (concept ids, years), nulls and out-of-range values as [`NULL_I32`].
pub(crate) fn i32s(table: &Table, column: &str, required: bool) -> Result<Vec<i32>, ColumnError> {
    let mut out = Vec::with_capacity(table.rows());
    append_i32s(table, column, required, &mut out)?;
    Ok(out)
}

/// [`i32s`], appended to `out`.
pub(crate) fn append_i32s(
    table: &Table,
    column: &str,
    required: bool,
    out: &mut Vec<i32>,
) -> Result<(), ColumnError> {
    match arrays(table, column, required)? {
        None => out.resize(out.len() + table.rows(), NULL_I32),
        Some(arrays) => {
            for a in &arrays {
                let ok = push_ints(a.as_ref(), out, |v| {
                    v.and_then(|v| i32::try_from(v).ok()).filter(|&v| v != NULL_I32).unwrap_or(NULL_I32)
                });
                if !ok {
                    return Err(wrong_type(table, column, a.data_type(), "an integer"));
                }
            }
        }
    }
    Ok(())
}

/// A date or timestamp column as days since 1970-01-01 (a timestamp's date), nulls as [`NULL_I32`].
pub(crate) fn days(table: &Table, column: &str, required: bool) -> Result<Vec<i32>, ColumnError> {
    let mut out = Vec::with_capacity(table.rows());
    append_days(table, column, required, &mut out)?;
    Ok(out)
}

/// [`days`], appended to `out`.
pub(crate) fn append_days(
    table: &Table,
    column: &str,
    required: bool,
    out: &mut Vec<i32>,
) -> Result<(), ColumnError> {
    let Some(arrays) = arrays(table, column, required)? else {
        out.resize(out.len() + table.rows(), NULL_I32);
        return Ok(());
    };
    for a in &arrays {
        let per_day: i64 = match a.data_type() {
            DataType::Date32 => {
                let a = a.as_primitive::<Date32Type>();
                if a.null_count() == 0 {
                    out.extend_from_slice(a.values());
                } else {
                    out.extend(a.iter().map(|v| v.unwrap_or(NULL_I32)));
                }
                continue;
            }
            DataType::Date64 => {
                let values = a.as_primitive::<Date64Type>().iter();
                out.extend(values.map(|v| v.map_or(NULL_I32, |ms| to_day(ms, 86_400_000))));
                continue;
            }
            DataType::Timestamp(TimeUnit::Second, _) => 86_400,
            DataType::Timestamp(TimeUnit::Millisecond, _) => 86_400_000,
            DataType::Timestamp(TimeUnit::Microsecond, _) => 86_400_000_000,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => 86_400_000_000_000,
            other => return Err(wrong_type(table, column, other, "a date")),
        };
        let day = |v: Option<i64>| v.map_or(NULL_I32, |t| to_day(t, per_day));
        match a.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => {
                out.extend(a.as_primitive::<TimestampSecondType>().iter().map(day))
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                out.extend(a.as_primitive::<TimestampMillisecondType>().iter().map(day))
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                out.extend(a.as_primitive::<TimestampMicrosecondType>().iter().map(day))
            }
            _ => out.extend(a.as_primitive::<TimestampNanosecondType>().iter().map(day)),
        }
    }
    Ok(())
}

/// A timestamp column as microseconds since 1970-01-01 00:00 (a date as its midnight), nulls
/// as `i64::MIN`.
pub(crate) fn micros(table: &Table, column: &str, required: bool) -> Result<Vec<i64>, ColumnError> {
    let Some(arrays) = arrays(table, column, required)? else {
        return Ok(vec![i64::MIN; table.rows()]);
    };
    let mut out = Vec::with_capacity(table.rows());
    for a in &arrays {
        let scaled = |v: Option<i64>, by: i64, div: i64| v.map_or(i64::MIN, |t| t.saturating_mul(by) / div);
        match a.data_type() {
            DataType::Date32 => out.extend(
                a.as_primitive::<Date32Type>().iter().map(|v| scaled(v.map(i64::from), 86_400_000_000, 1)),
            ),
            DataType::Date64 => {
                out.extend(a.as_primitive::<Date64Type>().iter().map(|v| scaled(v, 1_000, 1)))
            }
            DataType::Timestamp(TimeUnit::Second, _) => {
                out.extend(a.as_primitive::<TimestampSecondType>().iter().map(|v| scaled(v, 1_000_000, 1)))
            }
            DataType::Timestamp(TimeUnit::Millisecond, _) => {
                out.extend(a.as_primitive::<TimestampMillisecondType>().iter().map(|v| scaled(v, 1_000, 1)))
            }
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                out.extend(a.as_primitive::<TimestampMicrosecondType>().iter().map(|v| scaled(v, 1, 1)))
            }
            DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                out.extend(a.as_primitive::<TimestampNanosecondType>().iter().map(|v| scaled(v, 1, 1_000)))
            }
            other => return Err(wrong_type(table, column, other, "a timestamp")),
        }
    }
    Ok(out)
}

/// The day (floor division) of a time given in units of which `per_day` make a day.
fn to_day(t: i64, per_day: i64) -> i32 {
    i32::try_from(t.div_euclid(per_day)).ok().filter(|&d| d != NULL_I32).unwrap_or(NULL_I32)
}

/// A numeric column as `f64`, nulls as NaN.
pub(crate) fn f64s(table: &Table, column: &str, required: bool) -> Result<Vec<f64>, ColumnError> {
    let mut out = Vec::with_capacity(table.rows());
    append_f64s(table, column, required, &mut out)?;
    Ok(out)
}

/// [`f64s`], appended to `out`.
pub(crate) fn append_f64s(
    table: &Table,
    column: &str,
    required: bool,
    out: &mut Vec<f64>,
) -> Result<(), ColumnError> {
    let Some(arrays) = arrays(table, column, required)? else {
        out.resize(out.len() + table.rows(), f64::NAN);
        return Ok(());
    };
    for a in &arrays {
        if let Some(f) = a.as_primitive_opt::<Float64Type>() {
            if f.null_count() == 0 {
                out.extend_from_slice(f.values());
            } else {
                out.extend(f.iter().map(|v| v.unwrap_or(f64::NAN)));
            }
        } else if let Some(f) = a.as_primitive_opt::<Float32Type>() {
            out.extend(f.iter().map(|v| v.map_or(f64::NAN, f64::from)));
        } else if !push_ints(a.as_ref(), out, |v| v.map_or(f64::NAN, |v| v as f64)) {
            return Err(wrong_type(table, column, a.data_type(), "a number"));
        }
    }
    Ok(())
}

/// A text column, nulls as `None`.
pub(crate) fn strings(
    table: &Table,
    column: &str,
    required: bool,
) -> Result<Vec<Option<String>>, ColumnError> {
    let mut out = Vec::with_capacity(table.rows());
    let Some(arrays) = arrays(table, column, required)? else {
        out.resize(table.rows(), None);
        return Ok(out);
    };
    for a in &arrays {
        if let Some(s) = a.as_string_opt::<i32>() {
            out.extend(s.iter().map(|v| v.map(str::to_owned)));
        } else if let Some(s) = a.as_string_opt::<i64>() {
            out.extend(s.iter().map(|v| v.map(str::to_owned)));
        } else if let Some(s) = a.as_string_view_opt() {
            out.extend(s.iter().map(|v| v.map(str::to_owned)));
        } else {
            return Err(wrong_type(table, column, a.data_type(), "text"));
        }
    }
    Ok(out)
}
