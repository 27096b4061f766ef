//! The chart-only wasm build of the embeds (`www/embed.js`): the engine's chart module over
//! tables the public API already disclosed. It holds no ingest, cohort or statistics code (the
//! crate `cohortlens` without its feature `engine`), so an embed can draw only what the server
//! published, and its whole download stays small (docs/public.md).

#[cfg(target_arch = "wasm32")]
mod web {
    use cohortlens::chart::{BrowserFont, Chart, ChartSpec};
    use cohortlens::privacy::DisclosedTable;
    use wasm_bindgen::prelude::*;

    /// Draws `table` (a disclosed table as the public API returns it, JSON text) on `canvas`
    /// as `spec` (`{kind, title?, options?}` JSON text; its `data` is ignored) says, and returns
    /// the chart's summary as JSON text: its accessible name and data table. The chart fills
    /// the canvas's backing store, `pixelRatio` device pixels per CSS pixel.
    #[wasm_bindgen(js_name = drawChart)]
    pub fn draw_chart(
        canvas: web_sys::HtmlCanvasElement,
        spec: &str,
        table: &str,
        pixel_ratio: f64,
    ) -> Result<String, JsError> {
        if canvas.width() == 0 || canvas.height() == 0 {
            return Err(JsError::new("the canvas has no pixels: set its width and height"));
        }
        let spec = ChartSpec::from_json(spec).map_err(|e| JsError::new(&e.to_string()))?;
        let table: DisclosedTable = serde_json::from_str(table).map_err(|e| {
            JsError::new(&format!("the table is not a disclosed table as the public API returns it: {e}"))
        })?;
        let chart = Chart::of_table(spec.kind, &table, spec.title.as_deref(), &spec.options)
            .map_err(|e| JsError::new(&e.to_string()))?;
        let backend = plotters_canvas::CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| JsError::new("the canvas has no 2D context; draw on a new <canvas>"))?;
        let summary = chart
            .draw(backend, pixel_ratio, &BrowserFont::new())
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&summary).map_err(|e| JsError::new(&e.to_string()))
    }
}
