//! An Okta-like rate limiter in front of the Okta double: `limit` API calls per fixed window of `window_secs`
//! seconds, every answer carrying `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (epoch
//! seconds of the window's end), and 429 `E0000047` once the window is used up. The token endpoint is not
//! limited (Okta counts it in another bucket). Everything else is forwarded to the double as is.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The limiter's settings and counters.
pub struct Limiter {
    target: SocketAddr,
    http: reqwest::Client,
    limit: usize,
    window_secs: i64,
    /// `(window start, calls in it)`, epoch seconds.
    window: Mutex<Option<(i64, usize)>>,
    /// API calls let through.
    pub passed: AtomicUsize,
    /// API calls answered 429.
    pub throttled: AtomicUsize,
}

impl Limiter {
    /// A limiter of `limit` calls per `window_secs` in front of the double at `target`.
    pub fn new(target: SocketAddr, limit: usize, window_secs: i64) -> Arc<Limiter> {
        Arc::new(Limiter {
            target,
            http: reqwest::Client::new(),
            limit,
            window_secs,
            window: Mutex::new(None),
            passed: AtomicUsize::new(0),
            throttled: AtomicUsize::new(0),
        })
    }

    /// The axum router (every path).
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(forward).with_state(self.clone())
    }

    /// `Ok(remaining, reset)` when the call may pass, `Err(reset)` when the window is used up.
    fn admit(&self) -> Result<(usize, i64), i64> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut w = self.window.lock().expect("window lock");
        let (start, used) = match *w {
            Some((start, used)) if now < start + self.window_secs => (start, used),
            _ => (now, 0),
        };
        let reset = start + self.window_secs;
        if used >= self.limit {
            *w = Some((start, used));
            return Err(reset);
        }
        *w = Some((start, used + 1));
        Ok((self.limit - used - 1, reset))
    }
}

fn rate_headers(h: &mut HeaderMap, limit: usize, remaining: usize, reset: i64) {
    h.insert("x-rate-limit-limit", HeaderValue::from(limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    h.insert("x-rate-limit-reset", HeaderValue::from(reset));
}

async fn forward(State(l): State<Arc<Limiter>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let limited = uri.path().starts_with("/api/");
    let gate = if limited { Some(l.admit()) } else { None };
    let (remaining, reset) = match gate {
        Some(Err(reset)) => {
            l.throttled.fetch_add(1, Ordering::Relaxed);
            let body = serde_json::json!({"errorCode": "E0000047",
                "errorSummary": "API call exceeded rate limit due to too many requests.",
                "errorLink": "E0000047", "errorId": "oaebench", "errorCauses": []});
            let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            rate_headers(r.headers_mut(), l.limit, 0, reset);
            return r;
        }
        Some(Ok(x)) => {
            l.passed.fetch_add(1, Ordering::Relaxed);
            Some(x)
        }
        None => None,
    }
    .unzip();
    let url = format!("http://{}{}", l.target, uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut req = l.http.request(method, url).body(body);
    for (k, v) in headers.iter().filter(|(k, _)| *k != "host" && *k != "content-length") {
        req = req.header(k, v);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = resp.status();
    let mut out_headers = HeaderMap::new();
    for (k, v) in resp.headers().iter().filter(|(k, _)| *k != "content-length" && *k != "transfer-encoding") {
        out_headers.append(k, v.clone());
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    let mut r = (status, bytes).into_response();
    r.headers_mut().extend(out_headers);
    if let (Some(remaining), Some(reset)) = (remaining, reset) {
        rate_headers(r.headers_mut(), l.limit, remaining, reset);
    }
    r
}
