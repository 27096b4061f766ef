//! Server mode (docs/scaling.md, "Server mode"): `POST /api/v1/cohort/persons` takes a cohort
//! definition, validates it against the dataset's vocabulary as the engine does, compiles it
//! with the DataFusion dialect ([`cohortlens::sql`]) and runs it with Apache DataFusion over the
//! dataset's Parquet files, answering with the cohort's person set as an Arrow IPC stream (one
//! `Int64` column `person_id`, sorted, each once).
//!
//! The queries run on a runtime of their own ([`QueryRuntime`]), so a long query never holds the
//! threads that serve table streams and pages. DataFusion brings its own arrow version: only IPC
//! bytes leave this module, written with DataFusion's re-exported arrow.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cohortlens::cdm::Tier;
use cohortlens::cohort::{CohortDefinition, ValidationError};
use cohortlens::sql::{self, Dialect, SqlError, Tables};
use cohortlens::vocab::Vocab;
use datafusion::arrow::array::{Array, Int64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde_json::json;

use super::access::{self, Access};
use super::{ARROW_STREAM, ApiError, AppState, ClientAddr, ServedTable};
use crate::audit::{self, Outcome, Record};

/// The largest cohort definition accepted, in bytes.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;

/// The threads DataFusion runs on, apart from the server's own. Kept by the caller of
/// [`QueryRuntime::new`] and dropped outside any async context when the server stops.
pub struct QueryRuntime(tokio::runtime::Runtime);

impl QueryRuntime {
    /// A multi-threaded runtime named `cohortlens-datafusion`.
    pub fn new() -> std::io::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("cohortlens-datafusion")
            .enable_all()
            .build()
            .map(QueryRuntime)
    }
}

/// What the endpoint needs of one served dataset: its vocabulary (for validation), the tables
/// the compiled query may read, and a DataFusion session with each of them registered.
pub struct CohortQueries {
    vocab: Vocab,
    tables: Tables,
    context: SessionContext,
    runtime: tokio::runtime::Handle,
}

impl CohortQueries {
    /// Registers the dataset's readable tables up to the registered tier (a controlled table is
    /// never read: the endpoint is on the registered tier) and builds the vocabulary. Runs
    /// outside any async context.
    pub fn open(
        data: &Path,
        served: &std::collections::BTreeMap<String, ServedTable>,
        runtime: &QueryRuntime,
    ) -> Result<Self, String> {
        let (vocab, _) = crate::sql::dataset_shape(data).map_err(|e| e.to_string())?;
        let context = SessionContext::new();
        let mut tables = Tables::default();
        runtime.0.block_on(async {
            for (name, table) in served.iter().filter(|(_, t)| t.tier <= Tier::Registered) {
                let Ok(schema) = &table.schema else { continue };
                let path =
                    std::path::absolute(&table.path).map_err(|e| format!("{}: {e}", table.path.display()))?;
                let location =
                    path.to_str().ok_or_else(|| format!("{}: not a UTF-8 path", path.display()))?;
                let extension = path.extension().and_then(|e| e.to_str()).map(|e| format!(".{e}"));
                let options =
                    ParquetReadOptions::default().file_extension(extension.as_deref().unwrap_or(""));
                context
                    .register_parquet(name, location, options)
                    .await
                    .map_err(|e| format!("table {name}: {e}"))?;
                tables.insert(name, schema.fields().iter().map(|f| f.name().clone()));
            }
            Ok::<_, String>(())
        })?;
        Ok(Self { vocab, tables, context, runtime: runtime.0.handle().clone() })
    }

    /// The sorted person ids of `definition`'s cohort, or the error to answer with; gives up
    /// after `limit`.
    async fn persons(&self, definition: &CohortDefinition, limit: Duration) -> Result<Vec<i64>, ApiError> {
        let compiled =
            sql::compile(definition, &self.vocab, &self.tables, Dialect::DataFusion).map_err(refusal)?;
        let query =
            format!("SELECT CAST(person_id AS BIGINT) AS person_id FROM ({compiled}) q ORDER BY person_id");
        let context = self.context.clone();
        let run = async move {
            let frame = context.sql(&query).await?;
            frame.collect().await
        };
        let task = self.runtime.spawn(async move { tokio::time::timeout(limit, run).await });
        let batches = match task.await {
            Ok(Ok(Ok(batches))) => batches,
            Ok(Ok(Err(e))) => return Err(query_failed(&e)),
            Ok(Err(_)) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    format!("the cohort query took longer than the server's request time limit ({limit:?})"),
                ));
            }
            Err(e) => {
                tracing::error!("cohort query task failed: {e}");
                return Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the cohort query failed",
                ));
            }
        };
        let mut persons = Vec::new();
        for batch in &batches {
            let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the cohort query returned no Int64 ids",
                )
            })?;
            persons.extend(ids.iter().flatten());
        }
        Ok(persons)
    }
}

/// The answer to a definition the compiler refused: the engine's validation errors (400, each
/// with its JSON path).
fn refusal(error: SqlError) -> ApiError {
    let SqlError::Invalid(errors) = error;
    invalid(&errors)
}

