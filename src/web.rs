//! The JavaScript API (wasm32 only): `Lens.open(baseUrl, {tables, onProgress, signal})` streams
//! each table from the server straight into the decoder, chunk by chunk as `fetch` delivers it
//! (the next table already requested while the current one is read),
//! and each decoded record batch straight into the cohort index, which keeps what it reads in
//! compact columns (the batch is then freed: no Arrow table is kept); `lens.cohort(definition)`
//! and `lens.searchConcepts(query)` answer from it with disclosed counts only, and
//! `lens.chart(canvas, spec)` / `lens.chartSvg(spec)` draw them. Errors reach JavaScript as
//! `Error` objects with a stable `code` and a message saying what to do.

use std::fmt::Display;
use std::rc::Rc;

use arrow_array::{Array as _, Int64Array};
use js_sys::{Array, Function, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, ReadableStreamDefaultReader, RequestInit, Response};

use crate::cdm::catalog::Catalog;
use crate::chart::{BrowserFont, ChartSpec, OffscreenBackend};
use crate::cohort::{self, CohortDefinition};
use crate::engine::load::{self, LoadOptions, Mode};
use crate::engine::{Engine, EngineBuilder, EngineError};
use crate::export;
use crate::ingest::{Chunk, TableIngest};
use crate::privacy::Policy;
use crate::stats::{Scope, StatRequest};
use crate::store::{self, TableSummary};
use crate::vocab::ConceptQuery;

/// `Lens.open`'s options: the data options (generated from [`LoadOptions`]) and the callbacks.
#[wasm_bindgen(typescript_custom_section)]
const OPEN_OPTIONS: &str = r#"
export interface OpenOptions extends LoadOptions {
    /** Called as each table's chunks arrive. */
    onProgress?: (progress: LoadProgress) => void;
    /** Cancels loading (the promise rejects with code `cancelled`). */
    signal?: AbortSignal;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, present both in windows and in workers.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &RequestInit) -> js_sys::Promise;
}

/// A JavaScript `Error` with `code` set.
fn js_error(code: &str, message: impl Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// A value as JavaScript sees it; a withheld count (`None`) is `null`, not `undefined`.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true))
}

/// An engine error as a JavaScript `Error`; an invalid definition also carries `errors`, an
/// array of `{path, message}`.
fn engine_error(e: &EngineError) -> JsValue {
    let error = js_error(e.code(), e);
    if let EngineError::Invalid(list) = e {
        let errors = Array::new();
        for v in list {
            let item = js_sys::Object::new();
            // Setting properties on fresh objects cannot fail.
            let _ = Reflect::set(&item, &"path".into(), &v.path.as_str().into());
            let _ = Reflect::set(&item, &"message".into(), &v.message.as_str().into());
            errors.push(&item);
        }
        let _ = Reflect::set(&error, &"errors".into(), &errors);
    }
    error
}

/// `Lens.open`'s options: the data ones (read natively, [`LoadOptions`]) and the callbacks.
struct OpenOptions {
    load: LoadOptions,
    on_progress: Option<Function>,
    signal: Option<AbortSignal>,
}

impl OpenOptions {
    fn from_js(options: &JsValue) -> Result<Self, JsValue> {
        let get =
            |key: &str| Reflect::get(options, &key.into()).ok().filter(|v| !v.is_undefined() && !v.is_null());
        // The data options as JSON (the callbacks are not JSON), read and checked natively.
        let data = serde_json::Map::from_iter(
            ["tables", "columns", "policy", "token", "mode"].into_iter().filter_map(|key| {
                let value = get(key)?;
                let json = serde_wasm_bindgen::from_value(value).unwrap_or(serde_json::Value::Bool(false));
                Some((key.to_owned(), json))
            }),
        );
        let load = LoadOptions::from_json(&data.into()).map_err(|e| engine_error(&e))?;
        let on_progress = match get("onProgress") {
            None => None,
            Some(v) => Some(v.dyn_into::<Function>().map_err(|_| {
                js_error(
                    "invalid_option",
                    "options.onProgress must be a function taking {table, bytes, rows, done}",
                )
            })?),
        };
        let signal = match get("signal") {
            None => None,
            Some(v) => Some(v.dyn_into::<AbortSignal>().map_err(|_| {
                js_error(
                    "invalid_option",
                    "options.signal must be an AbortSignal (new AbortController().signal)",
                )
            })?),
        };
        Ok(Self { load, on_progress, signal })
    }

