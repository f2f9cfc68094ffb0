//! The Hexnode UEM REST API behind [`Uem`]: devices joined with their owners, device groups and their members,
//! every page (the read side); apps, device groups, their membership and policies (the write side).
//!
//! Follows Hexnode's API documentation
//! (<https://www.hexnode.com/mobile-device-management/help/hexnode-mdm-api-documentation/> and the developer pages
//! under <https://www.hexnode.com/mobile-device-management/developers/>), as summarized in `shared/hexnode/FACTS.md`:
//!
//! - base `https://<portal>.hexnodemdm.com/api/v1/`, every path ends in `/`;
//! - `Authorization: <api key>` (the raw key, no scheme), `Accept: application/json`;
//! - lists are paged with `?page=N&per_page=M` and answer `{"count", "next", "previous", "results"}`, where `next`
//!   is an absolute URL or `null`;
//! - about 30 calls a minute; over it Hexnode answers `429` with `Request was throttled. Expected available in
//!   57.0 seconds.` (as text or as `{"detail": …}`);
//! - writes send JSON (`Content-Type: application/json`); validation errors are `400` with `{"detail": …}` or a
//!   map of field lists (Django REST framework).
//!
//! Each write method's doc comment says which parts are documented and which are UNVERIFIED against Hexnode's
//! public documentation; every unverified body is built in one private function (`enterprise_app_body`,
//! `policy_body`), and the unverified per-device policy status is read in one private struct (`HxPolicyDevice`).
//!
//! Every URL goes through [`Outbound::route`] before it is sent, every wait through [`Clock::sleep`], and the API
//! key never appears in a log line or an error.

use super::{
    AppKind, DeploymentPolicy, DeviceGroup, Enrollment, NewEnterpriseApp, PayloadState, PolicyDeviceStatus,
    PolicyPayload, PolicyRef, Uem, UemApp, UemDevice, UemError,
};
use crate::clock::Clock;
use crate::outbound::{OrgHost, Outbound};
use crate::platform::Platform;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use url::Url;

/// Items asked for per page (`per_page`) on every list call.
pub const PER_PAGE: u32 = 100;

/// The wait after a `429` that states no time, neither in its text nor in `Retry-After` (60 s).
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(60);

/// The first backoff after a 5xx answer or a transport error; it doubles with each further attempt.
pub const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// A list longer than this many pages (a million items at [`PER_PAGE`]) is taken for a paging loop.
const MAX_PAGES: usize = 10_000;

/// The longest error text kept from an answer body.
const MAX_MESSAGE_CHARS: usize = 200;

/// Bounds on waiting and retrying, per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexnodeRetry {
    /// Attempts per request, counting the first (429, 5xx and transport errors retry). Default 5.
    pub max_attempts: u32,
    /// The longest single throttle wait the client accepts; a `429` asking for longer fails at once with
    /// [`UemError::Throttled`]. Also caps the 5xx backoff. Default 120 s.
    pub max_wait: Duration,
}

impl Default for HexnodeRetry {
    fn default() -> Self {
        HexnodeRetry { max_attempts: 5, max_wait: Duration::from_secs(120) }
    }
}

/// A client for one Hexnode portal and one API key (Hexnode: Admin › API). Implements [`Uem`].
pub struct HexnodeClient {
    outbound: Outbound,
    clock: Arc<dyn Clock>,
    portal: OrgHost,
    api_key: SecretString,
    policy: HexnodeRetry,
    requests: AtomicU64,
}

impl std::fmt::Debug for HexnodeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HexnodeClient").field("portal", &self.portal).field("policy", &self.policy).finish()
    }
}

impl HexnodeClient {
    /// A client for `portal` (a host under `hexnodemdm.com`, validated by the caller) that sends `api_key` as the
    /// raw `Authorization` header, waits through `clock` and retries within `policy`.
    pub fn new(
        outbound: Outbound,
        clock: Arc<dyn Clock>,
        portal: OrgHost,
        api_key: SecretString,
        policy: HexnodeRetry,
    ) -> Self {
        HexnodeClient { outbound, clock, portal, api_key, policy, requests: AtomicU64::new(0) }
    }

    /// The portal host, e.g. `acme.hexnodemdm.com`.
    pub fn portal(&self) -> &OrgHost {
        &self.portal
    }

    /// How many HTTP requests this client has sent (retries included), for tests and benchmarks.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `https://<portal>/api/v1/<path_and_query>`.
    fn api_url(&self, path_and_query: &str) -> Result<Url, UemError> {
        self.portal
            .base_url()
            .join(&format!("api/v1/{path_and_query}"))
            .map_err(|e| UemError::Protocol(format!("API URL: {e}")))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        BASE_BACKOFF.saturating_mul(1u32 << attempt.saturating_sub(1).min(6)).min(self.policy.max_wait)
    }

