//! The local HTTP front: API Gateway HTTP API (payload format 2.0) in front of the functions' handlers.
//! Routes come from `template.yaml`; route selection prefers the most specific path (literal segments over
//! `{param}` over `{proxy+}`), unmatched routes answer 404 `{"message":"Not Found"}`, guarded routes need a
//! token the [`LocalAuthorizer`] accepts, and each request reaches its handler as the same JSON event API
//! Gateway would send, decoded by `lambda_http` itself.

use crate::authorizer::LocalAuthorizer;
use crate::template::Route;
use axum::body::Bytes;
use axum::response::IntoResponse;
use base64::Engine;
use lambda_http::Body;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A function handler as the front calls it.
pub type Handler =
    Arc<dyn Fn(lambda_http::Request) -> Pin<Box<dyn Future<Output = http::Response<Body>> + Send>> + Send + Sync>;

/// API Gateway's HTTP API payload limit, in bytes (10 MB).
pub const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

/// The front: routes, the handler of each function (by logical id), the authorizer, and the browser origins
/// allowed to call it (the local console's), answered as an HTTP API's `CorsConfiguration` would.
pub struct Front {
    pub routes: Vec<Route>,
    pub handlers: HashMap<String, Handler>,
    pub authorizer: LocalAuthorizer,
    pub cors_origins: Vec<String>,
    /// The host API Gateway would name as the request's `domainName` (the API's own host): the product builds
    /// the URL Okta calls from it, and the Okta double's calls to that host come back to this front.
    pub domain_name: String,
}

/// The methods and request headers a cross-origin caller may use (the admin API's).
const CORS_METHODS: &str = "GET,POST,PUT,DELETE";
const CORS_HEADERS: &str = "authorization,content-type";

/// Wraps an async handler function taking shared dependencies.
pub fn handler<D, F, Fut>(deps: Arc<D>, f: F) -> Handler
where
    D: Send + Sync + 'static,
    F: Fn(Arc<D>, lambda_http::Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http::Response<Body>> + Send + 'static,
{
    let f = Arc::new(f);
    Arc::new(move |req| {
        let (deps, f) = (deps.clone(), f.clone());
        Box::pin(async move { f(deps, req).await })
    })
}

fn message(status: http::StatusCode, msg: &str) -> axum::response::Response {
    (status, [(http::header::CONTENT_TYPE, "application/json")], json!({ "message": msg }).to_string()).into_response()
}

/// Matches `path` against a route pattern; the path parameters and a specificity score on success.
fn match_path(pattern: &str, path: &str) -> Option<(HashMap<String, String>, usize)> {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut params = HashMap::new();
    let mut score = 0;
    for (i, p) in pat.iter().enumerate() {
        if let Some(name) = p.strip_prefix('{').and_then(|r| r.strip_suffix("+}")) {
            if i >= segs.len() {
                return None;
            }
            params.insert(name.to_string(), segs[i..].join("/"));
            return Some((params, score));
        }
        let seg = segs.get(i)?;
        if let Some(name) = p.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            params.insert(name.to_string(), seg.to_string());
            score += 1;
        } else if p == seg {
            score += 2;
        } else {
            return None;
        }
    }
    (pat.len() == segs.len()).then_some((params, score))
}

