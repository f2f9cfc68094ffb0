//! A small OpenID Connect provider for the local console: discovery, authorization code with PKCE (S256 only),
//! a token endpoint, a JWKS of the local authorizer's own key, and an end-session redirect. The authorization
//! page is a sign-in form that chooses the tenant and the role (and, for tests, the token's lifetime); there are
//! no passwords, as this provider only ever runs on loopback for the local stack. Follows OpenID Connect Core 1.0
//! (code flow), Discovery 1.0 and RFC 7636 (PKCE).

use super::form::{error_page, sign_in_page, Authorize};
use crate::authorizer::LocalAuthorizer;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Json;
use base64::Engine;
use http::{header, StatusCode};
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The console's OIDC client id on the local provider (a public client: no secret, PKCE required).
pub const LOCAL_CLIENT_ID: &str = "odt-console";
/// How long an authorization code may be exchanged, in seconds.
pub const CODE_TTL_SECS: i64 = 60;
/// The longest token lifetime the sign-in form takes, in seconds (a day); the shortest is 1.
pub const MAX_TTL_SECS: i64 = 86_400;

/// A code handed out by the sign-in form and not exchanged yet.
#[derive(Debug, Clone)]
struct Grant {
    req: Authorize,
    tenant: String,
    role: String,
    ttl: i64,
    expires_at: i64,
}

/// The provider: its issuer URL (which the local authorizer trusts), the one client, the console's origin
/// (where redirects may go) and the signing keys.
pub struct Provider {
    pub issuer: String,
    pub origin: String,
    pub authorizer: LocalAuthorizer,
    codes: Mutex<HashMap<String, Grant>>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `BASE64URL(SHA-256(verifier))` without padding (RFC 7636 §4.2, S256).
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// Whether `v` is a PKCE code verifier or S256 challenge: 43 to 128 unreserved characters (RFC 7636 §4.1).
fn pkce_text(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl Provider {
    /// A provider at `issuer` for the console served at `origin`, signing with `authorizer`'s key.
    pub fn new(issuer: &str, origin: &str, authorizer: LocalAuthorizer) -> Arc<Self> {
        Arc::new(Provider {
            issuer: issuer.into(),
            origin: origin.trim_end_matches('/').into(),
            authorizer,
            codes: Mutex::new(HashMap::new()),
        })
    }

    /// The provider's routes, mounted at the issuer's path (`/oidc`).
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
            .route("/oidc/.well-known/openid-configuration", get(discovery))
            .route("/oidc/authorize", get(authorize_page).post(authorize_submit))
            .route("/oidc/token", axum::routing::post(token))
            .route("/oidc/keys", get(keys))
            .route("/oidc/logout", get(logout))
            .with_state(self)
    }

    /// Why the client or redirect URI of `req` is refused (shown on the page: never redirected to).
    fn client_problem(&self, req: &Authorize) -> Option<&'static str> {
        if req.client_id != LOCAL_CLIENT_ID {
            return Some("unknown client_id");
        }
        let inside = req.redirect_uri.strip_prefix(&self.origin).is_some_and(|rest| rest.starts_with('/'));
        (!inside).then_some("redirect_uri is not on the console's origin")
    }

    /// Why the rest of `req` is refused (an OAuth error code for the redirect), if it is.
    fn request_problem(req: &Authorize) -> Option<&'static str> {
        let openid = req.scope.split(' ').any(|s| s == "openid");
        let pkce = req.code_challenge_method == "S256" && pkce_text(&req.code_challenge);
        let sizes = req.state.len() <= 512 && req.nonce.as_deref().is_none_or(|n| n.len() <= 512);
        match () {
            _ if req.response_type != "code" => Some("unsupported_response_type"),
            _ if !openid || !pkce || !sizes => Some("invalid_request"),
            _ => None,
        }
    }
}

async fn discovery(State(p): State<Arc<Provider>>) -> Json<serde_json::Value> {
    let i = &p.issuer;
    Json(json!({
        "issuer": i, "authorization_endpoint": format!("{i}/authorize"), "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/keys"), "end_session_endpoint": format!("{i}/logout"),
        "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"], "scopes_supported": ["openid", "profile"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tenant_id", "role"],
    }))
}

async fn keys(State(p): State<Arc<Provider>>) -> Json<serde_json::Value> {
    Json(p.authorizer.jwks())
}

/// Where an OAuth error goes: back to the client's redirect URI with `error` and `state`.
fn error_redirect(req: &Authorize, error: &str) -> Response {
    let mut url = match url::Url::parse(&req.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page("redirect_uri is not a URL"),
    };
    url.query_pairs_mut().append_pair("error", error).append_pair("state", &req.state);
    Redirect::to(url.as_str()).into_response()
}