/// 400 with the engine's validation errors: `message` lists them, `errors` gives each path.
fn invalid(errors: &[ValidationError]) -> ApiError {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let mut e = ApiError::new(StatusCode::BAD_REQUEST, "invalid_definition", lines.join("\n"));
    e.details =
        Some(json!(errors.iter().map(|v| json!({"path": v.path, "message": v.message})).collect::<Vec<_>>()));
    e
}

/// 422: the definition is valid but the server cannot compute it with SQL.
fn cannot_express(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_expressible",
        format!(
            "the server cannot compute this cohort with SQL ({detail}); open the lens with mode: 'full' to \
             compute it in the browser"
        ),
    )
}

/// The answer to a query DataFusion refused or failed: one it cannot plan is a definition the
/// SQL cannot express (422); anything else is the server's failure (500, logged).
fn query_failed(error: &DataFusionError) -> ApiError {
    match error.find_root() {
        DataFusionError::Plan(_)
        | DataFusionError::NotImplemented(_)
        | DataFusionError::SQL(..)
        | DataFusionError::SchemaError(..) => cannot_express(&error.to_string()),
        _ => {
            tracing::error!("cohort query failed: {error}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "query_failed",
                "the cohort query failed on the server (the server log says why); retry, or open the lens with \
                 mode: 'full'",
            )
        }
    }
}

/// `persons` as an Arrow IPC stream of one non-null `Int64` column `person_id`.
fn arrow_stream(persons: Vec<i64>) -> Result<Vec<u8>, datafusion::arrow::error::ArrowError> {
    let schema = Arc::new(Schema::new(vec![Field::new("person_id", DataType::Int64, false)]));
    let mut writer = StreamWriter::try_new(Vec::new(), &schema)?;
    for chunk in persons.chunks(super::BATCH_ROWS) {
        let column: Arc<dyn Array> = Arc::new(Int64Array::from(chunk.to_vec()));
        writer.write(&RecordBatch::try_new(schema.clone(), vec![column])?)?;
    }
    writer.finish()?;
    writer.into_inner()
}

/// `POST /api/v1/cohort/persons`: the person set of the definition in the body. Registered
/// tier (a registered or controlled token, or an open dataset), refused by `--public-only`;
/// counted against the caller's concurrent streams and audited as table `cohort/persons`.
pub async fn persons(
    State(state): State<Arc<AppState>>,
    ConnectInfo(ClientAddr(client)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut record = Record::started(client.ip(), "cohort/persons");
    let result = answer(&state, client, &headers, &body, &mut record).await;
    record.outcome = match &result {
        Ok(_) => Outcome::Complete,
        Err(e) => e.outcome(),
    };
    record.time = audit::now();
    if let Some(log) = &state.audit {
        log.write(&record);
    }
    tracing::info!(client = %record.client, token = record.token.as_deref().unwrap_or("-"), outcome = ?record.outcome, "cohort persons request");
    let bytes = result?;
    Ok(([(header::CONTENT_TYPE, ARROW_STREAM)], bytes).into_response())
}

async fn answer(
    state: &AppState,
    client: std::net::SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
    record: &mut Record,
) -> Result<Vec<u8>, ApiError> {
    if state.public_only {
        return Err(super::public_only());
    }
    let caller = state.access.caller(headers, client.ip(), &state.failures)?;
    record.token = caller.holder.as_ref().map(|h| h.name.clone());
    record.scope = caller.scope_name().into();
    if caller.tier < Tier::Registered {
        return Err(match (&caller.holder, &state.access) {
            (None, Access::Tokens(_)) => access::unauthorized(),
            _ => access::forbidden(),
        });
    }
    let Some(queries) = &state.cohorts else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_mode_unavailable",
            "this server cannot compute cohorts (the server log says why); open the lens with mode: 'full'",
        ));
    };
    let text = std::str::from_utf8(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_definition",
            "the body is not UTF-8 text; send the definition as JSON",
        )
    })?;
    let definition = CohortDefinition::from_json(text).map_err(|e| invalid(&[e]))?;
    let _permits = state.streams.acquire(&caller)?;
    let persons = queries.persons(&definition, state.limits.request_timeout).await?;
    // The size of a person set is a raw count: it goes into no header, log line or audit record
    // (the record keeps rows and bytes at 0); only the browser's engine discloses it.
    arrow_stream(persons).map_err(|e| {
        tracing::error!("cannot encode the person set: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot encode the person set")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_datafusion_cannot_plan_is_not_expressible() {
        let e = query_failed(&DataFusionError::NotImplemented("last_day".into()));
        assert_eq!((e.status, e.code), (StatusCode::UNPROCESSABLE_ENTITY, "not_expressible"));
        assert!(e.message.contains("mode: 'full'"), "{}", e.message);
        let e = query_failed(&DataFusionError::Execution("disk".into()));
        assert_eq!((e.status, e.code), (StatusCode::INTERNAL_SERVER_ERROR, "query_failed"));
    }

    #[test]
    fn the_person_set_is_one_int64_column() {
        let bytes = arrow_stream(vec![1, 5, 9]).expect("encodes");
        let reader = datafusion::arrow::ipc::reader::StreamReader::try_new(&bytes[..], None).expect("reads");
        let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].schema().field(0).name(), "person_id");
        let ids = batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("Int64");
        assert_eq!(ids.values().to_vec(), vec![1, 5, 9]);
    }
}
