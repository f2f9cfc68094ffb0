//! The client room's transport: [`HexnodeClient`] for one portal and one API key, the request function (throttle
//! waits, retries, the error of each answer), item URLs and paging. The [`Uem`](crate::uem::Uem) calls built on
//! it are in `calls.rs`; the wait a `429` asks for is read in `throttle.rs`.

use super::throttle::throttle_wait_secs;
use super::wire::{invalid_device_ids, Page};
use crate::clock::Clock;
use crate::outbound::{OrgHost, Outbound};
use crate::rate_headers::retry_after_secs;
use crate::uem::{Admission, UemError};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Items asked for per page (`per_page`) on every list call.
pub const PER_PAGE: u32 = 100;

/// The first backoff after a 5xx answer or a transport error; it doubles with each further attempt.
pub const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// A list longer than this many pages (a million items at [`PER_PAGE`]) is taken for a paging loop.
const MAX_PAGES: usize = crate::outbound::MAX_LIST_PAGES;

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

/// A client for one Hexnode portal and one API key (Hexnode: Admin › API). Implements [`Uem`](crate::uem::Uem).
pub struct HexnodeClient {
    outbound: Outbound,
    clock: Arc<dyn Clock>,
    portal: OrgHost,
    api_key: SecretString,
    policy: HexnodeRetry,
    requests: AtomicU64,
    /// Admits each request within the tenant's share of Hexnode's limits; `None` for an unpaced client (tests of
    /// the client alone).
    pacer: Option<Arc<dyn Admission>>,
}

impl std::fmt::Debug for HexnodeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HexnodeClient").field("portal", &self.portal).field("policy", &self.policy).finish()
    }
}

/// One answer from the portal: its status, its `Retry-After` in seconds, its body.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Vec<u8>,
}

