//! The source side of an import: finding one file per table in the source directory (names and
//! extensions in any letter case) and reading it as a stream of Arrow batches, whatever its
//! format (Parquet, comma- or tab-separated text, OHDSI Athena's unquoted vocabulary files), with
//! the header-row quirk undone.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::ImportError;

/// Rows per batch read from a source file (and so per batch written).
pub const BATCH_ROWS: usize = 65_536;

/// File extensions the importer reads, in the order they are listed in messages.
pub const EXTENSIONS: &[&str] = &["parquet", "csv", "tsv"];

/// How a source file is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// Delimited text with a header row; comma or tab, decided from the header line. A
    /// tab-separated `.csv` file is read as OHDSI Athena writes its vocabulary files: no quoting.
    Csv,
    /// Tab-separated text with a header row.
    Tsv,
}

/// One table file found in the source directory.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Its path.
    pub path: PathBuf,
    /// How it is encoded.
    pub format: Format,
}

impl SourceFile {
    /// The file name, for messages.
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// The table files of a source directory, keyed by lower-case table name.
pub struct Catalog {
    dir: PathBuf,
    files: BTreeMap<String, Vec<SourceFile>>,
}

impl Catalog {
    /// Lists the Parquet/CSV/TSV files of `dir` (hidden files and subdirectories are ignored).
    pub fn scan(dir: &Path) -> Result<Self, ImportError> {
        let io = |source| ImportError::Io { path: dir.to_owned(), source };
        if !dir.is_dir() {
            return Err(ImportError::NotADirectory(dir.to_owned()));
        }
        let mut files: BTreeMap<String, Vec<SourceFile>> = BTreeMap::new();
        for entry in fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_lowercase) else {
                continue;
            };
            if name.starts_with('.') || !path.is_file() {
                continue;
            }
            let Some((stem, ext)) = name.rsplit_once('.') else { continue };
            let format = match ext {
                "parquet" => Format::Parquet,
                "csv" => Format::Csv,
                "tsv" => Format::Tsv,
                _ => continue,
            };
            files.entry(stem.to_owned()).or_default().push(SourceFile { path, format });
        }
        for found in files.values_mut() {
            found.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(Self { dir: dir.to_owned(), files })
    }

    /// The directory scanned.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The one file holding `table`, `None` if there is none; an error if there are several.
    pub fn file(&self, table: &str) -> Result<Option<&SourceFile>, ImportError> {
        match self.files.get(table).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one)),
            Some(many) => Err(ImportError::DuplicateFile {
                table: table.to_owned(),
                files: many.iter().map(SourceFile::name).collect::<Vec<_>>().join(", "),
                dir: self.dir.clone(),
            }),
        }
    }

    /// Lower-case names of all tables that have a file.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// A table file opened for reading: its column names and a stream of batches whose columns are
/// exactly those names, in that order.
pub struct TableReader {
    /// The file being read.
    pub path: PathBuf,
    /// Lower-case, trimmed column names, aligned with the columns of every batch.
    pub columns: Vec<String>,
    /// Whether the file had generic column names (`column0`, `column1`, …) and its first row
    /// held the real ones, as DuckDB writes empty tables exported from Eunomia.
    pub header_row: bool,
    first: Option<RecordBatch>,
    rest: Batches,
}

impl TableReader {
    /// Opens `file`, reading only the columns named in `wanted` where the file's own column
    /// names allow it. `header` lists names that, all found in the first row of a file with
    /// generic column names, mark that row as the real header.
    pub fn open(file: &SourceFile, wanted: &[&str], header: &[&str]) -> Result<Self, ImportError> {
        let path = file.path.clone();
        let (names, opener) = Opener::new(file)?;
        if !names.is_empty() && names.iter().all(|n| is_generic(n)) {
            let mut rest = opener.batches(&path, None)?;
            let first =
                rest.next().transpose().map_err(|source| ImportError::Read { path: path.clone(), source })?;
            if let Some(real) = first.as_ref().and_then(|b| header_from_first_row(b, header)) {
                let first = first.map(|b| b.slice(1, b.num_rows() - 1));
                return Ok(Self { path, columns: real, header_row: true, first, rest });
            }
            return Ok(Self { path, columns: names, header_row: false, first, rest });
        }

        let indices: Vec<usize> = (0..names.len()).filter(|&i| wanted.contains(&names[i].as_str())).collect();
        let projection = (!indices.is_empty()).then_some(indices);
        let columns = match &projection {
            Some(indices) => indices.iter().map(|&i| names[i].clone()).collect(),
            None => names,
        };
        let rest = opener.batches(&path, projection)?;
        Ok(Self { path, columns, header_row: false, first: None, rest })
    }

