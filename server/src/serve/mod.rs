//! The thin server: the dataset catalog, each table as a streamed Arrow IPC response read from
//! Parquet row group by row group (so memory stays flat whatever the table size), and the
//! static pages and wasm build. Compression is negotiated by tower-http: table streams at the
//! fastest level (zstd 1, gzip 1: compressing at the default level took longer than sending
//! on fast links) and not at all to loopback clients (docs/loading.md); everything else at
//! the default level.
//!
//! Hardening (docs/operator.md): tokens and tiers ([`access`]), per-address rate limits on the
//! public endpoints (tower_governor), request size and time limits, caps on concurrent
//! streams, a write timeout that cuts off clients that stop reading, an audit record per table
//! request ([`crate::audit`]) and security headers on every response ([`headers`]).
//!
//! The public API ([`public`]) answers from the aggregates `cohortlens publish` stored, which
//! the server publishes at start, in the background, when they are missing or stale;
//! `--public-only` serves those and the pages, and refuses every row.

mod access;
mod cohort;
pub mod cors;
mod headers;
pub mod pages;
mod public;
mod stream_cache;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_ipc::CompressionType;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_schema::SchemaRef;
use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures::{StreamExt, stream};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::arrow::async_reader::ParquetRecordBatchStream;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_io_timeout::TimeoutStream;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::audit::{self, AuditLog, Outcome, Record};
use crate::dataset::{self, Manifest};
use crate::tokens::TokenStore;
use access::{Access, Caller, FailedAuthLimit, StreamCaps, StreamPermits};
use cohortlens::cdm::Tier;
use cohortlens::cdm::catalog::{Catalog, CatalogAccess, CatalogColumn, CatalogDataset, CatalogTable};
use cohortlens::engine::load::{LoadOptions, Mode, plan};

/// The media type of an Arrow IPC stream.
pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// Rows per streamed record batch, at most.
pub const BATCH_ROWS: usize = 65_536;

/// The prefix of the public (aggregate) API: the only one open to other origins (CORS).
pub const PUBLIC_API: &str = "/api/public/v1";

/// `cohortlens serve` options.
pub struct Options {
    /// Dataset directory.
    pub data: PathBuf,
    /// Listen address.
    pub addr: SocketAddr,
    /// Web pages directory (`None`: found by [`pages::locate`]).
    pub www: Option<PathBuf>,
    /// wasm-pack output directory (`None`: found by [`pages::locate`]).
    pub pkg: Option<PathBuf>,
    /// Tokens file: registered and controlled tables need a bearer token.
    pub tokens: Option<PathBuf>,
    /// Serve a non-synthetic dataset's rows without tokens (the operator's explicit choice).
    pub insecure_serve_rows_without_tokens: bool,
    /// Audit log (JSON lines), appended to.
    pub audit: Option<PathBuf>,
    /// Request logs as JSON lines instead of text.
    pub log_json: bool,
    /// Origins whose pages may read the catalog and the row API (`--allow-origin`).
    pub allow_origins: Vec<HeaderValue>,
    /// Compress table streams to loopback clients too (by default they go plain).
    pub compress_loopback: bool,
    /// Rate, size, time and concurrency limits.
    pub limits: Limits,
    /// Serve the public API and the pages only: every table request is refused, and the
    /// catalog lists the tables by name alone.
    pub public_only: bool,
    /// Publish the public aggregates at start when they are missing or stale (`--no-publish`:
    /// not; the public API then answers 503 until `cohortlens publish` has run).
    pub publish_at_start: bool,
    /// Keep LZ4 table streams in `DATA/stream-cache/` and send them from there ([`stream_cache`];
    /// `--no-stream-cache`: not).
    pub stream_cache: bool,
    /// Fill the stream cache at start with the streams `Lens.open` asks for by default
    /// (`--no-stream-cache-warmup`: not; the first request for each fills it).
    pub warm_stream_cache: bool,
}

