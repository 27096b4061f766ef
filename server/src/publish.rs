//! `cohortlens publish`: the public tier's aggregates (docs/public.md). Computed natively over
//! the whole dataset with the `aou` policy — raw counts never leave this process — and stored
//! in the dataset directory as `public/`: `concepts.parquet` (every concept with participants
//! and its disclosed count), `tables.parquet` (every published table, disclosed, one per row)
//! and `publish.json` (what was published, when, under which policy, from which dataset).
//! Written into a temporary sibling directory renamed into place, like the dataset itself.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Int32Builder, StringBuilder, UInt64Builder};
use arrow_array::{Array, ArrayRef, BooleanArray, Int32Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use cohortlens::engine::{Engine, EngineError};
use cohortlens::privacy::{Disclosed, DisclosedTable, Policy};
use cohortlens::stats::{AgeAt, AgeBands, DataBrowserRequest, EhrDomain, Scope, StatRequest};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load;

mod surveys;
pub use surveys::{
    FITBIT_STATISTICS, PublicSurvey, QUESTION_STATISTICS, VERSION_STATISTIC, tile_name as fitbit_tile_name,
};

/// The policy of every published number: the Data Browser's own rounding.
pub const POLICY: Policy = Policy::Aou;

/// The folder of the published aggregates inside a dataset directory.
pub const DIR: &str = "public";

/// Bumped when what `publish` computes changes: older publications are stale.
pub const PUBLISH_VERSION: &str = "6";

/// `public/publish.json`: what was published, when, under which policy, from which dataset.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PublishManifest {
    /// [`PUBLISH_VERSION`] of the publisher that wrote it.
    pub version: String,
    /// When, UTC, RFC 3339.
    pub published: String,
    /// The disclosure policy of every number (`aou`).
    pub policy: Policy,
    /// The dataset's name (from its manifest).
    pub dataset: String,
    /// SHA-256 of the dataset's `manifest.json` when published: a new dataset makes it stale.
    pub dataset_fingerprint: String,
    /// The domains whose concepts with participants were published, each with a concept page.
    pub domains: Vec<String>,
    /// The statistics of the snapshot (the whole dataset).
    pub snapshot: Vec<String>,
    /// The statistics of every concept page (a measurement concept with values also has
    /// `values`).
    pub concept: Vec<String>,
    /// The surveys and their questions with pages.
    pub surveys: Vec<PublicSurvey>,
    /// The statistics of a question page, in order: every question has all but the last,
    /// `answersByVersion`, which only the questions of a survey with versions (COPE) have.
    pub question: Vec<String>,
    /// The statistics of every Fitbit tile.
    pub fitbit: Vec<String>,
}

/// A concept as the public search lists it.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PublicConcept {
    /// `concept_id`.
    pub concept_id: i32,
    /// `concept_name`.
    pub name: String,
    /// The Data Browser domain (`condition`, `drug`, …).
    pub domain: String,
    /// `vocabulary_id`.
    pub vocabulary: String,
    /// `concept_code`.
    pub code: String,
    /// A standard concept (`false`: a source concept with no standard mapping).
    pub standard: bool,
    /// Participants with the concept, disclosed.
    pub participants: Disclosed,
}

/// One published table: whose (`scope`, `id`) and which statistic.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicTable {
    /// `snapshot` (the whole dataset) or `concept`.
    pub scope: String,
    /// The concept id for `concept`.
    pub id: Option<i32>,
    /// The statistic's name in the API (`sex`, `age`, `ageSex`, `values`, `sources`, …).
    pub statistic: String,
    /// The table, disclosed under [`POLICY`].
    pub table: DisclosedTable,
}

/// Everything published.
#[derive(Clone, Debug)]
pub struct Published {
    /// What, when, how.
    pub manifest: PublishManifest,
    /// Every concept with participants, by domain then id.
    pub concepts: Vec<PublicConcept>,
    /// Every table.
    pub tables: Vec<PublicTable>,
}

/// Why publishing failed, or the published aggregates cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The dataset cannot be loaded.
    #[error(transparent)]
    Load(#[from] load::LoadError),
    /// A statistic failed.
    #[error("computing the public aggregates failed: {0}")]
    Engine(#[from] EngineError),
    /// A file cannot be written or read.
    #[error("{path}: {detail}")]
    File { path: PathBuf, detail: String },
    /// The published files are not what `publish` writes.
    #[error("{path}: {detail}; run `cohortlens publish --data DIR` again")]
    Invalid { path: PathBuf, detail: String },
}

fn file_error(path: &Path) -> impl FnOnce(String) -> PublishError + '_ {
    move |detail| PublishError::File { path: path.to_owned(), detail }
}

