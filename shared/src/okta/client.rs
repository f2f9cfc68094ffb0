//! The Okta HTTP client for one org and one set of credentials.

use super::credentials::OktaCredentials;
use super::devices::{OktaDevice, WireDevice};
use super::error::OktaError;
use super::link::next_link;
use super::model::{Group, User};
use crate::clock::Clock;
use crate::outbound::{OrgHost, Outbound};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use url::Url;

/// Bounds on waiting and retrying, per request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, counting the first (429, 5xx and transport errors retry).
    pub max_attempts: u32,
    /// The longest single wait for a rate-limit reset; a later reset fails with [`OktaError::RateLimited`].
    pub max_wait: Duration,
    /// First backoff for 5xx and transport errors (doubles each attempt) when Okta gives no reset time.
    pub base_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, max_wait: Duration::from_secs(60), base_backoff: Duration::from_millis(500) }
    }
}

/// A granted access token: what the product may do with it.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub scopes: Vec<String>,
    pub expires_in: Duration,
}

struct CachedToken {
    access: SecretString,
    expires_at: OffsetDateTime,
}

/// Refresh a cached token this long before Okta's expiry.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// A client for one org. Tokens are cached until shortly before expiry; the rate-limit reset seen on the last
/// answer with `X-Rate-Limit-Remaining: 0` holds back the next request until that time.
pub struct OktaClient {
    outbound: Outbound,
    clock: Arc<dyn Clock>,
    host: OrgHost,
    credentials: OktaCredentials,
    scopes: Vec<String>,
    policy: RetryPolicy,
    token: Mutex<Option<CachedToken>>,
    not_before: std::sync::Mutex<Option<OffsetDateTime>>,
    requests: AtomicU64,
}

impl std::fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaClient")
            .field("host", &self.host)
            .field("client_id", &self.credentials.client_id())
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    scope: String,
}

#[derive(serde::Deserialize)]
struct OAuthErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(serde::Deserialize)]
struct ApiErrorAnswer {
    #[serde(rename = "errorCode")]
    error_code: String,
    #[serde(rename = "errorSummary", default)]
    error_summary: String,
}

impl OktaClient {
    /// A client that asks for `scopes` when it needs a token.
    pub fn new(
        outbound: Outbound,
        clock: Arc<dyn Clock>,
        host: OrgHost,
        credentials: OktaCredentials,
        scopes: Vec<String>,
        policy: RetryPolicy,
    ) -> Self {
        OktaClient {
            outbound,
            clock,
            host,
            credentials,
            scopes,
            policy,
            token: Mutex::new(None),
            not_before: std::sync::Mutex::new(None),
            requests: AtomicU64::new(0),
        }
    }

    /// The org host.
    pub fn host(&self) -> &OrgHost {
        &self.host
    }

