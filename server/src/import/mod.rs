//! `cohortlens import`: turns an OMOP CDM v5.3/v5.4 directory of Parquet or CSV files into a
//! cohortlens dataset (docs/operator.md, "The dataset directory").
//!
//! This module owns the import as a whole: which source file feeds which table, the checks
//! (required tables, columns and values), the repairs real exports need (Eunomia's among them:
//! upper-case names, loose types, header rows stored as data, demographic concepts missing from
//! the vocabulary), the manifest fields and the report on stderr. Reading files is
//! [`source`]'s job, converting values [`coerce`]'s, and the built-in concepts are [`vocab`]'s.
//! Tables stream batch by batch; the output appears only when complete ([`DatasetWriter`]).

mod coerce;
mod source;
mod vocab;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type};
use arrow_array::{Array, ArrayRef, RecordBatch, new_null_array};
use arrow_schema::{ArrowError, DataType, SchemaRef};
use chrono::NaiveDate;
use cohortlens::cdm::{self, ColumnType, TableSpec, Tier};
use parquet::errors::ParquetError;

use crate::dataset::{DatasetError, DatasetWriter, LAYOUT_VERSION, Manifest, TableWriter};
use coerce::{CoerceError, coerce};
use source::{Catalog, EXTENSIONS, SourceFile, TableReader};

/// What `cohortlens import` was asked to do.
pub struct Options {
    /// Source directory: one Parquet, CSV or TSV file per table.
    pub from: PathBuf,
    /// Dataset directory to write.
    pub out: PathBuf,
    /// Dataset name (default: the source directory's name).
    pub name: Option<String>,
    /// Reference date `YYYY-MM-DD` (default: the latest event date).
    pub reference_date: Option<String>,
    /// Replace `out` if it exists.
    pub force: bool,
}

/// CDM version written to the manifest when the source has no `cdm_source` table.
const DEFAULT_CDM_VERSION: &str = "5.4";

/// Why an import failed; nothing is left at `--out` when it does.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// `--from` is not a directory.
    #[error(
        "{0} is not a directory; --from takes a directory with one Parquet or CSV file per OMOP CDM table"
    )]
    NotADirectory(PathBuf),
    /// Listing or opening a source file failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A Parquet source file could not be read.
    #[error("{path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
    /// A source file could not be decoded (malformed CSV, bad UTF-8, …).
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: ArrowError },
    /// A required table has no file.
    #[error(
        "required table {table} not found in {dir}: looked for {looked_for} (any letter case); export it from the source database into that directory"
    )]
    MissingTable { table: &'static str, dir: PathBuf, looked_for: String },
    /// A table has several files (e.g. `person.csv` and `PERSON.parquet`).
    #[error("table {table} has more than one file in {dir} ({files}); keep exactly one")]
    DuplicateFile { table: String, files: String, dir: PathBuf },
    /// A required column is absent.
    #[error(
        "{path}: table {table} lacks its required column {column} (columns found: {found}); add it, or rename the column that holds it"
    )]
    MissingColumn { table: &'static str, column: &'static str, path: PathBuf, found: String },
    /// Two source columns map to one CDM column.
    #[error(
        "{path}: table {table} has more than one column named {column} (names are compared ignoring letter case)"
    )]
    DuplicateColumn { table: &'static str, column: &'static str, path: PathBuf },
    /// A value does not convert to its column's type.
    #[error(
        "{path}: table {table}, column {column}, data row {row}: cannot read {value:?} as {expected}; correct the value in the source"
    )]
    BadValue {
        table: &'static str,
        column: &'static str,
        row: u64,
        value: String,
        expected: &'static str,
        path: PathBuf,
    },
    /// A whole column has a type that cannot become the CDM type.
    #[error("{path}: table {table}, column {column} has type {found}, which cannot be read as {expected}")]
    BadType {
        table: &'static str,
        column: &'static str,
        found: DataType,
        expected: &'static str,
        path: PathBuf,
    },
    /// A required column holds a null or empty value.
    #[error(
        "{path}: table {table}, column {column} is required but empty at data row {row}; fill it in the source or drop the row"
    )]
    MissingValue { table: &'static str, column: &'static str, row: u64, path: PathBuf },
    /// `--reference-date` is not `YYYY-MM-DD`.
    #[error("--reference-date {0:?} is not a date; write it as YYYY-MM-DD")]
    BadReferenceDate(String),
    /// No `--reference-date` and no dates to derive one from.
    #[error(
        "{0} holds no event or observation period dates to take a reference date from; pass --reference-date YYYY-MM-DD"
    )]
    NoReferenceDate(PathBuf),
    /// Assembling an output batch failed.
    #[error("table {table}: {source}")]
    Batch { table: &'static str, source: ArrowError },
    /// Writing the dataset failed.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// Everything found wrong in one run, each with what to do.
    #[error("{} problem(s) found; nothing was written:\n{}", .0.len(), numbered(.0))]
    Problems(Vec<ImportError>),
}