    /// An error text from an answer body: its `detail` when it is JSON with one, else the text itself, shortened,
    /// and with the API key blanked out should the answer ever echo it.
    fn message_of(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let detail = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string));
        let mut message: String =
            detail.unwrap_or_else(|| text.trim().to_string()).chars().take(MAX_MESSAGE_CHARS).collect();
        let key = self.api_key.expose_secret();
        if !key.is_empty() && message.contains(key) {
            message = message.replace(key, "[redacted]");
        }
        message
    }

    /// Sends one request to a URL of this portal (with `body` as JSON, `Content-Type: application/json`) and
    /// returns the body of a 2xx answer.
    ///
    /// A `429` waits as long as Hexnode says (see [`throttle_wait_secs`]) and retries; a wait longer than
    /// [`HexnodeRetry::max_wait`] or a `429` on the last attempt fails with [`UemError::Throttled`]. 5xx answers and
    /// transport errors retry after [`BASE_BACKOFF`], doubling, within [`HexnodeRetry::max_attempts`] — for writes
    /// too, so a create whose answer was lost may be sent twice (Hexnode then refuses a duplicate group name; a
    /// caller adopts what exists by name). Errors: [`UemError::Unauthorized`] for 401/403 (and `Unauthorized(0)`,
    /// without any request, for a key that cannot be an HTTP header value), [`UemError::NotFound`] for 404,
    /// [`UemError::InvalidDevices`] for a `400` to a POST whose `detail` reads `Invalid device id(s): …` (see
    /// [`invalid_device_ids`]), [`UemError::Api`] for other answers, [`UemError::Unreachable`] when the portal
    /// cannot be reached (or is not routed, in a test set-up).
    async fn send(&self, method: Method, url: &Url, body: Option<&Value>) -> Result<Vec<u8>, UemError> {
        let mut key = HeaderValue::from_str(self.api_key.expose_secret()).map_err(|_| UemError::Unauthorized(0))?;
        key.set_sensitive(true);
        let payload =
            body.map(serde_json::to_vec).transpose().map_err(|e| UemError::Protocol(format!("request body: {e}")))?;
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let target = self.outbound.route(url).map_err(UemError::Unreachable)?;
            let mut req = self
                .outbound
                .http()
                .request(method.clone(), target)
                .header(AUTHORIZATION, key.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"));
            if let Some(payload) = &payload {
                req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(payload.clone());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let answer = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after_secs(resp.headers(), self.clock.now());
                    resp.bytes().await.map(|body| (status, retry_after, body))
                }
                Err(e) => Err(e),
            };
            let (status, retry_after, body) = match answer {
                Ok(a) => a,
                Err(e) => {
                    let reason = e.without_url().to_string();
                    if attempt < max_attempts {
                        let path = url.path();
                        tracing::warn!(error = %reason, attempt, %method, path, "Hexnode request failed; retrying");
                        self.clock.sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(UemError::Unreachable(reason));
                }
            };
            match status {
                200..=299 => return Ok(body.to_vec()),
                429 => {
                    let secs = throttle_wait_secs(&String::from_utf8_lossy(&body), retry_after);
                    let wait = Duration::from_secs(secs);
                    if attempt >= max_attempts || wait > self.policy.max_wait {
                        return Err(UemError::Throttled { retry_after_secs: secs });
                    }
                    let path = url.path();
                    tracing::info!(wait_s = secs, attempt, %method, path, "Hexnode throttled the request; waiting");
                    self.clock.sleep(wait).await;
                }
                401 | 403 => return Err(UemError::Unauthorized(status)),
                404 => return Err(UemError::NotFound(url.path().to_string())),
                400 if method == Method::POST => {
                    return Err(match invalid_device_ids(&body) {
                        Some(ids) => UemError::InvalidDevices(ids),
                        None => UemError::Api { status, message: self.message_of(&body) },
                    })
                }
                500..=599 if attempt < max_attempts => {
                    tracing::warn!(status, attempt, %method, path = url.path(), "Hexnode server error; retrying");
                    self.clock.sleep(self.backoff(attempt)).await;
                }
                _ => return Err(UemError::Api { status, message: self.message_of(&body) }),
            }
        }
    }

    /// [`HexnodeClient::send`] with `GET` and no body.
    async fn get(&self, url: &Url) -> Result<Vec<u8>, UemError> {
        self.send(Method::GET, url, None).await
    }

    /// `https://<portal>/api/v1/<collection><id>/` with `id` as one path segment (percent-encoded, so it cannot
    /// climb out of `collection`). Errors: [`UemError::NotFound`] naming `what` for an id that cannot name
    /// anything (empty, `.`, `..`), without a request.
    fn item_url(&self, collection: &str, what: &str, id: &str) -> Result<Url, UemError> {
        if matches!(id.trim(), "" | "." | "..") {
            return Err(UemError::NotFound(format!("{what} {id}")));
        }
        let mut url = self.api_url(collection)?;
        url.path_segments_mut()
            .map_err(|_| UemError::Protocol("API URL cannot take a path".into()))?
            .pop_if_empty()
            .push(id)
            .push("");
        Ok(url)
    }

    /// Sends to an item URL (see [`HexnodeClient::item_url`]), naming the item in a [`UemError::NotFound`].
    async fn send_item(
        &self,
        method: Method,
        collection: &str,
        what: &str,
        id: &str,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, UemError> {
        let url = self.item_url(collection, what, id)?;
        match self.send(method, &url, body).await {
            Err(UemError::NotFound(_)) => Err(UemError::NotFound(format!("{what} {id}"))),
            other => other,
        }
    }

    /// Sends `body` to `collection` (e.g. `devicegroups/`) with POST and reads the answer as `T`.
    async fn create<T: DeserializeOwned>(&self, collection: &str, body: &Value) -> Result<T, UemError> {
        let url = self.api_url(collection)?;
        let answer = self.send(Method::POST, &url, Some(body)).await?;
        serde_json::from_slice(&answer).map_err(|e| UemError::Protocol(format!("answer to POST {collection}: {e}")))
    }

    /// Checks a page's `next` link: absolute, `https`, on this portal's host, default port, no user info.
    /// Errors: [`UemError::Protocol`] otherwise.
    fn checked_next(&self, next: &str) -> Result<Url, UemError> {
        let url = Url::parse(next).map_err(|e| UemError::Protocol(format!("next link is not an absolute URL: {e}")))?;
        let same_portal = url.scheme() == "https"
            && url.host_str() == Some(self.portal.as_str())
            && url.port().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        if same_portal {
            Ok(url)
        } else {
            Err(UemError::Protocol("next link points outside the portal".into()))
        }
    }

    /// Every item of a paged list `path` (e.g. `devices/`), from `?page=1&per_page=`[`PER_PAGE`] on, following
    /// each page's `next` exactly as given until it is `null`. Errors: as [`HexnodeClient::send`], plus
    /// [`UemError::Protocol`] for a page without `results`, an item that does not read as `T`, or a `next` link
    /// that leaves the portal or loops.
    async fn list_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, UemError> {
        let url = self.api_url(&format!("{path}?page=1&per_page={PER_PAGE}"))?;
        self.list_from(url, path).await
    }

    /// Every item of the paged list whose first page is `url`, as [`HexnodeClient::list_all`]; `path` names the
    /// list in errors.
    async fn list_from<T: DeserializeOwned>(&self, mut url: Url, path: &str) -> Result<Vec<T>, UemError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        loop {
            if !seen.insert(url.as_str().to_string()) || seen.len() > MAX_PAGES {
                return Err(UemError::Protocol(format!("the pages of {path} loop")));
            }
            let body = self.get(&url).await?;
            let page: Page<T> = serde_json::from_slice(&body)
                .map_err(|e| UemError::Protocol(format!("page of {}: {e}", url.path())))?;
            out.extend(page.results);
            match page.next.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                None => return Ok(out),
                Some(next) => url = self.checked_next(next)?,
            }
        }
    }

    /// Every Hexnode user id with its email (empty emails left out).
    async fn user_emails(&self) -> Result<HashMap<String, String>, UemError> {
        let users: Vec<HxUser> = self.list_all("users/").await?;
        Ok(users.into_iter().filter_map(|u| Some((u.id?, u.email?))).collect())
    }
}

#[async_trait::async_trait]
impl Uem for HexnodeClient {
    /// One `GET devicegroups/?page=1&per_page=1`. Errors: as [`HexnodeClient`]'s requests; a refused key is
    /// [`UemError::Unauthorized`].
    async fn verify(&self) -> Result<(), UemError> {
        let url = self.api_url("devicegroups/?page=1&per_page=1")?;
        self.get(&url).await.map(|_| ())
    }

    /// All pages of `GET devices/` joined with all pages of `GET users/` by the device's `user.id`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a device without an id.
    async fn devices(&self) -> Result<Vec<UemDevice>, UemError> {
        let devices: Vec<HxDevice> = self.list_all("devices/").await?;
        let emails = self.user_emails().await?;
        devices.into_iter().map(|d| d.into_device(&emails)).collect()
    }