    fn cancelled(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// Turns a rejected promise into a cohortlens error: `cancelled` if the signal fired.
    fn network_error(&self, what: &str, cause: JsValue) -> JsValue {
        if self.cancelled() {
            return js_error("cancelled", "loading was cancelled");
        }
        network_error(what, cause)
    }

    fn report(&self, ingest: &TableIngest, done: bool) -> Result<(), JsValue> {
        if let Some(f) = &self.on_progress {
            let event = to_js(&ingest.progress(done))?;
            f.call1(&JsValue::NULL, &event)?;
        }
        Ok(())
    }
}

/// A request that got no answer as a cohortlens error.
fn network_error(what: &str, cause: JsValue) -> JsValue {
    let detail = cause
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_else(|| format!("{cause:?}"));
    js_error(
        "network",
        format!("{what}: {detail}; check that the cohortlens server is running and reachable, then reload"),
    )
}

/// The device's memory as the browser reports it (`navigator.deviceMemory`, GiB, Chromium
/// only), in bytes.
fn device_memory_bytes() -> Option<u64> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let gib = Reflect::get(&navigator, &"deviceMemory".into()).ok()?.as_f64()?;
    (gib > 0.0).then(|| (gib * f64::from(1u32 << 30)) as u64)
}

/// Where a server-mode lens sends its definitions: `POST /api/v1/cohort/persons`, with the
/// token `open` was given.
struct PersonsEndpoint {
    url: String,
    authorization: Option<String>,
}

impl PersonsEndpoint {
    /// The sorted person ids of the definition's cohort (`definition`: its JSON), as the server
    /// computed them.
    async fn persons(&self, definition: &str) -> Result<Vec<i64>, JsValue> {
        let what = "the cohort's persons (server mode)";
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&definition.into());
        let headers = Headers::new()?;
        headers.set("Content-Type", "application/json")?;
        if let Some(authorization) = &self.authorization {
            headers.set("Authorization", authorization)?;
        }
        init.set_headers(&headers);
        let fetched = JsFuture::from(global_fetch(&self.url, &init)).await;
        let fetched = fetched.map_err(|e| network_error(&format!("fetching {what}"), e));
        let response = checked(fetched, what).await?;
        let body = JsFuture::from(response.array_buffer()?).await.map_err(|e| network_error(what, e))?;
        let mut ingest = TableIngest::new("cohort/persons");
        ingest.push(&Uint8Array::new(&body)).map_err(|e| js_error(e.code(), &e))?;
        let batches = ingest.take_batches();
        // No row count is sent (a person set's size is a raw count): the end-of-stream marker
        // is what says the answer is whole.
        ingest.finish(None).map_err(|e| js_error(e.code(), &e))?;
        let mut ids = Vec::new();
        for batch in &batches {
            let column =
                batch.column_by_name("person_id").and_then(|c| c.as_any().downcast_ref::<Int64Array>());
            let column = column.ok_or_else(|| {
                js_error(
                    "malformed_stream",
                    format!("{what}: the server's answer has no Int64 column person_id"),
                )
            })?;
            ids.extend(column.iter().flatten());
        }
        Ok(ids)
    }
}

/// A dataset loaded into the browser: its cohort index (the tables themselves are not kept).
#[wasm_bindgen]
pub struct Lens {
    /// What was loaded of each table.
    tables: Vec<TableSummary>,
    /// How every count this lens hands out is disclosed.
    policy: Policy,
    /// Built once at the end of `open`; an index failure is reported by the cohort calls,
    /// not by `open`, so the tables stay usable.
    engine: Result<Rc<Engine>, EngineError>,
    /// In server mode, where cohorts are computed.
    server: Option<Rc<PersonsEndpoint>>,
}