    /// The next batch, `None` at the end of the file.
    pub fn next_batch(&mut self) -> Result<Option<RecordBatch>, ImportError> {
        if let Some(first) = self.first.take() {
            return Ok(Some(first));
        }
        let batch = self.rest.next().transpose().and_then(|b| b.map(checked_utf8).transpose());
        batch.map_err(|source| ImportError::Read { path: self.path.clone(), source })
    }
}

/// The batch with every text column checked to be UTF-8: arrow-csv can hand back text columns
/// holding invalid UTF-8 (`scripts/fuzz csv_coerce` found one), which string code must never see.
fn checked_utf8(batch: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| match c.as_string_opt::<i32>() {
            Some(text) => {
                let (offsets, values, nulls) = text.clone().into_parts();
                Ok(Arc::new(StringArray::try_new(offsets, values, nulls)?) as ArrayRef)
            }
            None => Ok(c.clone()),
        })
        .collect::<Result<Vec<_>, ArrowError>>()?;
    RecordBatch::try_new(batch.schema(), columns)
}

/// A source file whose column names are known, ready to stream its batches.
enum Opener {
    Parquet(ParquetRecordBatchReaderBuilder<File>),
    Csv { schema: Arc<Schema>, dialect: Dialect },
}

/// How a delimited text file separates and quotes its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dialect {
    delimiter: u8,
    /// Whether a field may be quoted with `"` (RFC 4180). Athena's files are not: a `"` there
    /// is an ordinary character, even at the start of a field.
    quoting: bool,
}

impl Dialect {
    /// Comma-separated, quoted.
    const CSV: Dialect = Dialect { delimiter: b',', quoting: true };
    /// Tab-separated, quoted (as DuckDB and pandas write `.tsv`).
    const TSV: Dialect = Dialect { delimiter: b'\t', quoting: true };
    /// Athena's vocabulary files: tab-separated, no quoting.
    const ATHENA: Dialect = Dialect { delimiter: b'\t', quoting: false };

    /// The quote byte for the CSV reader. arrow-csv cannot turn quoting off, so an unquoted
    /// dialect names 0xFF, a byte that never occurs in UTF-8 text (and a file that is not
    /// UTF-8 is rejected anyway).
    fn quote(self) -> u8 {
        if self.quoting { b'"' } else { 0xFF }
    }
}

/// Batches of a source file, as its reader yields them.
type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>>>;

impl Opener {
    /// Reads the column names of `file` as written in it, normalized.
    fn new(file: &SourceFile) -> Result<(Vec<String>, Self), ImportError> {
        let path = &file.path;
        match file.format {
            Format::Parquet => {
                let f = File::open(path).map_err(|source| ImportError::Io { path: path.clone(), source })?;
                let builder = ParquetRecordBatchReaderBuilder::try_new(f)
                    .map_err(|source| ImportError::Parquet { path: path.clone(), source })?;
                let names = builder.schema().fields().iter().map(|f| normalize(f.name())).collect();
                Ok((names, Opener::Parquet(builder)))
            }
            Format::Csv | Format::Tsv => {
                let dialect = match file.format {
                    Format::Tsv => Dialect::TSV,
                    _ => sniff_dialect(path)?,
                };
                let raw = csv_header(path, dialect)?;
                let names = raw.iter().map(|n| normalize(n)).collect();
                // Every column is read as text; `coerce` turns it into the CDM type.
                let fields: Vec<_> =
                    raw.iter().map(|n| Field::new(n.as_str(), DataType::Utf8, true)).collect();
                Ok((names, Opener::Csv { schema: Arc::new(Schema::new(fields)), dialect }))
            }
        }
    }

