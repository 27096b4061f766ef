//! The catalog a cohortlens server answers at `GET /api/v1/catalog`: the dataset's manifest and
//! each table it serves with its row count, tier and columns. The server writes these types and
//! the browser reads them; a reader accepts a catalog that leaves out everything but the table
//! names (then it loads whole tables).

use serde::{Deserialize, Serialize};

use super::Tier;

/// The catalog of one dataset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The dataset's manifest.
    #[serde(default)]
    pub dataset: CatalogDataset,
    /// What the caller may read (absent from servers that ask for no tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<CatalogAccess>,
    /// The tables served, in load order.
    pub tables: Vec<CatalogTable>,
    /// Whether the server computes cohorts for this caller (server mode,
    /// `POST /api/v1/cohort/persons`).
    #[serde(default, rename = "serverMode")]
    pub server_mode: bool,
}

/// The caller's access, as the server saw its token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CatalogAccess {
    /// Whether the server asks for a bearer token for row-level tables.
    pub tokens_required: bool,
    /// The caller's scope (`public`, `registered` or `controlled`).
    pub scope: String,
    /// The name of the caller's token, if it sent a valid one.
    pub token_name: Option<String>,
}

/// The dataset's manifest, as the catalog shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CatalogDataset {
    /// Short name shown in the page.
    pub name: String,
    /// Version of the dataset layout.
    pub version: String,
    /// Where the rows came from.
    pub source: String,
    /// OMOP CDM version of the source.
    pub cdm_version: String,
    /// The date current ages are computed at (`YYYY-MM-DD`), if the dataset has one.
    pub reference_date: Option<String>,
    /// How dates were shifted for de-identification, in words.
    pub date_shift_note: String,
    /// Whether the rows are made up (synthetic data may be served without tokens).
    pub synthetic: bool,
}

/// One table of the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogTable {
    /// The table name.
    pub name: String,
    /// Its number of rows (absent for a locked table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The lowest tier that may read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    /// Its columns, in file order (empty when the catalog does not list them, as for a locked
    /// table).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<CatalogColumn>,
    /// The caller's token may not read it (the catalog then gives only its name and tier).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
    /// Its file cannot be read (the server answers 503 for it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
}

/// One column of a catalog table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogColumn {
    /// The column name.
    pub name: String,
    /// Its Arrow type, as Arrow writes it (e.g. `Int64`).
    #[serde(rename = "type", default)]
    pub data_type: String,
    /// Whether it may hold nulls.
    #[serde(default)]
    pub nullable: bool,
    /// Every value is null (the Parquet statistics say so): a loader asking for the used
    /// columns skips it, since it would carry nothing but its length.
    #[serde(rename = "allNull", default, skip_serializing_if = "std::ops::Not::not")]
    pub all_null: bool,
}
