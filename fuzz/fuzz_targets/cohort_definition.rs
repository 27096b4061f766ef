//! The cohort definition parser and validator: any text → `CohortDefinition::from_json` →
//! validated and evaluated against a small engine; errors are values, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(definition) = cohortlens::cohort::CohortDefinition::from_json(text) else { return };
    let engine = cohortlens_fuzz::small_engine();
    if engine.validate(&definition).is_ok() {
        let cohort = engine.cohort(&definition).expect("a validated definition evaluates");
        let _ = cohort.count(cohortlens::privacy::Policy::Aou);
    }
});
