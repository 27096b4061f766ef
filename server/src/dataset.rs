//! The dataset directory (docs/operator.md, "The dataset directory"): one Parquet file per CDM table plus
//! `manifest.json`, written atomically — into a temporary sibling directory that is renamed
//! into place only when every table is complete, so a failure never leaves half a dataset.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use cohortlens::cdm::{self, TableSpec, Tier};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

/// Rows per Parquet row group; the server streams a row group at a time.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// `manifest.json`: what the dataset is, where it came from, and what each table holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Short name shown in the page.
    pub name: String,
    /// Version of the dataset layout.
    pub version: String,
    /// Where the rows came from (generator parameters or the import source).
    pub source: String,
    /// OMOP CDM version of the source.
    pub cdm_version: String,
    /// The date "current age" is computed at (the CDR cut-off), `YYYY-MM-DD`.
    pub reference_date: String,
    /// How dates were shifted for de-identification, in words.
    pub date_shift_note: String,
    /// Made by `cohortlens generate`: no real person's data, so the server may send its rows
    /// without tokens. Absent in manifests written before this field existed: read as `false`.
    #[serde(default)]
    pub synthetic: bool,
    /// Per table: its file, row count and the lowest tier that may read it.
    pub tables: BTreeMap<String, TableEntry>,
}

/// One table's entry in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TableEntry {
    /// File name inside the dataset directory.
    pub file: String,
    /// Number of rows.
    pub rows: u64,
    /// The lowest tier that may read it.
    pub tier: Tier,
}

/// Version string written into every manifest.
pub const LAYOUT_VERSION: &str = "1";

/// Errors of reading or writing a dataset directory.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("{0} already exists; choose another --out directory, remove it, or pass --force to replace it")]
    Exists(PathBuf),
    #[error(
        "{path}: not a cohortlens dataset ({why}); create one with `cohortlens generate` or `cohortlens import`"
    )]
    Invalid { path: PathBuf, why: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DatasetError + '_ {
    move |source| DatasetError::Io { path: path.to_owned(), source }
}

/// Reads and checks `manifest.json` of a dataset directory: every table it names must be a
/// CDM table with its file present (all that is wrong is reported at once).
pub fn read_manifest(dir: &Path) -> Result<Manifest, DatasetError> {
    let manifest = read_manifest_only(dir)?;
    let missing: Vec<String> = manifest
        .tables
        .values()
        .filter(|entry| !dir.join(&entry.file).is_file())
        .map(|entry| format!("table file {} is missing", entry.file))
        .collect();
    if !missing.is_empty() {
        return Err(DatasetError::Invalid { path: dir.to_owned(), why: missing.join("; ") });
    }
    Ok(manifest)
}