/// The server's limits (docs/operator.md, "Limits").
#[derive(Clone, Debug)]
pub struct Limits {
    /// Requests a minute per address to the public endpoints (catalog, public API).
    pub public_per_minute: NonZeroU32,
    /// Burst of public requests per address.
    pub public_burst: NonZeroU32,
    /// Failed authentications a minute per address (and their burst).
    pub auth_failures_per_minute: NonZeroU32,
    /// Concurrent table streams, all callers together.
    pub max_streams: usize,
    /// Concurrent table streams of one caller (one token, or one address without a token).
    pub max_streams_per_caller: usize,
    /// Longest a table stream may take.
    pub stream_timeout: Duration,
    /// Longest a client may leave a response unread before its connection is closed.
    pub write_timeout: Duration,
    /// Longest a handler may take to start answering.
    pub request_timeout: Duration,
    /// Longest open responses may take to finish after SIGTERM or Ctrl-C.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            public_per_minute: NonZeroU32::new(60).expect("non-zero"),
            public_burst: NonZeroU32::new(30).expect("non-zero"),
            auth_failures_per_minute: NonZeroU32::new(10).expect("non-zero"),
            max_streams: 256,
            max_streams_per_caller: 16,
            stream_timeout: Duration::from_secs(30 * 60),
            write_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The largest request body accepted (every endpoint but server mode's is a GET).
const MAX_BODY_BYTES: usize = 1024;

/// One servable table: its file, row count, tier and Arrow schema (from the Parquet footer),
/// or why it cannot be served, and the columns its statistics say are entirely null.
struct ServedTable {
    path: PathBuf,
    rows: u64,
    tier: Tier,
    schema: Result<SchemaRef, String>,
    all_null: Vec<String>,
}

struct AppState {
    manifest: Manifest,
    public_only: bool,
    tables: BTreeMap<String, ServedTable>,
    access: Access,
    audit: Option<AuditLog>,
    failures: FailedAuthLimit,
    streams: StreamCaps,
    limits: Limits,
    compress_loopback: bool,
    /// LZ4 table streams on disk (`None`: not kept, see [`Options::stream_cache`]).
    stream_cache: Option<stream_cache::StreamCache>,
    /// Server mode's queries (`None` with `--public-only`, or when they cannot be prepared).
    cohorts: Option<cohort::CohortQueries>,
}

/// A response extension: send this response as it is, uncompressed. As a compression
/// predicate: compress only responses without it.
#[derive(Clone, Copy)]
struct SendPlain;

impl Predicate for SendPlain {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &axum::http::Response<B>) -> bool {
        response.extensions().get::<SendPlain>().is_none()
    }
}

/// Why the server cannot start: every problem found, each with what to do.
#[derive(Debug)]
pub struct StartError(Vec<String>);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "cannot serve: {} problems", many.len())?;
                for (i, p) in many.iter().enumerate() {
                    write!(f, "\n  {}. {p}", i + 1)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for StartError {}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if options.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let mut state = prepare(&options)?;
    // DataFusion's threads: a runtime of its own, dropped after the server's.
    let query_runtime = cohort::QueryRuntime::new()?;
    if !state.public_only {
        match cohort::CohortQueries::open(&options.data, &state.tables, &query_runtime) {
            Ok(queries) => state.cohorts = Some(queries),
            Err(e) => {
                tracing::error!("server mode is unavailable: {e}; POST /api/v1/cohort/persons answers 503")
            }
        }
    }
    let state = Arc::new(state);
    let [www, pkg] = [(&options.www, pages::WWW), (&options.pkg, pages::PKG)].map(|(given, wanted)| {
        let exe = std::env::current_exe().ok();
        let cwd = std::env::current_dir().unwrap_or_default();
        match pages::locate(given.clone(), wanted, exe.as_deref(), &cwd) {
            Ok(dir) if dir.is_dir() => {
                tracing::info!("{} from {}", wanted.name, dir.display());
                dir
            }
            Ok(dir) => {
                tracing::warn!(
                    "{} {} is not a directory; its files will answer 404",
                    wanted.option,
                    dir.display()
                );
                dir
            }
            Err(e) => {
                tracing::warn!("{e}; its files will answer 404");
                PathBuf::from(wanted.name)
            }
        }
    });
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(options.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}; pass another --addr", options.addr))?;
        let listener = TimeoutListener { inner: listener, write_timeout: state.limits.write_timeout };
        let addr = axum::serve::Listener::local_addr(&listener)?;
        let name = state.manifest.name.clone();
        let grace = state.limits.shutdown_grace;
        // Published aggregates are read now; missing or stale ones are published in the
        // background while the server already answers everything else.
        let public = public::Publication::start(&options.data, options.publish_at_start);
        let (warm, warm_state) = (options.warm_stream_cache, state.clone());
        let app = router(state, public, &www, &pkg, &options.allow_origins);
        println!("cohortlens: serving dataset {name} at http://{addr}/");
        if warm {
            tokio::spawn(warm_stream_cache(warm_state));
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(listener, app.into_make_service_with_connect_info::<ClientAddr>())
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                let _ = stop_tx.send(true);
            });
        // After the signal, open responses get `grace` to finish; then the process stops anyway.
        let deadline = async move {
            let mut stop_rx = stop_rx;
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result?,
            () = deadline => tracing::warn!("open responses did not finish within {grace:?}; stopping anyway"),
        }
        println!("cohortlens: stopped");
        Ok(())
    })
}

