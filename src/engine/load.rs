//! Planning a load from a cohortlens server, natively testable: the options of `Lens.open`
//! ([`LoadOptions`]), which tables to request in which order with which columns at which URLs
//! ([`plan`]), and what an HTTP failure means ([`http_error`]). The JavaScript bindings only
//! fetch what the plan says and feed the streams to an [`EngineBuilder`](super::EngineBuilder).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EngineError;
use crate::cdm::{self, catalog::Catalog, catalog::CatalogColumn};
use crate::index;
use crate::privacy::Policy;

/// Which columns of each table to load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum Columns {
    /// The columns cohorts, concept search and statistics read.
    #[default]
    Used,
    /// Every column.
    All,
}

/// Where cohorts are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub enum Mode {
    /// Every table is loaded and every question answered in the browser.
    Full,
    /// The server computes each cohort's person set (DataFusion, `POST /api/v1/cohort/persons`);
    /// the browser loads the person and vocabulary tables only and computes the statistics of
    /// persons, their disclosure and the charts (docs/scaling.md, "Server mode").
    Server,
    /// Server mode when the catalog's row counts say the index would not fit in the memory the
    /// browser gives (and the server offers it), else full ([`resolve_mode`]).
    #[default]
    Auto,
}

impl Mode {
    /// The name `lens.mode` and the pages show.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Server => "server",
            Mode::Auto => "auto",
        }
    }
}

/// The data options of `Lens.open` (the bindings take the callbacks, `onProgress` and
/// `signal`, apart).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct LoadOptions {
    /// The tables to load (default: every table of the catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub tables: Option<Vec<String>>,
    /// Which columns to load (default `used`).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub columns: Columns,
    /// How every count of the lens is disclosed (default `aou`).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub policy: Policy,
    /// A bearer token sent as `Authorization: Bearer <token>` with the catalog and table
    /// requests (for a server that asks for one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub token: Option<String>,
    /// Where cohorts are computed (default `auto`).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", tsify(optional))]
    pub mode: Mode,
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::InvalidOption(message.into())
}

impl LoadOptions {
    /// Reads the options from the JSON object JavaScript passed (`null` for none; other keys,
    /// such as the callbacks, are left to the bindings); errors say which option is wrong and
    /// what it takes.
    pub fn from_json(options: &Value) -> Result<LoadOptions, EngineError> {
        let get = |key: &str| options.get(key).filter(|v| !v.is_null());
        let tables = match get("tables") {
            None => None,
            Some(v) => Some(serde_json::from_value(v.clone()).map_err(|_| {
                invalid("options.tables must be an array of table names, e.g. ['person', 'measurement']")
            })?),
        };
        let columns = match get("columns").map(Value::as_str) {
            None => Columns::Used,
            Some(Some("all")) => Columns::All,
            Some(Some("used")) => Columns::Used,
            Some(_) => {
                return Err(invalid(
                    "options.columns must be 'used' (the columns cohorts read, the default) or 'all'",
                ));
            }
        };
        let policy = match get("policy") {
            None => Policy::default(),
            Some(v) => Policy::from_name(v.as_str().unwrap_or_default())
                .map_err(|e| invalid(format!("options.policy: {e}")))?,
        };
        let token = match get("token") {
            None => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            Some(_) => {
                return Err(invalid(
                    "options.token must be the access token the server's operator gave you, as a non-empty string",
                ));
            }
        };
        let mode = match get("mode").map(Value::as_str) {
            None | Some(Some("auto")) => Mode::Auto,
            Some(Some("full")) => Mode::Full,
            Some(Some("server")) => Mode::Server,
            Some(_) => {
                return Err(invalid(
                    "options.mode must be 'auto' (the default: server mode only for a dataset too large for \
                     the browser), 'full' (everything in the browser) or 'server' (cohorts computed by the server)",
                ));
            }
        };
        Ok(LoadOptions { tables, columns, policy, token, mode })
    }

    /// The `Authorization` header value of every request, when a token is set.
    pub fn authorization(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }
}

/// The browser's memory per row of a loaded table, in bytes: the index measured 2,511 MiB of
/// WebAssembly memory for 97.1 M rows (bench/RESULTS.md, 1 M persons), about 27 bytes a row.
const INDEX_BYTES_PER_ROW: u64 = 27;

/// The most memory `auto` lets the index take: wasm32's 4 GiB less room for the batches in
/// flight and the page.
const MAX_INDEX_BYTES: u64 = 3 << 30;