#[wasm_bindgen]
impl Lens {
    /// Loads the tables of the dataset served at `baseUrl` (default: every table in the
    /// catalog, only the columns cohorts read). `options`: `{tables?: string[], columns?: 'used' |
    /// 'all', policy?: 'aou' | 'suppress' | 'perturbed', onProgress?: (p) => void, signal?: AbortSignal}`;
    /// `onProgress` receives `{table, bytes, rows, done}` as chunks arrive. `policy` (default
    /// `aou`) decides how every count of this lens is disclosed.
    pub async fn open(
        base_url: String,
        #[wasm_bindgen(unchecked_param_type = "OpenOptions")] options: JsValue,
    ) -> Result<Lens, JsValue> {
        let options = OpenOptions::from_js(&options)?;
        let requests_in_flight = InFlight::new(&options)?;
        let catalog_url = load::catalog_url(&base_url);
        let catalog: Catalog = {
            let response = requests_in_flight.fetch(&catalog_url, &options)?.await;
            let response = check(response, &options, "the catalog").await?;
            let json = JsFuture::from(response.json()?)
                .await
                .map_err(|e| options.network_error("reading the catalog", e))?;
            serde_wasm_bindgen::from_value(json).map_err(|e| {
                js_error(
                    "bad_catalog",
                    format!("{catalog_url} is not a cohortlens catalog ({e}); check the server URL"),
                )
            })?
        };
        let mode = load::resolve_mode(&catalog, &options.load, device_memory_bytes())
            .map_err(|e| engine_error(&e))?;
        let requests = load::plan(&base_url, &catalog, &options.load, mode).map_err(|e| engine_error(&e))?;
        let mut builder = EngineBuilder::new(
            requests.iter().map(|r| r.name.as_str()),
            catalog.dataset.reference_date.as_deref(),
        );
        // Running out of memory while building the index rejects `open` (instead of trapping).
        let out_of_memory = |name: &str, e: EngineError| js_error(e.code(), format!("table {name}: {e}"));
        let mut tables = Vec::with_capacity(requests.len());
        // One table is requested ahead: its request starts as soon as the previous table's
        // response has arrived, so the server prepares it while this one is decoded (no idle gap
        // between tables). Only one: a stream nobody reads is cut by the server after its write
        // timeout, and each unread stream holds buffered bytes.
        let mut next = requests.first().map(|r| requests_in_flight.fetch(&r.url, &options)).transpose()?;
        for (i, request) in requests.iter().enumerate() {
            let name = request.name.as_str();
            if options.cancelled() {
                return Err(js_error("cancelled", "loading was cancelled"));
            }
            let Some(pending) = next.take() else { break };
            let response = check(pending.await, &options, &format!("table {name}")).await?;
            next = requests.get(i + 1).map(|r| requests_in_flight.fetch(&r.url, &options)).transpose()?;
            let expected_rows =
                response.headers().get("x-row-count").ok().flatten().and_then(|v| v.parse().ok());
            let body = response.body().ok_or_else(|| {
                js_error(
                    "truncated_stream",
                    format!("table {name}: the response has no body; reload to try again"),
                )
            })?;
            let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            let mut ingest = TableIngest::new(name);
            builder
                .begin_table(name, expected_rows.and_then(|n: u64| usize::try_from(n).ok()))
                .map_err(|e| out_of_memory(name, e))?;
            let mut memory_bytes = 0;
            loop {
                let chunk = JsFuture::from(reader.read())
                    .await
                    .map_err(|e| options.network_error(&format!("table {name}"), e))?;
                if Reflect::get(&chunk, &"done".into())?.as_bool().unwrap_or(true) {
                    break;
                }
                let bytes: Uint8Array = Reflect::get(&chunk, &"value".into())?.unchecked_into();
                ingest.push(&bytes).map_err(|e| js_error(e.code(), &e))?;
                let batches = ingest.take_batches();
                memory_bytes += store::memory_bytes(&batches);
                builder.push(batches).map_err(|e| out_of_memory(name, e))?;
                options.report(&ingest, false)?;
            }
            options.report(&ingest, true)?;
            let progress = ingest.progress(true);
            let table = ingest.finish(expected_rows).map_err(|e| js_error(e.code(), &e))?;
            builder.end_table(table.schema()).map_err(|e| out_of_memory(name, e))?;
            tables.push(TableSummary {
                name: name.to_owned(),
                rows: progress.rows,
                columns: table.schema().fields().iter().map(|f| f.name().clone()).collect(),
                memory_bytes: memory_bytes as u64,
                bytes: Some(progress.bytes),
            });
        }
        let engine = match builder.finish() {
            Err(EngineError::OutOfMemory) => {
                let e = EngineError::OutOfMemory;
                return Err(js_error(e.code(), format!("building the cohort index: {e}")));
            }
            built if mode == Mode::Server => built.map(|e| Rc::new(e.into_server_mode())),
            built => built.map(Rc::new),
        };
        let server = (mode == Mode::Server).then(|| {
            Rc::new(PersonsEndpoint {
                url: format!("{}/api/v1/cohort/persons", base_url.trim_end_matches('/')),
                authorization: options.load.authorization(),
            })
        });
        Ok(Lens { tables, policy: options.load.policy, engine, server })
    }