/// Reads the manifest and every table's Parquet footer, opens the tokens file and the audit
/// log, and decides who may read rows. Problems that stop the server are all reported
/// together; a table that cannot be read is reported and answered with 503, the other tables
/// are served.
fn prepare(options: &Options) -> Result<AppState, StartError> {
    let mut problems = Vec::new();
    let manifest = dataset::read_manifest_only(&options.data).map_err(|e| problems.push(e.to_string())).ok();
    let access = match (&options.tokens, &manifest) {
        (_, Some(_)) if options.public_only => {
            tracing::info!("--public-only: the public API and the pages are served; every row is refused");
            Some(Access::Open)
        }
        (Some(path), _) => match TokenStore::open(path) {
            Ok(store) => {
                if store.count() == 0 {
                    tracing::warn!("{} holds no tokens: only public tables can be read", path.display());
                }
                Some(Access::Tokens(store))
            }
            Err(e) => {
                problems.push(format!("--tokens: {e}"));
                None
            }
        },
        (None, Some(m)) if m.synthetic => {
            tracing::info!(
                "synthetic dataset served without --tokens: anyone who can reach the server reads its rows"
            );
            Some(Access::Open)
        }
        (None, Some(_)) if options.insecure_serve_rows_without_tokens => {
            tracing::warn!(
                "INSECURE: --insecure-serve-rows-without-tokens: this dataset is not synthetic and anyone who \
                 can reach the server reads every row of every table"
            );
            Some(Access::Open)
        }
        (None, Some(_)) => {
            problems.push(format!(
                "{} is not a synthetic dataset: its rows are served only to token holders; create tokens with \
                 `cohortlens token create --scope registered --name NAME --tokens FILE` and pass --tokens FILE \
                 (or, knowing anyone who reaches the server then reads every row, \
                 --insecure-serve-rows-without-tokens)",
                options.data.display()
            ));
            None
        }
        (None, None) => None,
    };
    let audit = match &options.audit {
        Some(path) => AuditLog::open(path).map_err(|e| problems.push(e)).ok(),
        None => None,
    };
    let (Some(manifest), Some(access), true) = (manifest, access, problems.is_empty()) else {
        return Err(StartError(problems));
    };
    let mut tables = BTreeMap::new();
    for (name, entry) in &manifest.tables {
        let path = options.data.join(&entry.file);
        let footer = read_footer(&path);
        if let Err(e) = &footer {
            tracing::error!(table = %name, "{e}; requests for it answer 503 until the dataset is regenerated or re-imported (the other tables are served)");
        }
        let (schema, all_null) = match footer {
            Ok((schema, all_null)) => (Ok(schema), all_null),
            Err(e) => (Err(e), Vec::new()),
        };
        tables
            .insert(name.clone(), ServedTable { path, rows: entry.rows, tier: entry.tier, schema, all_null });
    }
    let l = &options.limits;
    let stream_cache = open_stream_cache(options, &tables);
    Ok(AppState {
        manifest,
        public_only: options.public_only,
        tables,
        access,
        audit,
        failures: FailedAuthLimit::new(l.auth_failures_per_minute, l.auth_failures_per_minute),
        streams: StreamCaps::new(l.max_streams, l.max_streams_per_caller),
        limits: l.clone(),
        compress_loopback: options.compress_loopback,
        stream_cache,
        cohorts: None,
    })
}

/// The stream cache of a server that serves rows and was not told `--no-stream-cache`; `None`
/// (logged) when the dataset directory cannot hold it.
fn open_stream_cache(
    options: &Options,
    tables: &BTreeMap<String, ServedTable>,
) -> Option<stream_cache::StreamCache> {
    if options.public_only || !options.stream_cache {
        return None;
    }
    let servable =
        tables.iter().filter(|(_, t)| t.schema.is_ok()).map(|(name, t)| (name.as_str(), t.path.as_path()));
    match stream_cache::StreamCache::open(&options.data, servable) {
        Ok(cache) => Some(cache),
        Err(e) => {
            tracing::warn!(
                "cannot keep table streams in {}: {e}; every stream is encoded from Parquet (give \
                 --no-stream-cache to say so)",
                options.data.join(stream_cache::DIR).display()
            );
            None
        }
    }
}

/// A table file's Arrow schema and the names of its top-level columns that hold only nulls,
/// from its Parquet footer: a column is entirely null when every row group has statistics
/// and their null count equals the row group's rows (a file without statistics has none).
fn read_footer(path: &Path) -> Result<(SchemaRef, Vec<String>), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = ArrowReaderMetadata::load(&file, Default::default())
        .map_err(|e| format!("{}: not a readable Parquet file ({e})", path.display()))?;
    let parquet = meta.metadata();
    let leaves = parquet.file_metadata().schema_descr().columns();
    let row_groups = parquet.row_groups();
    let leaf_all_null = |leaf: usize| {
        !row_groups.is_empty()
            && row_groups.iter().all(|rg| {
                rg.column(leaf).statistics().and_then(|s| s.null_count_opt()) == Some(rg.num_rows() as u64)
            })
    };
    let all_null = meta
        .schema()
        .fields()
        .iter()
        .filter(|field| {
            let mut under =
                leaves.iter().enumerate().filter(|(_, l)| l.path().parts()[0] == *field.name()).peekable();
            under.peek().is_some() && under.all(|(leaf, _)| leaf_all_null(leaf))
        })
        .map(|field| field.name().clone())
        .collect();
    Ok((meta.schema().clone(), all_null))
}

