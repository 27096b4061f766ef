//! The public API, `/api/public/v1/…` (docs/public.md): the aggregates `cohortlens publish`
//! stored, read-only, as JSON or Arrow. Open to every origin (CORS), rate-limited per address,
//! with `ETag` and `Cache-Control`. It answers only from the published tables: never a row, a
//! person id, an exact count or an ad-hoc query.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cohortlens::privacy::DisclosedTable;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use super::{ARROW_STREAM, ApiError};
use crate::publish::{self, PublicConcept, PublishManifest, Published, concepts_batch};

mod surveys;

/// How long a client or cache may keep a public answer, in seconds.
pub const MAX_AGE: u32 = 300;

/// Most concepts one search returns.
pub const MAX_LIMIT: usize = 200;

/// The published aggregates, indexed for the API.
pub struct PublicData {
    manifest: PublishManifest,
    concepts: Vec<PublicConcept>,
    by_id: HashMap<i32, usize>,
    snapshot: BTreeMap<String, DisclosedTable>,
    concept_tables: HashMap<i32, BTreeMap<String, DisclosedTable>>,
    /// The tables of the other scopes (surveys, a survey, a question, Fitbit) by scope and id.
    scoped: HashMap<(String, Option<i32>), BTreeMap<String, DisclosedTable>>,
}

impl PublicData {
    /// Indexes what was published.
    pub fn new(published: Published) -> PublicData {
        let mut snapshot = BTreeMap::new();
        let mut concept_tables: HashMap<i32, BTreeMap<String, DisclosedTable>> = HashMap::new();
        let mut scoped: HashMap<(String, Option<i32>), BTreeMap<String, DisclosedTable>> = HashMap::new();
        for t in published.tables {
            match t.id {
                Some(id) if t.scope == "concept" => {
                    concept_tables.entry(id).or_default().insert(t.statistic, t.table);
                }
                _ if t.scope == "snapshot" => {
                    snapshot.insert(t.statistic, t.table);
                }
                _ => {
                    scoped.entry((t.scope, t.id)).or_default().insert(t.statistic, t.table);
                }
            }
        }
        let mut concepts = published.concepts;
        // Most participants first (by the disclosed number), then by name: the order reveals
        // nothing the numbers do not.
        concepts.sort_by(|a, b| {
            (b.participants.value(), &a.name, a.concept_id).cmp(&(
                a.participants.value(),
                &b.name,
                b.concept_id,
            ))
        });
        let by_id = concepts.iter().enumerate().map(|(i, c)| (c.concept_id, i)).collect();
        PublicData { manifest: published.manifest, concepts, by_id, snapshot, concept_tables, scoped }
    }
}

/// The public API as the server has it at a given moment: answered from the published
/// aggregates once they are read; while they are being published at start (in the background:
/// the server listens meanwhile) every endpoint answers 503 `public_publishing`, and without
/// them (`--no-publish`, or publishing failed) 503 `public_unavailable`.
#[derive(Clone)]
pub struct Publication {
    /// The public API's answers, or `None` when there are no aggregates; unset while publishing.
    answers: Arc<OnceLock<Option<Router>>>,
    since: Instant,
}

impl Publication {
    /// Reads the aggregates of `data` at once when they are published and fresh (or leaves the
    /// public API unavailable when they are not and `publish_if_stale` is false); otherwise
    /// publishes them on a thread of its own and answers from them once that is done.
    pub fn start(data: &Path, publish_if_stale: bool) -> Publication {
        let publication = Publication { answers: Arc::default(), since: Instant::now() };
        if publish::is_fresh(data) || !publish_if_stale {
            publication.finish(published(data, publish_if_stale));
            return publication;
        }
        let (background, data) = (publication.clone(), data.to_owned());
        let spawned = std::thread::Builder::new()
            .name("publish".into())
            .spawn(move || background.finish(published(&data, true)));
        if let Err(e) = spawned {
            tracing::error!("cannot start publishing the public aggregates: {e}");
            publication.finish(None);
        }
        publication
    }

    /// Answers from `data` from now on, or says the public API is unavailable (the reason was
    /// logged). The log's line "the public API answers …" says which.
    fn finish(&self, data: Option<PublicData>) {
        match &data {
            Some(d) => {
                tracing::info!(published = %d.manifest.published, "the public API answers from the published aggregates")
            }
            None => tracing::warn!("the public API answers 503 public_unavailable"),
        }
        let _ = self.answers.set(data.map(|d| answers(Arc::new(d))));
    }
}

