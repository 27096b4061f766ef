//! Converting one source column to the Arrow type of its CDM column: text to numbers, dates and
//! timestamps; integral floats to integers; 64-bit to 32-bit integers with an overflow check;
//! dates to timestamps and back; empty text to null. A value that does not convert is reported
//! with its position, never silently nulled.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use arrow_array::{Array, ArrayRef, PrimitiveArray, StringArray, new_null_array};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_cast::{CastOptions, cast, cast_with_options};
use arrow_schema::DataType;
use chrono::{NaiveDate, Utc};
use cohortlens::cdm::ColumnType;

/// Why a column could not be converted.
#[derive(Debug, PartialEq)]
pub enum CoerceError {
    /// No value of the source type can become the target type (e.g. a date into an integer).
    Type,
    /// The value at `index` (0-based, within the array) does not convert.
    Value {
        /// Position in the array.
        index: usize,
        /// The value as the source holds it, shortened for messages.
        value: String,
    },
}

/// Converts `array` to the Arrow type of a CDM column of type `to`.
pub fn coerce(array: &ArrayRef, to: ColumnType) -> Result<ArrayRef, CoerceError> {
    let target = to.data_type();
    match array.data_type() {
        DataType::Null => return Ok(new_null_array(&target, array.len())),
        DataType::Dictionary(_, values) => {
            let plain = cast(array, values).map_err(|_| CoerceError::Type)?;
            return coerce(&plain, to);
        }
        _ => {}
    }
    match to {
        ColumnType::Id | ColumnType::Count => to_integer::<Int64Type>(array),
        ColumnType::Int => to_integer::<Int32Type>(array),
        ColumnType::Float => to_float(array),
        ColumnType::Text => to_text(array),
        ColumnType::Date => to_date(array),
        ColumnType::Datetime => to_timestamp(array),
    }
}

fn to_integer<T>(array: &ArrayRef) -> Result<ArrayRef, CoerceError>
where
    T: ArrowPrimitiveType,
    T::Native: TryFrom<i64>,
{
    let narrow = |v: i64| T::Native::try_from(v).map_err(|_| ());
    match array.data_type() {
        dt if dt == &T::DATA_TYPE => Ok(array.clone()),
        dt if dt.is_integer() || dt == &DataType::Boolean => cast_checked(array, &T::DATA_TYPE),
        dt if dt.is_floating() => {
            let floats = cast(array, &DataType::Float64).map_err(|_| CoerceError::Type)?;
            convert::<T, _>(array, floats.as_primitive::<Float64Type>().iter(), |f| {
                float_to_i64(f).and_then(narrow).map(Some)
            })
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => {
            let text = cast(array, &DataType::Utf8).map_err(|_| CoerceError::Type)?;
            to_integer::<T>(&text)
        }
        _ => {
            let text = utf8(array)?;
            convert::<T, _>(array, text.iter(), |s| parse_integer(s)?.map(narrow).transpose())
        }
    }
}

fn to_float(array: &ArrayRef) -> Result<ArrayRef, CoerceError> {
    match array.data_type() {
        DataType::Float64 => Ok(array.clone()),
        dt if dt.is_numeric() || dt == &DataType::Boolean => cast_checked(array, &DataType::Float64),
        _ => {
            let text = utf8(array)?;
            convert::<Float64Type, _>(array, text.iter(), |s| {
                let t = s.trim();
                if t.is_empty() { Ok(None) } else { t.parse::<f64>().map(Some).map_err(|_| ()) }
            })
        }
    }
}

fn to_text(array: &ArrayRef) -> Result<ArrayRef, CoerceError> {
    let text = match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => utf8(array)?,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let checked = cast_checked(array, &DataType::Utf8)?;
            checked.as_string::<i32>().clone()
        }
        dt if dt.is_numeric() || dt.is_temporal() || dt == &DataType::Boolean => {
            let formatted = cast(array, &DataType::Utf8).map_err(|_| CoerceError::Type)?;
            formatted.as_string::<i32>().clone()
        }
        _ => return Err(CoerceError::Type),
    };
    if text.iter().any(|v| v == Some("")) {
        Ok(Arc::new(text.iter().map(|v| v.filter(|s| !s.is_empty())).collect::<StringArray>()))
    } else {
        Ok(Arc::new(text))
    }
}

fn to_date(array: &ArrayRef) -> Result<ArrayRef, CoerceError> {
    match array.data_type() {
        DataType::Date32 => Ok(array.clone()),
        DataType::Date64 | DataType::Timestamp(..) => cast_checked(array, &DataType::Date32),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = utf8(array)?;
            convert::<Date32Type, _>(array, text.iter(), |s| {
                Ok(parse_date(s)?.map(Date32Type::from_naive_date))
            })
        }
        _ => Err(CoerceError::Type),
    }
}