impl Front {
    /// The axum router that serves every request through [`Front::dispatch`].
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().route("/_local/health", axum::routing::get(|| async { "ok" })).fallback(
            move |req: axum::extract::Request| {
                let front = self.clone();
                async move { front.with_cors(req).await }
            },
        )
    }

    /// CORS as API Gateway answers it for an allowed origin: a preflight (`OPTIONS` with
    /// `Access-Control-Request-Method`) gets 204 with the allowed methods and headers and reaches no route or
    /// authorizer; any other request is dispatched and its answer names the origin. Other origins get no CORS
    /// header (the browser then refuses the answer).
    async fn with_cors(&self, req: axum::extract::Request) -> axum::response::Response {
        let origin = req.headers().get(http::header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_string);
        let allowed = origin.filter(|o| self.cors_origins.iter().any(|a| a == o));
        let preflight =
            req.method() == http::Method::OPTIONS && req.headers().contains_key("access-control-request-method");
        let mut resp = match (&allowed, preflight) {
            (Some(_), true) => {
                let mut r = http::StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert("access-control-allow-methods", http::HeaderValue::from_static(CORS_METHODS));
                h.insert("access-control-allow-headers", http::HeaderValue::from_static(CORS_HEADERS));
                h.insert("access-control-max-age", http::HeaderValue::from_static("600"));
                r
            }
            _ => self.dispatch(req).await,
        };
        if let Some(o) = allowed.and_then(|o| http::HeaderValue::from_str(&o).ok()) {
            resp.headers_mut().insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            resp.headers_mut().append(http::header::VARY, http::HeaderValue::from_static("origin"));
        }
        resp
    }

    fn select(&self, method: &str, path: &str) -> Option<(&Route, HashMap<String, String>)> {
        self.routes
            .iter()
            .filter(|r| r.method == method || r.method == "ANY")
            .filter_map(|r| match_path(&r.path, path).map(|(p, score)| (r, p, score + usize::from(r.method != "ANY"))))
            .max_by_key(|(_, _, score)| *score)
            .map(|(r, p, _)| (r, p))
    }

    /// Serves one request.
    pub async fn dispatch(&self, req: axum::extract::Request) -> axum::response::Response {
        let (parts, body) = req.into_parts();
        let body: Bytes = match axum::body::to_bytes(body, MAX_PAYLOAD).await {
            Ok(b) => b,
            Err(_) => return message(http::StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
        };
        let method = parts.method.as_str().to_string();
        let path = parts.uri.path().to_string();
        let Some((route, path_params)) = self.select(&method, &path) else {
            return message(http::StatusCode::NOT_FOUND, "Not Found");
        };
        let mut authorizer = Value::Null;
        if route.authorized {
            let header = parts.headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
            match self.authorizer.authorize(header) {
                Some(claims) => authorizer = json!({ "jwt": { "claims": claims, "scopes": null } }),
                None => return message(http::StatusCode::UNAUTHORIZED, "Unauthorized"),
            }
        }
        let Some(handler) = self.handlers.get(&route.function) else {
            return message(http::StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        };
        let mut event = event_json(&parts, &route.method, &route.path, &path, path_params, authorizer, &body);
        event["requestContext"]["domainName"] = json!(self.domain_name);
        event["requestContext"]["domainPrefix"] = json!(self.domain_name.split('.').next().unwrap_or_default());
        let lambda_req = match lambda_http::request::from_str(&event.to_string()) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "could not build the Lambda event");
                return message(http::StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        };
        let resp = handler(lambda_req).await;
        let (rparts, rbody) = resp.into_parts();
        let bytes: Vec<u8> = match rbody {
            Body::Empty => Vec::new(),
            Body::Text(t) => t.into_bytes(),
            Body::Binary(b) => b,
            _ => Vec::new(),
        };
        http::Response::from_parts(rparts, axum::body::Body::from(bytes)).into_response()
    }
}

/// The API Gateway HTTP API payload format 2.0 event for one request.
fn event_json(
    parts: &http::request::Parts,
    route_method: &str,
    route_path: &str,
    path: &str,
    path_params: HashMap<String, String>,
    authorizer: Value,
    body: &[u8],
) -> Value {
    let mut headers = Map::new();
    for (k, v) in &parts.headers {
        let v = String::from_utf8_lossy(v.as_bytes()).to_string();
        let entry = headers.entry(k.as_str().to_ascii_lowercase()).or_insert(Value::String(String::new()));
        if let Value::String(s) = entry {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(&v);
        }
    }
    headers.entry("host").or_insert(json!("localhost"));
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let mut qs: Map<String, Value> = Map::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        let entry = qs.entry(k.to_string()).or_insert(Value::String(String::new()));
        if let Value::String(s) = entry {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(&v);
        }
    }
    let (body_value, b64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(t) => (json!(t), false),
        Err(_) => (json!(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let route_key = format!("{route_method} {route_path}");
    let now = time::OffsetDateTime::now_utc();
    let mut ctx = json!({
        "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
        "http": { "method": parts.method.as_str(), "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                  "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("") },
        "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": route_key, "stage": "$default",
        "time": now.unix_timestamp().to_string(), "timeEpoch": now.unix_timestamp() * 1000,
    });
    if !authorizer.is_null() {
        ctx["authorizer"] = authorizer;
    }
    json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": raw_query,
        "headers": headers, "queryStringParameters": if qs.is_empty() { Value::Null } else { Value::Object(qs) },
        "pathParameters": if path_params.is_empty() { Value::Null } else { json!(path_params) },
        "requestContext": ctx, "body": body_value, "isBase64Encoded": b64,
    })
}

#[cfg(test)]
mod tests {
    use super::match_path;

    #[test]
    fn route_matching() {
        assert_eq!(match_path("/okta-orgs", "/okta-orgs").map(|m| m.1), Some(2));
        let (p, _) = match_path("/okta-orgs/{orgId}/groups", "/okta-orgs/o1/groups").unwrap();
        assert_eq!(p["orgId"], "o1");
        assert!(match_path("/okta-orgs/{orgId}", "/okta-orgs/o1/groups").is_none());
        assert!(match_path("/okta-orgs/{orgId}", "/okta-orgs").is_none());
        let (p, _) = match_path("/hooks/{proxy+}", "/hooks/a/b").unwrap();
        assert_eq!(p["proxy"], "a/b");
    }
}