    /// Where this lens computes cohorts: `'full'` (in the browser, every table loaded) or
    /// `'server'` (the server computes each cohort's persons; see `query`).
    #[wasm_bindgen(getter)]
    pub fn mode(&self) -> String {
        if self.server.is_some() { Mode::Server } else { Mode::Full }.name().to_owned()
    }

    /// Evaluates a definition in either mode: in the browser (full mode, as `cohort`), or by
    /// sending it to the server, which answers with the cohort's persons (server mode; the
    /// definition is first checked here, with the same errors as `cohort`). Resolves to a
    /// `Cohort` whose count and statistics of persons are exactly full mode's; in server mode
    /// it has no group counts (`preview`) and no statistic that reads events.
    #[wasm_bindgen(unchecked_return_type = "Promise<Cohort>")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CohortDefinition")] definition: JsValue,
    ) -> Result<js_sys::Promise, JsValue> {
        let Some(server) = self.server.clone() else {
            let cohort = self.cohort(definition)?;
            return Ok(js_sys::Promise::resolve(&JsValue::from(cohort)));
        };
        let engine = self.engine()?.clone();
        let (text, definition) = parse_definition(&definition)?;
        engine.validate(&definition).map_err(|e| engine_error(&e.into()))?;
        let policy = self.policy;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let ids = server.persons(&text).await?;
            let inner = engine.cohort_of_persons(&ids).map_err(|e| engine_error(&e))?;
            Ok(Cohort { inner, engine, policy }.into())
        }))
    }

    fn engine(&self) -> Result<&Rc<Engine>, JsValue> {
        self.engine.as_ref().map_err(engine_error)
    }

    /// Evaluates a Cohort Builder definition (`{includes, excludes, dataFilters,
    /// restrictToObservationPeriod}`). Rejects an invalid one with an `Error` whose `code` is
    /// `invalid_definition` and whose `errors` lists every problem as `{path, message}`.
    pub fn cohort(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CohortDefinition")] definition: JsValue,
    ) -> Result<Cohort, JsValue> {
        let engine = self.engine()?;
        let (_, definition) = parse_definition(&definition)?;
        if self.server.is_some() {
            engine.validate(&definition).map_err(|e| engine_error(&e.into()))?;
            return Err(js_error(
                "server_mode",
                "this lens is in server mode: the server computes cohorts; use await lens.query(definition)",
            ));
        }
        let inner = engine.cohort(&definition).map_err(|e| engine_error(&e))?;
        Ok(Cohort { inner, engine: engine.clone(), policy: self.policy })
    }

    /// Searches concepts by name words, code or id: `options` `{domain?, limit?}`. Returns
    /// `[{conceptId, name, domain, vocabulary, conceptClass, standard, code, parents, children,
    /// count, countWithDescendants}]`, the counts disclosed.
    #[wasm_bindgen(js_name = searchConcepts, unchecked_return_type = "ConceptHit[]")]
    pub fn search_concepts(
        &self,
        query: String,
        #[wasm_bindgen(unchecked_param_type = "Omit<ConceptQuery, \"query\"> | undefined")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let engine = self.engine()?;
        let mut q: ConceptQuery = if options.is_undefined() || options.is_null() {
            ConceptQuery::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|_| {
                js_error("invalid_option", "options must be {domain?: string, limit?: number}, e.g. {domain: 'CONDITION', limit: 20}")
            })?
        };
        q.query = query;
        let hits = engine.search_concepts(&q, self.policy).map_err(|e| engine_error(&e))?;
        Ok(to_js(&hits)?)
    }

    /// A statistics table of the persons with a concept (or a descendant), as the Data Browser
    /// shows it: like `cohort.statistics(request, format)`.
    #[wasm_bindgen(js_name = conceptStatistics, unchecked_return_type = "DisclosedTable | string")]
    pub fn concept_statistics(
        &self,
        concept_id: i32,
        #[wasm_bindgen(unchecked_param_type = "StatRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"csv\" | \"json\" | undefined")] format: Option<String>,
    ) -> Result<JsValue, JsValue> {
        statistics(self.engine()?, &Scope::Concept(concept_id), self.policy, request, format)
    }

    /// A Data Browser statistics table of the whole dataset, e.g.
    /// `{kind: 'dataBrowser', chart: 'age', domain: 'condition', conceptId: 201826}`: like
    /// `cohort.statistics(request, format)`.
    #[wasm_bindgen(js_name = datasetStatistics, unchecked_return_type = "DisclosedTable | string")]
    pub fn dataset_statistics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StatRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"csv\" | \"json\" | undefined")] format: Option<String>,
    ) -> Result<JsValue, JsValue> {
        statistics(self.engine()?, &Scope::Dataset, self.policy, request, format)
    }

    /// The policy every count of this lens is disclosed under: `'aou'`, `'suppress'` or
    /// `'perturbed'`.
    #[wasm_bindgen(getter)]
    pub fn policy(&self) -> String {
        self.policy.name().to_owned()
    }

    /// The loaded tables, in load order: `[{name, rows, columns, memoryBytes, bytes}]`
    /// (`memoryBytes`: the Arrow memory its batches took as decoded, freed once indexed;
    /// `bytes`: the stream's bytes received).
    #[wasm_bindgen(unchecked_return_type = "TableSummary[]")]
    pub fn tables(&self) -> Result<Array, JsValue> {
        self.tables.iter().map(|t| to_js(t).map_err(JsValue::from)).collect()
    }

    /// Draws the chart `spec` describes on `canvas` (a `<canvas>` element) and returns its
    /// summary `{kind, title, label, footnote, columns, rows, policy, width, height,
    /// preferredHeight}`: the accessible name and the data table for the page's fallback.
    /// `spec`: `{kind, data, title?, options?, cohort?, conceptId?}` (docs/charts.md). The chart
    /// fills the canvas's backing store; `options.pixelRatio` (default: its width ÷ its CSS
    /// width) is how many of its pixels make one CSS pixel.
    #[wasm_bindgen(unchecked_return_type = "ChartSummary")]
    pub fn chart(
        &self,
        #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement | OffscreenCanvas")] canvas: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChartSpec")] spec: JsValue,
    ) -> Result<JsValue, JsValue> {
        let spec = chart_spec(&spec)?;
        let no_context = || {
            js_error(
                "draw_failed",
                "the canvas has no 2D context (it may be used for WebGL); draw on a new <canvas>",
            )
        };
        let summary = if let Some(canvas) = canvas.dyn_ref::<web_sys::OffscreenCanvas>() {
            check_size(canvas.width(), canvas.height())?;
            let chart = self.engine()?.chart(&spec, self.policy).map_err(|e| engine_error(&e))?;
            // An OffscreenCanvas has no CSS size: one pixel per CSS pixel unless told.
            let ratio = spec.options.pixel_ratio.unwrap_or(1.0);
            let backend = OffscreenBackend::new(canvas).ok_or_else(no_context)?;
            chart.draw(backend, ratio, &BrowserFont::new())
        } else {
            let canvas: web_sys::HtmlCanvasElement = canvas.dyn_into().map_err(|_| {
                js_error(
                    "invalid_chart",
                    "lens.chart(canvas, spec) draws on a <canvas> element or an OffscreenCanvas: pass one \
                     first, e.g. document.querySelector('canvas')",
                )
            })?;
            check_size(canvas.width(), canvas.height())?;
            let chart = self.engine()?.chart(&spec, self.policy).map_err(|e| engine_error(&e))?;
            let ratio = spec.options.pixel_ratio.unwrap_or_else(|| match canvas.client_width() {
                css if css > 0 => f64::from(canvas.width()) / f64::from(css),
                _ => 1.0,
            });
            let backend =
                plotters_canvas::CanvasBackend::with_canvas_object(canvas).ok_or_else(no_context)?;
            chart.draw(backend, ratio, &BrowserFont::new())
        };
        let summary = summary.map_err(|e| js_error(e.code(), &e))?;
        Ok(to_js(&summary)?)
    }

    /// The chart `spec` describes as an SVG document (`options.width` × `options.height` CSS
    /// pixels; default 640 wide, as high as it needs), e.g. for download.
    #[wasm_bindgen(js_name = chartSvg)]
    pub fn chart_svg(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ChartSpec")] spec: JsValue,
    ) -> Result<String, JsValue> {
        let spec = chart_spec(&spec)?;
        let chart = self.engine()?.chart(&spec, self.policy).map_err(|e| engine_error(&e))?;
        let (svg, _) =
            chart.svg(spec.options.width, spec.options.height).map_err(|e| js_error(e.code(), &e))?;
        Ok(svg)
    }
}