/// What [`HexnodeClient::send`] does after an answer or a transport error: return the body, or wait and send again.
enum Next {
    Done(Vec<u8>),
    Retry(Duration),
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
        HexnodeClient { outbound, clock, portal, api_key, policy, requests: AtomicU64::new(0), pacer: None }
    }

    /// This client with every request (retries included) admitted by `pacer` first.
    pub fn paced(self, pacer: Arc<dyn Admission>) -> Self {
        HexnodeClient { pacer: Some(pacer), ..self }
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
    pub(super) fn api_url(&self, path_and_query: &str) -> Result<Url, UemError> {
        self.portal
            .base_url()
            .join(&format!("api/v1/{path_and_query}"))
            .map_err(|e| UemError::Protocol(format!("API URL: {e}")))
    }

    /// The wait before attempt `attempt + 1` after a 5xx or a transport error: [`BASE_BACKOFF`], doubling, at most
    /// [`HexnodeRetry::max_wait`].
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
    /// cannot be reached (or is not routed, in a test set-up); a paced client's refusals (see
    /// [`Admission::admit`]) before any request; [`UemError::PastDeadline`] when the caller's admission deadline
    /// (see [`crate::uem::admitted_by`]) comes before a request could be admitted.
    pub(super) async fn send(&self, method: Method, url: &Url, body: Option<&Value>) -> Result<Vec<u8>, UemError> {
        let mut key = HeaderValue::from_str(self.api_key.expose_secret()).map_err(|_| UemError::Unauthorized(0))?;
        key.set_sensitive(true);
        let payload =
            body.map(serde_json::to_vec).transpose().map_err(|e| UemError::Protocol(format!("request body: {e}")))?;
        let max_attempts = self.policy.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = attempt >= max_attempts;
            let target = self.outbound.route(url).map_err(UemError::Unreachable)?;
            // Past the caller's admission deadline nothing more is sent; a wait for admission is cut at it.
            let by = crate::uem::admission_deadline();
            if by.is_some_and(|by| std::time::Instant::now() >= by) {
                return Err(UemError::PastDeadline);
            }
            if let Some(pacer) = &self.pacer {
                match by {
                    Some(by) => {
                        let left = by.saturating_duration_since(std::time::Instant::now());
                        tokio::time::timeout(left, pacer.admit()).await.map_err(|_| UemError::PastDeadline)??
                    }
                    None => pacer.admit().await?,
                }
            }
            let next = match self.send_once(&method, target, &key, payload.as_deref()).await {
                Ok(answer) => self.judge(&method, url, answer, attempt, last)?,
                Err(e) if !last => {
                    let (reason, path) = (e.without_url().to_string(), url.path());
                    tracing::warn!(error = %reason, attempt, %method, path, "Hexnode request failed; retrying");
                    Next::Retry(self.backoff(attempt))
                }
                Err(e) => return Err(UemError::Unreachable(e.without_url().to_string())),
            };
            match next {
                Next::Done(body) => return Ok(body),
                Next::Retry(wait) => self.clock.sleep(wait).await,
            }
        }
    }

    /// Sends `method` to `target` once, with the key, `Accept: application/json` and the JSON `payload`, and reads
    /// the whole answer (counted in [`HexnodeClient::request_count`]). Errors: the transport's.
    async fn send_once(
        &self,
        method: &Method,
        target: Url,
        key: &HeaderValue,
        payload: Option<&[u8]>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self
            .outbound
            .http()
            .request(method.clone(), target)
            .header(AUTHORIZATION, key.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(payload) = payload {
            req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(payload.to_vec());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let retry_after = retry_after_secs(resp.headers(), self.clock.now());
        let body = resp.bytes().await?.to_vec();
        Ok(Answer { status, retry_after, body })
    }

    /// What `answer` (to attempt number `attempt` of `method url`, the last one when `last`) means, as
    /// [`HexnodeClient::send`] describes: the body of a 2xx, a wait before the next attempt for a `429` within
    /// [`HexnodeRetry::max_wait`] or a 5xx, else the error.
    fn judge(&self, method: &Method, url: &Url, answer: Answer, attempt: u32, last: bool) -> Result<Next, UemError> {
        let Answer { status, retry_after, body } = answer;
        let path = url.path();
        match status {
            200..=299 => Ok(Next::Done(body)),
            429 => {
                let secs = throttle_wait_secs(&String::from_utf8_lossy(&body), retry_after);
                let wait = Duration::from_secs(secs);
                if last || wait > self.policy.max_wait {
                    return Err(UemError::Throttled { retry_after_secs: secs });
                }
                tracing::info!(wait_s = secs, attempt, %method, path, "Hexnode throttled the request; waiting");
                Ok(Next::Retry(wait))
            }
            401 | 403 => Err(UemError::Unauthorized(status)),
            404 => Err(UemError::NotFound(path.to_string())),
            400 if *method == Method::POST => Err(match invalid_device_ids(&body) {
                Some(ids) => UemError::InvalidDevices(ids),
                None => UemError::Api { status, message: self.message_of(&body) },
            }),
            500..=599 if !last => {
                tracing::warn!(status, attempt, %method, path, "Hexnode server error; retrying");
                Ok(Next::Retry(self.backoff(attempt)))
            }
            _ => Err(UemError::Api { status, message: self.message_of(&body) }),
        }
    }

    /// [`HexnodeClient::send`] with `GET` and no body.
    pub(super) async fn get(&self, url: &Url) -> Result<Vec<u8>, UemError> {
        self.send(Method::GET, url, None).await
    }

    /// `https://<portal>/api/v1/<collection><id>/` with `id` as one path segment (percent-encoded, so it cannot
    /// climb out of `collection`). Errors: [`UemError::NotFound`] naming `what` for an id that cannot name
    /// anything (empty, `.`, `..`), without a request.
    pub(super) fn item_url(&self, collection: &str, what: &str, id: &str) -> Result<Url, UemError> {
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

    /// The first page of the list `list` under an item, `https://<portal>/api/v1/<collection><id>/<list>/?page=1&
    /// per_page=`[`PER_PAGE`]. Errors: as [`HexnodeClient::item_url`].
    pub(super) fn item_list_url(&self, collection: &str, what: &str, id: &str, list: &str) -> Result<Url, UemError> {
        let mut url = self.item_url(collection, what, id)?;
        url.path_segments_mut()
            .map_err(|_| UemError::Protocol("API URL cannot take a path".into()))?
            .pop_if_empty()
            .push(list)
            .push("");
        url.set_query(Some(&format!("page=1&per_page={PER_PAGE}")));
        Ok(url)
    }

    /// Sends to an item URL (see [`HexnodeClient::item_url`]), naming the item in a [`UemError::NotFound`].
    pub(super) async fn send_item(
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

    /// Whether item `id` of `collection` exists, by the documented `GET <collection><id>/` (a `404` is `false`).
    /// Errors: as [`HexnodeClient::send`] for any other failure.
    pub(super) async fn item_exists(&self, collection: &str, what: &str, id: &str) -> Result<bool, UemError> {
        match self.send_item(Method::GET, collection, what, id, None).await {
            Ok(_) => Ok(true),
            Err(UemError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sends `body` to `collection` (e.g. `devicegroups/`) with POST and reads the answer as `T`.
    pub(super) async fn create<T: DeserializeOwned>(&self, collection: &str, body: &Value) -> Result<T, UemError> {
        let url = self.api_url(collection)?;
        let answer = self.send(Method::POST, &url, Some(body)).await?;
        serde_json::from_slice(&answer).map_err(|e| UemError::Protocol(format!("answer to POST {collection}: {e}")))
    }

    /// Checks a page's `next` link by the one rule of [`crate::outbound::checked_next_link`] (this portal's host).
    /// Errors: [`UemError::Protocol`] otherwise.
    fn checked_next(&self, next: &str) -> Result<Url, UemError> {
        crate::outbound::checked_next_link(self.portal.as_str(), next).map_err(UemError::Protocol)
    }

    /// Every item of a paged list `path` (e.g. `devices/`), from `?page=1&per_page=`[`PER_PAGE`] on, following
    /// each page's `next` exactly as given until it is `null`. Errors: as [`HexnodeClient::send`], plus
    /// [`UemError::Protocol`] for a page without `results`, an item that does not read as `T`, or a `next` link
    /// that leaves the portal or loops.
    pub(super) async fn list_all<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, UemError> {
        let url = self.page_url(path, None)?;
        self.list_from(url, path).await
    }

    /// Every item of the paged list whose first page is `url`, as [`HexnodeClient::list_all`]; `path` names the
    /// list in errors.
    pub(super) async fn list_from<T: DeserializeOwned>(&self, mut url: Url, path: &str) -> Result<Vec<T>, UemError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        loop {
            if !seen.insert(url.as_str().to_string()) || seen.len() > MAX_PAGES {
                return Err(UemError::Protocol(format!("the pages of {path} loop")));
            }
            let (items, next) = self.page(&url).await?;
            out.extend(items);
            match next {
                None => return Ok(out),
                Some(next) => url = self.checked_next(&next)?,
            }
        }
    }

    /// One page of a list: its `results` read as `T` and its `next` link (`None` when absent, `null` or empty).
    /// Errors: as [`HexnodeClient::send`], and [`UemError::Protocol`] for a page without `results` or an item
    /// that does not read as `T`.
    pub(super) async fn page<T: DeserializeOwned>(&self, url: &Url) -> Result<(Vec<T>, Option<String>), UemError> {
        let body = self.get(url).await?;
        let page: Page<T> =
            serde_json::from_slice(&body).map_err(|e| UemError::Protocol(format!("page of {}: {e}", url.path())))?;
        let next = page.next.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
        Ok((page.results, next))
    }

    /// The URL of a page of list `path`: its first page (`?page=1&per_page=`[`PER_PAGE`]) when `next` is `None`,
    /// else `next` once checked as every `next` link is. Errors: [`UemError::Protocol`] for a link that leaves
    /// the portal.
    pub(super) fn page_url(&self, path: &str, next: Option<&str>) -> Result<Url, UemError> {
        match next {
            None => self.api_url(&format!("{path}?page=1&per_page={PER_PAGE}")),
            Some(n) => self.checked_next(n),
        }
    }
}

/// A client for `acme.hexnodemdm.com` with the key `sekrit-key` and no routes (every request is unreachable), for
/// the unit tests of this module's rooms.
#[cfg(test)]
pub(super) fn unrouted_test_client() -> HexnodeClient {
    HexnodeClient::new(
        Outbound::with_test_routes(std::collections::HashMap::new()),
        Arc::new(crate::clock::ManualClock::new(time::OffsetDateTime::UNIX_EPOCH)),
        crate::outbound::validate_host_under("acme.hexnodemdm.com", crate::outbound::HEXNODE_SUFFIX).unwrap(),
        SecretString::from("sekrit-key"),
        HexnodeRetry::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::unrouted_test_client as client;
    use super::*;

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
}