fn router(
    state: Arc<AppState>,
    public: public::Publication,
    www: &Path,
    pkg: &Path,
    allow_origins: &[HeaderValue],
) -> Router {
    let limits = &state.limits;
    let governor = GovernorConfigBuilder::default()
        .key_extractor(PeerIp)
        .per_millisecond((60_000 / u64::from(limits.public_per_minute.get())).max(1))
        .burst_size(limits.public_burst.get())
        .methods(vec![Method::GET, Method::HEAD, Method::OPTIONS])
        .finish()
        .expect("non-zero rate and burst");
    let limiter = governor.limiter().clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(60));
            limiter.retain_recent();
        }
    });
    let rate_limited = GovernorLayer::new(governor).error_handler(|e| {
        let wait = match &e {
            GovernorError::TooManyRequests { wait_time, .. } => *wait_time,
            _ => 1,
        };
        let mut err = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests from this address; wait {wait} s"),
        );
        err.headers.push((header::RETRY_AFTER, HeaderValue::from(wait.max(1))));
        err.into_response()
    });
    // The public API: open to every origin, rate-limited.
    let public = public::routes(public)
        .layer(
            CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::HEAD]).expose_headers([
                header::ETAG,
                header::CACHE_CONTROL,
                header::RETRY_AFTER,
            ]),
        )
        .layer(rate_limited.clone());
    let mut rows = Router::new().route("/api/v1/catalog", get(catalog).layer(rate_limited)).route(
        "/api/v1/tables/{table}",
        get(table_stream).layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(DefaultPredicate::new().and(SendPlain)),
        ),
    );
    // Server mode's definitions are larger than any other request: their own body limit.
    let mut definitions = Router::new()
        .route("/api/v1/cohort/persons", post(cohort::persons))
        .layer(RequestBodyLimitLayer::new(cohort::MAX_DEFINITION_BYTES));
    if let Some(cors) = cors::layer(allow_origins) {
        rows = rows.layer(cors.clone());
        definitions = definitions.layer(cors);
    }
    let api = rows.nest(PUBLIC_API, public).route("/api/{*rest}", get(api_not_found));
    api.nest_service("/pkg", ServeDir::new(pkg))
        .fallback_service(ServeDir::new(www))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(definitions)
        // Table streams were compressed (or left plain) by their own layer above.
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new(ARROW_STREAM))),
        )
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(axum::middleware::from_fn(headers::security))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION]))
        .with_state(state)
}

/// Any other `/api/…` path: the public API's index asked for with a trailing slash is sent to
/// its URL; everything else is a JSON 404.
async fn api_not_found(uri: Uri) -> Response {
    if uri.path().strip_suffix('/') == Some(PUBLIC_API) {
        return Redirect::permanent(PUBLIC_API).into_response();
    }
    not_found("no such API endpoint; see /api/v1/catalog").into_response()
}

fn not_found(message: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
}

/// A listener whose connections fail a write that waits longer than `write_timeout`: a client
/// that stops reading is disconnected, freeing its stream, instead of holding it for ever.
struct TimeoutListener {
    inner: TcpListener,
    write_timeout: Duration,
}