/// Reads `manifest.json` and checks that every table it names is a CDM table, without looking
/// at the table files (the server checks those itself and serves the tables that are sound).
pub fn read_manifest_only(dir: &Path) -> Result<Manifest, DatasetError> {
    let path = dir.join("manifest.json");
    let text = fs::read_to_string(&path).map_err(|e| DatasetError::Invalid {
        path: dir.to_owned(),
        why: format!("cannot read manifest.json: {e}"),
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| DatasetError::Invalid { path: path.clone(), why: e.to_string() })?;
    let unknown: Vec<String> = manifest
        .tables
        .keys()
        .filter(|name| cdm::table(name).is_none())
        .map(|name| format!("unknown table {name:?}"))
        .collect();
    if !unknown.is_empty() {
        return Err(DatasetError::Invalid { path, why: unknown.join("; ") });
    }
    Ok(manifest)
}

/// Writes a dataset into a temporary directory and moves it into place on [`finish`](Self::finish).
/// Dropped without `finish`, it removes the temporary directory.
pub struct DatasetWriter {
    out: PathBuf,
    tmp: PathBuf,
    force: bool,
    tables: BTreeMap<String, TableEntry>,
}

impl DatasetWriter {
    /// Starts a dataset at `out`. Fails if `out` exists, unless `force`.
    pub fn create(out: &Path, force: bool) -> Result<Self, DatasetError> {
        if out.exists() && !force {
            return Err(DatasetError::Exists(out.to_owned()));
        }
        let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(parent).map_err(io(parent))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        fs::create_dir(&tmp).map_err(io(&tmp))?;
        Ok(Self { out: out.to_owned(), tmp, force, tables: BTreeMap::new() })
    }

    /// Opens the Parquet writer of one table.
    pub fn table(&self, spec: &'static TableSpec) -> Result<TableWriter, DatasetError> {
        let file = format!("{}.parquet", spec.name);
        let path = self.tmp.join(&file);
        let f = File::create(&path).map_err(io(&path))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid zstd level")))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ArrowWriter::try_new(f, spec.schema(), Some(props))
            .map_err(|source| DatasetError::Parquet { path: path.clone(), source })?;
        Ok(TableWriter { spec, path, file, writer, rows: 0 })
    }

    /// Records a finished table in the manifest.
    pub fn add(&mut self, table: TableWriter) -> Result<u64, DatasetError> {
        let TableWriter { spec, path, file, writer, rows } = table;
        writer.close().map_err(|source| DatasetError::Parquet { path, source })?;
        self.tables.insert(spec.name.to_owned(), TableEntry { file, rows, tier: spec.tier });
        Ok(rows)
    }

    /// Writes `manifest.json` (its `tables` filled in here) and moves the dataset into place.
    pub fn finish(mut self, mut manifest: Manifest) -> Result<Manifest, DatasetError> {
        manifest.tables = std::mem::take(&mut self.tables);
        let path = self.tmp.join("manifest.json");
        let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
        fs::write(&path, json + "\n").map_err(io(&path))?;
        if self.out.exists() && self.force {
            let old = self.tmp.with_extension("old");
            fs::rename(&self.out, &old).map_err(io(&self.out))?;
            fs::rename(&self.tmp, &self.out).map_err(io(&self.out))?;
            fs::remove_dir_all(&old).map_err(io(&old))?;
        } else {
            fs::rename(&self.tmp, &self.out).map_err(io(&self.out))?;
        }
        Ok(manifest)
    }
}

impl Drop for DatasetWriter {
    fn drop(&mut self) {
        // After `finish` the temporary directory has been renamed away and this is a no-op.
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

/// A Parquet file being written for one table, row group by row group.
pub struct TableWriter {
    spec: &'static TableSpec,
    path: PathBuf,
    file: String,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl TableWriter {
    /// Appends a batch; it must have the table's schema.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DatasetError> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|source| DatasetError::Parquet { path: self.path.clone(), source })
    }

    /// The table being written.
    pub fn spec(&self) -> &'static TableSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            name: "t".into(),
            version: LAYOUT_VERSION.into(),
            source: "test".into(),
            cdm_version: "5.4".into(),
            reference_date: "2023-10-01".into(),
            date_shift_note: "none".into(),
            synthetic: false,
            tables: BTreeMap::new(),
        }
    }

    #[test]
    fn dropped_writer_leaves_nothing_and_finished_writer_round_trips() {
        let base = std::env::temp_dir().join(format!("cl-ds-{}", std::process::id()));
        let out = base.join("ds");
        {
            let w = DatasetWriter::create(&out, false).unwrap();
            let t = w.table(cdm::table("person").unwrap()).unwrap();
            drop(t);
        }
        assert!(!out.exists());
        assert_eq!(fs::read_dir(&base).unwrap().count(), 0, "temporary directory left behind");

        let mut w = DatasetWriter::create(&out, false).unwrap();
        let t = w.table(cdm::table("death").unwrap()).unwrap();
        w.add(t).unwrap();
        let written = w.finish(manifest()).unwrap();
        assert_eq!(read_manifest(&out).unwrap(), written);
        assert_eq!(written.tables["death"].rows, 0);

        assert!(matches!(DatasetWriter::create(&out, false), Err(DatasetError::Exists(_))));
        let w = DatasetWriter::create(&out, true).unwrap();
        w.finish(manifest()).unwrap();
        assert!(read_manifest(&out).unwrap().tables.is_empty());
        fs::remove_dir_all(&base).unwrap();
    }
}
