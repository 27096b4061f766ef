//! The thin server: the dataset catalog, each table as a streamed Arrow IPC response read from
//! Parquet row group by row group (so memory stays flat whatever the table size), and the
//! static pages and wasm build. Compression is negotiated by tower-http.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::SchemaRef;
use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{StreamExt, TryStreamExt, stream};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use crate::dataset::{self, Manifest};
use cohortlens::cdm::Tier;
use cohortlens::cdm::catalog::{Catalog, CatalogColumn, CatalogDataset, CatalogTable};

/// The media type of an Arrow IPC stream.
pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// Rows per streamed record batch, at most.
pub const BATCH_ROWS: usize = 65_536;

/// `cohortlens serve` options.
pub struct Options {
    /// Dataset directory.
    pub data: PathBuf,
    /// Listen address.
    pub addr: SocketAddr,
    /// Web pages directory.
    pub www: PathBuf,
    /// wasm-pack output directory.
    pub pkg: PathBuf,
}

/// One servable table: its file, row count, tier and Arrow schema (from the Parquet footer).
struct ServedTable {
    path: PathBuf,
    rows: u64,
    tier: Tier,
    schema: SchemaRef,
}

struct AppState {
    manifest: Manifest,
    tables: BTreeMap<String, ServedTable>,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let state = Arc::new(load(&options.data)?);
    for (dir, what) in [(&options.www, "--www"), (&options.pkg, "--pkg")] {
        if !dir.is_dir() {
            tracing::warn!("{what} {} is not a directory; its files will answer 404", dir.display());
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}; pass another --addr", options.addr))?;
        let addr = listener.local_addr()?;
        let name = state.manifest.name.clone();
        let app = router(state, &options.www, &options.pkg);
        println!("cohortlens: serving dataset {name} at http://{addr}/");
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
        println!("cohortlens: stopped");
        Ok(())
    })
}

/// Reads the manifest and every table's Parquet footer.
fn load(data: &Path) -> Result<AppState, Box<dyn std::error::Error>> {
    let manifest = dataset::read_manifest(data)?;
    let mut tables = BTreeMap::new();
    for (name, entry) in &manifest.tables {
        let path = data.join(&entry.file);
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let meta = ArrowReaderMetadata::load(&file, Default::default())
            .map_err(|e| format!("{}: not a readable Parquet file ({e})", path.display()))?;
        let schema = meta.schema().clone();
        tables.insert(name.clone(), ServedTable { path, rows: entry.rows, tier: entry.tier, schema });
    }
    Ok(AppState { manifest, tables })
}

fn router(state: Arc<AppState>, www: &Path, pkg: &Path) -> Router {
    Router::new()
        .route("/api/v1/catalog", get(catalog))
        .route("/api/v1/tables/{table}", get(table_stream))
        .nest_service("/pkg", ServeDir::new(pkg))
        .fallback_service(ServeDir::new(www))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down: finishing open responses");
}

/// An API error: HTTP status plus `{error: {code, message}}`.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

/// `GET /api/v1/catalog`: the manifest, and every table with its columns and row count (the
/// wire types are the library's, which the browser reads).
async fn catalog(State(state): State<Arc<AppState>>) -> Json<Catalog> {
    let tables = cohortlens::cdm::TABLES
        .iter()
        .filter_map(|spec| state.tables.get(spec.name).map(|t| (spec.name, t)))
        .map(|(name, t)| CatalogTable {
            name: name.to_owned(),
            rows: t.rows,
            tier: Some(t.tier),
            columns: t
                .schema
                .fields()
                .iter()
                .map(|f| CatalogColumn {
                    name: f.name().clone(),
                    data_type: f.data_type().to_string(),
                    nullable: f.is_nullable(),
                })
                .collect(),
        })
        .collect();
    let m = &state.manifest;
    Json(Catalog {
        dataset: CatalogDataset {
            name: m.name.clone(),
            version: m.version.clone(),
            source: m.source.clone(),
            cdm_version: m.cdm_version.clone(),
            reference_date: Some(m.reference_date.clone()),
            date_shift_note: m.date_shift_note.clone(),
        },
        tables,
    })
}