/// `cohortlens publish --data DIR`: computes and stores the public aggregates.
pub fn run(data: &Path) -> Result<PublishManifest, PublishError> {
    let (store, manifest) = load::load(data, None)?;
    let engine = Engine::build(&store, Some(&manifest.reference_date))?;
    drop(store);
    let published = compute(&engine, &manifest.name, &fingerprint(data)?)?;
    write(data, &published)?;
    Ok(published.manifest)
}

/// Whether `data` holds aggregates published from its current dataset by this publisher.
pub fn is_fresh(data: &Path) -> bool {
    let Ok(text) = fs::read_to_string(data.join(DIR).join("publish.json")) else { return false };
    let Ok(manifest) = serde_json::from_str::<PublishManifest>(&text) else { return false };
    manifest.version == PUBLISH_VERSION && fingerprint(data).is_ok_and(|f| f == manifest.dataset_fingerprint)
}

/// SHA-256 of the dataset's `manifest.json`.
fn fingerprint(data: &Path) -> Result<String, PublishError> {
    let path = data.join("manifest.json");
    let bytes = fs::read(&path).map_err(|e| file_error(&path)(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// The snapshot's tables, over the whole dataset: the Data Browser's participants per data
/// type, then the demographics (sex at birth, gender, race, ethnicity, the Data Browser's
/// combined race/ethnicity of The Basics answers, age today in the Data Browser's bands).
fn snapshot_requests() -> Vec<(&'static str, StatRequest)> {
    vec![
        ("domains", StatRequest::DataBrowser(DataBrowserRequest::Domains)),
        ("sexAtBirth", StatRequest::SexAtBirth),
        ("gender", StatRequest::Gender),
        ("race", StatRequest::Race),
        ("ethnicity", StatRequest::Ethnicity),
        ("raceEthnicity", StatRequest::DataBrowser(DataBrowserRequest::RaceEthnicity)),
        ("age", StatRequest::Age { bands: AgeBands::DataBrowser, at: AgeAt::Now }),
    ]
}

/// A concept page's tables: (API name, request).
fn concept_requests(domain: EhrDomain, concept_id: i32) -> Vec<(&'static str, StatRequest)> {
    vec![
        ("sex", StatRequest::DataBrowser(DataBrowserRequest::Sex { domain, concept_id })),
        ("age", StatRequest::DataBrowser(DataBrowserRequest::Age { domain, concept_id })),
        ("ageSex", StatRequest::DataBrowser(DataBrowserRequest::AgeSex { domain, concept_id })),
    ]
}

/// The name of a domain in the API.
pub fn domain_name(domain: EhrDomain) -> &'static str {
    match domain {
        EhrDomain::Condition => "condition",
        EhrDomain::Drug => "drug",
        EhrDomain::Procedure => "procedure",
        EhrDomain::Observation => "observation",
        EhrDomain::Measurement => "measurement",
    }
}

/// Computes every published table over the whole dataset, disclosed under [`POLICY`].
fn compute(engine: &Engine, dataset: &str, fingerprint: &str) -> Result<Published, PublishError> {
    let mut tables = Vec::new();
    for (statistic, request) in snapshot_requests() {
        let table = engine.disclosed_statistics(&Scope::Dataset, &request, POLICY)?;
        tables.push(PublicTable { scope: "snapshot".into(), id: None, statistic: statistic.into(), table });
    }
    let mut concepts = Vec::new();
    for domain in EhrDomain::ALL {
        let listed = engine.data_browser_concepts(domain);
        // Every page of the domain in one batch, so the domain's rows are read once.
        let mut pages: Vec<(i32, &str)> = Vec::new();
        let mut requests = Vec::new();
        for c in &listed {
            for (statistic, request) in concept_requests(domain, c.concept_id) {
                pages.push((c.concept_id, statistic));
                requests.push(request);
            }
            if domain == EhrDomain::Measurement {
                pages.push((c.concept_id, "values"));
                requests
                    .push(StatRequest::DataBrowser(DataBrowserRequest::Values { concept_id: c.concept_id }));
            }
        }
        let disclosed = engine.disclosed_statistics_all(&Scope::Dataset, &requests, POLICY)?;
        // A page's participants: the total of its first table (Sex).
        let mut participants = HashMap::new();
        for ((id, statistic), table) in pages.into_iter().zip(disclosed) {
            if statistic == "values" && table.rows.is_empty() {
                continue;
            }
            participants.entry(id).or_insert_with(|| table.total.clone());
            tables.push(PublicTable {
                scope: "concept".into(),
                id: Some(id),
                statistic: statistic.into(),
                table,
            });
        }
        for c in listed {
            concepts.push(PublicConcept {
                participants: participants.remove(&c.concept_id).expect("every concept page has tables"),
                concept_id: c.concept_id,
                name: c.name,
                domain: domain_name(domain).into(),
                vocabulary: c.vocabulary,
                code: c.code,
                standard: c.standard,
            });
        }
    }
    let (surveys, survey_tables) = surveys::compute(engine)?;
    tables.extend(survey_tables);
    let manifest = PublishManifest {
        version: PUBLISH_VERSION.into(),
        published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        policy: POLICY,
        dataset: dataset.into(),
        dataset_fingerprint: fingerprint.into(),
        domains: EhrDomain::ALL.iter().map(|&d| domain_name(d).to_owned()).collect(),
        snapshot: snapshot_requests().into_iter().map(|(name, _)| name.to_owned()).collect(),
        concept: concept_requests(EhrDomain::Condition, 0)
            .into_iter()
            .map(|(name, _)| name.to_owned())
            .collect(),
        surveys,
        question: (QUESTION_STATISTICS.iter().map(|(name, _)| *name))
            .chain([VERSION_STATISTIC.0])
            .map(str::to_owned)
            .collect(),
        fitbit: FITBIT_STATISTICS.iter().map(|(name, _)| (*name).to_owned()).collect(),
    };
    Ok(Published { manifest, concepts, tables })
}

/// Published concepts as one batch of [`concepts_schema`]: `public/concepts.parquet` and the
/// API's Arrow search answer.
pub fn concepts_batch(concepts: &[&PublicConcept]) -> RecordBatch {
    let mut id = Int32Builder::new();
    let (mut name, mut domain, mut vocabulary, mut code) =
        (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut standard, mut count, mut label) =
        (BooleanBuilder::new(), UInt64Builder::new(), StringBuilder::new());
    for c in concepts {
        id.append_value(c.concept_id);
        name.append_value(&c.name);
        domain.append_value(&c.domain);
        vocabulary.append_value(&c.vocabulary);
        code.append_value(&c.code);
        standard.append_value(c.standard);
        count.append_option(c.participants.value());
        label.append_value(c.participants.label());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(domain.finish()),
        Arc::new(vocabulary.finish()),
        Arc::new(code.finish()),
        Arc::new(standard.finish()),
        Arc::new(count.finish()),
        Arc::new(label.finish()),
    ];
    RecordBatch::try_new(concepts_schema(), columns).expect("columns match")
}

/// The columns of a list of published concepts (the disclosed count and its label last).
pub fn concepts_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("concept_id", DataType::Int32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("domain", DataType::Utf8, false),
        Field::new("vocabulary", DataType::Utf8, false),
        Field::new("code", DataType::Utf8, false),
        Field::new("standard", DataType::Boolean, false),
        Field::new("participants", DataType::UInt64, true),
        Field::new("participants_label", DataType::Utf8, false),
    ]))
}