impl axum::serve::Listener for TimeoutListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(self.write_timeout));
        (Box::pin(stream), addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client's address, as the handlers and the rate limiter see it.
#[derive(Clone, Copy, Debug)]
struct ClientAddr(SocketAddr);

impl Connected<axum::serve::IncomingStream<'_, TimeoutListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TimeoutListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// Rate-limit key: the client's IP address.
#[derive(Clone, Copy)]
struct PeerIp;

impl KeyExtractor for PeerIp {
    type Key = IpAddr;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        request
            .extensions()
            .get::<ConnectInfo<ClientAddr>>()
            .map(|ConnectInfo(ClientAddr(addr))| addr.ip())
            .ok_or(GovernorError::UnableToExtractKey)
    }
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

/// An API error: HTTP status plus `{error: {code, message}}`, and any headers it needs.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// More about the error, as `error.errors` (an invalid definition's errors with their paths).
    details: Option<serde_json::Value>,
    /// Extra response headers (a list, not a `HeaderMap`, to keep errors small).
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, headers: Vec::new() }
    }

    /// The audit outcome of a request refused with this error.
    fn outcome(&self) -> Outcome {
        match self.status {
            StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
            StatusCode::FORBIDDEN => Outcome::Forbidden,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                if self.code != "table_unavailable" =>
            {
                Outcome::Limited
            }
            s if s.is_client_error() => Outcome::BadRequest,
            _ => Outcome::Error,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(details) = self.details {
            error["errors"] = details;
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// `GET /api/v1/catalog`: the dataset, and every table with its tier; a table the caller may
/// read also with its row count and columns. Without a token on a token-protected dataset
/// that is the public tables only; the others are listed by name and tier, `locked`.
async fn catalog(
    State(state): State<Arc<AppState>>,
    ConnectInfo(ClientAddr(client)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
) -> Result<Json<Catalog>, ApiError> {
    let caller = state.access.caller(&headers, client.ip(), &state.failures)?;
    let tables = catalog_tables(&state, caller.tier);
    let m = &state.manifest;
    Ok(Json(Catalog {
        dataset: CatalogDataset {
            name: m.name.clone(),
            version: m.version.clone(),
            source: m.source.clone(),
            cdm_version: m.cdm_version.clone(),
            reference_date: Some(m.reference_date.clone()),
            date_shift_note: m.date_shift_note.clone(),
            synthetic: m.synthetic,
        },
        access: Some(CatalogAccess {
            tokens_required: matches!(state.access, Access::Tokens(_)),
            scope: caller.scope_name().to_owned(),
            token_name: caller.holder.as_ref().map(|h| h.name.clone()),
        }),
        tables,
        server_mode: state.cohorts.is_some() && caller.tier >= Tier::Registered,
    }))
}

/// The catalog's tables as a caller of `tier` sees them: with row counts and columns where it
/// may read them, else by name and tier alone (`locked`).
fn catalog_tables(state: &AppState, tier: Tier) -> Vec<CatalogTable> {
    cohortlens::cdm::TABLES
        .iter()
        .filter_map(|spec| state.tables.get(spec.name).map(|t| (spec.name, t)))
        .map(|(name, t)| {
            let mut entry = CatalogTable {
                name: name.to_owned(),
                rows: None,
                tier: Some(t.tier),
                columns: Vec::new(),
                locked: state.public_only || t.tier > tier,
                unavailable: false,
            };
            if entry.locked {
                return entry;
            }
            entry.rows = Some(t.rows);
            match &t.schema {
                Ok(schema) => {
                    entry.columns = schema
                        .fields()
                        .iter()
                        .map(|f| CatalogColumn {
                            name: f.name().clone(),
                            data_type: f.data_type().to_string(),
                            nullable: f.is_nullable(),
                            all_null: t.all_null.contains(f.name()),
                        })
                        .collect();
                }
                Err(_) => entry.unavailable = true,
            }
            entry
        })
        .collect()
}

/// What a table request asks for besides the table.
#[derive(Debug, Default)]
struct TableQuery {
    /// `columns=a,b`: indices into the table's schema, in the order asked for; `None`: all.
    columns: Option<Vec<usize>>,
    /// `compression=lz4`: record batch bodies LZ4-compressed (Arrow IPC buffer compression).
    lz4: bool,
}

/// Parses a table request's query (percent-decoded): `columns=a,b` (column names of
/// `schema`) and `compression=lz4` or `none`, each at most once.
fn table_query(query: Option<&str>, table: &str, schema: &SchemaRef) -> Result<TableQuery, ApiError> {
    let bad = |msg: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", msg);
    let mut columns = None;
    let mut compression = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if key == "compression" {
            if compression.is_some() {
                return Err(bad("compression is given twice; give it once".into()));
            }
            compression = match value.as_ref() {
                "lz4" => Some(true),
                "none" => Some(false),
                other => {
                    return Err(bad(format!(
                        "compression={other:?} is not offered; ask for compression=lz4 (Arrow IPC buffer \
                         compression, LZ4 frame) or none"
                    )));
                }
            };
            continue;
        }
        if key != "columns" {
            return Err(bad(format!(
                "unknown query parameter {key:?}; the parameters are columns=a,b and compression=lz4"
            )));
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
    Ok(TableQuery { columns, lz4: compression.unwrap_or(false) })
}

/// `GET /api/v1/tables/{table}?columns=a,b&compression=lz4`: the table as an Arrow IPC stream,
/// in batches of at most [`BATCH_ROWS`] rows, read from Parquet as the client consumes them. Every request,
/// served or refused, leaves one audit record.
async fn table_stream(
    State(state): State<Arc<AppState>>,
    ConnectInfo(ClientAddr(client)): ConnectInfo<ClientAddr>,
    UrlPath(name): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut record = Record::started(client.ip(), name.clone());
    let audit_refusal = |mut record: Record, e: ApiError| {
        record.outcome = e.outcome();
        record.time = audit::now();
        if let Some(log) = &state.audit {
            log.write(&record);
        }
        tracing::info!(table = %record.table, client = %record.client, outcome = ?record.outcome, "table request refused");
        e
    };
    let caller = match state.access.caller(&headers, client.ip(), &state.failures) {
        Ok(caller) => caller,
        Err(e) => return Err(audit_refusal(record, e)),
    };
    record.token = caller.holder.as_ref().map(|h| h.name.clone());
    record.scope = caller.scope_name().into();
    let (table, TableQuery { columns, lz4 }) = match check_request(&state, &caller, &name, query.as_deref()) {
        Ok(checked) => checked,
        Err(e) => return Err(audit_refusal(record, e)),
    };
    let schema = table.schema.as_ref().expect("checked");
    record.columns = match &columns {
        Some(indices) => indices.iter().map(|&i| schema.field(i).name().clone()).collect(),
        None => Vec::new(),
    };
    let permits = match state.streams.acquire(&caller) {
        Ok(permits) => permits,
        Err(e) => return Err(audit_refusal(record, e)),
    };
    // An LZ4 stream is sent from the cache when it holds it, else written to it as it is sent.
    let entry = match &state.stream_cache {
        Some(cache) if lz4 => {
            cache.entry(&name, &table.path, &column_names(schema, &columns)).map(|entry| (cache, entry))
        }
        _ => None,
    };
    let cached = entry.as_ref().and_then(|(cache, entry)| cache.cached(entry));
    let cache_header = entry.as_ref().map(|_| if cached.is_some() { "hit" } else { "miss" });
    let (source, phase) = match cached {
        Some(file) => {
            (Source::Cached { file: tokio::fs::File::from_std(file), rows: table.rows }, Phase::Batches)
        }
        None => {
            let store = entry.as_ref().and_then(|(cache, entry)| cache.store(entry));
            match parquet_source(&table.path, columns, lz4, store).await {
                Ok((parquet, head)) => (Source::Parquet(parquet), Phase::Head(head)),
                Err(detail) => {
                    tracing::error!(table = %name, "{detail}");
                    return Err(audit_refusal(record, unavailable(&name)));
                }
            }
        }
    };
    let streaming = Streaming {
        source,
        phase,
        deadline: tokio::time::Instant::now() + state.limits.stream_timeout,
        guard: StreamGuard { state: state.clone(), record, _permits: permits },
    };
    // Fused: the compression layer polls once more after the end.
    let body =
        stream::unfold(streaming, |mut s| async move { s.next_chunk().await.map(|chunk| (chunk, s)) }).fuse();
    let mut response = (
        [
            (header::CONTENT_TYPE, ARROW_STREAM.to_string()),
            ("x-row-count".parse().expect("header name"), table.rows.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response();
    if let Some(value) = cache_header {
        response.headers_mut().insert("x-stream-cache", HeaderValue::from_static(value));
    }
    if client.ip().to_canonical().is_loopback() && !state.compress_loopback {
        response.extensions_mut().insert(SendPlain);
    }
    Ok(response)
}

/// The table and column indices a caller may stream, in this order of checks: authentication
/// (an anonymous caller gets the same 401 for a missing table as for a protected one), then
/// whether the table exists (404), the token's scope (403), the table's soundness (503) and
/// the query (400).
fn check_request<'a>(
    state: &'a AppState,
    caller: &Caller,
    name: &str,
    query: Option<&str>,
) -> Result<(&'a ServedTable, TableQuery), ApiError> {
    if state.public_only {
        return Err(public_only());
    }
    let table = state.tables.get(name);
    let readable = table.is_some_and(|t| t.tier <= caller.tier);
    if !readable && caller.holder.is_none() && matches!(state.access, Access::Tokens(_)) {
        return Err(access::unauthorized());
    }
    let Some(table) = table else {
        let known: Vec<_> = state.tables.keys().map(String::as_str).collect();
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_table",
            format!("no table {name:?} in this dataset; it has {}", known.join(", ")),
        ));
    };
    if !readable {
        return Err(access::forbidden());
    }
    let Ok(schema) = &table.schema else { return Err(unavailable(name)) };
    Ok((table, table_query(query, name, schema)?))
}

/// The 403 of every row request to a `--public-only` server.
fn public_only() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "public_only",
        "this server serves the public aggregates only (serve --public-only): no table rows; the public API is \
         at /api/public/v1/",
    )
}

fn unavailable(table: &str) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "table_unavailable",
        format!(
            "table {table} cannot be read from the dataset; the operator must regenerate or re-import it \
             (the server log says why); the other tables can be read"
        ),
    );
    e.headers.push((header::RETRY_AFTER, HeaderValue::from(60)));
    e
}

/// The names of `columns` of `schema` (`None`: every column), in that order.
fn column_names<'a>(schema: &'a SchemaRef, columns: &Option<Vec<usize>>) -> Vec<&'a str> {
    match columns {
        Some(indices) => indices.iter().map(|&i| schema.field(i).name().as_str()).collect(),
        None => schema.fields().iter().map(|f| f.name().as_str()).collect(),
    }
}