fn to_timestamp(array: &ArrayRef) -> Result<ArrayRef, CoerceError> {
    let target = ColumnType::Datetime.data_type();
    match array.data_type() {
        dt if dt == &target => Ok(array.clone()),
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => cast_checked(array, &target),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = utf8(array)?;
            convert::<TimestampMicrosecondType, _>(array, text.iter(), parse_timestamp)
        }
        _ => Err(CoerceError::Type),
    }
}

/// The array as `Utf8`, or a type error if it is not text.
fn utf8(array: &ArrayRef) -> Result<StringArray, CoerceError> {
    match array.data_type() {
        DataType::Utf8 => Ok(array.as_string::<i32>().clone()),
        DataType::LargeUtf8 | DataType::Utf8View => {
            let cast = cast(array, &DataType::Utf8).map_err(|_| CoerceError::Type)?;
            Ok(cast.as_string::<i32>().clone())
        }
        _ => Err(CoerceError::Type),
    }
}

/// Builds a `T` array from `values`, converting each non-null one with `f` (which may also
/// yield null); the first value `f` rejects is reported from `source`.
fn convert<T: ArrowPrimitiveType, V>(
    source: &ArrayRef,
    values: impl Iterator<Item = Option<V>>,
    mut f: impl FnMut(V) -> Result<Option<T::Native>, ()>,
) -> Result<ArrayRef, CoerceError> {
    let mut out = Vec::with_capacity(source.len());
    for (index, value) in values.enumerate() {
        out.push(match value {
            None => None,
            Some(v) => f(v).map_err(|()| bad_value(source, index))?,
        });
    }
    Ok(Arc::new(out.into_iter().collect::<PrimitiveArray<T>>()))
}

/// Arrow's own cast, with any value it could only turn into null reported instead.
fn cast_checked(array: &ArrayRef, to: &DataType) -> Result<ArrayRef, CoerceError> {
    let options = CastOptions { safe: true, ..Default::default() };
    let out = cast_with_options(array, to, &options).map_err(|_| CoerceError::Type)?;
    if out.null_count() != array.null_count()
        && let Some(index) = (0..array.len()).find(|&i| array.is_valid(i) && out.is_null(i))
    {
        return Err(bad_value(array, index));
    }
    Ok(out)
}

fn bad_value(array: &ArrayRef, index: usize) -> CoerceError {
    const MAX_CHARS: usize = 80;
    let value = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
        .map(|f| f.value(index).to_string())
        .unwrap_or_else(|_| "?".to_owned());
    let value = if value.chars().count() > MAX_CHARS {
        value.chars().take(MAX_CHARS).chain("…".chars()).collect()
    } else {
        value
    };
    CoerceError::Value { index, value }
}

/// An integer written as text: `42`, `42.0` (as DuckDB writes a DOUBLE column), `4.2e1`;
/// blank is null.
fn parse_integer(s: &str) -> Result<Option<i64>, ()> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(v) = t.parse::<i64>() {
        return Ok(Some(v));
    }
    if let Some((whole, fraction)) = t.split_once('.')
        && fraction.bytes().all(|b| b == b'0')
        && let Ok(v) = whole.parse::<i64>()
    {
        return Ok(Some(v));
    }
    t.parse::<f64>().map_err(|_| ()).and_then(float_to_i64).map(Some)
}

/// A float that holds an integer exactly, as `i64`.
fn float_to_i64(f: f64) -> Result<i64, ()> {
    // 2^63: every f64 below it in magnitude that is integral fits in an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) { Ok(f as i64) } else { Err(()) }
}

/// A date written as `YYYY-MM-DD`, `YYYYMMDD` (Athena's vocabulary files) or as a timestamp
/// (its date part is kept); blank is null.
fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Some(d));
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").map(Some).map_err(|_| ());
    }
    arrow_cast::parse::string_to_datetime(&Utc, t).map(|dt| Some(dt.date_naive())).map_err(|_| ())
}