    /// How many HTTP requests this client has sent (token and API), for tests and benchmarks.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn token_url(&self) -> Url {
        self.host.base_url().join("oauth2/v1/token").expect("static path joins")
    }

    /// Asks the token endpoint for a token with exactly `scopes`, and caches it when they are this client's.
    /// Errors: [`OktaError::OAuth`] with Okta's `error` (`invalid_client`, `invalid_scope`, …).
    pub async fn request_token(&self, scopes: &[&str]) -> Result<TokenGrant, OktaError> {
        let (access, grant) = self.fetch_token(scopes).await?;
        let mine: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        if mine == scopes {
            *self.token.lock().await = Some(CachedToken {
                access,
                expires_at: self.clock.now() + grant.expires_in.saturating_sub(TOKEN_MARGIN),
            });
        }
        Ok(grant)
    }

    async fn fetch_token(&self, scopes: &[&str]) -> Result<(SecretString, TokenGrant), OktaError> {
        let token_url = self.token_url();
        let scope = scopes.join(" ");
        let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".into()), ("scope", scope)];
        let target = self.outbound.route(&token_url).map_err(OktaError::Unreachable)?;
        let mut req = self.outbound.http().post(target).header("accept", "application/json");
        match &self.credentials {
            OktaCredentials::ClientSecret { client_id, client_secret } => {
                req = req.basic_auth(client_id, Some(client_secret.expose_secret()));
            }
            OktaCredentials::PrivateKey { client_id, private_key_pem, key_id } => {
                let assertion = self.client_assertion(client_id, private_key_pem, key_id.as_deref(), &token_url)?;
                form.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into()));
                form.push(("client_assertion", assertion));
            }
        }
        let resp = self.send_counted(req.form(&form)).await?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| OktaError::Unreachable(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            let t: TokenAnswer =
                serde_json::from_str(&text).map_err(|e| OktaError::Protocol(format!("token answer: {e}")))?;
            let grant = TokenGrant {
                scopes: t.scope.split_ascii_whitespace().map(str::to_string).collect(),
                expires_in: Duration::from_secs(t.expires_in.max(60)),
            };
            return Ok((SecretString::from(t.access_token), grant));
        }
        match serde_json::from_str::<OAuthErrorAnswer>(&text) {
            Ok(e) => Err(OktaError::OAuth { status, error: e.error, description: e.error_description }),
            Err(_) => match serde_json::from_str::<ApiErrorAnswer>(&text) {
                Ok(e) => Err(OktaError::Api { status, code: e.error_code, summary: e.error_summary }),
                Err(_) => Err(OktaError::Protocol(format!("token endpoint answered {status}"))),
            },
        }
    }

    /// The private_key_jwt client assertion: `iss` = `sub` = client id, `aud` = the token URL, `exp` 5 minutes
    /// ahead, a fresh `jti`, and `kid` when the app has several keys.
    fn client_assertion(
        &self,
        client_id: &str,
        pem: &SecretString,
        key_id: Option<&str>,
        token_url: &Url,
    ) -> Result<String, OktaError> {
        let (key, alg) = OktaCredentials::signing_key(pem).map_err(OktaError::InvalidKey)?;
        let mut header = jsonwebtoken::Header::new(alg);
        header.kid = key_id.map(str::to_string);
        let now = self.clock.now().unix_timestamp();
        let claims = serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": token_url.as_str(),
            "iat": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
        });
        jsonwebtoken::encode(&header, &claims, &key).map_err(|e| OktaError::InvalidKey(e.to_string()))
    }

    async fn access_token(&self) -> Result<SecretString, OktaError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref() {
            if self.clock.now() < t.expires_at {
                return Ok(t.access.clone());
            }
        }
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let (access, grant) = self.fetch_token(&scopes).await?;
        *guard = Some(CachedToken {
            access: access.clone(),
            expires_at: self.clock.now() + grant.expires_in.saturating_sub(TOKEN_MARGIN),
        });
        Ok(access)
    }

    async fn send_counted(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, OktaError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        req.send().await.map_err(|e| OktaError::Unreachable(e.without_url().to_string()))
    }

    /// Waits out a known rate-limit reset before sending.
    async fn respect_reset(&self) {
        let until = *self.not_before.lock().expect("rate gate lock");
        if let Some(until) = until {
            let now = self.clock.now();
            if until > now {
                self.clock.sleep((until - now).unsigned_abs()).await;
            }
        }
    }

    /// GET one URL on this org with the bearer token; waits for rate-limit resets and retries 5xx and transport
    /// errors within [`RetryPolicy`]; refreshes the token once on `E0000011`.
    async fn get(&self, url: &Url) -> Result<reqwest::Response, OktaError> {
        self.send(reqwest::Method::GET, url, None, true).await
    }

    /// Sends one request to this org with the bearer token and, when given, a JSON body. Waits for rate-limit
    /// resets (a 429 was not served, so every request is sent again after it) and refreshes the token once on
    /// `E0000011`; 5xx and transport errors are retried within [`RetryPolicy`] only when `idempotent` (a create
    /// whose answer was lost may have been done: the caller finds it instead of creating it twice).
    pub(super) async fn send(
        &self,
        method: reqwest::Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        idempotent: bool,
    ) -> Result<reqwest::Response, OktaError> {
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.respect_reset().await;
            let token = self.access_token().await?;
            let target = self.outbound.route(url).map_err(OktaError::Unreachable)?;
            let mut req = self
                .outbound
                .http()
                .request(method.clone(), target)
                .header("accept", "application/json")
                .bearer_auth(token.expose_secret());
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = match self.send_counted(req).await {
                Ok(r) => r,
                Err(e) if idempotent && attempt < self.policy.max_attempts => {
                    tracing::warn!(error = %e, attempt, "Okta request failed; retrying");
                    self.clock.sleep(self.backoff(attempt)).await;
                    continue;
                }
                Err(e) => return Err(e),
            };
            // Every value of each header counts: the latest reset and the fewest calls left bind (case C25).
            let reset = crate::rate_headers::latest_reset(resp.headers());
            if crate::rate_headers::least_remaining(resp.headers()) == Some(0) {
                *self.not_before.lock().expect("rate gate lock") = reset;
            }
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if status.as_u16() == 429 {
                let now = self.clock.now();
                // A reset already past (clock skew, a stale header) is no reason to send at once: back off instead.
                let until = reset.filter(|r| *r > now).unwrap_or(now + self.backoff(attempt));
                let wait = (until - now).unsigned_abs();
                if attempt >= self.policy.max_attempts || wait > self.policy.max_wait {
                    return Err(OktaError::RateLimited { retry_at: until });
                }
                tracing::info!(wait_ms = wait.as_millis() as u64, "Okta rate limit (E0000047); waiting for reset");
                self.clock.sleep(wait).await;
                continue;
            }
            if status.is_server_error() && idempotent && attempt < self.policy.max_attempts {
                tracing::warn!(status = status.as_u16(), attempt, "Okta server error; retrying");
                self.clock.sleep(self.backoff(attempt)).await;
                continue;
            }
            let err = Self::api_error(resp).await;
            if err.code() == Some("E0000011") && !refreshed {
                refreshed = true;
                *self.token.lock().await = None;
                continue;
            }
            return Err(err);
        }
    }

    /// The Management API error an unsuccessful answer carries (Okta's `errorCode` and `errorSummary`).
    async fn api_error(resp: reqwest::Response) -> OktaError {
        let code = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match serde_json::from_str::<ApiErrorAnswer>(&text) {
            Ok(e) => OktaError::Api { status: code, code: e.error_code, summary: e.error_summary },
            Err(_) => OktaError::Api { status: code, code: String::new(), summary: format!("HTTP {code}") },
        }
    }

    /// `path` (relative, e.g. `api/v1/eventHooks/<id>`) on this org. Errors: [`OktaError::Protocol`].
    pub(super) fn url(&self, path: &str) -> Result<Url, OktaError> {
        self.host.base_url().join(path).map_err(|e| OktaError::Protocol(e.to_string()))
    }

    /// Sends `method` with `body` and reads the answer as `T` (see [`OktaClient::send`]; every method but `POST` is
    /// taken as safe to repeat). Errors: as `send`, plus [`OktaError::Protocol`] for an answer that is not a `T`
    /// (`what` names it).
    pub(super) async fn send_json<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Result<T, OktaError> {
        let idempotent = method != reqwest::Method::POST;
        let resp = self.send(method, &self.url(path)?, body, idempotent).await?;
        let bytes = resp.bytes().await.map_err(|e| OktaError::Unreachable(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| OktaError::Protocol(format!("{what}: {e}")))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.policy.base_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(6)).min(self.policy.max_wait)
    }

    /// Every item of a paged list, following `Link: rel="next"` exactly as given until no `next` is left.
    /// Errors: as [`OktaClient::get`], plus [`OktaError::Protocol`] for a page that is not a JSON array or a
    /// `next` link to another host.
    pub async fn list_all<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<Vec<T>, OktaError> {
        let mut url = self.host.base_url().join(path_and_query).map_err(|e| OktaError::Protocol(e.to_string()))?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(url.as_str().to_string()) || seen.len() > crate::outbound::MAX_LIST_PAGES {
                return Err(OktaError::Protocol(format!("the pages of {} loop", url.path())));
            }
            let (next, bytes) = self.get_page(&url).await?;
            let page: Vec<T> = serde_json::from_slice(&bytes)
                .map_err(|e| OktaError::Protocol(format!("page of {}: {e}", url.path())))?;
            out.extend(page);
            match next {
                None => return Ok(out),
                Some(n) => {
                    url = crate::outbound::checked_next_link(self.host.as_str(), &n).map_err(OktaError::Protocol)?
                }
            }
        }
    }

    /// One page: its `next` link and its body. A body that breaks off mid-way (the connection dropped) is a
    /// transport error and the page is asked for again, within the same [`RetryPolicy`] attempts.
    async fn get_page(&self, url: &Url) -> Result<(Option<String>, Vec<u8>), OktaError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let resp = self.get(url).await?;
            let next = next_link(resp.headers().get_all("link").iter().filter_map(|v| v.to_str().ok()));
            match resp.bytes().await {
                Ok(b) => return Ok((next, b.to_vec())),
                Err(e) if attempt < self.policy.max_attempts => {
                    tracing::warn!(error = %e.without_url(), attempt, "Okta page broke off; asking again");
                    self.clock.sleep(self.backoff(attempt)).await;
                }
                Err(e) => return Err(OktaError::Unreachable(e.without_url().to_string())),
            }
        }
    }

    /// One read call that proves the token works for the Management API: the first group.
    pub async fn probe(&self) -> Result<(), OktaError> {
        let url = self.host.base_url().join("api/v1/groups?limit=1").expect("static path joins");
        self.get(&url).await.map(|_| ())
    }

    /// All groups, or those whose name starts with `name_prefix` (Okta's `search=profile.name sw "…"`), all pages
    /// of 200.
    pub async fn list_groups(&self, name_prefix: Option<&str>) -> Result<Vec<Group>, OktaError> {
        let query = {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("limit", "200");
            if let Some(p) = name_prefix.filter(|p| !p.is_empty()) {
                let escaped = p.replace('\\', "\\\\").replace('"', "\\\"");
                q.append_pair("search", &format!("profile.name sw \"{escaped}\""));
            }
            q.finish()
        };
        self.list_all(&format!("api/v1/groups?{query}")).await
    }

    /// Every device Okta records, with its device user links: all pages of
    /// `GET /api/v1/devices?expand=user&limit=200` (operation `listDevices` in `../shared/okta/spec/management.yaml`;
    /// items are the spec's `DeviceList`, read as in [`OktaDevice`]). Needs the scope `okta.devices.read` (which
    /// connect-time verification requires). Errors: as [`OktaClient::list_all`] (a token without the scope:
    /// [`OktaError::Api`] with status 403, `E0000006`), plus [`OktaError::Protocol`] for a device without an `id`
    /// or a device user link without a user id.
    pub async fn list_devices(&self) -> Result<Vec<OktaDevice>, OktaError> {
        let devices: Vec<WireDevice> = self.list_all("api/v1/devices?expand=user&limit=200").await?;
        devices.into_iter().map(WireDevice::into_device).collect()
    }

    /// One user by id (`GET /api/v1/users/{id}`, operation `getUser` in `../shared/okta/spec/management.yaml`;
    /// scope `okta.users.read`); `None` when Okta has no such user (404 `E0000007`). Errors: as
    /// [`OktaClient::list_all`], plus [`OktaError::Protocol`] for an answer that is not a user.
    pub async fn get_user(&self, id: &str) -> Result<Option<User>, OktaError> {
        let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        let url =
            self.host.base_url().join(&format!("api/v1/users/{id}")).map_err(|e| OktaError::Protocol(e.to_string()))?;
        let resp = match self.get(&url).await {
            Ok(r) => r,
            Err(OktaError::Api { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bytes = resp.bytes().await.map_err(|e| OktaError::Unreachable(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map(Some).map_err(|e| OktaError::Protocol(format!("a user: {e}")))
    }

    /// All members of a group, pages of 200.
    pub async fn list_group_members(&self, group_id: &str) -> Result<Vec<User>, OktaError> {
        let id: String = url::form_urlencoded::byte_serialize(group_id.as_bytes()).collect();
        self.list_all(&format!("api/v1/groups/{id}/users?limit=200")).await
    }
}