/// Parses `columns=a,b` (the only query parameter, percent-decoded) into column indices of
/// `schema`.
fn projection(query: Option<&str>, table: &str, schema: &SchemaRef) -> Result<Option<Vec<usize>>, ApiError> {
    let bad = |msg: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", msg);
    let mut columns = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if key != "columns" {
            return Err(bad(format!("unknown query parameter {key:?}; the only parameter is columns=a,b")));
        }
        if columns.is_some() {
            return Err(bad("columns is given twice; list every column once, comma-separated".into()));
        }
        let mut indices = Vec::new();
        for name in value.split(',') {
            let name = name.trim();
            if name.is_empty() {
                return Err(bad("columns has an empty name; use columns=a,b with no empty entries".into()));
            }
            let index = schema.index_of(name).map_err(|_| {
                let known: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unknown_column",
                    format!("table {table} has no column {name:?}; its columns are {}", known.join(", ")),
                )
            })?;
            if indices.contains(&index) {
                return Err(bad(format!("column {name:?} is listed twice")));
            }
            indices.push(index);
        }
        columns = Some(indices);
    }
    Ok(columns)
}

/// `GET /api/v1/tables/{table}?columns=a,b`: the table as an Arrow IPC stream, in batches of
/// at most [`BATCH_ROWS`] rows, read from Parquet as the client consumes them.
async fn table_stream(
    State(state): State<Arc<AppState>>,
    UrlPath(name): UrlPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let table = state.tables.get(&name).ok_or_else(|| {
        let known: Vec<_> = state.tables.keys().map(String::as_str).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_table",
            format!("no table {name:?} in this dataset; it has {}", known.join(", ")),
        )
    })?;
    let columns = projection(query.as_deref(), &name, &table.schema)?;
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(table = %name, "cannot open table: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("table {name} cannot be read; see the server log"),
        )
    };
    let file = tokio::fs::File::open(&table.path).await.map_err(|e| internal(&e))?;
    let mut builder = ParquetRecordBatchStreamBuilder::new(file).await.map_err(|e| internal(&e))?;
    // Parquet projection yields columns in file order; `order` puts them in the order asked for.
    let mut order = None;
    if let Some(indices) = columns {
        let mut sorted = indices.clone();
        sorted.sort_unstable();
        order = Some(
            indices.iter().map(|i| sorted.binary_search(i).expect("index is in sorted")).collect::<Vec<_>>(),
        );
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    let batches = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| internal(&e))?;
    let schema = match &order {
        Some(order) => Arc::new(batches.schema().project(order).map_err(|e| internal(&e))?),
        None => batches.schema().clone(),
    };
    let mut encoder = IpcEncoder::new(&schema).map_err(|e| internal(&e))?;
    let head = encoder.take();
    let table_name = name.clone();
    let body = stream::once(async move { Ok::<Bytes, std::io::Error>(head) }).chain(
        batches
            .map_err(move |e| {
                tracing::error!(table = %table_name, "read failed mid-stream: {e}");
                std::io::Error::other(e)
            })
            .map(move |batch| {
                let batch = match &order {
                    Some(order) => batch.and_then(|b| b.project(order).map_err(std::io::Error::other)),
                    None => batch,
                };
                batch.and_then(|b| encoder.batch(&b))
            })
            .chain(stream::once(async { Ok(Bytes::from_static(&END_OF_STREAM)) })),
    );
    Ok((
        [
            (header::CONTENT_TYPE, ARROW_STREAM.to_string()),
            ("x-row-count".parse().expect("header name"), table.rows.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// The IPC end-of-stream marker: continuation token and a zero length.
const END_OF_STREAM: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

/// Encodes record batches as IPC stream messages, handing out each message's bytes.
struct IpcEncoder {
    writer: StreamWriter<Vec<u8>>,
}

impl IpcEncoder {
    /// Starts a stream; its schema message is the first [`take`](Self::take).
    fn new(schema: &SchemaRef) -> Result<Self, arrow_schema::ArrowError> {
        Ok(Self { writer: StreamWriter::try_new(Vec::new(), schema)? })
    }

    fn take(&mut self) -> Bytes {
        Bytes::from(std::mem::take(self.writer.get_mut()))
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Bytes, std::io::Error> {
        self.writer.write(batch).map_err(std::io::Error::other)?;
        Ok(self.take())
    }
}