    /// All pages of `GET devicegroups/`, as `{id, name: groupname}`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a group without an id.
    async fn device_groups(&self) -> Result<Vec<DeviceGroup>, UemError> {
        let groups: Vec<HxGroup> = self.list_all("devicegroups/").await?;
        groups
            .into_iter()
            .map(|g| {
                let id = g.id.ok_or_else(|| UemError::Protocol("a device group without an id".into()))?;
                Ok(DeviceGroup { id, name: g.groupname.or(g.name).unwrap_or_default() })
            })
            .collect()
    }

    /// `GET devicegroups/{id}/` → the ids in its `devices` list, in order, each once.
    /// Errors: [`UemError::NotFound`] for an unknown group (404, or an id that cannot name one),
    /// [`UemError::Protocol`] when the answer has no `devices` list.
    async fn device_group_members(&self, group_id: &str) -> Result<Vec<String>, UemError> {
        let body = self.send_item(Method::GET, "devicegroups/", "device group", group_id, None).await?;
        let detail: HxGroupDetail =
            serde_json::from_slice(&body).map_err(|e| UemError::Protocol(format!("device group answer: {e}")))?;
        let members = detail
            .devices
            .ok_or_else(|| UemError::Protocol(format!("device group {group_id} answer has no devices list")))?;
        let mut seen = HashSet::new();
        Ok(members.into_iter().filter_map(|m| m.id).filter(|id| seen.insert(id.clone())).collect())
    }

    /// All pages of `GET applications/` (documented: the apps list), each item read by `HxApp`: `id`, `name`,
    /// `platform` (mapped by [`platform_from_os_name`]), `app_type` (mapped by [`app_kind`]), `bundle_id`,
    /// `version`, `category`, `description`, `success_criteria`, `uninstall_parameters`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: every item field except `id` and `name` (the docs list
    /// the endpoint, not the fields); a missing field reads as `None` / [`AppKind::Other`].
    /// Errors: as the requests, and [`UemError::Protocol`] for an app without an id.
    async fn apps(&self) -> Result<Vec<UemApp>, UemError> {
        let apps: Vec<HxApp> = self.list_all("applications/").await?;
        apps.into_iter().map(HxApp::into_app).collect()
    }

    /// `POST applications/` with `enterprise_app_body` → `201` with the app (read as in
    /// [`HexnodeClient::apps`]).
    ///
    /// UNVERIFIED against Hexnode's public documentation: the whole call. The docs list `GET /applications/` only;
    /// uploading an enterprise app by URL through the API, and every field of the body, are this product's
    /// assumption (kept in `enterprise_app_body`).
    /// Errors: as the requests ([`UemError::Api`] with status 400 for a body the UEM refuses), and
    /// [`UemError::Protocol`] for an answer that is not an app with an id.
    async fn create_enterprise_app(&self, app: &NewEnterpriseApp) -> Result<UemApp, UemError> {
        let created: HxApp = self.create("applications/", &enterprise_app_body(app)).await?;
        created.into_app()
    }

    /// `POST devicegroups/` with `{"groupname", "description"}` → `201` with the group (`id`, `groupname`, …).
    ///
    /// Documented (FACTS.md: `POST /devicegroups/` to create); the field names of the body are those of the
    /// documented group list (`groupname`, `description`). Errors: as the requests ([`UemError::Api`] with
    /// status 400 when the name is taken or empty), and [`UemError::Protocol`] for an answer without an id.
    async fn create_device_group(&self, name: &str, description: &str) -> Result<DeviceGroup, UemError> {
        let body = json!({ "groupname": name, "description": description });
        let g: HxGroup = self.create("devicegroups/", &body).await?;
        let id = g.id.ok_or_else(|| UemError::Protocol("the created device group has no id".into()))?;
        Ok(DeviceGroup { id, name: g.groupname.or(g.name).unwrap_or_else(|| name.to_string()) })
    }

    /// `DELETE devicegroups/{id}/` → `204`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list no device group delete; this is the
    /// REST form the rest of the API follows. Errors: [`UemError::NotFound`] for an unknown group (404, or an id
    /// that cannot name one, without a request), else as the requests.
    async fn delete_device_group(&self, group_id: &str) -> Result<(), UemError> {
        self.send_item(Method::DELETE, "devicegroups/", "device group", group_id, None).await.map(|_| ())
    }

    /// `POST devicegroups/{id}/` with `{"add_devices": [...], "remove_devices": [...]}` (each id a JSON number
    /// when it reads as one, else a string) → `200`. No request when both lists are empty.
    ///
    /// Documented (FACTS.md: `POST /devicegroups/{id}/` with `add_devices` / `remove_devices`). UNVERIFIED: the
    /// refusal of unknown ids as `400 {"detail": "Invalid device id(s): <a>, <b>"}` with nothing changed (the
    /// double's behaviour, read by [`invalid_device_ids`]). Errors: [`UemError::InvalidDevices`] with the refused
    /// ids as the caller spelled them, [`UemError::NotFound`] for an unknown group, else as the requests.
    async fn change_group_members(&self, group_id: &str, add: &[String], remove: &[String]) -> Result<(), UemError> {
        let url = self.item_url("devicegroups/", "device group", group_id)?;
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let ids = |list: &[String]| Value::Array(list.iter().map(|id| id_value(id)).collect());
        let body = json!({ "add_devices": ids(add), "remove_devices": ids(remove) });
        match self.send(Method::POST, &url, Some(&body)).await {
            Ok(_) => Ok(()),
            Err(UemError::NotFound(_)) => Err(UemError::NotFound(format!("device group {group_id}"))),
            Err(UemError::InvalidDevices(refused)) => {
                let mut seen = HashSet::new();
                let ids = refused
                    .into_iter()
                    .map(|r| add.iter().chain(remove).find(|o| same_id(o, &r)).cloned().unwrap_or(r))
                    .filter(|id| seen.insert(id.clone()))
                    .collect();
                Err(UemError::InvalidDevices(ids))
            }
            Err(e) => Err(e),
        }
    }

    /// All pages of `GET policy/` (documented), each item as `{id, name}`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a policy without an id.
    async fn policies(&self) -> Result<Vec<PolicyRef>, UemError> {
        let policies: Vec<HxPolicyRef> = self.list_all("policy/").await?;
        policies
            .into_iter()
            .map(|p| {
                let id = p.id.ok_or_else(|| UemError::Protocol("a policy without an id".into()))?;
                Ok(PolicyRef { id, name: p.name.unwrap_or_default() })
            })
            .collect()
    }

