//! The Hexnode UEM REST API behind [`Uem`]: devices joined with their owners, device groups and their members,
//! every page.
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
//!   57.0 seconds.` (as text or as `{"detail": …}`).
//!
//! Every URL goes through [`Outbound::route`] before it is sent, every wait through [`Clock::sleep`], and the API
//! key never appears in a log line or an error.

use super::{DeviceGroup, Enrollment, Uem, UemDevice, UemError};
use crate::clock::Clock;
use crate::outbound::{OrgHost, Outbound};
use crate::platform::Platform;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
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

    /// GETs one URL of this portal and returns the body of a 2xx answer.
    ///
    /// A `429` waits as long as Hexnode says (see [`throttle_wait_secs`]) and retries; a wait longer than
    /// [`HexnodeRetry::max_wait`] or a `429` on the last attempt fails with [`UemError::Throttled`]. 5xx answers and
    /// transport errors retry after [`BASE_BACKOFF`], doubling. Errors: [`UemError::Unauthorized`] for 401/403
    /// (and `Unauthorized(0)`, without any request, for a key that cannot be an HTTP header value),
    /// [`UemError::NotFound`] for 404, [`UemError::Api`] for other answers, [`UemError::Unreachable`] when the
    /// portal cannot be reached (or is not routed, in a test set-up).
    async fn get(&self, url: &Url) -> Result<Vec<u8>, UemError> {
        let mut key = HeaderValue::from_str(self.api_key.expose_secret()).map_err(|_| UemError::Unauthorized(0))?;
        key.set_sensitive(true);
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let target = self.outbound.route(url).map_err(UemError::Unreachable)?;
            let req = self
                .outbound
                .http()
                .get(target)
                .header(AUTHORIZATION, key.clone())
                .header(ACCEPT, HeaderValue::from_static("application/json"));
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
                        tracing::warn!(error = %reason, attempt, path = url.path(), "Hexnode request failed; retrying");
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
                    tracing::info!(wait_s = secs, attempt, path = url.path(), "Hexnode throttled the request; waiting");
                    self.clock.sleep(wait).await;
                }
                401 | 403 => return Err(UemError::Unauthorized(status)),
                404 => return Err(UemError::NotFound(url.path().to_string())),
                500..=599 if attempt < max_attempts => {
                    tracing::warn!(status, attempt, path = url.path(), "Hexnode server error; retrying");
                    self.clock.sleep(self.backoff(attempt)).await;
                }
                _ => return Err(UemError::Api { status, message: self.message_of(&body) }),
            }
        }
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
    /// each page's `next` exactly as given until it is `null`. Errors: as [`HexnodeClient::get`], plus
    /// [`UemError::Protocol`] for a page without `results`, an item that does not read as `T`, or a `next` link
    /// that leaves the portal or loops.
    async fn list_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, UemError> {
        let mut url = self.api_url(&format!("{path}?page=1&per_page={PER_PAGE}"))?;
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
        let not_found = || UemError::NotFound(format!("device group {group_id}"));
        if matches!(group_id.trim(), "" | "." | "..") {
            return Err(not_found());
        }
        let mut url = self.api_url("devicegroups/")?;
        url.path_segments_mut()
            .map_err(|_| UemError::Protocol("API URL cannot take a path".into()))?
            .pop_if_empty()
            .push(group_id)
            .push("");
        let body = match self.get(&url).await {
            Err(UemError::NotFound(_)) => return Err(not_found()),
            other => other?,
        };
        let detail: HxGroupDetail =
            serde_json::from_slice(&body).map_err(|e| UemError::Protocol(format!("device group answer: {e}")))?;
        let members = detail
            .devices
            .ok_or_else(|| UemError::Protocol(format!("device group {group_id} answer has no devices list")))?;
        let mut seen = HashSet::new();
        Ok(members.into_iter().filter_map(|m| m.id).filter(|id| seen.insert(id.clone())).collect())
    }
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

    #[tokio::test]
    async fn an_unrouted_portal_is_unreachable_without_a_request() {
        let c = client();
        assert!(matches!(c.verify().await, Err(UemError::Unreachable(_))));
        assert_eq!(c.request_count(), 0);
        assert!(matches!(c.device_group_members("..").await, Err(UemError::NotFound(_))));
    }
}
