//! The Okta double: the org authorization server's token endpoint (client_secret_basic and private_key_jwt)
//! and the Management API reads the product uses (`/api/v1/groups`, `/api/v1/groups/{id}/users`,
//! `/api/v1/users/{id}`, `/api/v1/devices` with `expand=user`), with `Link` paging, `X-Rate-Limit-*` headers and
//! Okta's error shapes, following `../shared/okta/spec/management.yaml` and `oauth.yaml`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A registered API service app.
#[derive(Debug, Clone)]
pub struct DoubleClient {
    pub client_id: String,
    /// For client_secret_basic.
    pub secret: Option<String>,
    /// For private_key_jwt: `(kid, public key PEM)`; RS256 and ES256 are accepted.
    pub public_keys: Vec<(String, String)>,
    /// Scopes the app is granted.
    pub granted: Vec<String>,
}

/// One request the double received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query as sent.
    pub path_and_query: String,
    /// Seconds since the epoch when it arrived.
    pub at: i64,
}

/// A device user link as the double keeps it; served as a `DeviceUser` (`created`, `managementStatus`,
/// `screenLockType`, `user`) in `_embedded.users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleDeviceUser {
    /// The linked user's id; the user's JSON comes from [`OktaState::users`] (a bare `{id, status: ACTIVE,
    /// profile: {login: null, email: null}}` when the double has no such user).
    pub user_id: String,
    /// `managementStatus`: `MANAGED` or `NOT_MANAGED` (any text is served as given); left out when `None`.
    pub management_status: Option<String>,
    /// `screenLockType`: `NONE`, `PASSCODE` or `BIOMETRIC`; left out when `None`.
    pub screen_lock_type: Option<String>,
    /// `created`, RFC 3339.
    pub created: String,
}

/// A device: Okta's `Device` JSON (without `_embedded`) and its user links.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleDevice {
    /// The `Device` as `GET /api/v1/devices` serves it (`id`, `status`, `profile`, `resource*`, `_links`).
    pub device: Value,
    /// The device user links, in link order.
    pub users: Vec<DoubleDeviceUser>,
}

/// The double's data, knobs and record.
#[derive(Debug, Default)]
pub struct OktaState {
    /// The org host the double plays, e.g. `acme.okta.com` (used in `Link` URLs and `aud` checks).
    pub domain: String,
    pub clients: Vec<DoubleClient>,
    /// Groups in creation order (id → Okta group JSON).
    pub groups: Vec<Value>,
    /// Group id → member user ids, in order.
    pub members: HashMap<String, Vec<String>>,
    /// User id → Okta user JSON.
    pub users: BTreeMap<String, Value>,
    /// Devices in creation order (`GET /api/v1/devices` serves them in this order).
    pub devices: Vec<DoubleDevice>,
    /// Issued access tokens → granted scopes.
    pub tokens: HashMap<String, Vec<String>>,
    /// The largest page served (Okta recommends 200).
    pub max_page: usize,
    /// Knob: the next API requests each answer 429 E0000047 with this `X-Rate-Limit-Reset` (epoch seconds).
    pub rate_limited: VecDeque<i64>,
    /// Knob: the next API requests each answer this status (e.g. 500, 503).
    pub failures: VecDeque<u16>,
    /// Knob: a delay before every answer.
    pub latency: Duration,
    /// Every request, in arrival order.
    pub requests: Vec<Recorded>,
    /// Knob: a fault plan for `/api/v1/` requests, one entry taken per request (see [`OktaFault`]); an empty
    /// plan lets every request through.
    pub fault_plan: VecDeque<OktaFault>,
    /// Every fault the plan injected (not [`OktaFault::Pass`]), with the path and query it hit, in order.
    pub faults_injected: Vec<(String, OktaFault)>,
}

/// One entry of [`OktaState::fault_plan`]: what happens to the next `/api/v1/` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaFault {
    /// Answered normally.
    Pass,
    /// Answered with this status (5xx: Okta's `E0000009` body) without being served.
    Status(u16),
    /// Answered 429 `E0000047` with `X-Rate-Limit-Remaining: 0` and this `X-Rate-Limit-Reset` (epoch seconds).
    RateLimited(i64),
    /// Served after this delay (beyond the client's request timeout: a timeout).
    Stall(Duration),
    /// A list page cut short: only its first `n` items, with a `next` link after the last one served (Okta may
    /// answer fewer than `limit`; the client must follow `next`, never count).
    ShortPage(usize),
    /// The answer's body stops half-way and the connection closes (a page that dies mid-way).
    CutBody,
}