/// The published aggregates of the dataset, published first when missing or stale and
/// `publish_if_stale` (none, with the reason logged, when that fails or is not asked).
fn published(data: &Path, publish_if_stale: bool) -> Option<PublicData> {
    if !publish::is_fresh(data) {
        if !publish_if_stale {
            tracing::warn!(
                "the public aggregates are missing or stale and --no-publish was given: run \
                 `cohortlens publish --data {}`, then restart the server",
                data.display()
            );
            return None;
        }
        tracing::info!(
            "publishing the public aggregates (missing or stale): cohortlens publish --data {}; until it is \
             done, public requests get 503 public_publishing",
            data.display()
        );
        let started = Instant::now();
        match publish::run(data) {
            Ok(m) => tracing::info!(
                published = %m.published,
                policy = %m.policy.name(),
                seconds = %format_args!("{:.1}", started.elapsed().as_secs_f64()),
                "public aggregates published"
            ),
            Err(e) => {
                tracing::error!("cannot publish the public aggregates: {e}");
                return None;
            }
        }
    }
    match publish::read(data) {
        Ok(p) => Some(PublicData::new(p)),
        Err(e) => {
            tracing::error!("cannot read the public aggregates: {e}");
            None
        }
    }
}

/// The public API's routes, relative to `/api/public/v1`: each request is answered as the
/// [`Publication`] stands when it arrives.
pub fn routes<S: Clone + Send + Sync + 'static>(publication: Publication) -> Router<S> {
    Router::new().route("/", get(answer)).route("/{*endpoint}", get(answer)).with_state(publication)
}

async fn answer(State(publication): State<Publication>, request: Request) -> Response {
    match publication.answers.get() {
        Some(Some(answers)) => {
            // Without the extensions this route added: its path parameter would be taken for
            // one of the answers' own.
            let (mut parts, body) = request.into_parts();
            parts.extensions = Default::default();
            match answers.clone().oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
        Some(None) => {
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "public_unavailable",
                "the public aggregates are not published (the server was started with --no-publish, or \
                 publishing failed); the operator must run `cohortlens publish --data DIR` (the server log says \
                 why)",
            );
            e.headers.push((header::RETRY_AFTER, HeaderValue::from(60)));
            e.into_response()
        }
        None => {
            // Asked again soon at first (small datasets publish in a second), then less often.
            let started = publication.since.elapsed().as_secs();
            let retry = (started / 2).clamp(2, 15);
            let mut e = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "public_publishing",
                format!(
                    "the server is publishing this dataset's public aggregates (started {started} s ago); try \
                     again in {retry} s"
                ),
            );
            e.headers.push((header::RETRY_AFTER, HeaderValue::from(retry)));
            e.into_response()
        }
    }
}

/// The answers of the published aggregates, relative to `/api/public/v1`.
fn answers(data: Arc<PublicData>) -> Router {
    surveys::routes(Router::new())
        .route("/", get(index))
        .route("/manifest", get(manifest))
        .route("/snapshot", get(snapshot))
        .route("/snapshot/{statistic}", get(snapshot_table))
        .route("/concepts", get(search))
        .route("/concepts/{id}", get(concept))
        .route("/concepts/{id}/{statistic}", get(concept_table))
        .route(
            "/{*endpoint}",
            get(|| async {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such public endpoint; see /api/public/v1",
                )
            }),
        )
        .with_state(data)
}

/// The answer's form: JSON (the default) or an Arrow IPC stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Arrow,
}

/// Reads the query: only `allowed` keys, each once; `format=json|arrow`.
fn query(raw: Option<&str>, allowed: &[&str]) -> Result<(BTreeMap<String, String>, Format), ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", m);
    let mut params = BTreeMap::new();
    let mut format = Format::Json;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if key == "format" {
            format = match value.as_ref() {
                "json" => Format::Json,
                "arrow" => Format::Arrow,
                other => return Err(bad(format!("format={other:?}: use format=json or format=arrow"))),
            };
        } else if !allowed.contains(&key.as_ref()) {
            let mut known: Vec<_> = allowed.to_vec();
            known.push("format");
            return Err(bad(format!(
                "unknown query parameter {key:?}; this endpoint takes {}",
                known.join(", ")
            )));
        } else if params.insert(key.to_string(), value.to_string()).is_some() {
            return Err(bad(format!("{key} is given twice")));
        }
    }
    Ok((params, format))
}

/// Reads the query of an answer of several tables, which has no Arrow form: `format=arrow` is
/// refused with where to ask for one table (`what`: "the snapshot holds", …; `one`: its URL).
fn json_only(raw: Option<&str>, what: &str, one: &str) -> Result<(), ApiError> {
    match query(raw, &[])? {
        (_, Format::Json) => Ok(()),
        (_, Format::Arrow) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("{what} several tables: ask for one as Arrow at {one}"),
        )),
    }
}

