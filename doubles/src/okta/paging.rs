//! Okta's cursor paging: `limit` (capped at the double's largest page) and `after`, with `Link` headers (`self`,
//! and `next` while there is more) that keep the other query parameters.

use super::edge::with_rate_headers;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::collections::HashMap;

/// One page of `items` after cursor `after` with `Link` headers for `path`, keeping the other query params.
/// Items may be borrowed (`Vec<&Value>`): only the page served is cloned.
pub(super) fn page<T: std::borrow::Borrow<Value>>(
    domain: &str,
    path: &str,
    items: Vec<T>,
    q: &HashMap<String, String>,
    max: usize,
) -> Response {
    let start = match q.get("after") {
        Some(a) => items.iter().position(|i| i.borrow()["id"] == a.as_str()).map(|p| p + 1).unwrap_or(items.len()),
        None => 0,
    };
    page_of_rest(domain, path, items[start..].iter().map(|v| v.borrow()), q, max)
}

/// [`page`] given `rest`, the items after the cursor (every item without one; none for a cursor that names no
/// item). Only the page served and the one item after it are taken from `rest`, so a list whose cursor is found
/// without a scan (the users, by id) costs one page per request, not a pass over every item before the cursor.
pub(super) fn page_of_rest<'a>(
    domain: &str,
    path: &str,
    mut rest: impl Iterator<Item = &'a Value>,
    q: &HashMap<String, String>,
    max: usize,
) -> Response {
    let limit = q.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(max).clamp(1, max);
    let slice: Vec<Value> = rest.by_ref().take(limit).cloned().collect();
    let more = rest.next().is_some();
    let mut params: Vec<(String, String)> =
        q.iter().filter(|(k, _)| *k != "after").map(|(k, v)| (k.clone(), v.clone())).collect();
    params.sort();
    let enc = |ps: &[(String, String)]| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in ps {
            s.append_pair(k, v);
        }
        s.finish()
    };
    let mut links = vec![format!("<https://{domain}{path}?{}>; rel=\"self\"", enc(&params))];
    if more {
        let mut next = params.clone();
        next.insert(
            0,
            ("after".into(), slice.last().map(|v| v["id"].as_str().unwrap_or("").to_string()).unwrap_or_default()),
        );
        links.push(format!("<https://{domain}{path}?{}>; rel=\"next\"", enc(&next)));
    }
    let mut r = Json(Value::Array(slice)).into_response();
    for l in links {
        r.headers_mut().append("link", HeaderValue::from_str(&l).expect("link header is ASCII"));
    }
    with_rate_headers(r)
}

/// `path` with `q` as its query, parameters sorted (how a request is recorded).
pub(super) fn path_and_query(path: &str, q: &HashMap<String, String>) -> String {
    let mut ps: Vec<_> = q.iter().collect();
    ps.sort();
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in ps {
        s.append_pair(k, v);
    }
    let qs = s.finish();
    if qs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{qs}")
    }
}