/// A handle to a running double.
#[derive(Debug, Clone)]
pub struct OktaDouble {
    pub state: Arc<Mutex<OktaState>>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    let body = json!({
        "errorCode": code, "errorSummary": summary, "errorLink": code,
        "errorId": format!("oae{}", uuid::Uuid::new_v4().simple()), "errorCauses": [],
    });
    (status, Json(body)).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

impl OktaDouble {
    /// A double for `domain` with no data.
    pub fn new(domain: &str) -> Self {
        let state = OktaState { domain: domain.to_string(), max_page: 200, ..Default::default() };
        OktaDouble { state: Arc::new(Mutex::new(state)) }
    }

    /// The axum router.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/oauth2/v1/token", post(token))
            .route("/api/v1/groups", get(list_groups))
            .route("/api/v1/groups/{id}/users", get(list_members))
            .route("/api/v1/users", get(list_users))
            .route("/api/v1/users/{id}", get(get_user))
            .route("/api/v1/devices", get(list_devices))
            .layer(axum::middleware::from_fn_with_state(self.state.clone(), fault_plan))
            .with_state(self.state.clone())
    }

    /// Locks the state (for seeding and knobs).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, OktaState> {
        self.state.lock().expect("double state lock")
    }

    /// Registers an app with a client secret and the given scopes.
    pub fn add_secret_client(&self, client_id: &str, secret: &str, granted: &[&str]) {
        self.lock().clients.push(DoubleClient {
            client_id: client_id.into(),
            secret: Some(secret.into()),
            public_keys: vec![],
            granted: granted.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// Registers an app with public keys `(kid, PEM)` and the given scopes.
    pub fn add_key_client(&self, client_id: &str, keys: &[(&str, &str)], granted: &[&str]) {
        self.lock().clients.push(DoubleClient {
            client_id: client_id.into(),
            secret: None,
            public_keys: keys.iter().map(|(k, p)| (k.to_string(), p.to_string())).collect(),
            granted: granted.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// Adds a group (Okta group JSON shape) and returns its id.
    pub fn add_group(&self, id: &str, name: &str) -> String {
        let g = json!({
            "id": id, "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
            "lastMembershipUpdated": "2024-01-01T00:00:00.000Z", "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP", "profile": {"name": name, "description": format!("{name} (double)")},
            "_links": {"users": {"href": format!("https://{}/api/v1/groups/{id}/users", self.lock().domain)}},
        });
        let mut s = self.lock();
        s.members.entry(id.to_string()).or_default();
        s.groups.push(g);
        id.to_string()
    }

    /// Renames a group (its id stays).
    pub fn rename_group(&self, id: &str, name: &str) {
        let mut s = self.lock();
        if let Some(g) = s.groups.iter_mut().find(|g| g["id"] == id) {
            g["profile"]["name"] = json!(name);
        }
    }

    /// Adds a user (Okta user JSON shape) with `status` (ACTIVE, SUSPENDED, …).
    pub fn add_user(&self, id: &str, login: &str, email: &str, status: &str) {
        let (first, last) = login.split_once('@').map(|(a, _)| (a, "User")).unwrap_or((login, "User"));
        let u = json!({
            "id": id, "status": status, "created": "2024-01-01T00:00:00.000Z", "activated": null,
            "statusChanged": "2024-01-01T00:00:00.000Z", "lastLogin": null,
            "lastUpdated": "2024-01-01T00:00:00.000Z", "passwordChanged": null, "type": {"id": "oty1"},
            "profile": {"firstName": first, "lastName": last, "email": email, "login": login, "mobilePhone": null},
            "_links": {"self": {"href": format!("https://{}/api/v1/users/{id}", self.lock().domain)}},
        });
        self.lock().users.insert(id.to_string(), u);
    }

    /// Puts user `user_id` into group `group_id`.
    pub fn add_member(&self, group_id: &str, user_id: &str) {
        let mut s = self.lock();
        let m = s.members.entry(group_id.to_string()).or_default();
        if !m.iter().any(|u| u == user_id) {
            m.push(user_id.to_string());
        }
    }

    /// Adds (or replaces) device `id` as Okta's `Device` JSON: status `ACTIVE`, `profile` with `displayName`,
    /// `platform` (`ANDROID`, `IOS`, `MACOS`, `WINDOWS`; served as given), `serialNumber` and `udid` when given,
    /// `registered: true`; and, when `user_id` is given, one device user link to that user with
    /// `managementStatus` = `management_status` (left out when `None`) and `screenLockType: PASSCODE`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_device(
        &self,
        id: &str,
        display_name: &str,
        platform: &str,
        serial: Option<&str>,
        udid: Option<&str>,
        user_id: Option<&str>,
        management_status: Option<&str>,
    ) {
        let domain = self.lock().domain.clone();
        let mut profile = json!({
            "displayName": display_name, "platform": platform, "registered": true, "secureHardwarePresent": false,
        });
        if let Some(serial) = serial {
            profile["serialNumber"] = json!(serial);
        }
        if let Some(udid) = udid {
            profile["udid"] = json!(udid);
        }
        let href = |tail: &str| json!({ "href": format!("https://{domain}/api/v1/devices/{id}{tail}") });
        let device = json!({
            "id": id, "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-01-01T00:00:00.000Z", "profile": profile, "resourceType": "UDDevice",
            // `resourceAlternateId` left out: Okta's examples show it null, but its `Device` schema allows only a
            // string (the contract test holds the double to the schema; the client ignores the field).
            "resourceDisplayName": {"value": display_name, "sensitive": false}, "resourceId": id,
            "_links": {
                "self": href(""), "users": href("/users"), "deactivate": href("/lifecycle/deactivate"),
                "suspend": href("/lifecycle/suspend"),
            },
        });
        let users = user_id
            .map(|u| DoubleDeviceUser {
                user_id: u.to_string(),
                management_status: management_status.map(str::to_string),
                screen_lock_type: Some("PASSCODE".to_string()),
                created: "2024-01-01T00:00:00.000Z".to_string(),
            })
            .into_iter()
            .collect();
        let mut s = self.lock();
        let entry = DoubleDevice { device, users };
        match s.devices.iter_mut().find(|d| d.device["id"] == id) {
            Some(d) => *d = entry,
            None => s.devices.push(entry),
        }
    }

    /// Sets the `managementStatus` of device `device_id`'s link to user `user_id` (`None`: left out), linking
    /// the user first when the device has no link to them. `false` when there is no device `device_id`.
    pub fn set_management_status(&self, device_id: &str, user_id: &str, status: Option<&str>) -> bool {
        let mut s = self.lock();
        let Some(d) = s.devices.iter_mut().find(|d| d.device["id"] == device_id) else { return false };
        match d.users.iter_mut().find(|u| u.user_id == user_id) {
            Some(u) => u.management_status = status.map(str::to_string),
            None => d.users.push(DoubleDeviceUser {
                user_id: user_id.to_string(),
                management_status: status.map(str::to_string),
                screen_lock_type: Some("PASSCODE".to_string()),
                created: "2024-01-01T00:00:00.000Z".to_string(),
            }),
        }
        true
    }

    /// The recorded requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.lock().requests.iter().filter(|r| r.path_and_query.starts_with(prefix)).cloned().collect()
    }
}

type Shared = Arc<Mutex<OktaState>>;

async fn record_and_delay(state: &Shared, method: &str, path_and_query: String) {
    let latency = {
        let mut s = state.lock().expect("double state lock");
        s.requests.push(Recorded { method: method.into(), path_and_query, at: now() });
        s.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

async fn token(State(state): State<Shared>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut pq = "/oauth2/v1/token".to_string();
    if let Some(scope) = form.get("scope") {
        pq.push_str(&format!("?scope={}", url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>()));
    }
    record_and_delay(&state, "POST", pq).await;
    let mut s = state.lock().expect("double state lock");
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    let client = match authenticate(&s, &headers, &form) {
        Ok(c) => c,
        Err(msg) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &msg),
    };
    let requested: Vec<String> =
        form.get("scope").map(|s| s.split_ascii_whitespace().map(str::to_string).collect()).unwrap_or_default();
    if requested.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        );
    }
    let denied: Vec<&String> = requested.iter().filter(|r| !client.granted.contains(r)).collect();
    if !denied.is_empty() {
        let names: Vec<&str> = denied.iter().map(|s| s.as_str()).collect();
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("The following scopes are not allowed: {}", names.join(", ")),
        );
    }
    let access = format!("dbl.{}", uuid::Uuid::new_v4().simple());
    s.tokens.insert(access.clone(), requested.clone());
    Json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": access, "scope": requested.join(" ")}))
        .into_response()
}

fn authenticate(s: &OktaState, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<DoubleClient, String> {
    if let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        let b64 = auth.strip_prefix("Basic ").ok_or("unsupported authorization scheme")?;
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| "malformed basic credentials")?;
        let raw = String::from_utf8(raw).map_err(|_| "malformed basic credentials")?;
        let (id, secret) = raw.split_once(':').ok_or("malformed basic credentials")?;
        let c = s.clients.iter().find(|c| c.client_id == id).ok_or("The client_id provided is invalid.")?;
        return match &c.secret {
            Some(sec) if sec == secret => Ok(c.clone()),
            _ => Err("The client secret supplied for a confidential client is invalid.".into()),
        };
    }
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err("Client authentication failed. Either the client or the client credentials are invalid.".into());
    }
    let jwt = form.get("client_assertion").ok_or("client_assertion is required")?;
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| "The client_assertion is malformed.")?;
    let payload = jwt.split('.').nth(1).ok_or("The client_assertion is malformed.")?;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| "The client_assertion is malformed.")?,
    )
    .map_err(|_| "The client_assertion is malformed.")?;
    let iss = claims["iss"].as_str().ok_or("The client_assertion has no iss.")?;
    let c = s.clients.iter().find(|c| c.client_id == iss).ok_or("The client_id provided is invalid.")?;
    let key = match (&header.kid, c.public_keys.len()) {
        (Some(kid), _) => c
            .public_keys
            .iter()
            .find(|(k, _)| k == kid)
            .ok_or("The client_assertion kid does not match a registered key.")?,
        (None, 1) => &c.public_keys[0],
        (None, _) => return Err("The client_assertion has no kid and the client has several keys.".into()),
    };
    let dk = match header.alg {
        jsonwebtoken::Algorithm::RS256 => jsonwebtoken::DecodingKey::from_rsa_pem(key.1.as_bytes()),
        jsonwebtoken::Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(key.1.as_bytes()),
        _ => return Err("The client_assertion algorithm is not supported.".into()),
    }
    .map_err(|_| "The registered key is unusable.")?;
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(&[format!("https://{}/oauth2/v1/token", s.domain)]);
    v.set_issuer(&[c.client_id.as_str()]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let data =
        jsonwebtoken::decode::<Value>(jwt, &dk, &v).map_err(|e| format!("The client_assertion is invalid: {e}"))?;
    if data.claims["sub"] != c.client_id.as_str() || data.claims["jti"].as_str().is_none() {
        return Err("The client_assertion sub must equal the client id and carry a jti.".into());
    }
    if data.claims["exp"].as_i64().unwrap_or(0) > now() + 3600 {
        return Err("The client_assertion expires more than an hour ahead.".into());
    }
    Ok(c.clone())
}