/// A cacheable answer: `ETag` (a hash of the body), `Cache-Control`, and 304 when the client
/// already holds this body.
fn cached(request: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { Bytes::from(body).into_response() };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_str(&format!("public, max-age={MAX_AGE}")).expect("ASCII"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

fn json_answer(request: &HeaderMap, value: &impl Serialize) -> Response {
    cached(request, "application/json", serde_json::to_vec(value).expect("public answers serialize"))
}

fn arrow_answer(request: &HeaderMap, batch: RecordBatch) -> Response {
    let mut out = Vec::new();
    {
        let mut writer = StreamWriter::try_new(&mut out, &batch.schema()).expect("a valid schema");
        writer.write(&batch).expect("an in-memory write");
        writer.finish().expect("an in-memory write");
    }
    cached(request, ARROW_STREAM, out)
}

/// A disclosed table as Arrow: one text column per dimension, then `count` (null when
/// withheld), `label` and `percent`; name, title, policy and total in the schema's metadata.
fn table_batch(table: &DisclosedTable) -> RecordBatch {
    let mut labels: Vec<StringBuilder> = table.dimensions.iter().map(|_| StringBuilder::new()).collect();
    let (mut count, mut label, mut percent) =
        (UInt64Builder::new(), StringBuilder::new(), Float64Builder::new());
    for row in &table.rows {
        for (b, l) in labels.iter_mut().zip(&row.labels) {
            b.append_value(l);
        }
        count.append_option(row.count.value());
        label.append_value(row.count.label());
        percent.append_option(row.percent);
    }
    let mut fields: Vec<Field> =
        table.dimensions.iter().map(|d| Field::new(d, DataType::Utf8, false)).collect();
    fields.extend([
        Field::new("count", DataType::UInt64, true),
        Field::new("label", DataType::Utf8, false),
        Field::new("percent", DataType::Float64, true),
    ]);
    let metadata: HashMap<String, String> = [
        ("name", table.name.clone()),
        ("title", table.title.clone()),
        ("policy", table.policy.name().to_owned()),
        ("total", table.total.label().to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut columns: Vec<ArrayRef> =
        labels.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    columns.extend([
        Arc::new(count.finish()) as ArrayRef,
        Arc::new(label.finish()),
        Arc::new(percent.finish()),
    ]);
    RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, metadata)), columns)
        .expect("columns match")
}

fn table_answer(request: &HeaderMap, table: &DisclosedTable, format: Format) -> Response {
    match format {
        Format::Json => json_answer(request, table),
        Format::Arrow => arrow_answer(request, table_batch(table)),
    }
}

/// `GET /api/public/v1`: the endpoints.
async fn index(State(data): State<Arc<PublicData>>, headers: HeaderMap) -> Response {
    let m = &data.manifest;
    json_answer(
        &headers,
        &json!({
            "dataset": m.dataset,
            "published": m.published,
            "policy": m.policy,
            "endpoints": {
                "manifest": "/api/public/v1/manifest",
                "snapshot": "/api/public/v1/snapshot",
                "snapshotTable": "/api/public/v1/snapshot/{statistic}",
                "search": "/api/public/v1/concepts?q=TEXT&domain=DOMAIN&limit=N",
                "concept": "/api/public/v1/concepts/{conceptId}",
                "conceptTable": "/api/public/v1/concepts/{conceptId}/{statistic}",
                "surveys": "/api/public/v1/surveys",
                "survey": "/api/public/v1/surveys/{surveyConceptId}",
                "surveyTable": "/api/public/v1/surveys/{surveyConceptId}/{statistic}",
                "question": "/api/public/v1/surveys/questions/{questionConceptId}",
                "questionTable": "/api/public/v1/surveys/questions/{questionConceptId}/{statistic}",
                "fitbit": "/api/public/v1/fitbit",
                "fitbitTable": "/api/public/v1/fitbit/{tile}/{statistic}",
            },
            "formats": ["json", "arrow"],
        }),
    )
}

/// `GET /api/public/v1/manifest`: what was published, when, under which policy.
async fn manifest(State(data): State<Arc<PublicData>>, headers: HeaderMap) -> Response {
    let m = &data.manifest;
    json_answer(
        &headers,
        &json!({
            "dataset": m.dataset,
            "published": m.published,
            "policy": m.policy,
            "domains": m.domains,
            "snapshot": m.snapshot,
            "concept": m.concept,
            "surveys": m.surveys,
            "question": m.question,
            "fitbit": m.fitbit,
        }),
    )
}

/// `GET /api/public/v1/snapshot`: the whole dataset's tables.
async fn snapshot(
    State(data): State<Arc<PublicData>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_only(raw.as_deref(), "the snapshot holds", "/api/public/v1/snapshot/{statistic}")?;
    let m = &data.manifest;
    Ok(json_answer(
        &headers,
        &json!({"dataset": m.dataset, "published": m.published, "policy": m.policy, "tables": data.snapshot}),
    ))
}

/// `GET /api/public/v1/snapshot/{statistic}`: one table of the snapshot.
async fn snapshot_table(
    State(data): State<Arc<PublicData>>,
    UrlPath(statistic): UrlPath<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let table = data.snapshot.get(&statistic).ok_or_else(|| {
        let known: Vec<_> = data.snapshot.keys().map(String::as_str).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_statistic",
            format!("the snapshot has no statistic {statistic:?}; it has {}", known.join(", ")),
        )
    })?;
    Ok(table_answer(&headers, table, format))
}

