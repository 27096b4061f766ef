//! The importer's CSV reading and coercion: any bytes as a CSV file (header sniffed, every
//! column read as text, as `cohortlens import` does) → every column coerced to every CDM
//! column type; a bad value is a `CoerceError`, never a panic.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::cast::AsArray;
use arrow_schema::{DataType, Field, Schema};
use cohortlens::cdm::ColumnType;
use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../server/src/import/coerce.rs"]
mod coerce;

const TYPES: [ColumnType; 6] = [
    ColumnType::Id,
    ColumnType::Count,
    ColumnType::Int,
    ColumnType::Float,
    ColumnType::Text,
    ColumnType::Date,
];

fuzz_target!(|data: &[u8]| {
    let delimiter = if data.first() == Some(&b'\t') { b'\t' } else { b',' };
    let format = arrow_csv::reader::Format::default().with_header(true).with_delimiter(delimiter);
    let Ok((schema, _)) = format.infer_schema(Cursor::new(data), Some(0)) else { return };
    let fields: Vec<Field> =
        schema.fields().iter().map(|f| Field::new(f.name(), DataType::Utf8, true)).collect();
    if fields.is_empty() || fields.len() > 64 {
        return;
    }
    let Ok(reader) = arrow_csv::ReaderBuilder::new(Arc::new(Schema::new(fields)))
        .with_header(true)
        .with_delimiter(delimiter)
        .with_batch_size(1024)
        .build(Cursor::new(data))
    else {
        return;
    };
    for batch in reader {
        let Ok(batch) = batch else { return };
        // As the importer does (`checked_utf8`): a text column holding invalid UTF-8 is refused.
        for column in batch.columns() {
            let (offsets, values, nulls) = column.as_string::<i32>().clone().into_parts();
            if arrow_array::StringArray::try_new(offsets, values, nulls).is_err() {
                return;
            }
        }
        for column in batch.columns() {
            for ty in TYPES.into_iter().chain([ColumnType::Datetime]) {
                check(column, ty);
            }
        }
    }
});

fn check(column: &ArrayRef, ty: ColumnType) {
    match coerce::coerce(column, ty) {
        Ok(array) => {
            assert_eq!(array.len(), column.len(), "coercion changed the row count");
            assert_eq!(array.data_type(), &ty.data_type(), "coercion gave the wrong type");
        }
        Err(coerce::CoerceError::Value { index, .. }) => {
            assert!(index < column.len(), "error row out of range")
        }
        Err(coerce::CoerceError::Type) => {}
    }
}