/// The mode `open` runs in: `full` or `server`, never `auto`. `auto` is server mode when the
/// catalog's row counts of the tables to load, at [`INDEX_BYTES_PER_ROW`], exceed what the
/// browser gives (3 GiB, or half of `device_memory_bytes`, the device's memory as the browser
/// reports it, when smaller) and the server offers server mode; else full. Asking for `server`
/// from a server that does not offer it fails with what to do.
pub fn resolve_mode(
    catalog: &Catalog,
    options: &LoadOptions,
    device_memory_bytes: Option<u64>,
) -> Result<Mode, EngineError> {
    match options.mode {
        Mode::Full => Ok(Mode::Full),
        Mode::Server if catalog.server_mode => Ok(Mode::Server),
        Mode::Server => Err(EngineError::ServerMode(
            "this server does not compute cohorts for you (server mode needs a registered or controlled token \
             where tokens are required, and a server not started with --public-only); open with mode: 'full'"
                .into(),
        )),
        Mode::Auto => {
            let wanted = |name: &str| options.tables.as_ref().is_none_or(|t| t.iter().any(|w| w == name));
            let rows: u64 = catalog.tables.iter().filter(|t| wanted(&t.name)).filter_map(|t| t.rows).sum();
            let budget = device_memory_bytes.map_or(MAX_INDEX_BYTES, |m| (m / 2).min(MAX_INDEX_BYTES));
            let too_large = rows.saturating_mul(INDEX_BYTES_PER_ROW) > budget;
            Ok(if too_large && catalog.server_mode { Mode::Server } else { Mode::Full })
        }
    }
}

/// Whether server mode loads `table`: the vocabulary tables (definitions are validated and
/// statistics labelled in the browser) and `person` (the statistics of persons).
fn loaded_in_server_mode(table: &str) -> bool {
    table == "person" || cdm::table(table).is_some_and(|t| t.tier == cdm::Tier::Public)
}

/// One table to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRequest {
    /// The table.
    pub name: String,
    /// Its Arrow stream's URL, with the columns to send.
    pub url: String,
}

/// The URL of the catalog of the server at `base_url`.
pub fn catalog_url(base_url: &str) -> String {
    format!("{}/api/v1/catalog", base_url.trim_end_matches('/'))
}

/// The tables to fetch from the server at `base_url`: the ones asked for (or all of the
/// catalog), each once, in [`cdm::load_order`] (the index then holds nothing back), each with
/// only the columns the engine reads unless every column was asked for (a catalog without
/// column lists gets whole tables; columns the catalog marks entirely null are left out, and a
/// table of which the engine reads nothing is skipped).
pub fn plan(
    base_url: &str,
    catalog: &Catalog,
    options: &LoadOptions,
    mode: Mode,
) -> Result<Vec<TableRequest>, EngineError> {
    let base = base_url.trim_end_matches('/');
    let mut names: Vec<String> = match &options.tables {
        // Every table the caller may read; without a token, a server that locks tables is told so.
        None => {
            if options.token.is_none() && catalog.tables.iter().any(|t| t.locked) {
                return Err(http_error(401, "the catalog", "its row-level tables need an access token"));
            }
            catalog.tables.iter().filter(|t| !t.locked && !t.unavailable).map(|t| t.name.clone()).collect()
        }
        Some(wanted) => {
            if let Some(unknown) = wanted.iter().find(|w| !catalog.tables.iter().any(|t| &t.name == *w)) {
                let known: Vec<&str> = catalog.tables.iter().map(|t| t.name.as_str()).collect();
                return Err(EngineError::UnknownTable(format!(
                    "no table {unknown:?} in this dataset; it has {}",
                    known.join(", ")
                )));
            }
            wanted.clone()
        }
    };
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(n.clone()) && (mode != Mode::Server || loaded_in_server_mode(n)));
    cdm::load_order(&mut names);
    // `observation_id` only serves to join `observation_ext`: not sent without it.
    let joins_observation_ext = names.iter().any(|n| n == "observation_ext");
    let mut requests = Vec::new();
    for name in names {
        // Bodies LZ4-compressed: fewer bytes through the browser's network stack, which costs
        // more than decompressing them in wasm (docs/loading.md).
        let mut url = format!("{base}/api/v1/tables/{name}?compression=lz4");
        let listed: Vec<&CatalogColumn> =
            catalog.tables.iter().filter(|t| t.name == name).flat_map(|t| &t.columns).collect();
        if options.columns == Columns::Used && !listed.is_empty() {
            let used: Vec<String> = listed
                .into_iter()
                .filter(|c| !c.all_null && index::uses_column(&name, &c.name))
                .filter(|c| {
                    joins_observation_ext
                        || (name.as_str(), c.name.as_str()) != ("observation", "observation_id")
                })
                .map(|c| encode_component(&c.name))
                .collect();
            if used.is_empty() {
                continue;
            }
            url = format!("{url}&columns={}", used.join(","));
        }
        requests.push(TableRequest { name, url });
    }
    Ok(requests)
}