    /// `POST policy/` with `policy_body` → `201` with `{id, name, …}` → the id.
    ///
    /// Documented (FACTS.md: `POST /policy/` with name, description, platform sections, `app_management`,
    /// `policy_targets {users, devices, usergroups, devicegroups}`). UNVERIFIED: the fields inside
    /// `app_management` and the per-platform payload sections (see `policy_body`).
    /// Errors: as the requests ([`UemError::Api`] with status 400 for a body the UEM refuses: an unknown app or
    /// group, a payload that does not fit the platform), and [`UemError::Protocol`] for an answer without an id.
    async fn create_policy(&self, policy: &DeploymentPolicy) -> Result<String, UemError> {
        let created: HxPolicyRef = self.create("policy/", &policy_body(policy)).await?;
        created.id.ok_or_else(|| UemError::Protocol("the created policy has no id".into()))
    }

    /// `PUT policy/{id}/` with `policy_body` → `200`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list `GET/POST /policy/` only; the update is
    /// the REST form of the documented create, with the same body (whose unverified parts `policy_body` names).
    /// Errors: [`UemError::NotFound`] for an unknown policy (404, or an id that cannot name one, without a
    /// request), else as [`HexnodeClient::create_policy`].
    async fn update_policy(&self, policy_id: &str, policy: &DeploymentPolicy) -> Result<(), UemError> {
        let body = policy_body(policy);
        self.send_item(Method::PUT, "policy/", "policy", policy_id, Some(&body)).await.map(|_| ())
    }

    /// `DELETE policy/{id}/` → `204`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list no policy delete; this is the REST form
    /// of the documented policy endpoint. Errors: [`UemError::NotFound`] for an unknown policy (404, or an id
    /// that cannot name one, without a request), else as the requests.
    async fn delete_policy(&self, policy_id: &str) -> Result<(), UemError> {
        self.send_item(Method::DELETE, "policy/", "policy", policy_id, None).await.map(|_| ())
    }

    /// All pages of `GET policy/{id}/devices/?page=1&per_page=100` (paged as every list), each item read by
    /// `HxPolicyDevice`: `{"device_id": 12, "status": "success"|"pending"|"failed", "error": text|null, "apps":
    /// [{"app_id": 701, "installed": true}]}` → [`PolicyDeviceStatus`] (`success` → [`PayloadState::Applied`],
    /// `pending` → `Pending`, `failed` → `Failed`, anything else or none → `Unknown`).
    ///
    /// UNVERIFIED against Hexnode's public documentation: the whole call (the docs list `GET/POST /policy/` only;
    /// the per-device status path and every item field are this product's assumption, read in the one private
    /// struct `HxPolicyDevice`). Errors: [`UemError::NotFound`] for an unknown policy (404, or an id that cannot
    /// name one, without a request), [`UemError::Protocol`] for an item without a `device_id` or an app without an
    /// `app_id`, else as the requests.
    async fn policy_device_status(&self, policy_id: &str) -> Result<Vec<PolicyDeviceStatus>, UemError> {
        let mut url = self.item_url("policy/", "policy", policy_id)?;
        url.path_segments_mut()
            .map_err(|_| UemError::Protocol("API URL cannot take a path".into()))?
            .pop_if_empty()
            .push("devices")
            .push("");
        url.set_query(Some(&format!("page=1&per_page={PER_PAGE}")));
        let items: Vec<HxPolicyDevice> = match self.list_from(url, "policy/{id}/devices/").await {
            Err(UemError::NotFound(_)) => return Err(UemError::NotFound(format!("policy {policy_id}"))),
            other => other?,
        };
        items.into_iter().map(HxPolicyDevice::into_status).collect()
    }
}

/// What kind of app a Hexnode `app_type` names, case-insensitive (`-` and spaces read as `_`): `vpp` →
/// [`AppKind::Vpp`], `store` → [`AppKind::Store`], `managed_google_play` → [`AppKind::ManagedPlay`],
/// `enterprise` → [`AppKind::Enterprise`], anything else → [`AppKind::Other`].
///
/// UNVERIFIED against Hexnode's public documentation: the field and its values are this product's assumption.
pub fn app_kind(app_type: &str) -> AppKind {
    let t = app_type.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    match t.as_str() {
        "vpp" => AppKind::Vpp,
        "store" => AppKind::Store,
        "managed_google_play" => AppKind::ManagedPlay,
        "enterprise" => AppKind::Enterprise,
        _ => AppKind::Other,
    }
}

/// The body of `POST applications/` for an enterprise app: `{"name", "platform": "windows"|"macos", "app_type":
/// "enterprise", "category", "description", "source_url": <installer URL>, "success_criteria",
/// "uninstall_parameters"}` (the last two `null` when unset).
///
/// UNVERIFIED against Hexnode's public documentation: the docs describe no enterprise app upload; every field
/// here is this product's assumption, kept in this one function.
fn enterprise_app_body(app: &NewEnterpriseApp) -> Value {
    json!({
        "name": app.name,
        "platform": app.platform.as_str(),
        "app_type": "enterprise",
        "category": app.category,
        "description": app.description,
        "source_url": app.installer_url,
        "success_criteria": app.success_criteria,
        "uninstall_parameters": app.uninstall_parameters,
    })
}

/// The body of `POST policy/` and `PUT policy/{id}/`:
///
/// ```json
/// {"name": …, "description": …, "platform": "ios"|"android"|"macos"|"windows",
///  "app_management": {"mandatory_apps": [{"app_id": 12, "vpp_location": "Main"|null}]},
///  "<platform>": {"app_configuration": {"bundle_id": …, "configuration": <document>}}
///              | {"custom_configuration": {"payload_type": "mobileconfig"|"syncml", "content": <document>}},
///  "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5]}}
/// ```
///
/// Ids are JSON numbers when they read as one, else strings; `mandatory_apps` is empty without an app.
///
/// Documented (FACTS.md): `name`, `description`, a section per platform, `app_management`, and `policy_targets`
/// with its four lists. UNVERIFIED against Hexnode's public documentation (no public fields for managed app
/// configuration or custom profiles): the top-level `platform`, `mandatory_apps` and its entries, and the
/// contents of the platform section (`app_configuration`, `custom_configuration` with `payload_type` and
/// `content`). Kept in this one function.
fn policy_body(p: &DeploymentPolicy) -> Value {
    let mandatory_apps: Vec<Value> =
        p.app.iter().map(|a| json!({ "app_id": id_value(&a.app_id), "vpp_location": a.vpp_location })).collect();
    let section = match &p.payload {
        PolicyPayload::AppConfig { bundle_id, document } => {
            json!({ "app_configuration": { "bundle_id": bundle_id, "configuration": document } })
        }
        PolicyPayload::ConfigurationProfile { document } => {
            json!({ "custom_configuration": { "payload_type": "mobileconfig", "content": document } })
        }
        PolicyPayload::SyncMl { document } => {
            json!({ "custom_configuration": { "payload_type": "syncml", "content": document } })
        }
    };
    let groups: Vec<Value> = p.device_group_ids.iter().map(|id| id_value(id)).collect();
    let mut body = Map::new();
    body.insert("name".into(), json!(p.name));
    body.insert("description".into(), json!(p.description));
    body.insert("platform".into(), json!(p.platform.as_str()));
    body.insert("app_management".into(), json!({ "mandatory_apps": mandatory_apps }));
    body.insert(p.platform.as_str().into(), section);
    body.insert(
        "policy_targets".into(),
        json!({ "users": [], "devices": [], "usergroups": [], "devicegroups": groups }),
    );
    Value::Object(body)
}

