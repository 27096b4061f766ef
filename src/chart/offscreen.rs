//! A plotters drawing backend on an `OffscreenCanvas` 2D context (wasm32 only), so that charts
//! draw in a Web Worker as on a page's `<canvas>` (which plotters-canvas serves).

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};
use wasm_bindgen::JsValue;
use web_sys::{OffscreenCanvas, OffscreenCanvasRenderingContext2d};

/// Why the canvas refused to draw (the browser's message).
#[derive(Debug)]
pub struct OffscreenError(String);

impl std::fmt::Display for OffscreenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OffscreenError {}

fn failed(e: JsValue) -> DrawingErrorKind<OffscreenError> {
    DrawingErrorKind::DrawingError(OffscreenError(format!("{e:?}")))
}

/// Draws on an `OffscreenCanvas`.
pub struct OffscreenBackend {
    size: (u32, u32),
    context: OffscreenCanvasRenderingContext2d,
}

impl OffscreenBackend {
    /// The backend of `canvas`, or `None` when it has no 2D context (e.g. it is used for WebGL).
    pub fn new(canvas: &OffscreenCanvas) -> Option<OffscreenBackend> {
        use wasm_bindgen::JsCast;
        let context = canvas.get_context("2d").ok()??.dyn_into::<OffscreenCanvasRenderingContext2d>().ok()?;
        Some(OffscreenBackend { size: (canvas.width(), canvas.height()), context })
    }

    fn stroke_style(&self, style: &impl BackendStyle) {
        self.context.set_stroke_style_str(&css(style.color()));
        self.context.set_line_width(f64::from(style.stroke_width()));
    }

    fn trace(&self, points: impl IntoIterator<Item = BackendCoord>) {
        self.context.begin_path();
        for (i, (x, y)) in points.into_iter().enumerate() {
            let (x, y) = (f64::from(x), f64::from(y));
            if i == 0 { self.context.move_to(x, y) } else { self.context.line_to(x, y) }
        }
    }
}

/// A color as CSS.
fn css(color: BackendColor) -> String {
    let (r, g, b) = color.rgb;
    format!("rgba({r},{g},{b},{})", color.alpha)
}

/// Half-pixel offsets keep horizontal and vertical one-pixel lines sharp.
fn sharp(from: BackendCoord, to: BackendCoord) -> ((f64, f64), (f64, f64)) {
    let (mut a, mut b) = ((f64::from(from.0), f64::from(from.1)), (f64::from(to.0), f64::from(to.1)));
    if a.0 == b.0 {
        a.0 -= 0.5;
        b.0 -= 0.5;
    }
    if a.1 == b.1 {
        a.1 -= 0.5;
        b.1 -= 0.5;
    }
    (a, b)
}

impl DrawingBackend for OffscreenBackend {
    type ErrorType = OffscreenError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<OffscreenError>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<OffscreenError>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if color.alpha > 0.0 {
            self.context.set_fill_style_str(&css(color));
            self.context.fill_rect(f64::from(point.0), f64::from(point.1), 1.0, 1.0);
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha > 0.0 {
            let (a, b) = sharp(from, to);
            self.stroke_style(style);
            self.context.begin_path();
            self.context.move_to(a.0, a.1);
            self.context.line_to(b.0, b.1);
            self.context.stroke();
        }
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha > 0.0 {
            let (x, y) = (f64::from(upper_left.0), f64::from(upper_left.1));
            let (w, h) = (f64::from(bottom_right.0 - upper_left.0), f64::from(bottom_right.1 - upper_left.1));
            if fill {
                self.context.set_fill_style_str(&css(style.color()));
                self.context.fill_rect(x, y, w, h);
            } else {
                self.stroke_style(style);
                self.context.stroke_rect(x, y, w, h);
            }
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha > 0.0 {
            self.stroke_style(style);
            self.trace(path);
            self.context.stroke();
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha > 0.0 {
            self.context.set_fill_style_str(&css(style.color()));
            self.trace(vert);
            self.context.close_path();
            self.context.fill();
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha > 0.0 {
            self.context.begin_path();
            let (x, y) = (f64::from(center.0), f64::from(center.1));
            self.context.arc(x, y, f64::from(radius), 0.0, std::f64::consts::TAU).map_err(failed)?;
            if fill {
                self.context.set_fill_style_str(&css(style.color()));
                self.context.fill();
            } else {
                self.stroke_style(style);
                self.context.stroke();
            }
        }
        Ok(())
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let quarter_turns = match style.transform() {
            FontTransform::None => 0.0,
            FontTransform::Rotate90 => 1.0,
            FontTransform::Rotate180 => 2.0,
            FontTransform::Rotate270 => 3.0,
        };
        self.context.save();
        self.context.translate(f64::from(pos.0), f64::from(pos.1)).map_err(failed)?;
        if quarter_turns != 0.0 {
            self.context.rotate(quarter_turns * std::f64::consts::FRAC_PI_2).map_err(failed)?;
        }
        self.context.set_text_baseline(match style.anchor().v_pos {
            VPos::Top => "top",
            VPos::Center => "middle",
            VPos::Bottom => "bottom",
        });
        self.context.set_text_align(match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Right => "end",
            HPos::Center => "center",
        });
        self.context.set_fill_style_str(&css(color));
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        ));
        let drawn = self.context.fill_text(text, 0.0, 0.0).map_err(failed);
        self.context.restore();
        drawn
    }
}
