//! Hexnode's paging as Django REST framework serves it: `page` and `per_page` (capped at the double's largest
//! page), `{"count", "next", "previous", "results"}` with absolute links on the portal host, 404 `Invalid page.`
//! past the end.

use super::edge::detail;
use super::HexnodeState;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// The query's parameters, in order.
fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// `https://<portal><path>?<query>` with `page` and `per_page` set (other params kept, in order); `page` is left
/// out for page 1 of a `previous` link, as Django REST framework does.
fn page_link(
    s: &HexnodeState,
    path: &str,
    q: &[(String, String)],
    page: usize,
    per_page: usize,
    drop_page: bool,
) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    let (mut wrote_page, mut wrote_per_page) = (drop_page, false);
    for (k, v) in q {
        match k.as_str() {
            "page" if !wrote_page => {
                ser.append_pair("page", &page.to_string());
                wrote_page = true;
            }
            "per_page" if !wrote_per_page => {
                ser.append_pair("per_page", &per_page.to_string());
                wrote_per_page = true;
            }
            "page" | "per_page" => {}
            _ => {
                ser.append_pair(k, v);
            }
        }
    }
    if !wrote_page {
        ser.append_pair("page", &page.to_string());
    }
    if !wrote_per_page {
        ser.append_pair("per_page", &per_page.to_string());
    }
    format!("https://{}{path}?{}", s.portal_host, ser.finish())
}

/// One page of `items` as `{"count", "next", "previous", "results"}`; 404 `Invalid page.` past the end.
pub(super) fn paged(s: &HexnodeState, uri: &Uri, items: Vec<Value>) -> Response {
    let count = items.len();
    paged_with(s, uri, count, |skip, take| items.into_iter().skip(skip).take(take).collect())
}

/// [`paged`] over `count` items of which only the page served is built (`page_of(skip, take)`), so paging through
/// a large inventory costs one page's JSON per request, not the whole list's.
pub(super) fn paged_with(
    s: &HexnodeState,
    uri: &Uri,
    count: usize,
    page_of: impl FnOnce(usize, usize) -> Vec<Value>,
) -> Response {
    let q = query_pairs(uri);
    let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let max = s.max_per_page.max(1);
    let per_page = param("per_page").and_then(|v| v.parse::<usize>().ok()).unwrap_or(max).clamp(1, max);
    let last = count.div_ceil(per_page).max(1);
    let page = match param("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(p)) if (1..=last).contains(&p) => p,
        Some(_) => return detail(StatusCode::NOT_FOUND, "Invalid page."),
    };
    let path = uri.path();
    let next = (page < last).then(|| page_link(s, path, &q, page + 1, per_page, false));
    let previous = (page > 1).then(|| page_link(s, path, &q, page - 1, per_page, page == 2));
    let results = page_of((page - 1) * per_page, per_page);
    Json(json!({ "count": count, "next": next, "previous": previous, "results": results })).into_response()
}