/// A Hexnode id as JSON: a number when it reads as a `u64`, else the text.
fn id_value(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| Value::String(id.to_string()), Value::from)
}

/// Whether two id texts name the same id: equal, or the same number (`7` and `07`).
fn same_id(a: &str, b: &str) -> bool {
    a == b || matches!((a.trim().parse::<u64>(), b.trim().parse::<u64>()), (Ok(x), Ok(y)) if x == y)
}

/// The ids of a refused membership change: the list after `Invalid device id(s):` in the `detail` of a JSON
/// answer (`{"detail": "Invalid device id(s): 77, \"abc\""}`), each as text with JSON quotes stripped; `None` for any
/// other answer or an empty list. The list is read as JSON values when it is one (so a quoted id may hold a
/// comma), else split on commas.
pub fn invalid_device_ids(body: &[u8]) -> Option<Vec<String>> {
    const MARK: &str = "invalid device id(s):";
    let v: Value = serde_json::from_slice(body).ok()?;
    let detail = v.get("detail")?.as_str()?.trim();
    let head = detail.get(..MARK.len())?;
    if !head.eq_ignore_ascii_case(MARK) {
        return None;
    }
    let rest = detail[MARK.len()..].trim().trim_end_matches('.');
    let ids: Vec<String> = match serde_json::from_str::<Vec<Value>>(&format!("[{rest}]")) {
        Ok(values) => values.iter().filter_map(text_of).collect(),
        Err(_) => {
            rest.split(',').map(|t| t.trim().trim_matches('"').trim().to_string()).filter(|t| !t.is_empty()).collect()
        }
    };
    (!ids.is_empty()).then_some(ids)
}

/// The platform of a Hexnode `os_name`, case-insensitive: `iOS`/`iPadOS` → iOS, `Android` → Android,
/// `macOS`/`Mac OS X`/`OS X` → macOS, `Windows` → Windows; anything else (tvOS, Linux, …) → `None`.
pub fn platform_from_os_name(os_name: &str) -> Option<Platform> {
    let name = os_name.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    match name.as_str() {
        "ios" | "ipados" => Some(Platform::Ios),
        "android" => Some(Platform::Android),
        "macos" | "mac os x" | "os x" | "mac os" | "macosx" => Some(Platform::Macos),
        "windows" => Some(Platform::Windows),
        _ => None,
    }
}

/// The device fields read, in this order, for an Android device's enrollment type (see [`android_enrollment`]).
/// UNVERIFIED: Hexnode's public API documentation names none of them.
pub const ANDROID_ENROLLMENT_FIELDS: [&str; 3] =
    ["android_enrollment_type", "enrollment_type", "device_ownership_type"];

/// How a device is enrolled, from the values of [`ANDROID_ENROLLMENT_FIELDS`] in that order.
///
/// UNVERIFIED against Hexnode's public documentation: FACTS.md says the Android enrollment type needs
/// `GET /devices/{id}/` and that its field name is unknown, so this reads whichever of the three candidate fields
/// the list answer carries. The first value that names a kind wins; matching is case-insensitive and treats `_`,
/// `-` and spaces alike:
/// - `work profile` / `workprofile` / `profile owner` → [`Enrollment::AndroidWorkProfile`] (checked first, so
///   "fully managed with work profile" counts as a work profile);
/// - `fully managed` / `device owner` → [`Enrollment::AndroidFullyManaged`];
/// - `legacy` / `device admin` → [`Enrollment::AndroidLegacy`].
///
/// Anything else, and every non-Android device, is [`Enrollment::Other`].
pub fn android_enrollment(platform: Option<Platform>, values: [Option<&str>; 3]) -> Enrollment {
    if platform != Some(Platform::Android) {
        return Enrollment::Other;
    }
    for value in values.into_iter().flatten() {
        let v = value.to_ascii_lowercase().replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
        let has = |needles: &[&str]| needles.iter().any(|n| v.contains(n));
        if has(&["work profile", "workprofile", "profile owner"]) {
            return Enrollment::AndroidWorkProfile;
        }
        if has(&["fully managed", "fullymanaged", "device owner"]) {
            return Enrollment::AndroidFullyManaged;
        }
        if has(&["legacy", "device admin"]) {
            return Enrollment::AndroidLegacy;
        }
    }
    Enrollment::Other
}

/// The whole seconds to wait after a `429`, never less than asked: the number in Hexnode's text `Request was
/// throttled. Expected available in 57.0 seconds.` (plain or as JSON `{"detail": …}`, fractions rounded up), else
/// `retry_after` (the `Retry-After` header, in seconds), else [`DEFAULT_THROTTLE_WAIT`]; at least 1 s.
pub fn throttle_wait_secs(body: &str, retry_after: Option<u64>) -> u64 {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string));
    let text = detail.as_deref().unwrap_or(body);
    seconds_in_throttle_text(text).or(retry_after).unwrap_or(DEFAULT_THROTTLE_WAIT.as_secs()).max(1)
}

/// The number after "available in" in a throttle text, rounded up; `None` when there is none.
fn seconds_in_throttle_text(text: &str) -> Option<u64> {
    const MARK: &str = "available in";
    let lower = text.to_ascii_lowercase();
    let rest = lower[lower.find(MARK)? + MARK.len()..].trim_start();
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let secs: f64 = number.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

/// `Retry-After` in whole seconds: a number (rounded up) or an HTTP date relative to `now`.
fn retry_after_secs(headers: &HeaderMap, now: OffsetDateTime) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64);
    }
    let at = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some((at - now).as_seconds_f64().max(0.0).ceil() as u64)
}

/// One page of a Hexnode list.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default)]
    next: Option<String>,
    results: Vec<T>,
}

/// A device as `GET devices/` lists it; only the fields the product reads.
#[derive(Deserialize)]
struct HxDevice {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    device_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    model_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    os_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    os_version: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    serial_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    udid: Option<String>,
    #[serde(default, deserialize_with = "user_ref")]
    user: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    android_enrollment_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    enrollment_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    device_ownership_type: Option<String>,
}

