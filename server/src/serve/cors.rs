//! Cross-origin access to the row API and the catalog, for pages hosted on another origin (a
//! notebook or tutorial elsewhere): only the origins given with `serve --allow-origin` may read
//! them from a browser. The public API is open to every origin on its own ([`super::PUBLIC_API`]).

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The response header that carries a table's row count (read by the client for progress).
pub const ROW_COUNT: &str = "x-row-count";

/// An `--allow-origin` value as a header value: `scheme://host[:port]`, nothing after it.
pub fn parse_origin(text: &str) -> Result<HeaderValue, String> {
    let bad = |why: &str| {
        format!(
            "--allow-origin {text:?} is not an origin ({why}); write it as scheme://host[:port], e.g. http://127.0.0.1:3000"
        )
    };
    let (scheme, rest) = text.split_once("://").ok_or_else(|| bad("no scheme://"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) || text.ends_with(':') {
        return Err(bad("an origin has a host and an optional port only, no path or trailing slash"));
    }
    HeaderValue::from_str(text).map_err(|_| bad("it holds characters a header cannot"))
}

/// The CORS layer of the catalog and the row API for `origins`, `None` when there are none
/// (then browsers refuse every other origin's request, as without CORS).
pub fn layer(origins: &[HeaderValue]) -> Option<CorsLayer> {
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::HEAD, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([HeaderName::from_static(ROW_COUNT)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(parse_origin("http://127.0.0.1:3000").unwrap(), "http://127.0.0.1:3000");
        assert!(parse_origin("https://notebooks.example.org").is_ok());
        for bad in ["127.0.0.1:3000", "http://x/", "http://x/path", "ftp://x", "http://", "*", "http://x:"] {
            let err = parse_origin(bad).unwrap_err();
            assert!(err.contains("scheme://host[:port]"), "{bad}: {err}");
        }
        assert!(layer(&[]).is_none());
    }
}
