//! A Hexnode-like limiter in front of the Hexnode double: `per_minute` calls in each minute of a clock (a
//! [`ScaledClock`](odt_shared::clock::ScaledClock) for long runs at a speed-up), and past it Hexnode's own 429
//! `Request was throttled. Expected available in N seconds.` (../shared/hexnode/API-NOTES.md, "Rate limits").
//! Everything else is forwarded to the double as is.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use odt_shared::clock::Clock;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The limiter's settings and counters.
pub struct HexnodeLimiter {
    target: SocketAddr,
    http: reqwest::Client,
    per_minute: usize,
    clock: Arc<dyn Clock>,
    /// `(minute since the epoch, calls in it)`.
    minute: Mutex<(i64, usize)>,
    /// Calls let through.
    pub passed: AtomicUsize,
    /// Calls answered 429.
    pub throttled: AtomicUsize,
    /// The most calls let through in one minute of the clock.
    pub busiest_minute: AtomicUsize,
}

impl HexnodeLimiter {
    /// A limiter of `per_minute` calls a minute of `clock` in front of the double at `target`.
    pub fn new(target: SocketAddr, per_minute: usize, clock: Arc<dyn Clock>) -> Arc<HexnodeLimiter> {
        Arc::new(HexnodeLimiter {
            target,
            http: reqwest::Client::new(),
            per_minute,
            clock,
            minute: Mutex::new((0, 0)),
            passed: AtomicUsize::new(0),
            throttled: AtomicUsize::new(0),
            busiest_minute: AtomicUsize::new(0),
        })
    }

    /// The axum router (every path).
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new().fallback(forward).with_state(self.clone())
    }

    /// `Ok(())` when the call may pass, `Err(seconds)` to the next minute when this one is used up.
    fn admit(&self) -> Result<(), f64> {
        let now = self.clock.now();
        let secs = now.unix_timestamp_nanos() as f64 / 1e9;
        let minute = now.unix_timestamp().div_euclid(60);
        let mut m = self.minute.lock().expect("minute lock");
        if m.0 != minute {
            *m = (minute, 0);
        }
        if m.1 >= self.per_minute {
            return Err(((minute + 1) * 60) as f64 - secs);
        }
        m.1 += 1;
        self.busiest_minute.fetch_max(m.1, Ordering::Relaxed);
        Ok(())
    }
}

async fn forward(
    State(l): State<Arc<HexnodeLimiter>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(wait) = l.admit() {
        l.throttled.fetch_add(1, Ordering::Relaxed);
        let text = format!("Request was throttled. Expected available in {wait:.1} seconds.");
        return (StatusCode::TOO_MANY_REQUESTS, text).into_response();
    }
    l.passed.fetch_add(1, Ordering::Relaxed);
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut req = l.http.request(method, format!("http://{}{path}", l.target)).body(body);
    for (name, value) in headers.iter().filter(|(n, _)| *n != "host" && *n != "content-length") {
        req = req.header(name, value);
    }
    match req.send().await {
        Ok(resp) => {
            let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = resp.headers().get(reqwest::header::CONTENT_TYPE).cloned();
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut out = (status, bytes).into_response();
            if let Some(ct) = content_type.and_then(|v| axum::http::HeaderValue::from_bytes(v.as_bytes()).ok()) {
                out.headers_mut().insert(axum::http::header::CONTENT_TYPE, ct);
            }
            out
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