impl HxDevice {
    fn into_device(self, emails: &HashMap<String, String>) -> Result<UemDevice, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("a device without an id".into()))?;
        let platform = self.os_name.as_deref().and_then(platform_from_os_name);
        let enrollment = android_enrollment(
            platform,
            [
                self.android_enrollment_type.as_deref(),
                self.enrollment_type.as_deref(),
                self.device_ownership_type.as_deref(),
            ],
        );
        Ok(UemDevice {
            id,
            name: self.device_name.or(self.model_name).unwrap_or_default(),
            platform,
            os_version: self.os_version.unwrap_or_default(),
            serial: self.serial_number,
            udid: self.udid,
            enrollment,
            owner_email: self.user.as_ref().and_then(|u| emails.get(u).cloned()),
            owner_id: self.user,
        })
    }
}

/// A user as `GET users/` lists it.
#[derive(Deserialize)]
struct HxUser {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    email: Option<String>,
}

/// A device group as `GET devicegroups/` lists it.
#[derive(Deserialize)]
struct HxGroup {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    groupname: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    name: Option<String>,
}

/// `GET devicegroups/{id}/`: only the member list is read.
#[derive(Deserialize)]
struct HxGroupDetail {
    #[serde(default)]
    devices: Option<Vec<HxMember>>,
}

/// A member in a group's `devices` list.
#[derive(Deserialize)]
struct HxMember {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
}

/// An app as `GET applications/` lists it (and `POST applications/` answers). UNVERIFIED: every field but `id`
/// and `name` (see [`HexnodeClient::apps`]).
#[derive(Deserialize)]
struct HxApp {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    platform: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    app_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    bundle_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    version: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    success_criteria: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    uninstall_parameters: Option<String>,
}

impl HxApp {
    fn into_app(self) -> Result<UemApp, UemError> {
        let id = self.id.ok_or_else(|| UemError::Protocol("an app without an id".into()))?;
        Ok(UemApp {
            id,
            name: self.name.unwrap_or_default(),
            platform: self.platform.as_deref().and_then(platform_from_os_name),
            kind: self.app_type.as_deref().map_or(AppKind::Other, app_kind),
            bundle_id: self.bundle_id,
            version: self.version,
            category: self.category,
            description: self.description,
            success_criteria: self.success_criteria,
            uninstall_parameters: self.uninstall_parameters,
        })
    }
}

/// A policy as `GET policy/` lists it (and `POST policy/` answers): only `id` and `name` are read.
#[derive(Deserialize)]
struct HxPolicyRef {
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    name: Option<String>,
}

/// One device of `GET policy/{id}/devices/`: `{"device_id", "status", "error", "apps": [{"app_id",
/// "installed"}]}`. UNVERIFIED against Hexnode's public documentation: the whole shape (see
/// [`HexnodeClient::policy_device_status`]); ids may be numbers or text, `apps` may be missing or `null` (no apps),
/// `installed` counts only when it is JSON `true`.
#[derive(Deserialize)]
struct HxPolicyDevice {
    #[serde(default, deserialize_with = "lenient_text")]
    device_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    error: Option<String>,
    #[serde(default)]
    apps: Option<Vec<HxPolicyDeviceApp>>,
}

/// An entry of `HxPolicyDevice::apps`.
#[derive(Deserialize)]
struct HxPolicyDeviceApp {
    #[serde(default, deserialize_with = "lenient_text")]
    app_id: Option<String>,
    #[serde(default)]
    installed: Value,
}

impl HxPolicyDevice {
    /// The product's [`PolicyDeviceStatus`]; `status` is matched case-insensitively. Errors:
    /// [`UemError::Protocol`] for an item without a `device_id` or an app without an `app_id`.
    fn into_status(self) -> Result<PolicyDeviceStatus, UemError> {
        let device_id =
            self.device_id.ok_or_else(|| UemError::Protocol("a policy device status without a device_id".into()))?;
        let payload = match self.status.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("success") => PayloadState::Applied,
            Some("pending") => PayloadState::Pending,
            Some("failed") => PayloadState::Failed,
            _ => PayloadState::Unknown,
        };
        let apps_installed = self
            .apps
            .unwrap_or_default()
            .into_iter()
            .map(|a| {
                let id = a.app_id.ok_or_else(|| {
                    UemError::Protocol(format!("an app without an app_id in the policy status of device {device_id}"))
                })?;
                Ok((id, a.installed == Value::Bool(true)))
            })
            .collect::<Result<Vec<_>, UemError>>()?;
        Ok(PolicyDeviceStatus { device_id, payload, error: self.error, apps_installed })
    }
}

/// Text from a JSON string (trimmed; empty is `None`) or number; anything else is `None`.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim()).filter(|t| !t.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_of(&Value::deserialize(d)?))
}