/// `text` percent-encoded as JavaScript's `encodeURIComponent` does.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The error of an HTTP failure fetching `what`, with the server's own message when it sent
/// one: `unauthorized` (401) and `forbidden` (403) say how to sign in, `not_expressible` (422,
/// a definition server mode cannot compute) says to compute it in the browser, anything else is
/// `http`.
pub fn http_error(status: u16, what: &str, message: &str) -> EngineError {
    let failed = format!("fetching {what} failed with HTTP {status}: {message}");
    match status {
        401 => EngineError::Unauthorized(format!(
            "{failed}; this server asks for an access token: sign in with a token the server's operator \
             gave you, as Lens.open(url, {{token}})"
        )),
        403 => EngineError::Forbidden(format!(
            "{failed}; the token does not allow this: sign in with a token of the scope (tier) that may \
             read it, as Lens.open(url, {{token}})"
        )),
        422 => EngineError::NotExpressible(format!(
            "{failed}; compute this cohort in the browser: open the dataset with mode: 'full'"
        )),
        _ => EngineError::Http(failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdm::catalog::{CatalogColumn, CatalogTable};
    use serde_json::json;

    fn catalog(tables: &[(&str, &[&str])]) -> Catalog {
        let table = |&(name, columns): &(&str, &[&str])| CatalogTable {
            name: name.to_owned(),
            rows: Some(1),
            tier: None,
            columns: columns
                .iter()
                .map(|c| CatalogColumn {
                    name: c.trim_end_matches(" (null)").to_owned(),
                    data_type: "Int64".into(),
                    nullable: true,
                    all_null: c.ends_with(" (null)"),
                })
                .collect(),
            locked: false,
            unavailable: false,
        };
        Catalog { tables: tables.iter().map(table).collect(), ..Catalog::default() }
    }

    #[test]
    fn options_read_with_defaults_and_say_what_is_wrong() {
        let o = LoadOptions::from_json(&Value::Null).unwrap();
        assert_eq!(o, LoadOptions::default());
        let o =
            LoadOptions::from_json(&json!({"tables": ["person"], "columns": "all", "policy": "perturbed",
            "token": " t0k ", "onProgress": {}}))
            .unwrap();
        assert_eq!(
            (o.tables.as_deref(), o.columns, o.policy, o.authorization().as_deref()),
            (Some(&["person".to_owned()][..]), Columns::All, Policy::Perturbed, Some("Bearer t0k"))
        );
        for (bad, says) in [
            (json!({"tables": "person"}), "options.tables must be an array"),
            (json!({"columns": "some"}), "options.columns must be 'used'"),
            (json!({"policy": "exact"}), "options.policy: unknown privacy policy \"exact\""),
            (json!({"token": 42}), "options.token must be"),
            (json!({"token": " "}), "options.token must be"),
        ] {
            let e = LoadOptions::from_json(&bad).unwrap_err();
            assert_eq!(e.code(), "invalid_option");
            assert!(e.to_string().starts_with(says), "{bad}: {e}");
        }
    }

    #[test]
    fn plans_fetch_each_table_once_in_load_order_with_the_used_columns() {
        let c = catalog(&[
            ("measurement", &["person_id", "measurement_concept_id", "value_source_value", "a b"]),
            ("person", &["person_id", "year_of_birth", "month_of_birth (null)", "provider_id"]),
            ("concept", &[]),
            ("location", &["location_id"]),
        ]);
        let planned = plan("http://h/", &c, &LoadOptions::default(), Mode::Full).unwrap();
        let got: Vec<(&str, &str)> = planned.iter().map(|r| (r.name.as_str(), r.url.as_str())).collect();
        assert_eq!(
            got,
            [
                ("concept", "http://h/api/v1/tables/concept?compression=lz4"),
                ("person", "http://h/api/v1/tables/person?compression=lz4&columns=person_id,year_of_birth"),
                (
                    "measurement",
                    "http://h/api/v1/tables/measurement?compression=lz4&columns=person_id,measurement_concept_id"
                ),
            ],
            "location is read by nothing; concept lists no columns; month_of_birth is entirely null"
        );
        let all = LoadOptions {
            tables: Some(vec!["person".into(), "person".into()]),
            columns: Columns::All,
            ..LoadOptions::default()
        };
        let planned = plan("http://h", &c, &all, Mode::Full).unwrap();
        assert_eq!(
            planned,
            [TableRequest {
                name: "person".into(),
                url: "http://h/api/v1/tables/person?compression=lz4".into()
            }]
        );
        let unknown = LoadOptions { tables: Some(vec!["persons".into()]), ..LoadOptions::default() };
        let e = plan("http://h", &c, &unknown, Mode::Full).unwrap_err();
        assert_eq!(e.code(), "unknown_table");
        assert!(
            e.to_string().contains("\"persons\"") && e.to_string().contains("measurement, person"),
            "{e}"
        );
        assert_eq!(catalog_url("http://h/"), "http://h/api/v1/catalog");
        assert_eq!(encode_component("a b/ü"), "a%20b%2F%C3%BC");
    }

    #[test]
    fn plans_fetch_observation_ids_only_to_join_observation_ext() {
        let obs: &[&str] = &["person_id", "observation_id", "observation_concept_id"];
        let url = |tables: &[(&str, &[&str])]| {
            let planned = plan("http://h", &catalog(tables), &LoadOptions::default(), Mode::Full).unwrap();
            planned.into_iter().find(|r| r.name == "observation").unwrap().url
        };
        assert_eq!(
            url(&[("observation", obs)]),
            "http://h/api/v1/tables/observation?compression=lz4&columns=person_id,observation_concept_id"
        );
        assert_eq!(
            url(&[
                ("observation", obs),
                ("observation_ext", &["observation_id", "survey_version_concept_id"])
            ]),
            "http://h/api/v1/tables/observation?compression=lz4&columns=person_id,observation_id,observation_concept_id"
        );
    }

    #[test]
    fn plans_skip_what_the_caller_cannot_read() {
        let mut c = catalog(&[("concept", &[]), ("person", &[]), ("measurement", &[])]);
        c.tables[1].locked = true;
        c.tables[2].unavailable = true;
        let e = plan("http://h", &c, &LoadOptions::default(), Mode::Full).unwrap_err();
        assert_eq!(e.code(), "unauthorized");
        let signed_in = LoadOptions { token: Some("t".into()), ..LoadOptions::default() };
        let names: Vec<String> =
            plan("http://h", &c, &signed_in, Mode::Full).unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["concept"]);
    }

    #[test]
    fn modes_read_and_resolve_by_size_memory_and_what_the_server_offers() {
        let mode = |v: Value| LoadOptions::from_json(&json!({ "mode": v })).map(|o| o.mode);
        assert_eq!(mode(Value::Null).unwrap(), Mode::Auto);
        assert_eq!(mode(json!("server")).unwrap(), Mode::Server);
        assert_eq!(mode(json!("full")).unwrap(), Mode::Full);
        assert!(mode(json!("cluster")).unwrap_err().to_string().contains("'auto'"));

        let mut c = catalog(&[("concept", &[]), ("person", &[]), ("measurement", &[])]);
        c.tables[2].rows = Some(200_000_000); // 5.4 GB of index
        let with = |mode: Mode| LoadOptions { mode, ..LoadOptions::default() };
        // Too large, but the server offers no server mode: full (loading then reports the memory).
        assert_eq!(resolve_mode(&c, &with(Mode::Auto), None).unwrap(), Mode::Full);
        let e = resolve_mode(&c, &with(Mode::Server), None).unwrap_err();
        assert_eq!(e.code(), "server_mode");
        c.server_mode = true;
        assert_eq!(resolve_mode(&c, &with(Mode::Auto), None).unwrap(), Mode::Server);
        assert_eq!(resolve_mode(&c, &with(Mode::Full), None).unwrap(), Mode::Full);
        // Small enough for wasm32, but not for a device with 512 MiB.
        c.tables[2].rows = Some(20_000_000); // 540 MB
        assert_eq!(resolve_mode(&c, &with(Mode::Auto), None).unwrap(), Mode::Full);
        assert_eq!(resolve_mode(&c, &with(Mode::Auto), Some(512 << 20)).unwrap(), Mode::Server);
        // Only the tables asked for count.
        let person_only = LoadOptions { tables: Some(vec!["person".into()]), ..with(Mode::Auto) };
        assert_eq!(resolve_mode(&c, &person_only, Some(512 << 20)).unwrap(), Mode::Full);

        // Server mode loads the vocabulary and `person` only.
        let names: Vec<String> = plan("http://h", &c, &LoadOptions::default(), Mode::Server)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["concept", "person"]);
    }

    #[test]
    fn http_failures_say_how_to_sign_in() {
        let e = http_error(401, "the catalog", "a token is required");
        assert_eq!(e.code(), "unauthorized");
        assert!(e.to_string().contains("sign in with a token"), "{e}");
        let e = http_error(403, "table person", "registered tier needed");
        assert_eq!(e.code(), "forbidden");
        assert!(
            e.to_string().contains("of the scope (tier)") && e.to_string().contains("registered tier"),
            "{e}"
        );
        let e = http_error(422, "the cohort's persons", "DataFusion cannot plan it");
        assert_eq!(e.code(), "not_expressible");
        assert!(e.to_string().contains("mode: 'full'"), "{e}");
        let e = http_error(500, "table person", "Internal Server Error");
        assert_eq!(
            (e.code(), e.to_string()),
            ("http", "fetching table person failed with HTTP 500: Internal Server Error".to_owned())
        );
    }
}
