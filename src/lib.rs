//! cohortlens: cohort analytics over OMOP CDM data, in the browser (wasm32) and natively.
//!
//! One module owns one stage: [`cdm`] the data contract, [`ingest`] Arrow IPC stream decoding,
//! [`store`] the columnar tables, [`vocab`] concepts and their hierarchy, [`cohort`] cohort
//! definitions and their evaluation, [`stats`] the statistics tables, [`privacy`] the
//! disclosure of every count, [`export`] CSV and JSON of disclosed tables, [`chart`] charts of
//! disclosed results (canvas and SVG), and `web` the JavaScript API (wasm32 only).

pub mod cdm;
pub mod chart;
pub mod cohort;
mod columns;
pub mod export;
pub mod ingest;
pub mod privacy;
pub mod stats;
pub mod store;
pub mod vocab;

#[cfg(target_arch = "wasm32")]
pub mod web;