impl ImportError {
    /// One problem as itself, several as [`ImportError::Problems`].
    fn all(mut problems: Vec<ImportError>) -> ImportError {
        if problems.len() == 1 { problems.remove(0) } else { ImportError::Problems(problems) }
    }
}

/// `  1. first\n  2. second`.
fn numbered(problems: &[ImportError]) -> String {
    problems.iter().enumerate().map(|(i, p)| format!("  {}. {p}", i + 1)).collect::<Vec<_>>().join("\n")
}

/// Imports `o.from` into a new dataset at `o.out` and returns its manifest. Every problem
/// found is reported, not only the first: all the checks that need no rows (options, files,
/// columns) run before anything is written, and a bad value ends only its own table's import.
pub fn run(o: &Options) -> Result<Manifest, ImportError> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let given_date = o.reference_date.as_deref().map(parse_reference_date).transpose().unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let catalog = Catalog::scan(&o.from)?;

    // Every table's file is found (or found missing) and its columns checked before anything
    // is written.
    let mut plan = Vec::with_capacity(cdm::TABLES.len());
    for spec in cdm::TABLES {
        let file = match catalog.file(spec.name) {
            Ok(file) => file,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        match file {
            None if spec.required => problems.push(ImportError::MissingTable {
                table: spec.name,
                dir: catalog.dir().to_owned(),
                looked_for: EXTENSIONS
                    .iter()
                    .map(|e| format!("{}.{e}", spec.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
            Some(file) => problems.extend(check_columns(spec, file).err().into_iter().flatten()),
            None => {}
        }
        plan.push((spec, file));
    }
    let cdm_version = match catalog.file("cdm_source") {
        Ok(Some(file)) => read_cdm_version(file).unwrap_or_else(|e| {
            problems.push(e);
            None
        }),
        Ok(None) => None,
        Err(e) => {
            problems.push(e);
            None
        }
    }
    .unwrap_or_else(|| DEFAULT_CDM_VERSION.to_owned());
    if !problems.is_empty() {
        return Err(ImportError::all(problems));
    }
    // `concept` first: the other tables are checked against its ids.
    plan.sort_by_key(|(spec, _)| spec.name != "concept");

    eprintln!("importing OMOP CDM {cdm_version} from {}", o.from.display());
    let skipped: Vec<&str> =
        catalog.tables().filter(|t| cdm::table(t).is_none() && *t != "cdm_source").collect();
    if !skipped.is_empty() {
        eprintln!("  skipped (not in the cohortlens data contract): {}", skipped.join(", "));
    }

    let mut dataset = DatasetWriter::create(&o.out, o.force)?;
    let mut tracker = Tracker::default();
    let mut concept = None;
    let mut total_rows = 0;
    for (spec, file) in plan {
        let mut writer = dataset.table(spec)?;
        let imported = match import_table(spec, file, &mut writer, &mut tracker) {
            Ok(imported) => imported,
            // A value error ends this table; the others are still read for their errors.
            Err(
                e @ (ImportError::BadValue { .. }
                | ImportError::MissingValue { .. }
                | ImportError::BadType { .. }
                | ImportError::Read { .. }
                | ImportError::Parquet { .. }),
            ) => {
                problems.push(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if !problems.is_empty() {
            continue;
        }
        if spec.name == "concept" {
            tracker.concept_ids.sort_unstable();
            tracker.concept_ids.dedup();
            concept = Some((writer, imported));
            continue;
        }
        let rows = dataset.add(writer)?;
        total_rows += rows;
        imported.report(spec.name, rows);
    }
    if !problems.is_empty() {
        return Err(ImportError::all(problems));
    }
    if let Some((mut writer, imported)) = concept {
        add_missing_concepts(&mut writer, &tracker)?;
        let rows = dataset.add(writer)?;
        total_rows += rows;
        imported.report("concept", rows);
    }
    if !tracker.sex_at_birth {
        eprintln!(
            "  note: person has no sex_at_birth_concept_id (an All of Us column): Sex at birth and \
             Age × Sex use gender_concept_id, labelled Gender"
        );
    }
    if tracker.dangling_ancestors > 0 {
        eprintln!(
            "  note: {} concept_ancestor rows refer to concepts not in concept (kept)",
            thousands(tracker.dangling_ancestors)
        );
    }

    let reference_date = match given_date.or_else(|| tracker.latest.and_then(Date32Type::to_naive_date_opt)) {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => return Err(ImportError::NoReferenceDate(o.from.clone())),
    };
    let manifest = dataset.finish(Manifest {
        name: o.name.clone().unwrap_or_else(|| default_name(&o.from)),
        version: LAYOUT_VERSION.to_owned(),
        source: format!("imported from {}", o.from.display()),
        cdm_version,
        reference_date,
        date_shift_note: "dates as in the source".to_owned(),
        synthetic: false,
        tables: Default::default(),
    })?;
    eprintln!(
        "imported {} tables, {} rows, into {} in {:.1} s (reference date {})",
        manifest.tables.len(),
        thousands(total_rows),
        o.out.display(),
        started.elapsed().as_secs_f64(),
        manifest.reference_date
    );
    Ok(manifest)
}

/// What reading one table found, for the report.
struct Imported {
    file: Option<String>,
    header_row: bool,
}

impl Imported {
    fn report(&self, table: &str, rows: u64) {
        let from = match (&self.file, self.header_row) {
            (None, _) => "no file: written empty".to_owned(),
            (Some(f), false) => format!("from {f}"),
            (Some(f), true) => format!("from {f} (its first row held the column names)"),
        };
        eprintln!("  {table:<22} {:>12} rows  {from}", thousands(rows));
    }
}

/// Streams one table from `file` (if any) into `writer`, batch by batch.
fn import_table(
    spec: &'static TableSpec,
    file: Option<&SourceFile>,
    writer: &mut TableWriter,
    tracker: &mut Tracker,
) -> Result<Imported, ImportError> {
    let Some(file) = file else { return Ok(Imported { file: None, header_row: false }) };
    let wanted: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let required: Vec<&str> = spec.columns.iter().filter(|c| c.required).map(|c| c.name).collect();
    let mut reader = TableReader::open(file, &wanted, &required)?;
    let imported = Imported { file: Some(file.name()), header_row: reader.header_row };
    if reader.columns.is_empty() {
        // A file without even a header: an empty table.
        return Ok(imported);
    }
    let sources = column_sources(spec, &reader)?;
    let schema = spec.schema();
    let mut rows = 0;
    while let Some(batch) = reader.next_batch()? {
        let out = convert_batch(spec, &schema, &reader.path, &sources, &batch, rows)?;
        tracker.observe(spec, &out);
        writer.write(&out)?;
        rows += out.num_rows() as u64;
    }
    Ok(imported)
}

/// Opens `file` and checks its columns against the table's: every missing required column and
/// every duplicated one.
fn check_columns(spec: &'static TableSpec, file: &SourceFile) -> Result<(), Vec<ImportError>> {
    let wanted: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let required: Vec<&str> = spec.columns.iter().filter(|c| c.required).map(|c| c.name).collect();
    let reader = TableReader::open(file, &wanted, &required).map_err(|e| vec![e])?;
    if reader.columns.is_empty() {
        return Ok(());
    }
    let problems: Vec<ImportError> =
        spec.columns.iter().filter_map(|col| column_source(spec, col, &reader).err()).collect();
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// For each CDM column, the index of the source column that feeds it (`None`: all null).
fn column_sources(spec: &'static TableSpec, reader: &TableReader) -> Result<Vec<Option<usize>>, ImportError> {
    spec.columns.iter().map(|col| column_source(spec, col, reader)).collect()
}

/// The index of the source column that feeds `col`, if any.
fn column_source(
    spec: &'static TableSpec,
    col: &cdm::ColumnSpec,
    reader: &TableReader,
) -> Result<Option<usize>, ImportError> {
    let mut found = reader.columns.iter().enumerate().filter(|(_, n)| *n == col.name).map(|(i, _)| i);
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(ImportError::DuplicateColumn {
            table: spec.name,
            column: col.name,
            path: reader.path.clone(),
        }),
        (None, _) if col.required => Err(ImportError::MissingColumn {
            table: spec.name,
            column: col.name,
            path: reader.path.clone(),
            found: reader.columns.join(", "),
        }),
        (index, _) => Ok(index),
    }
}

/// Converts one source batch to the table's schema; `rows_before` counts the rows of earlier
/// batches, for row numbers in messages.
fn convert_batch(
    spec: &'static TableSpec,
    schema: &SchemaRef,
    path: &Path,
    sources: &[Option<usize>],
    batch: &RecordBatch,
    rows_before: u64,
) -> Result<RecordBatch, ImportError> {
    let row = |index: usize| rows_before + index as u64 + 1;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(spec.columns.len());
    for (col, source) in spec.columns.iter().zip(sources) {
        let array = match source {
            None => new_null_array(&col.ty.data_type(), batch.num_rows()),
            Some(i) => {
                let Some(input) = batch.columns().get(*i) else {
                    let why = format!("a batch has {} columns, fewer than its header", batch.num_columns());
                    return Err(ImportError::Batch {
                        table: spec.name,
                        source: ArrowError::SchemaError(why),
                    });
                };
                coerce(input, col.ty).map_err(|e| match e {
                    CoerceError::Type => ImportError::BadType {
                        table: spec.name,
                        column: col.name,
                        found: input.data_type().clone(),
                        expected: describe(col.ty),
                        path: path.to_owned(),
                    },
                    CoerceError::Value { index, value } => ImportError::BadValue {
                        table: spec.name,
                        column: col.name,
                        row: row(index),
                        value,
                        expected: describe(col.ty),
                        path: path.to_owned(),
                    },
                })?
            }
        };
        if col.required && array.null_count() > 0 {
            let index = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or_default();
            return Err(ImportError::MissingValue {
                table: spec.name,
                column: col.name,
                row: row(index),
                path: path.to_owned(),
            });
        }
        columns.push(array);
    }
    RecordBatch::try_new(schema.clone(), columns)
        .map_err(|source| ImportError::Batch { table: spec.name, source })
}

/// The CDM type in words, for messages.
fn describe(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Id | ColumnType::Count => "a 64-bit integer",
        ColumnType::Int => "a 32-bit integer",
        ColumnType::Float => "a number",
        ColumnType::Text => "text",
        ColumnType::Date => "a date (YYYY-MM-DD)",
        ColumnType::Datetime => "a date-time (YYYY-MM-DD HH:MM:SS)",
    }
}

/// What the importer learns from the rows as they stream past.
#[derive(Default)]
struct Tracker {
    /// Every `concept_id` of the source vocabulary (sorted once `concept` is read).
    concept_ids: Vec<i32>,
    /// Demographic, visit and type concept ids used by person-level rows.
    used: BTreeSet<i32>,
    /// The latest event date seen (days since the epoch).
    latest: Option<i32>,
    /// `concept_ancestor` rows naming a concept that `concept` lacks.
    dangling_ancestors: u64,
    /// Whether any person has a `sex_at_birth_concept_id` (All of Us's; plain OMOP has none).
    sex_at_birth: bool,
}

impl Tracker {
    fn observe(&mut self, spec: &TableSpec, batch: &RecordBatch) {
        let ints = |name: &str| batch.column_by_name(name).map(|a| a.as_primitive::<Int32Type>().clone());
        match spec.name {
            "concept" => {
                if let Some(ids) = ints("concept_id") {
                    self.concept_ids.extend(ids.values().iter());
                }
            }
            "concept_ancestor" => {
                if let (Some(a), Some(d)) = (ints("ancestor_concept_id"), ints("descendant_concept_id")) {
                    let dangling = a
                        .values()
                        .iter()
                        .zip(d.values().iter())
                        .filter(|(a, d)| !self.has_concept(**a) || !self.has_concept(**d));
                    self.dangling_ancestors += dangling.count() as u64;
                }
            }
            _ if spec.tier != Tier::Public => {
                if spec.name == "person" {
                    let sex = batch.column_by_name("sex_at_birth_concept_id");
                    self.sex_at_birth |= sex.is_some_and(|a| a.null_count() < a.len());
                }
                for (col, array) in spec.columns.iter().zip(batch.columns()) {
                    match col.ty {
                        ColumnType::Date if counts_for_reference_date(col.name) => {
                            let latest = array.as_primitive::<Date32Type>().iter().flatten().max();
                            self.latest = self.latest.max(latest);
                        }
                        ColumnType::Int if vocab::is_checked_column(spec.name, col.name) => {
                            let mut last = None;
                            for id in array.as_primitive::<Int32Type>().iter().flatten() {
                                if last != Some(id) {
                                    self.used.insert(id);
                                    last = Some(id);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn has_concept(&self, id: i32) -> bool {
        self.concept_ids.binary_search(&id).is_ok()
    }
}

/// Event dates count towards the default reference date, and so do observation period ends;
/// other end dates do not (sources park open-ended ones far in the future).
fn counts_for_reference_date(column: &str) -> bool {
    column == "observation_period_end_date" || !column.contains("end_date")
}

/// Appends the built-in concepts that rows use but the source vocabulary lacks, and reports
/// those it cannot supply.
fn add_missing_concepts(writer: &mut TableWriter, tracker: &Tracker) -> Result<(), ImportError> {
    let missing: Vec<i32> = tracker.used.iter().copied().filter(|&id| !tracker.has_concept(id)).collect();
    let known: Vec<_> = missing.iter().filter_map(|&id| vocab::built_in(id)).collect();
    if !known.is_empty() {
        let batch = vocab::batch(&known).map_err(|source| ImportError::Batch { table: "concept", source })?;
        writer.write(&batch)?;
        let list: Vec<String> = known.iter().map(|c| format!("{} {}", c.id, c.name)).collect();
        eprintln!(
            "  note: added {} standard concepts the source vocabulary lacks: {}",
            known.len(),
            list.join(", ")
        );
    }
    let unknown: Vec<String> =
        missing.iter().filter(|&&id| vocab::built_in(id).is_none()).map(i32::to_string).collect();
    if !unknown.is_empty() {
        eprintln!(
            "  note: {} demographic/visit/type concept ids used by the data are not in concept: {}",
            unknown.len(),
            unknown.join(", ")
        );
    }
    Ok(())
}

/// `cdm_source.cdm_version` without a leading "v" ("v5.3.1" → "5.3.1"), if the table has one.
fn read_cdm_version(file: &SourceFile) -> Result<Option<String>, ImportError> {
    let mut reader = TableReader::open(file, &["cdm_version"], &["cdm_version"])?;
    let Some(index) = reader.columns.iter().position(|c| c == "cdm_version") else { return Ok(None) };
    while let Some(batch) = reader.next_batch()? {
        let Ok(text) = coerce(batch.column(index), ColumnType::Text) else { return Ok(None) };
        if let Some(version) = text.as_string::<i32>().iter().flatten().next() {
            let version = version.trim();
            return Ok(Some(version.strip_prefix(['v', 'V']).unwrap_or(version).to_owned()));
        }
    }
    Ok(None)
}

fn parse_reference_date(s: &str) -> Result<NaiveDate, ImportError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ImportError::BadReferenceDate(s.to_owned()))
}

/// The source directory's own name.
fn default_name(from: &Path) -> String {
    let absolute = from.canonicalize().unwrap_or_else(|_| from.to_owned());
    absolute.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "imported".to_owned())
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests;