/// A definition from its JavaScript object: its JSON text and the definition it reads as.
fn parse_definition(definition: &JsValue) -> Result<(String, CohortDefinition), JsValue> {
    let text = js_sys::JSON::stringify(definition).ok().and_then(|s| s.as_string()).ok_or_else(|| {
        js_error(
            "invalid_definition",
            "the definition must be a plain JSON object; see docs/cohort-semantics.md",
        )
    })?;
    let definition = CohortDefinition::from_json(&text).map_err(|e| engine_error(&e.into()))?;
    Ok((text, definition))
}

/// A chart spec from its JavaScript object.
/// Refuses a canvas without pixels.
fn check_size(width: u32, height: u32) -> Result<(), JsValue> {
    if width == 0 || height == 0 {
        return Err(js_error(
            "invalid_chart",
            "the canvas has no pixels: set its width and height (CSS size × devicePixelRatio)",
        ));
    }
    Ok(())
}

fn chart_spec(spec: &JsValue) -> Result<ChartSpec, JsValue> {
    let text = js_sys::JSON::stringify(spec).ok().and_then(|s| s.as_string()).ok_or_else(|| {
        js_error("invalid_chart", "the chart spec must be a plain object such as {kind: 'bar', data: {...}}")
    })?;
    ChartSpec::from_json(&text).map_err(|e| js_error(e.code(), &e))
}