/// Okta's 429 (`E0000047`) with its rate-limit headers; `reset` is the window's end in epoch seconds.
fn rate_limited(reset: i64) -> Response {
    let mut r =
        okta_error(StatusCode::TOO_MANY_REQUESTS, "E0000047", "API call exceeded rate limit due to too many requests.");
    let h = r.headers_mut();
    h.insert("x-rate-limit-limit", HeaderValue::from(600));
    h.insert("x-rate-limit-remaining", HeaderValue::from(0));
    h.insert("x-rate-limit-reset", HeaderValue::from(reset));
    r
}

/// Checks the bearer token and applies the 429/failure knobs; `Err` is the answer to send instead.
fn gate(s: &mut OktaState, headers: &HeaderMap, scope: &str) -> Result<(), Box<Response>> {
    if let Some(reset) = s.rate_limited.pop_front() {
        return Err(Box::new(rate_limited(reset)));
    }
    if let Some(status) = s.failures.pop_front() {
        let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(Box::new(match status {
            403 => okta_error(st, "E0000006", "You do not have permission to perform the requested action"),
            404 => okta_error(st, "E0000007", "Not found: Resource not found"),
            _ => okta_error(st, "E0000009", "Internal Server Error"),
        }));
    }
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match token.and_then(|t| s.tokens.get(t)) {
        None => Err(Box::new(okta_error(StatusCode::UNAUTHORIZED, "E0000011", "Invalid token provided"))),
        Some(scopes) if !scopes.iter().any(|x| x == scope) => Err(Box::new(okta_error(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        ))),
        Some(_) => Ok(()),
    }
}

