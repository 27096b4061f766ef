//! The chart spec parser: any text → `ChartSpec::from_json` → a chart of a small engine's data
//! → SVG; errors are values, never panics.
#![no_main]

use cohortlens::chart::ChartSpec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = ChartSpec::from_json(text) else { return };
    let engine = cohortlens_fuzz::small_engine();
    if let Ok(chart) = engine.chart(&spec, cohortlens::privacy::Policy::Aou) {
        let _ = chart.svg(None, None);
    }
});
