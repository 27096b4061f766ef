//! cohortlens: cohort analytics over OMOP CDM data, in the browser (wasm32) and natively.
//!
//! One module owns one stage, and every dependency points down the data path (see
//! docs/architecture.md):
//!
//! - [`cdm`] the data contract (tables, columns, well-known concepts, Cohort Builder domains,
//!   the load order) and [`privacy`] the disclosure of every count (tallies, policies,
//!   disclosed values and tables, ranking): the foundations, importing nothing of the crate
//!   but `cdm`;
//! - [`ingest`] Arrow IPC stream decoding into [`store`] tables (`columns` reads them);
//! - [`vocab`] concepts and their hierarchy;
//! - [`index`] the cohort index, built as the tables stream in;
//! - [`cohort`] cohort definitions → checked plans → evaluation on the index;
//! - [`stats`] the statistics tables; [`export`] CSV and JSON of disclosed tables; [`chart`]
//!   charts of disclosed results (canvas and SVG);
//! - `sql` (natively only) the compilation of checked cohort plans into SQL over the OMOP
//!   tables;
//! - [`engine`] the facade over all of them, with one error type;
//! - `web` the JavaScript bindings (wasm32 only), which convert types and delegate.
//!
//! Everything but `privacy` and `chart` belongs to the default feature `engine`; without it the
//! crate is the chart-only build of the embeds (`embed/`), drawing tables already disclosed.

#![warn(missing_docs)]

#[cfg(feature = "engine")]
pub mod cdm;
pub mod chart;
#[cfg(feature = "engine")]
pub mod cohort;
#[cfg(feature = "engine")]
mod columns;
#[cfg(feature = "engine")]
mod date;
#[cfg(feature = "engine")]
pub mod engine;
#[cfg(feature = "engine")]
pub mod export;
#[cfg(feature = "engine")]
pub mod index;
#[cfg(feature = "engine")]
pub mod ingest;
pub mod privacy;
#[cfg(all(feature = "engine", not(target_arch = "wasm32")))]
pub mod sql;
#[cfg(feature = "engine")]
pub mod stats;
#[cfg(feature = "engine")]
pub mod store;
#[cfg(feature = "engine")]
pub mod vocab;

#[cfg(all(feature = "engine", target_arch = "wasm32"))]
pub mod web;