/// `GET /api/public/v1/concepts?q=&domain=&limit=`: published concepts whose name, code or id
/// matches `q` (all when empty), most participants first.
async fn search(
    State(data): State<Arc<PublicData>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (params, format) = query(raw.as_deref(), &["q", "domain", "limit"])?;
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", m);
    let limit = match params.get("limit") {
        None => 50,
        Some(text) => match text.parse::<usize>() {
            Ok(n @ 1..=MAX_LIMIT) => n,
            _ => return Err(bad(format!("limit={text:?}: give a whole number from 1 to {MAX_LIMIT}"))),
        },
    };
    let domain = params.get("domain").filter(|d| !d.is_empty());
    if let Some(d) = domain
        && !data.manifest.domains.contains(d)
    {
        return Err(bad(format!("domain={d:?}: use one of {}", data.manifest.domains.join(", "))));
    }
    let q = params.get("q").map(|q| q.trim().to_lowercase()).unwrap_or_default();
    if q.chars().count() > 200 {
        return Err(bad("q is longer than 200 characters".into()));
    }
    // Exact id or code matches first, then names starting with the text, then names containing it.
    let rank = |c: &PublicConcept| -> Option<u8> {
        if q.is_empty() {
            return Some(2);
        }
        let name = c.name.to_lowercase();
        if c.concept_id.to_string() == q || c.code.to_lowercase() == q {
            Some(0)
        } else if name.starts_with(&q) {
            Some(1)
        } else {
            name.contains(&q).then_some(2)
        }
    };
    let mut found: Vec<(u8, &PublicConcept)> = data
        .concepts
        .iter()
        .filter(|c| domain.is_none_or(|d| &c.domain == d))
        .filter_map(|c| rank(c).map(|r| (r, c)))
        .collect();
    // Stable: within a rank, the published order (most participants first).
    found.sort_by_key(|(r, _)| *r);
    let concepts: Vec<&PublicConcept> = found.into_iter().take(limit).map(|(_, c)| c).collect();
    Ok(match format {
        Format::Json => {
            json_answer(&headers, &json!({"query": q, "policy": data.manifest.policy, "concepts": concepts}))
        }
        Format::Arrow => arrow_answer(&headers, concepts_batch(&concepts)),
    })
}

fn concept_of<'a>(
    data: &'a PublicData,
    id: &str,
) -> Result<(&'a PublicConcept, &'a BTreeMap<String, DisclosedTable>), ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_concept",
            format!(
                "no published concept {id:?}: the public tier has concepts with participants only; search with \
                 /api/public/v1/concepts?q=TEXT"
            ),
        )
    };
    let id: i32 = id.parse().map_err(|_| unknown())?;
    let concept = data.by_id.get(&id).map(|&i| &data.concepts[i]).ok_or_else(unknown)?;
    Ok((concept, data.concept_tables.get(&id).ok_or_else(unknown)?))
}

/// `GET /api/public/v1/concepts/{id}`: a concept and all its tables.
async fn concept(
    State(data): State<Arc<PublicData>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    json_only(raw.as_deref(), "a concept has", "/api/public/v1/concepts/{id}/{statistic}")?;
    let (concept, tables) = concept_of(&data, &id)?;
    let body: Value = json!({"concept": concept, "policy": data.manifest.policy, "statistics": tables});
    Ok(json_answer(&headers, &body))
}

/// `GET /api/public/v1/concepts/{id}/{statistic}`: one table of a concept.
async fn concept_table(
    State(data): State<Arc<PublicData>>,
    UrlPath((id, statistic)): UrlPath<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, format) = query(raw.as_deref(), &[])?;
    let (_, tables) = concept_of(&data, &id)?;
    let table = tables.get(&statistic).ok_or_else(|| {
        let known: Vec<_> = tables.keys().map(String::as_str).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_statistic",
            format!("concept {id} has no published statistic {statistic:?}; it has {}", known.join(", ")),
        )
    })?;
    Ok(table_answer(&headers, table, format))
}