/// Fills the stream cache, one stream after another in the background at start, with the
/// streams a page's `Lens.open` asks for by default (full mode, the used columns, LZ4) as a
/// caller who may read every table: the first page to open the dataset is then sent cached
/// streams too (docs/loading.md, "Streams cached on disk"). A request meanwhile for a stream
/// not yet cached is encoded for itself, as without the cache.
async fn warm_stream_cache(state: Arc<AppState>) {
    let Some(cache) = &state.stream_cache else { return };
    let started = std::time::Instant::now();
    let catalog = Catalog { tables: catalog_tables(&state, Tier::Controlled), ..Catalog::default() };
    let requests = match plan("", &catalog, &LoadOptions::default(), Mode::Full) {
        Ok(requests) => requests,
        Err(e) => return tracing::warn!("stream cache not warmed: {e}"),
    };
    let mut written = 0;
    for request in requests {
        let Some(table) = state.tables.get(&request.name) else { continue };
        let Ok(schema) = &table.schema else { continue };
        let query = request.url.split_once('?').map(|(_, query)| query);
        let Ok(TableQuery { columns, lz4: true }) = table_query(query, &request.name, schema) else {
            continue;
        };
        let Some(entry) = cache.entry(&request.name, &table.path, &column_names(schema, &columns)) else {
            continue;
        };
        if cache.cached(&entry).is_some() {
            continue;
        }
        let Some(store) = cache.store(&entry) else { continue };
        let mut parquet = match parquet_source(&table.path, columns, true, Some(store)).await {
            Ok((parquet, _)) => parquet,
            Err(detail) => {
                tracing::error!(table = %request.name, "{detail}");
                continue;
            }
        };
        loop {
            match parquet.next().await {
                Ok((_, _, true)) => {
                    written += 1;
                    break;
                }
                // The cache file could not be written (the store says why): no use going on.
                Ok(_) if parquet.store.is_none() => break,
                Ok(_) => {}
                Err((_, detail)) => {
                    tracing::error!(table = %request.name, "{detail}");
                    break;
                }
            }
        }
    }
    tracing::info!(streams = written, seconds = started.elapsed().as_secs_f64(), "stream cache warmed");
}

