//! The statistics request parser: any text → `StatRequest` → computed over a concept scope of
//! a small engine and disclosed; errors are values, never panics.
#![no_main]

use cohortlens::stats::{Scope, StatRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<StatRequest>(data) else { return };
    let engine = cohortlens_fuzz::small_engine();
    for concept in [201826, 0] {
        if let Ok(table) = engine.statistics(&Scope::Concept(concept), &request) {
            let _ = cohortlens::privacy::Policy::Aou.disclose_table(&table);
        }
    }
});