fn with_rate_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert("x-rate-limit-limit", HeaderValue::from(600));
    h.insert("x-rate-limit-remaining", HeaderValue::from(599));
    h.insert("x-rate-limit-reset", HeaderValue::from(now() + 60));
    r
}

/// One page of `items` after cursor `after` with `Link` headers for `path`, keeping the other query params.
/// Items may be borrowed (`Vec<&Value>`): only the page served is cloned.
fn page<T: std::borrow::Borrow<Value>>(
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
fn page_of_rest<'a>(
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

fn path_and_query(path: &str, q: &HashMap<String, String>) -> String {
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

async fn list_groups(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record_and_delay(&state, "GET", path_and_query("/api/v1/groups", &q)).await;
    let mut s = state.lock().expect("double state lock");
    if let Err(r) = gate(&mut s, &headers, "okta.groups.read") {
        return *r;
    }
    let prefix = q.get("search").and_then(|sq| {
        sq.strip_prefix("profile.name sw \"")
            .and_then(|r| r.strip_suffix('"'))
            .map(|p| p.replace("\\\"", "\"").replace("\\\\", "\\").to_lowercase())
    });
    if q.contains_key("search") && prefix.is_none() {
        return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search.");
    }
    let items: Vec<&Value> = s
        .groups
        .iter()
        .filter(|g| {
            prefix.as_ref().is_none_or(|p| g["profile"]["name"].as_str().unwrap_or("").to_lowercase().starts_with(p))
        })
        .collect();
    page(&s.domain, "/api/v1/groups", items, &q, s.max_page)
}

async fn list_members(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/api/v1/groups/{id}/users");
    record_and_delay(&state, "GET", path_and_query(&path, &q)).await;
    let mut s = state.lock().expect("double state lock");
    if let Err(r) = gate(&mut s, &headers, "okta.groups.read") {
        return *r;
    }
    let Some(ids) = s.members.get(&id) else {
        return okta_error(
            StatusCode::NOT_FOUND,
            "E0000007",
            &format!("Not found: Resource not found: {id} (UserGroup)"),
        );
    };
    // The cursor is found among the member ids (a member the double has no user for is not listed, so it
    // names no item), and only the page served is looked up.
    let start = match q.get("after") {
        Some(a) if s.users.contains_key(a) => ids.iter().position(|u| u == a).map_or(ids.len(), |p| p + 1),
        Some(_) => ids.len(),
        None => 0,
    };
    let rest = ids[start..].iter().filter_map(|u| s.users.get(u));
    page_of_rest(&s.domain, &path, rest, &q, s.max_page)
}

/// `GET /api/v1/users`: every user but DEPROVISIONED ones, as Okta lists them without a filter; or those with
/// one status (`search=status eq "DEPROVISIONED"`).
async fn list_users(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record_and_delay(&state, "GET", path_and_query("/api/v1/users", &q)).await;
    let mut s = state.lock().expect("double state lock");
    if let Err(r) = gate(&mut s, &headers, "okta.users.read") {
        return *r;
    }
    // Okta's `search=status eq "X"` selects by status; without a filter DEPROVISIONED users are left out.
    let status = match q.get("search") {
        Some(sq) => match sq.strip_prefix("status eq \"").and_then(|r| r.strip_suffix('"')) {
            Some(st) => Some(st.to_string()),
            None => return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search."),
        },
        None => None,
    };
    let listed = |u: &&Value| match &status {
        Some(st) => u["status"] == st.as_str(),
        None => u["status"] != "DEPROVISIONED",
    };
    // Users are kept and listed in id order, so the cursor (the last id served) is found in the map, not by
    // scanning every user before it: one page per request however large the org.
    let rest: Box<dyn Iterator<Item = &Value>> = match q.get("after") {
        None => Box::new(s.users.values().filter(listed)),
        Some(a) if s.users.get(a).as_ref().is_some_and(listed) => Box::new(
            s.users.range::<str, _>((Bound::Excluded(a.as_str()), Bound::Unbounded)).map(|(_, u)| u).filter(listed),
        ),
        // A cursor that names no listed user: an empty page, as before.
        Some(_) => Box::new(std::iter::empty()),
    };
    page_of_rest(&s.domain, "/api/v1/users", rest, &q, s.max_page)
}

async fn get_user(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "GET", format!("/api/v1/users/{id}")).await;
    let mut s = state.lock().expect("double state lock");
    if let Err(r) = gate(&mut s, &headers, "okta.users.read") {
        return *r;
    }
    let found =
        s.users.get(&id).cloned().or_else(|| s.users.values().find(|u| u["profile"]["login"] == id.as_str()).cloned());
    match found {
        Some(u) => with_rate_headers(Json(u).into_response()),
        None => okta_error(StatusCode::NOT_FOUND, "E0000007", &format!("Not found: Resource not found: {id} (User)")),
    }
}

/// The `DeviceUser` of a link: `created`, `managementStatus` and `screenLockType` when set, and `user` as the full
/// `User` (`expand=user`) or a summary (`expand=userSummary`: `id`, `profile` names, login and email, `_links`).
fn device_user_json(s: &OktaState, link: &DoubleDeviceUser, summary: bool) -> Value {
    let user =
        s.users.get(&link.user_id).cloned().unwrap_or_else(
            || json!({"id": link.user_id, "status": "ACTIVE", "profile": {"login": null, "email": null}}),
        );
    let user = if summary {
        let p = &user["profile"];
        json!({
            "id": user["id"],
            "profile": {
                "firstName": p["firstName"], "lastName": p["lastName"], "login": p["login"], "email": p["email"],
            },
            "_links": {"self": {"href": format!("https://{}/api/v1/users/{}", s.domain, link.user_id)}},
        })
    } else {
        user
    };
    let mut v = json!({ "created": link.created, "user": user });
    if let Some(m) = &link.management_status {
        v["managementStatus"] = json!(m);
    }
    if let Some(l) = &link.screen_lock_type {
        v["screenLockType"] = json!(l);
    }
    v
}

/// `GET /api/v1/devices` (`listDevices`, scope `okta.devices.read`): every device, `Link`-paged with `limit` and
/// the `after` cursor; with `expand=user` (or `userSummary`) each carries `_embedded.users` (an empty list for a
/// device without users), without it no `_embedded`. `search` is not played: 400 `E0000031`.
async fn list_devices(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    record_and_delay(&state, "GET", path_and_query("/api/v1/devices", &q)).await;
    let mut s = state.lock().expect("double state lock");
    if let Err(r) = gate(&mut s, &headers, "okta.devices.read") {
        return *r;
    }
    if q.contains_key("search") {
        return okta_error(StatusCode::BAD_REQUEST, "E0000031", "Invalid search.");
    }
    let expand = q.get("expand").map(String::as_str);
    let items: Vec<Value> = s
        .devices
        .iter()
        .map(|d| {
            let mut v = d.device.clone();
            if let Some(summary) = match expand {
                Some("user") => Some(false),
                Some("userSummary") => Some(true),
                _ => None,
            } {
                let users: Vec<Value> = d.users.iter().map(|u| device_user_json(&s, u, summary)).collect();
                v["_embedded"] = json!({ "users": users });
            }
            v
        })
        .collect();
    page(&s.domain, "/api/v1/devices", items, &q, s.max_page)
}

/// Applies [`OktaState::fault_plan`] to `/api/v1/` requests (the token endpoint is never faulted).
async fn fault_plan(
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
            s.requests.push(Recorded { method: req.method().to_string(), path_and_query: pq.clone(), at: now() });
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
