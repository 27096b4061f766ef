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
//! - [`engine`] the facade over all of them, with one error type;
//! - `web` the JavaScript bindings (wasm32 only), which convert types and delegate.

#![warn(missing_docs)]

pub mod cdm;
pub mod chart;
pub mod cohort;
mod columns;
mod date;
pub mod engine;
pub mod export;
pub mod index;
pub mod ingest;
pub mod privacy;
pub mod stats;
pub mod store;
pub mod vocab;

#[cfg(target_arch = "wasm32")]
pub mod web;