    /// Streams the batches, reading only the columns at `projection` (all if `None`).
    fn batches(self, path: &Path, projection: Option<Vec<usize>>) -> Result<Batches, ImportError> {
        match self {
            Opener::Parquet(builder) => {
                let builder = match projection {
                    Some(indices) => {
                        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
                        builder.with_projection(mask)
                    }
                    None => builder,
                };
                let reader = builder
                    .with_batch_size(BATCH_ROWS)
                    .build()
                    .map_err(|source| ImportError::Parquet { path: path.to_owned(), source })?;
                Ok(Box::new(reader))
            }
            Opener::Csv { schema, dialect } => {
                let f =
                    File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
                let mut builder = arrow_csv::ReaderBuilder::new(schema)
                    .with_header(true)
                    .with_delimiter(dialect.delimiter)
                    .with_quote(dialect.quote())
                    .with_batch_size(BATCH_ROWS);
                if let Some(indices) = projection {
                    builder = builder.with_projection(indices);
                }
                let reader = builder
                    .build(BufReader::new(f))
                    .map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
                Ok(Box::new(reader))
            }
        }
    }
}

/// Column names compare trimmed, without a byte-order mark, in lower case.
fn normalize(name: &str) -> String {
    name.trim().trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// `column0`, `column12`, … — the names DuckDB gives columns it read without a header.
fn is_generic(name: &str) -> bool {
    name.strip_prefix("column")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The real column names, if the first row of `batch` is a header row holding all of `expected`.
fn header_from_first_row(batch: &RecordBatch, expected: &[&str]) -> Option<Vec<String>> {
    if batch.num_rows() == 0 {
        return None;
    }
    let mut names = Vec::with_capacity(batch.num_columns());
    for column in batch.columns() {
        let cell = arrow_cast::cast(&column.slice(0, 1), &DataType::Utf8).ok()?;
        let cell = cell.as_string::<i32>();
        if cell.is_null(0) {
            return None;
        }
        names.push(normalize(cell.value(0)));
    }
    expected.iter().all(|e| names.iter().any(|n| n == e)).then_some(names)
}

/// Comma-separated and quoted, unless the header line has tabs and no commas: then the file is
/// one of Athena's vocabulary "CSV" files, tab-separated and unquoted.
fn sniff_dialect(path: &Path) -> Result<Dialect, ImportError> {
    let f = File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let mut line = Vec::new();
    BufReader::new(f)
        .read_until(b'\n', &mut line)
        .map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    Ok(if line.contains(&b'\t') && !line.contains(&b',') { Dialect::ATHENA } else { Dialect::CSV })
}

/// The column names in the header line of a delimited text file.
fn csv_header(path: &Path, dialect: Dialect) -> Result<Vec<String>, ImportError> {
    let f = File::open(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let format = arrow_csv::reader::Format::default()
        .with_header(true)
        .with_delimiter(dialect.delimiter)
        .with_quote(dialect.quote());
    let (schema, _) = format
        .infer_schema(BufReader::new(f), Some(0))
        .map_err(|source| ImportError::Read { path: path.to_owned(), source })?;
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regression test of `scripts/fuzz csv_coerce`'s crash (a heap-buffer-overflow in
    /// `str::trim` on a text column that held invalid UTF-8): such a column is refused.
    #[test]
    fn a_text_column_holding_invalid_utf8_is_refused() {
        let values = arrow_buffer::Buffer::from_vec(vec![0x9fu8, b'9', b'9']);
        let offsets = arrow_buffer::OffsetBuffer::new(vec![0i32, 3].into());
        // SAFETY: deliberately invalid, as arrow-csv handed it over; only checked_utf8 reads it.
        let text = unsafe { StringArray::new_unchecked(offsets, values, None) };
        let schema = Arc::new(Schema::new(vec![Field::new("person_id", DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(text)]).unwrap();
        let err = checked_utf8(batch).unwrap_err().to_string();
        assert!(err.to_lowercase().contains("utf"), "{err}");
        let valid =
            RecordBatch::try_from_iter([("person_id", Arc::new(StringArray::from(vec!["99"])) as ArrayRef)]);
        assert!(checked_utf8(valid.unwrap()).is_ok());
    }

    #[test]
    fn generic_names_are_recognised() {
        assert!(is_generic("column0"));
        assert!(is_generic("column14"));
        assert!(!is_generic("column"));
        assert!(!is_generic("column_1"));
        assert!(!is_generic("person_id"));
        assert_eq!(normalize("\u{feff} PERSON_ID "), "person_id");
    }
}
