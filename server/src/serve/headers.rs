//! Response headers every answer carries (the Content-Security-Policy, `nosniff`, no
//! referrer), the framing policy per route (only the embed route may be framed elsewhere), and
//! the request-size limits checked before any handler runs.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The Content-Security-Policy of every page: no inline script, wasm allowed, nothing fetched
/// from elsewhere, framed only by the same origin.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'; \
                       style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
                       worker-src 'self' blob:; frame-ancestors 'self'; base-uri 'self'; form-action 'self'; \
                       object-src 'none'";

/// The route a resource guide may put in an iframe: its policy lets any page frame it.
pub const EMBED_ROUTE: &str = "/embed.html";

/// Whether `path` is a file another origin's page loads to show an embed: `embed.js` and the
/// chart-only wasm build. Module scripts and wasm are fetched in CORS mode, so these (static,
/// public) files may be read by any origin.
pub fn is_embed_asset(path: &str) -> bool {
    path == "/embed.js" || path.starts_with("/embed-pkg/")
}

/// The longest request target accepted (path and query), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most header bytes accepted (names and values).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The CSP of `path`: [`CSP`], with `frame-ancestors *` on the embed route.
pub fn csp_for(path: &str) -> String {
    if path == EMBED_ROUTE {
        CSP.replace("frame-ancestors 'self'", "frame-ancestors *")
    } else {
        CSP.to_owned()
    }
}

/// Middleware: refuses oversized request targets and headers, then sets the security headers
/// on whatever the handlers answered.
pub async fn security(request: Request, next: Next) -> Response {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        let e = ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target is longer than {MAX_URI_BYTES} bytes; ask for fewer columns"),
        );
        return with_headers(e.into_response(), "");
    }
    let header_bytes: usize = request.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
    if header_bytes > MAX_HEADER_BYTES {
        let e = ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request headers exceed {MAX_HEADER_BYTES} bytes"),
        );
        return with_headers(e.into_response(), "");
    }
    let path = request.uri().path().to_owned();
    with_headers(next.run(request).await, &path)
}

fn with_headers(mut response: Response, path: &str) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp_for(path)).expect("ASCII"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if path != EMBED_ROUTE {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    }
    if is_embed_asset(path) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_embed_route_may_be_framed_elsewhere() {
        assert!(csp_for("/").contains("frame-ancestors 'self';"));
        assert!(csp_for("/notebook.html").contains("frame-ancestors 'self';"));
        assert!(csp_for("/embed.html").contains("frame-ancestors *;"));
        assert!(!csp_for("/embed.html").contains("frame-ancestors 'self'"));
        assert_eq!(csp_for("/embed.html").replace("frame-ancestors *", "frame-ancestors 'self'"), CSP);
        assert!(!CSP.contains("script-src 'self' 'unsafe-inline'"), "no inline script");
    }

    #[test]
    fn only_the_embed_script_and_its_wasm_are_readable_by_other_origins() {
        assert!(is_embed_asset("/embed.js"));
        assert!(is_embed_asset("/embed-pkg/cohortlens_embed_bg.wasm"));
        assert!(!is_embed_asset("/pkg/cohortlens_bg.wasm"));
        assert!(!is_embed_asset("/api/v1/tables/person"));
        assert!(!is_embed_asset("/embed.html"));
    }
}
