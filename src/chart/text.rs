//! Text widths for chart layout, without system fonts: natively from the committed Liberation
//! Sans (SIL OFL, `assets/fonts`; metric-compatible with Arial, which the SVG names first after
//! it), in the browser from the browser's own fonts through canvas `measureText` (no font in
//! the wasm).

/// The font family every chart text is drawn in (CSS `font-family` syntax).
pub const FAMILY: &str = "Liberation Sans, Arial, Helvetica, sans-serif";

/// Measures text as the drawing surface will render it.
pub trait Measure {
    /// The advance width, in pixels, of `text` at `size` pixels (em size), bold or not.
    fn width(&self, text: &str, size: f64, bold: bool) -> f64;
}

/// Widths from Liberation Sans Regular (native builds; bold is estimated 8 % wider).
#[cfg(not(target_arch = "wasm32"))]
pub struct EmbeddedFont(ab_glyph::FontRef<'static>);

#[cfg(not(target_arch = "wasm32"))]
impl EmbeddedFont {
    /// The committed font (parsing is cheap: it reads the font's table directory).
    pub fn new() -> EmbeddedFont {
        const BYTES: &[u8] = include_bytes!("../../assets/fonts/LiberationSans-Regular.ttf");
        // The font is part of the source tree; a test checks that it parses.
        EmbeddedFont(
            ab_glyph::FontRef::try_from_slice(BYTES).expect("assets/fonts/LiberationSans-Regular.ttf"),
        )
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for EmbeddedFont {
    fn default() -> Self {
        EmbeddedFont::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Measure for EmbeddedFont {
    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        use ab_glyph::{Font, ScaleFont};
        // CSS sizes are em sizes; ab_glyph scales by the font's height (ascent − descent).
        let font = self.0.as_scaled(
            self.0.pt_to_px_scale(size as f32 * 0.75).unwrap_or(ab_glyph::PxScale::from(size as f32)),
        );
        let mut width = 0.0f32;
        let mut previous = None;
        for c in text.chars() {
            let glyph = font.glyph_id(c);
            if let Some(p) = previous {
                width += font.kern(p, glyph);
            }
            width += font.h_advance(glyph);
            previous = Some(glyph);
        }
        f64::from(width) * if bold { 1.08 } else { 1.0 }
    }
}

/// Widths from the browser's fonts, through an `OffscreenCanvas` 2D context (works in windows
/// and workers). Without one, widths are estimated at 0.55 em per character.
#[cfg(target_arch = "wasm32")]
pub struct BrowserFont(Option<web_sys::OffscreenCanvasRenderingContext2d>);

#[cfg(target_arch = "wasm32")]
impl BrowserFont {
    /// A measuring context, if the browser has `OffscreenCanvas`.
    pub fn new() -> BrowserFont {
        use wasm_bindgen::JsCast;
        let context = web_sys::OffscreenCanvas::new(1, 1)
            .ok()
            .and_then(|c| c.get_context("2d").ok().flatten())
            .and_then(|c| c.dyn_into::<web_sys::OffscreenCanvasRenderingContext2d>().ok());
        BrowserFont(context)
    }
}

#[cfg(target_arch = "wasm32")]
impl Default for BrowserFont {
    fn default() -> Self {
        BrowserFont::new()
    }
}

#[cfg(target_arch = "wasm32")]
impl Measure for BrowserFont {
    fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        let estimate = || text.chars().count() as f64 * size * 0.55;
        let Some(context) = &self.0 else { return estimate() };
        context.set_font(&format!("{} {size}px {FAMILY}", if bold { "bold" } else { "normal" }));
        context.measure_text(text).map(|m| m.width()).unwrap_or_else(|_| estimate())
    }
}