/// An evaluated cohort. Its persons stay inside the engine; counts leave disclosed.
#[wasm_bindgen]
pub struct Cohort {
    inner: cohort::Cohort,
    engine: Rc<Engine>,
    policy: Policy,
}

#[wasm_bindgen]
impl Cohort {
    /// The number of persons, disclosed: `{value, label, policy}`.
    #[wasm_bindgen(unchecked_return_type = "Disclosed")]
    pub fn count(&self) -> Result<JsValue, JsValue> {
        Ok(to_js(&self.inner.count(self.policy))?)
    }

    /// The builder's preview: `{total, includes: [{id, count, items: [{id, count}]}], excludes}`,
    /// every count disclosed.
    #[wasm_bindgen(unchecked_return_type = "Preview")]
    pub fn preview(&self) -> Result<JsValue, JsValue> {
        if self.engine.server_mode() {
            return Err(js_error(
                "server_mode",
                "group and item counts are computed in the browser only: open the dataset with mode: 'full' \
                 to preview them",
            ));
        }
        Ok(to_js(&self.inner.preview(self.policy))?)
    }

    /// A statistics table of the cohort, disclosed: `request` as in docs/statistics.md, e.g.
    /// `{kind: 'age', bands: 'dataBrowser'}`; `format` `'csv'` or `'json'` returns the export
    /// text instead of `{name, title, policy, dimensions, rows, total}`.
    #[wasm_bindgen(unchecked_return_type = "DisclosedTable | string")]
    pub fn statistics(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StatRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"csv\" | \"json\" | undefined")] format: Option<String>,
    ) -> Result<JsValue, JsValue> {
        statistics(&self.engine, &Scope::Cohort(&self.inner), self.policy, request, format)
    }
}

/// A statistics table over `scope`, disclosed under `policy`, as an object or export text.
fn statistics(
    engine: &Engine,
    scope: &Scope<'_>,
    policy: Policy,
    request: JsValue,
    format: Option<String>,
) -> Result<JsValue, JsValue> {
    let request: StatRequest = serde_wasm_bindgen::from_value(request).map_err(|e| {
        js_error(
            "invalid_request",
            format!("{e}; a statistics request looks like {{kind: 'age', bands: 'dataBrowser'}} (see docs/statistics.md)"),
        )
    })?;
    let table = engine.disclosed_statistics(scope, &request, policy).map_err(|e| engine_error(&e))?;
    match format.as_deref() {
        None => Ok(to_js(&table)?),
        Some("csv") => Ok(export::to_csv(&table).into()),
        Some("json") => Ok(export::to_json(&table).into()),
        Some(other) => {
            Err(js_error("invalid_option", format!("unknown export format {other:?}; use 'csv' or 'json'")))
        }
    }
}