/// A device's `user`: `{id, name}`, a bare id, or `null`.
fn user_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match &v {
        Value::Object(o) => o.get("id").and_then(text_of),
        other => text_of(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_text_plain_json_header_and_default() {
        assert_eq!(throttle_wait_secs("Request was throttled. Expected available in 57.0 seconds.", None), 57);
        assert_eq!(
            throttle_wait_secs(r#"{"detail": "Request was throttled. Expected available in 2.3 seconds."}"#, Some(9)),
            3
        );
        assert_eq!(throttle_wait_secs("Request was throttled. Expected available in 1 second.", None), 1);
        assert_eq!(throttle_wait_secs("slow down", Some(12)), 12);
        assert_eq!(throttle_wait_secs(r#"{"detail": "Request was throttled."}"#, None), 60);
        assert_eq!(throttle_wait_secs("", Some(0)), 1, "never a zero wait");
    }

    #[test]
    fn retry_after_numbers_and_dates() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after_secs(&h, now), Some(7));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after_secs(&h, now), Some(2));
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        h.insert(RETRY_AFTER, HeaderValue::from_static("Tue, 14 Nov 2023 22:14:00 GMT"));
        assert_eq!(retry_after_secs(&h, now), Some(40));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after_secs(&h, now), None);
    }

    #[test]
    fn platforms_from_os_names() {
        for (name, want) in [
            ("iOS", Some(Platform::Ios)),
            ("ipados", Some(Platform::Ios)),
            ("Android", Some(Platform::Android)),
            ("macOS", Some(Platform::Macos)),
            ("Mac OS X", Some(Platform::Macos)),
            ("OS X", Some(Platform::Macos)),
            ("WINDOWS", Some(Platform::Windows)),
            ("tvOS", None),
            ("Linux", None),
            ("", None),
        ] {
            assert_eq!(platform_from_os_name(name), want, "{name}");
        }
    }

    #[test]
    fn android_enrollment_kinds_and_field_order() {
        let a = Some(Platform::Android);
        assert_eq!(android_enrollment(a, [Some("work_profile"), None, None]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [None, Some("Profile Owner"), None]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [Some("FULLY_MANAGED"), None, None]), Enrollment::AndroidFullyManaged);
        assert_eq!(android_enrollment(a, [None, None, Some("device owner")]), Enrollment::AndroidFullyManaged);
        assert_eq!(android_enrollment(a, [Some("device_admin"), None, None]), Enrollment::AndroidLegacy);
        assert_eq!(android_enrollment(a, [Some("Legacy"), None, None]), Enrollment::AndroidLegacy);
        assert_eq!(
            android_enrollment(a, [Some("legacy"), Some("work_profile"), None]),
            Enrollment::AndroidLegacy,
            "the first field that names a kind wins"
        );
        assert_eq!(android_enrollment(a, [Some("3"), None, Some("workprofile")]), Enrollment::AndroidWorkProfile);
        assert_eq!(android_enrollment(a, [None, None, None]), Enrollment::Other);
        assert_eq!(android_enrollment(Some(Platform::Ios), [Some("work_profile"), None, None]), Enrollment::Other);
        assert_eq!(android_enrollment(None, [Some("device_owner"), None, None]), Enrollment::Other);
    }

    #[test]
    fn devices_read_leniently() {
        let page: Page<HxDevice> = serde_json::from_str(
            r#"{"count": 3, "next": null, "previous": null, "results": [
                {"id": 7, "device_name": "Ann's iPhone", "os_name": "iOS", "os_version": "17.2", "serial_number": "",
                 "udid": "U7", "user": {"id": "12", "name": "Ann"}, "extra": [1, 2]},
                {"id": "8", "os_name": "Android", "os_version": 14, "user": null, "enrollment_type": "Fully Managed"},
                {"id": 9, "model_name": "Surface", "os_name": "Windows", "user": 13}
            ]}"#,
        )
        .unwrap();
        let emails = HashMap::from([("12".to_string(), "ann@example.com".to_string())]);
        let devices: Vec<UemDevice> = page.results.into_iter().map(|d| d.into_device(&emails).unwrap()).collect();
        assert_eq!(devices[0].id, "7");
        assert_eq!(devices[0].serial, None);
        assert_eq!(devices[0].owner_email.as_deref(), Some("ann@example.com"));
        assert_eq!(devices[0].owner_id.as_deref(), Some("12"));
        assert_eq!(devices[1].os_version, "14");
        assert_eq!(devices[1].enrollment, Enrollment::AndroidFullyManaged);
        assert_eq!((devices[1].owner_id.as_ref(), devices[1].owner_email.as_ref()), (None, None));
        assert_eq!(devices[2].name, "Surface");
        assert_eq!(devices[2].owner_id.as_deref(), Some("13"));
        assert_eq!(devices[2].owner_email, None, "an owner missing from the user list has no email");
        let no_id: HxDevice = serde_json::from_str(r#"{"device_name": "x"}"#).unwrap();
        assert!(matches!(no_id.into_device(&emails), Err(UemError::Protocol(_))));
        assert!(serde_json::from_str::<Page<HxDevice>>(r#"{"count": 0, "next": null}"#).is_err(), "results required");
    }

    fn client() -> HexnodeClient {
        HexnodeClient::new(
            Outbound::with_test_routes(HashMap::new()),
            Arc::new(crate::clock::ManualClock::new(OffsetDateTime::UNIX_EPOCH)),
            crate::outbound::validate_host_under("acme.hexnodemdm.com", crate::outbound::HEXNODE_SUFFIX).unwrap(),
            SecretString::from("sekrit-key"),
            HexnodeRetry::default(),
        )
    }

    #[test]
    fn next_links_stay_on_the_portal() {
        let c = client();
        assert!(c.checked_next("https://acme.hexnodemdm.com/api/v1/devices/?page=2&per_page=100").is_ok());
        for bad in [
            "http://acme.hexnodemdm.com/api/v1/devices/?page=2",
            "https://evil.hexnodemdm.com/api/v1/devices/?page=2",
            "https://acme.hexnodemdm.com.evil.com/api/v1/devices/?page=2",
            "https://acme.hexnodemdm.com:8443/api/v1/devices/?page=2",
            "https://u:p@acme.hexnodemdm.com/api/v1/devices/?page=2",
            "/api/v1/devices/?page=2",
        ] {
            assert!(matches!(c.checked_next(bad), Err(UemError::Protocol(_))), "{bad}");
        }
    }

    #[test]
    fn messages_never_carry_the_key_and_debug_hides_it() {
        let c = client();
        assert_eq!(c.message_of(br#"{"detail": "bad key sekrit-key"}"#), "bad key [redacted]");
        assert_eq!(c.message_of(b"  plain  "), "plain");
        assert!(!format!("{c:?}").contains("sekrit"));
    }

    #[test]
    fn backoff_doubles_from_half_a_second_within_max_wait() {
        let c = client();
        assert_eq!(c.backoff(1), Duration::from_millis(500));
        assert_eq!(c.backoff(2), Duration::from_secs(1));
        assert_eq!(c.backoff(3), Duration::from_secs(2));
        assert_eq!(c.backoff(40), Duration::from_secs(32));
    }

    #[test]
    fn refused_device_ids_read_from_the_detail() {
        let ids = |b: &str| invalid_device_ids(b.as_bytes());
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): 77, \"abc\""}"#), Some(vec!["77".into(), "abc".into()]));
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): \"a, b\""}"#), Some(vec!["a, b".into()]));
        assert_eq!(ids(r#"{"detail": "invalid device id(s): abc, 12."}"#), Some(vec!["abc".into(), "12".into()]));
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): "}"#), None);
        assert_eq!(ids(r#"{"detail": "Not found."}"#), None);
        assert_eq!(ids(r#"{"add_devices": ["Invalid device id(s): 1"]}"#), None);
        assert_eq!(ids("Invalid device id(s): 1"), None, "not JSON");
    }

    #[test]
    fn app_kinds_and_ids() {
        assert_eq!(app_kind("vpp"), AppKind::Vpp);
        assert_eq!(app_kind("Store"), AppKind::Store);
        assert_eq!(app_kind("managed-google-play"), AppKind::ManagedPlay);
        assert_eq!(app_kind("ENTERPRISE"), AppKind::Enterprise);
        assert_eq!(app_kind("web_clip"), AppKind::Other);
        assert_eq!(id_value("12"), json!(12));
        assert_eq!(id_value("x-1"), json!("x-1"));
        assert_eq!(id_value("-3"), json!("-3"));
        assert!(same_id("07", "7") && same_id("abc", "abc") && !same_id("7", "8"));
        let app: HxApp = serde_json::from_value(json!({"id": "4", "name": "Okta Verify", "platform": "ipados",
            "app_type": "vpp", "bundle_id": "com.okta.mobile", "version": 9.1}))
        .unwrap();
        let app = app.into_app().unwrap();
        assert_eq!((app.id.as_str(), app.platform, app.kind), ("4", Some(Platform::Ios), AppKind::Vpp));
        assert_eq!((app.version.as_deref(), app.category), (Some("9.1"), None));
        assert!(serde_json::from_value::<HxApp>(json!({"name": "x"})).unwrap().into_app().is_err());
    }

    #[test]
    fn policy_bodies_per_platform() {
        let mut p = DeploymentPolicy {
            name: "ODT iOS".into(),
            description: "d".into(),
            platform: Platform::Ios,
            app: Some(crate::uem::PolicyApp { app_id: "12".into(), vpp_location: Some("Main".into()) }),
            payload: PolicyPayload::AppConfig { bundle_id: "com.okta.mobile".into(), document: "<dict/>".into() },
            device_group_ids: vec!["5".into(), "g-x".into()],
        };
        assert_eq!(
            policy_body(&p),
            json!({
                "name": "ODT iOS", "description": "d", "platform": "ios",
                "app_management": {"mandatory_apps": [{"app_id": 12, "vpp_location": "Main"}]},
                "ios": {"app_configuration": {"bundle_id": "com.okta.mobile", "configuration": "<dict/>"}},
                "policy_targets": {"users": [], "devices": [], "usergroups": [], "devicegroups": [5, "g-x"]},
            })
        );
        p.platform = Platform::Macos;
        p.app = None;
        p.payload = PolicyPayload::ConfigurationProfile { document: "<plist/>".into() };
        let b = policy_body(&p);
        assert_eq!(b["app_management"], json!({"mandatory_apps": []}));
        assert_eq!(
            b["macos"],
            json!({"custom_configuration": {"payload_type": "mobileconfig", "content": "<plist/>"}})
        );
        assert!(b.get("ios").is_none());
        p.platform = Platform::Windows;
        p.payload = PolicyPayload::SyncMl { document: "<SyncBody/>".into() };
        assert_eq!(
            policy_body(&p)["windows"],
            json!({"custom_configuration": {"payload_type": "syncml", "content": "<SyncBody/>"}})
        );
    }

    #[test]
    fn enterprise_app_body_fields() {
        let app = NewEnterpriseApp {
            platform: Platform::Windows,
            name: "Okta Verify".into(),
            category: "Security".into(),
            description: "OV".into(),
            installer_url: "https://example.okta.com/ov.exe".into(),
            success_criteria: Some("exit 0".into()),
            uninstall_parameters: None,
        };
        assert_eq!(
            enterprise_app_body(&app),
            json!({"name": "Okta Verify", "platform": "windows", "app_type": "enterprise", "category": "Security",
                   "description": "OV", "source_url": "https://example.okta.com/ov.exe",
                   "success_criteria": "exit 0", "uninstall_parameters": null})
        );
    }

    #[test]
    fn policy_device_status_reads_leniently() {
        let page: Page<HxPolicyDevice> = serde_json::from_value(json!({"count": 4, "next": null, "results": [
            {"device_id": 12, "status": "success", "error": null, "apps": [{"app_id": 701, "installed": true}]},
            {"device_id": "13", "status": "PENDING", "apps": [{"app_id": "702", "installed": false},
                                                                  {"app_id": 703}]},
            {"device_id": 14, "status": "failed", "error": "Profile refused", "apps": null},
            {"device_id": 15, "status": "removed", "extra": 1}
        ]}))
        .unwrap();
        let s: Vec<PolicyDeviceStatus> = page.results.into_iter().map(|d| d.into_status().unwrap()).collect();
        assert_eq!(
            s[0],
            PolicyDeviceStatus {
                device_id: "12".into(),
                payload: PayloadState::Applied,
                error: None,
                apps_installed: vec![("701".into(), true)],
            }
        );
        assert_eq!(s[1].payload, PayloadState::Pending);
        assert_eq!(s[1].apps_installed, vec![("702".into(), false), ("703".into(), false)]);
        assert_eq!((s[2].payload, s[2].error.as_deref()), (PayloadState::Failed, Some("Profile refused")));
        assert!(s[2].apps_installed.is_empty());
        assert_eq!((s[3].payload, s[3].apps_installed.len()), (PayloadState::Unknown, 0));
        let no_id: HxPolicyDevice = serde_json::from_value(json!({"status": "success"})).unwrap();
        assert!(matches!(no_id.into_status(), Err(UemError::Protocol(_))));
        let app_no_id: HxPolicyDevice =
            serde_json::from_value(json!({"device_id": 1, "apps": [{"installed": true}]})).unwrap();
        assert!(matches!(app_no_id.into_status(), Err(UemError::Protocol(_))));
        assert_eq!(serde_json::to_value(PayloadState::Applied).unwrap(), json!("applied"));
    }

    #[tokio::test]
    async fn an_unrouted_portal_is_unreachable_without_a_request() {
        let c = client();
        assert!(matches!(c.verify().await, Err(UemError::Unreachable(_))));
        assert_eq!(c.request_count(), 0);
        assert!(matches!(c.device_group_members("..").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.delete_policy(".").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.policy_device_status("..").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.delete_device_group(" ").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.change_group_members("", &["1".into()], &[]).await, Err(UemError::NotFound(_))));
        assert_eq!(c.change_group_members("5", &[], &[]).await, Ok(()), "nothing to change: no request");
        assert_eq!(c.request_count(), 0);
    }
}

/// Properties of the wait read from a Hexnode `429` (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Fails if the wait were shorter than Hexnode asked, longer than its number rounded up to the next whole
        /// second, or zero; plain text and the JSON `detail` form alike.
        #[test]
        fn the_wait_is_what_hexnode_asked_rounded_up(tenths in 0u64..10_000_000, json in any::<bool>(),
            header in proptest::option::of(any::<u64>())) {
            let asked = tenths as f64 / 10.0;
            let text = format!("Request was throttled. Expected available in {asked:.1} seconds.");
            let body = if json { serde_json::json!({ "detail": text }).to_string() } else { text };
            let wait = throttle_wait_secs(&body, header);
            prop_assert!(wait >= 1);
            prop_assert!(wait as f64 >= asked, "{} < {}", wait, asked);
            prop_assert!((wait as f64) < asked.max(1.0) + 1.0, "{} for {}", wait, asked);
        }

        /// Fails if a body without Hexnode's sentence gave anything but `Retry-After` (at least 1 s) or the
        /// default.
        #[test]
        fn without_the_sentence_the_header_or_the_default_decides(body in "[^vV]{0,60}",
            header in proptest::option::of(any::<u64>())) {
            let want = header.unwrap_or(DEFAULT_THROTTLE_WAIT.as_secs()).max(1);
            prop_assert_eq!(throttle_wait_secs(&body, header), want);
        }

        /// Fails on a panic for any body (non-ASCII text around "available in", huge or odd numbers), or a zero
        /// wait.
        #[test]
        fn never_panics_and_never_zero(body in prop_oneof![any::<String>(),
            "(\u{e9}|x| ){0,3}[Aa]vailable [Ii]n ?[0-9.eE+\\-]{0,30}( seconds)?\u{1F600}?"],
            header in proptest::option::of(any::<u64>())) {
            prop_assert!(throttle_wait_secs(&body, header) >= 1);
        }
    }
}