/// Starts a table's stream from its Parquet file: its record batches (`columns` in the order
/// asked for, bodies LZ4-compressed if `lz4`, written to `store` too if given) and the
/// stream's first message.
async fn parquet_source(
    path: &Path,
    columns: Option<Vec<usize>>,
    lz4: bool,
    store: Option<stream_cache::Store>,
) -> Result<(ParquetStream, Bytes), String> {
    let batches = open_batches(path, columns.clone()).await.map_err(|e| format!("cannot open table: {e}"))?;
    // Parquet reads columns in file order; `order` puts them back in the order asked for.
    let order = columns.map(|indices| {
        let mut sorted = indices.clone();
        sorted.sort_unstable();
        indices.iter().map(|i| sorted.binary_search(i).expect("index is in sorted")).collect::<Vec<_>>()
    });
    let schema = match &order {
        Some(order) => batches.schema().project(order).map(Arc::new),
        None => Ok(batches.schema().clone()),
    };
    let mut encoder =
        schema.and_then(|s| IpcEncoder::new(&s, lz4)).map_err(|e| format!("cannot encode table: {e}"))?;
    let head = encoder.take();
    let store = store.and_then(|mut store| store.write(&head).then_some(store));
    Ok((ParquetStream { batches, encoder: Box::new(encoder), order, store }, head))
}

/// A table's record batches read from Parquet and encoded; each piece is also written to
/// `store` (a stream being cached) when there is one.
struct ParquetStream {
    batches: ParquetRecordBatchStream<tokio::fs::File>,
    encoder: Box<IpcEncoder>,
    order: Option<Vec<usize>>,
    store: Option<stream_cache::Store>,
}

impl ParquetStream {
    /// The next record batch, encoded, with its rows; after the last one, the end-of-stream
    /// marker (`true`: it was the last piece). The store takes its final name with that marker.
    async fn next(&mut self) -> Result<(Bytes, u64, bool), (Outcome, String)> {
        let (bytes, rows, last) = match self.batches.next().await {
            None => (Bytes::from_static(&END_OF_STREAM), 0, true),
            Some(Err(e)) => return Err((Outcome::Error, format!("read failed mid-stream: {e}"))),
            Some(Ok(batch)) => {
                let batch = match &self.order {
                    Some(order) => batch.project(order),
                    None => Ok(batch),
                };
                let rows = batch.as_ref().map_or(0, RecordBatch::num_rows) as u64;
                match batch.map_err(std::io::Error::other).and_then(|b| self.encoder.batch(&b)) {
                    Ok(bytes) => (bytes, rows, false),
                    Err(e) => return Err((Outcome::Error, format!("encoding failed: {e}"))),
                }
            }
        };
        if let Some(writing) = &mut self.store {
            if !writing.write(&bytes) {
                self.store = None;
            } else if last {
                self.store.take().expect("writing").finish();
            }
        }
        Ok((bytes, rows, last))
    }
}

/// Opens a table's Parquet file for streaming, reading only `columns` (file order).
async fn open_batches(
    path: &Path,
    columns: Option<Vec<usize>>,
) -> Result<ParquetRecordBatchStream<tokio::fs::File>, String> {
    let file = tokio::fs::File::open(path).await.map_err(|e| format!("{}: {e}", path.display()))?;
    let mut builder = ParquetRecordBatchStreamBuilder::new(file).await.map_err(|e| e.to_string())?;
    if let Some(indices) = columns {
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        builder = builder.with_projection(mask);
    }
    builder.with_batch_size(BATCH_ROWS).build().map_err(|e| e.to_string())
}

/// Where a table stream is.
enum Phase {
    /// The schema message is next.
    Head(Bytes),
    /// Record batches are next.
    Batches,
    /// The end-of-stream marker was sent.
    Ended,
    /// Nothing more (after an error).
    Done,
}

/// Where a table stream's bytes come from.
enum Source {
    /// Record batches read from Parquet and encoded.
    Parquet(ParquetStream),
    /// A cached stream, sent as it is; `rows`: the table's.
    Cached { file: tokio::fs::File, rows: u64 },
}