/// A timestamp as microseconds since the epoch: RFC 3339 and its common relatives (space
/// separator, no offset, date only), or a date as `YYYYMMDD`; blank is null.
fn parse_timestamp(s: &str) -> Result<Option<i64>, ()> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let datetime = match arrow_cast::parse::string_to_datetime(&Utc, t) {
        Ok(dt) => dt.naive_utc(),
        Err(_) => parse_date(t)?.and_then(|d| d.and_hms_opt(0, 0, 0)).ok_or(())?,
    };
    Ok(Some(datetime.and_utc().timestamp_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Date32Array, Float64Array, Int32Array, Int64Array, TimestampMicrosecondArray};

    fn text(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(values.iter().copied().collect::<StringArray>())
    }

    #[test]
    fn text_becomes_integers_floats_dates_and_timestamps() {
        let ints = coerce(
            &text(&[Some("7"), Some(" 8 "), Some(""), None, Some("9.0"), Some("1e3")]),
            ColumnType::Int,
        )
        .unwrap();
        assert_eq!(
            ints.as_primitive::<Int32Type>(),
            &Int32Array::from(vec![Some(7), Some(8), None, None, Some(9), Some(1000)])
        );
        let floats = coerce(&text(&[Some("1.5"), Some("")]), ColumnType::Float).unwrap();
        assert_eq!(floats.as_primitive::<Float64Type>(), &Float64Array::from(vec![Some(1.5), None]));
        let dates = coerce(
            &text(&[Some("2019-07-03"), Some("19700102"), Some("2019-07-03 10:00:00"), Some("")]),
            ColumnType::Date,
        )
        .unwrap();
        assert_eq!(
            dates.as_primitive::<Date32Type>(),
            &Date32Array::from(vec![Some(18080), Some(1), Some(18080), None])
        );
        let stamps = coerce(
            &text(&[Some("1970-01-01"), Some("1970-01-01 00:00:01.5"), Some("1970-01-01T00:00:02Z")]),
            ColumnType::Datetime,
        )
        .unwrap();
        assert_eq!(
            stamps.as_primitive::<TimestampMicrosecondType>(),
            &TimestampMicrosecondArray::from(vec![0, 1_500_000, 2_000_000])
        );
        let strings = coerce(&text(&[Some("a"), Some("")]), ColumnType::Text).unwrap();
        assert_eq!(strings.as_string::<i32>(), &StringArray::from(vec![Some("a"), None]));
    }

    #[test]
    fn numbers_narrow_only_when_exact() {
        let big: ArrayRef = Arc::new(Int64Array::from(vec![1, 3_000_000_000]));
        assert_eq!(
            coerce(&big, ColumnType::Int),
            Err(CoerceError::Value { index: 1, value: "3000000000".into() })
        );
        assert_eq!(
            coerce(&big, ColumnType::Id).unwrap().as_primitive::<Int64Type>(),
            &Int64Array::from(vec![1, 3_000_000_000])
        );
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![Some(600000010.0), None, Some(2.5)]));
        assert_eq!(
            coerce(&floats, ColumnType::Int),
            Err(CoerceError::Value { index: 2, value: "2.5".into() })
        );
        let whole: ArrayRef = Arc::new(Float64Array::from(vec![Some(174391.0), None]));
        assert_eq!(
            coerce(&whole, ColumnType::Id).unwrap().as_primitive::<Int64Type>(),
            &Int64Array::from(vec![Some(174391), None])
        );
        assert_eq!(
            coerce(&text(&[Some("x")]), ColumnType::Int),
            Err(CoerceError::Value { index: 0, value: "x".into() })
        );
        assert_eq!(
            coerce(&text(&[Some("99999999999")]), ColumnType::Int),
            Err(CoerceError::Value { index: 0, value: "99999999999".into() })
        );
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1234]));
        assert_eq!(
            coerce(&ints, ColumnType::Text).unwrap().as_string::<i32>(),
            &StringArray::from(vec!["1234"])
        );
    }

    #[test]
    fn dates_and_timestamps_convert_both_ways_and_wrong_kinds_are_type_errors() {
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![Some(1), None]));
        let stamps = coerce(&dates, ColumnType::Datetime).unwrap();
        assert_eq!(
            stamps.as_primitive::<TimestampMicrosecondType>(),
            &TimestampMicrosecondArray::from(vec![Some(86_400_000_000), None])
        );
        let back = coerce(&stamps, ColumnType::Date).unwrap();
        assert_eq!(back.as_primitive::<Date32Type>(), &Date32Array::from(vec![Some(1), None]));
        assert_eq!(coerce(&dates, ColumnType::Int), Err(CoerceError::Type));
        assert_eq!(
            coerce(&text(&[Some("2019-02-30")]), ColumnType::Date),
            Err(CoerceError::Value { index: 0, value: "2019-02-30".into() })
        );
        let nulls: ArrayRef = Arc::new(arrow_array::NullArray::new(2));
        assert_eq!(coerce(&nulls, ColumnType::Date).unwrap().null_count(), 2);
    }
}