fn tables_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("scope", DataType::Utf8, false),
        Field::new("id", DataType::Int32, true),
        Field::new("statistic", DataType::Utf8, false),
        Field::new("table", DataType::Utf8, false),
    ]))
}

/// Writes `published` into `data/public`, replacing what was there only once it is complete.
fn write(data: &Path, published: &Published) -> Result<(), PublishError> {
    let out = data.join(DIR);
    let tmp = data.join(format!(".{DIR}.partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir(&tmp).map_err(|e| file_error(&tmp)(e.to_string()))?;
    let result = write_files(&tmp, published).and_then(|()| {
        let old = data.join(format!(".{DIR}.old-{}", std::process::id()));
        if out.exists() {
            fs::rename(&out, &old).map_err(|e| file_error(&out)(e.to_string()))?;
        }
        fs::rename(&tmp, &out).map_err(|e| file_error(&out)(e.to_string()))?;
        let _ = fs::remove_dir_all(&old);
        Ok(())
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn write_files(dir: &Path, published: &Published) -> Result<(), PublishError> {
    let concepts: Vec<&PublicConcept> = published.concepts.iter().collect();
    write_parquet(&dir.join("concepts.parquet"), concepts_batch(&concepts))?;
    let (mut scope, mut id, mut statistic, mut table) =
        (StringBuilder::new(), Int32Builder::new(), StringBuilder::new(), StringBuilder::new());
    for t in &published.tables {
        scope.append_value(&t.scope);
        id.append_option(t.id);
        statistic.append_value(&t.statistic);
        table.append_value(serde_json::to_string(&t.table).expect("a disclosed table serializes"));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(scope.finish()),
        Arc::new(id.finish()),
        Arc::new(statistic.finish()),
        Arc::new(table.finish()),
    ];
    let batch = RecordBatch::try_new(tables_schema(), columns).expect("columns match");
    write_parquet(&dir.join("tables.parquet"), batch)?;
    let path = dir.join("publish.json");
    let json = serde_json::to_string_pretty(&published.manifest).expect("the manifest serializes");
    fs::write(&path, json + "\n").map_err(|e| file_error(&path)(e.to_string()))
}

fn write_parquet(path: &Path, batch: RecordBatch) -> Result<(), PublishError> {
    let file = File::create(path).map_err(|e| file_error(path)(e.to_string()))?;
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), None).map_err(|e| file_error(path)(e.to_string()))?;
    writer.write(&batch).map_err(|e| file_error(path)(e.to_string()))?;
    writer.close().map_err(|e| file_error(path)(e.to_string()))?;
    Ok(())
}

/// Reads the published aggregates of `data`; every count is checked again to be one the
/// policy makes.
pub fn read(data: &Path) -> Result<Published, PublishError> {
    let dir = data.join(DIR);
    let path = dir.join("publish.json");
    let text = fs::read_to_string(&path)
        .map_err(|e| PublishError::Invalid { path: path.clone(), detail: e.to_string() })?;
    let manifest: PublishManifest = serde_json::from_str(&text)
        .map_err(|e| PublishError::Invalid { path: path.clone(), detail: e.to_string() })?;
    let path = dir.join("concepts.parquet");
    let invalid = |detail: String| PublishError::Invalid { path: path.clone(), detail };
    let mut concepts = Vec::new();
    for batch in read_parquet(&path, &concepts_schema())? {
        let text = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().expect("checked schema");
        let ids = batch.column(0).as_any().downcast_ref::<Int32Array>().expect("checked schema");
        let standard = batch.column(5).as_any().downcast_ref::<BooleanArray>().expect("checked schema");
        let values = batch.column(6).as_any().downcast_ref::<UInt64Array>().expect("checked schema");
        for r in 0..batch.num_rows() {
            let value = (!values.is_null(r)).then(|| values.value(r));
            let participants = serde_json::from_value(serde_json::json!({
                "value": value, "label": text(7).value(r), "policy": manifest.policy,
            }))
            .map_err(|e| invalid(format!("concept {}: {e}", ids.value(r))))?;
            concepts.push(PublicConcept {
                concept_id: ids.value(r),
                name: text(1).value(r).to_owned(),
                domain: text(2).value(r).to_owned(),
                vocabulary: text(3).value(r).to_owned(),
                code: text(4).value(r).to_owned(),
                standard: standard.value(r),
                participants,
            });
        }
    }
    let path = dir.join("tables.parquet");
    let invalid = |detail: String| PublishError::Invalid { path: path.clone(), detail };
    let mut tables = Vec::new();
    for batch in read_parquet(&path, &tables_schema())? {
        let text = |i: usize| batch.column(i).as_any().downcast_ref::<StringArray>().expect("checked schema");
        let ids = batch.column(1).as_any().downcast_ref::<Int32Array>().expect("checked schema");
        for r in 0..batch.num_rows() {
            let table: DisclosedTable = serde_json::from_str(text(3).value(r))
                .map_err(|e| invalid(format!("{} {}: {e}", text(0).value(r), text(2).value(r))))?;
            if table.policy != manifest.policy {
                return Err(invalid(format!("a table is disclosed under {}", table.policy.name())));
            }
            tables.push(PublicTable {
                scope: text(0).value(r).to_owned(),
                id: (!ids.is_null(r)).then(|| ids.value(r)),
                statistic: text(2).value(r).to_owned(),
                table,
            });
        }
    }
    Ok(Published { manifest, concepts, tables })
}

fn read_parquet(path: &Path, schema: &SchemaRef) -> Result<Vec<RecordBatch>, PublishError> {
    let invalid = |detail: String| PublishError::Invalid { path: path.to_owned(), detail };
    let file = File::open(path).map_err(|e| invalid(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| invalid(e.to_string()))?;
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| invalid(e.to_string()))?;
    if let Some(b) = batches.first()
        && b.schema().fields() != schema.fields()
    {
        return Err(invalid(format!("unexpected columns {:?}", b.schema().fields())));
    }
    Ok(batches)
}