/// Bytes read from a cached stream at a time.
const CACHED_CHUNK: usize = 1 << 20;

/// One table stream in flight: where its bytes come from, and the guard that audits it and
/// holds its stream permits until the response ends, however it ends.
struct Streaming {
    source: Source,
    phase: Phase,
    deadline: tokio::time::Instant,
    guard: StreamGuard,
}

impl Streaming {
    /// The next piece of the response body, read only when the client has taken the previous
    /// one (so at most one batch, or one chunk of a cached stream, is in memory per stream).
    async fn next_chunk(&mut self) -> Option<Result<Bytes, std::io::Error>> {
        let chunk = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Head(head) => {
                self.phase = Phase::Batches;
                head
            }
            Phase::Batches => {
                if tokio::time::Instant::now() >= self.deadline {
                    return Some(Err(
                        self.fail(Outcome::Aborted, "the stream took longer than the stream time limit")
                    ));
                }
                // Batches are next unless this piece is the last (`next_piece` says so).
                self.phase = Phase::Batches;
                match self.next_piece().await {
                    Ok(Some((bytes, rows))) => {
                        self.guard.record.rows += rows;
                        bytes
                    }
                    Ok(None) => {
                        self.phase = Phase::Done;
                        self.guard.record.outcome = Outcome::Complete;
                        return None;
                    }
                    Err((outcome, detail)) => {
                        self.phase = Phase::Done;
                        return Some(Err(self.fail(outcome, &detail)));
                    }
                }
            }
            Phase::Ended => {
                self.guard.record.outcome = Outcome::Complete;
                return None;
            }
            Phase::Done => return None,
        };
        self.guard.record.bytes += chunk.len() as u64;
        Some(Ok(chunk))
    }

    /// The next record batch (encoded) or chunk of the cached stream, with the rows it carries;
    /// `None` after the end. Parquet's end of stream is a piece of its own, after which the
    /// phase is `Ended`; the cached stream holds its own end-of-stream marker.
    async fn next_piece(&mut self) -> Result<Option<(Bytes, u64)>, (Outcome, String)> {
        match &mut self.source {
            Source::Cached { file, rows } => {
                let mut buffer = bytes::BytesMut::with_capacity(CACHED_CHUNK);
                match tokio::io::AsyncReadExt::read_buf(file, &mut buffer).await {
                    // The rows are counted once the whole stream is read.
                    Ok(0) => {
                        self.guard.record.rows += std::mem::take(rows);
                        Ok(None)
                    }
                    Ok(_) => Ok(Some((buffer.freeze(), 0))),
                    Err(e) => Err((Outcome::Error, format!("cached stream read failed: {e}"))),
                }
            }
            Source::Parquet(parquet) => {
                let (bytes, rows, last) = parquet.next().await?;
                if last {
                    self.phase = Phase::Ended;
                }
                Ok(Some((bytes, rows)))
            }
        }
    }

    /// Ends the stream with an error: the connection is cut, so the client sees a truncated
    /// stream, never a short one that looks complete.
    fn fail(&mut self, outcome: Outcome, detail: &str) -> std::io::Error {
        tracing::error!(table = %self.guard.record.table, "{detail}");
        self.guard.record.outcome = outcome;
        std::io::Error::other(detail.to_owned())
    }
}

/// Writes the audit record and frees the stream permits when the response ends (completed,
/// failed, or dropped because the client went away).
struct StreamGuard {
    state: Arc<AppState>,
    record: Record,
    _permits: StreamPermits,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.record.time = audit::now();
        let r = &self.record;
        tracing::info!(
            table = %r.table, token = r.token.as_deref().unwrap_or("-"), scope = %r.scope, client = %r.client,
            rows = r.rows, bytes = r.bytes, outcome = ?r.outcome, "table stream ended"
        );
        if let Some(log) = &self.state.audit {
            log.write(&self.record);
        }
    }
}

/// The IPC end-of-stream marker: continuation token and a zero length.
const END_OF_STREAM: [u8; 8] = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];

/// Encodes record batches as IPC stream messages, handing out each message's bytes.
struct IpcEncoder {
    writer: StreamWriter<Vec<u8>>,
}

impl IpcEncoder {
    /// Starts a stream, with LZ4-compressed bodies if `lz4`; its schema message is the first
    /// [`take`](Self::take).
    fn new(schema: &SchemaRef, lz4: bool) -> Result<Self, arrow_schema::ArrowError> {
        let options =
            IpcWriteOptions::default().try_with_compression(lz4.then_some(CompressionType::LZ4_FRAME))?;
        Ok(Self { writer: StreamWriter::try_new_with_options(Vec::new(), schema, options)? })
    }

    fn take(&mut self) -> Bytes {
        Bytes::from(std::mem::take(self.writer.get_mut()))
    }

    fn batch(&mut self, batch: &RecordBatch) -> Result<Bytes, std::io::Error> {
        self.writer.write(batch).map_err(std::io::Error::other)?;
        Ok(self.take())
    }
}