impl Chunk for Uint8Array {
    fn len(&self) -> usize {
        self.length() as usize
    }

    fn append_to(&self, start: usize, n: usize, dst: &mut Vec<u8>) {
        dst.reserve(n);
        let len = dst.len();
        self.subarray(start as u32, (start + n) as u32).copy_to_uninit(&mut dst.spare_capacity_mut()[..n]);
        // SAFETY: `copy_to_uninit` has initialized the `n` bytes after `len`.
        unsafe { dst.set_len(len + n) };
    }
}

/// The requests of one `Lens.open`: each is cancelled by the caller's signal, and whatever is
/// still in flight when `open` ends (a table requested ahead when an earlier one failed) is
/// aborted then, so no stream is left waiting in the server.
struct InFlight {
    controller: AbortController,
    /// Aborted by the caller's signal or by `controller`.
    signal: AbortSignal,
}

impl InFlight {
    fn new(options: &OpenOptions) -> Result<Self, JsValue> {
        let controller = AbortController::new()?;
        let signal = match &options.signal {
            Some(caller) => AbortSignal::any(&Array::of2(caller, &controller.signal())),
            None => controller.signal(),
        };
        Ok(Self { controller, signal })
    }

    /// Starts fetching `url` (the request goes out now, whether or not the result is awaited).
    fn fetch(&self, url: &str, options: &OpenOptions) -> Result<JsFuture, JsValue> {
        let init = RequestInit::new();
        init.set_signal(Some(&self.signal));
        if let Some(authorization) = options.load.authorization() {
            let headers = Headers::new()?;
            headers.set("Authorization", &authorization)?;
            init.set_headers(&headers);
        }
        Ok(JsFuture::from(global_fetch(url, &init)))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.controller.abort();
    }
}

/// A fetch's outcome, with HTTP errors turned into cohortlens errors carrying the server's
/// message.
async fn check(
    fetched: Result<JsValue, JsValue>,
    options: &OpenOptions,
    what: &str,
) -> Result<Response, JsValue> {
    let fetched = fetched.map_err(|e| options.network_error(&format!("fetching {what}"), e));
    checked(fetched, what).await
}

/// A response, with HTTP errors turned into cohortlens errors carrying the server's message.
async fn checked(fetched: Result<JsValue, JsValue>, what: &str) -> Result<Response, JsValue> {
    let response: Response = fetched?.unchecked_into();
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    // The server answers errors as {error: {code, message}}; show its message when there is one.
    let message = match response.json() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|body| Reflect::get(&body, &"error".into()).ok())
            .and_then(|e| Reflect::get(&e, &"message".into()).ok())
            .and_then(|m| m.as_string()),
        Err(_) => None,
    };
    let message = message.unwrap_or_else(|| response.status_text());
    Err(engine_error(&load::http_error(status, what, &message)))
}

/// Decodes a table's Arrow stream from bytes the caller already has, chunk by chunk (the
/// same decoder `Lens.open` feeds from the network; used by benchmarks and tests).
#[wasm_bindgen]
pub struct TableLoader {
    ingest: Option<TableIngest>,
}

#[wasm_bindgen]
impl TableLoader {
    /// Starts decoding a stream of `table`.
    #[wasm_bindgen(constructor)]
    pub fn new(table: &str) -> TableLoader {
        TableLoader { ingest: Some(TableIngest::new(table)) }
    }

    /// Decodes the next chunk.
    pub fn push(&mut self, chunk: &Uint8Array) -> Result<(), JsValue> {
        let ingest = self
            .ingest
            .as_mut()
            .ok_or_else(|| js_error("finished", "push after finish: start a new TableLoader"))?;
        ingest.push(chunk).map_err(|e| js_error(e.code(), &e))
    }

    /// Ends the stream and returns the table's summary `{name, rows, columns, memoryBytes}`.
    #[wasm_bindgen(unchecked_return_type = "TableSummary")]
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let ingest = self
            .ingest
            .take()
            .ok_or_else(|| js_error("finished", "finish called twice: start a new TableLoader"))?;
        let table = ingest.finish(None).map_err(|e| js_error(e.code(), &e))?;
        Ok(to_js(&table.summary())?)
    }
}
