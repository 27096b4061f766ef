//! cohortlens: cohort analytics over OMOP CDM data, in the browser (wasm32) and natively.
//!
//! One module owns one stage: [`cdm`] the data contract, [`ingest`] Arrow IPC stream decoding,
//! [`store`] the columnar tables, and `web` the JavaScript API (wasm32 only).

pub mod cdm;
pub mod ingest;
pub mod store;

#[cfg(target_arch = "wasm32")]
pub mod web;
