//! The fault plan: a middleware that answers, delays or spoils the next `/api/v1/` requests as
//! [`OktaState::fault_plan`](super::OktaState::fault_plan) says.

use super::edge::{okta_error, rate_limited, Shared};
use super::{OktaFault, Recorded};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// Applies [`OktaState::fault_plan`](super::OktaState::fault_plan) to `/api/v1/` requests (the token endpoint is never faulted).
pub(super) async fn fault_plan(
    State(state): State<Shared>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let pq = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    if !pq.starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let fault = {
        let mut s = state.lock().expect("double state lock");
        let f = s.fault_plan.pop_front().unwrap_or(OktaFault::Pass);
        if f != OktaFault::Pass {
            s.faults_injected.push((pq.clone(), f));
        }
        if matches!(f, OktaFault::Status(_) | OktaFault::RateLimited(_)) {
            // Served requests are recorded by their handler; these never reach one.
            s.requests.push(Recorded::now(req.method().as_str(), pq.clone()));
        }
        f
    };
    match fault {
        OktaFault::Pass => next.run(req).await,
        OktaFault::Status(code) => {
            let st = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            okta_error(st, "E0000009", "Internal Server Error")
        }
        OktaFault::RateLimited(reset) => rate_limited(reset),
        OktaFault::Stall(d) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        OktaFault::ShortPage(n) => {
            let uri = req.uri().clone();
            let domain = state.lock().expect("double state lock").domain.clone();
            short_page(next.run(req).await, &domain, &uri, n).await
        }
        OktaFault::CutBody => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> =
                vec![Ok(half), Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "cut"))];
            Response::from_parts(parts, axum::body::Body::from_stream(futures::stream::iter(chunks)))
        }
    }
}

/// Keeps the first `n` items of a JSON array answer and points `next` after the last one kept.
async fn short_page(r: Response, domain: &str, uri: &axum::http::Uri, n: usize) -> Response {
    let (mut parts, body) = r.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if items.len() <= n.max(1) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let kept: Vec<Value> = items.into_iter().take(n.max(1)).collect();
    let after = kept.last().and_then(|v| v["id"].as_str()).unwrap_or_default().to_string();
    let mut params: Vec<(String, String)> = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "after")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.insert(0, ("after".into(), after));
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        ser.append_pair(k, v);
    }
    let next = format!("<https://{domain}{}?{}>; rel=\"next\"", uri.path(), ser.finish());
    let others: Vec<HeaderValue> = parts
        .headers
        .get_all("link")
        .iter()
        .filter(|v| !v.to_str().unwrap_or("").contains("rel=\"next\""))
        .cloned()
        .collect();
    parts.headers.remove("link");
    for v in others {
        parts.headers.append("link", v);
    }
    parts.headers.append("link", HeaderValue::from_str(&next).expect("link header is ASCII"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&Value::Array(kept)).unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(body))
}