async fn authorize_page(State(p): State<Arc<Provider>>, Query(req): Query<Authorize>) -> Response {
    if let Some(problem) = p.client_problem(&req) {
        return error_page(problem);
    }
    if let Some(error) = Provider::request_problem(&req) {
        return error_redirect(&req, error);
    }
    sign_in_page(&req, None)
}

/// The sign-in form's answer: the authorization request again, with the tenant, role and lifetime chosen.
#[derive(Debug, Deserialize)]
struct SignIn {
    #[serde(flatten)]
    req: Authorize,
    tenant: String,
    role: String,
    ttl: Option<String>,
}

async fn authorize_submit(State(p): State<Arc<Provider>>, Form(f): Form<SignIn>) -> Response {
    if let Some(problem) = p.client_problem(&f.req) {
        return error_page(problem);
    }
    if let Some(error) = Provider::request_problem(&f.req) {
        return error_redirect(&f.req, error);
    }
    let ttl = f.ttl.as_deref().filter(|t| !t.is_empty()).map_or(Some(3600), |t| t.parse::<i64>().ok());
    let ttl = ttl.filter(|t| (1..=MAX_TTL_SECS).contains(t));
    let role_ok = f.role == "admin" || f.role == "technician";
    if odt_shared::auth::TenantId::parse(&f.tenant).is_none() || !role_ok || ttl.is_none() {
        let problem = "the tenant takes 1 to 128 letters, digits, '-' and '_'; the role is admin or technician; the \
                       lifetime is 1 to 86400 seconds";
        return sign_in_page(&f.req, Some(problem));
    }
    let code = uuid::Uuid::new_v4().simple().to_string();
    let grant = Grant {
        req: f.req.clone(),
        tenant: f.tenant,
        role: f.role,
        ttl: ttl.unwrap_or(3600),
        expires_at: now() + CODE_TTL_SECS,
    };
    if let Ok(mut codes) = p.codes.lock() {
        codes.retain(|_, g| g.expires_at > now());
        codes.insert(code.clone(), grant);
    }
    let mut url = match url::Url::parse(&f.req.redirect_uri) {
        Ok(u) => u,
        Err(_) => return error_page("redirect_uri is not a URL"),
    };
    url.query_pairs_mut().append_pair("code", &code).append_pair("state", &f.req.state);
    Redirect::to(url.as_str()).into_response()
}

/// The token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: String,
    code: String,
    redirect_uri: String,
    client_id: String,
    code_verifier: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = Json(json!({ "error": error, "error_description": description }));
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn token(State(p): State<Arc<Provider>>, Form(t): Form<TokenRequest>) -> Response {
    if t.grant_type != "authorization_code" {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "authorization_code only");
    }
    // A code is used once, whatever the outcome (RFC 6749 §4.1.2).
    let grant = p.codes.lock().ok().and_then(|mut c| c.remove(&t.code));
    let Some(g) = grant.filter(|g| g.expires_at > now()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown, used or expired code");
    };
    if t.client_id != g.req.client_id || t.redirect_uri != g.req.redirect_uri {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "client_id or redirect_uri differ");
    }
    if !pkce_text(&t.code_verifier) || s256(&t.code_verifier) != g.req.code_challenge {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code_verifier does not match");
    }
    let access = p.authorizer.token(&g.tenant, &g.role, g.ttl);
    let issued = now();
    let id = p.authorizer.sign(&json!({
        "iss": p.issuer, "aud": g.req.client_id, "sub": format!("{}@{}", g.role, g.tenant),
        "iat": issued, "exp": issued + g.ttl, "nonce": g.req.nonce, "tenant_id": g.tenant, "role": g.role,
        "name": format!("{} ({})", g.role, g.tenant),
    }));
    let body = json!({
        "access_token": access, "id_token": id, "token_type": "Bearer", "expires_in": g.ttl,
        "scope": g.req.scope,
    });
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `GET /oidc/logout`: nothing is kept server-side, so ending the session is a redirect back to the console.
#[derive(Debug, Deserialize)]
struct Logout {
    post_logout_redirect_uri: Option<String>,
}

async fn logout(State(p): State<Arc<Provider>>, Query(l): Query<Logout>) -> Response {
    let back = l
        .post_logout_redirect_uri
        .filter(|u| u.strip_prefix(&p.origin).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')));
    Redirect::to(&back.unwrap_or_else(|| format!("{}/", p.origin))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_follows_rfc_7636_appendix_b() {
        assert_eq!(s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(pkce_text("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!pkce_text("short") && !pkce_text(&"a b".repeat(20)));
    }
}
