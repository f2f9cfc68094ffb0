//! The org authorization server's token endpoint: the client credentials grant, with the client authenticated by
//! client_secret_basic or private_key_jwt (RS256, ES256), and only granted scopes issued.

use super::edge::{now, oauth_error, record_and_delay, Shared};
use super::{DoubleClient, OktaState};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `POST /oauth2/v1/token`: the client credentials grant; answers an access token for the requested scopes, or
/// the OAuth error (`unsupported_grant_type`, `invalid_client`, `invalid_scope`).
pub(super) async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
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

/// The registered app the request authenticates as: by client_secret_basic (`Authorization: Basic`), or by a
/// private_key_jwt `client_assertion` signed with one of its keys (`aud` the token endpoint, `iss` and `sub`
/// the client id, a `jti`, expiring within the hour). `Err` is the `invalid_client` description.
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
    if data.claims["exp"].as_i64().unwrap_or(0) > now() + s.time_ahead_secs + 3600 {
        return Err("The client_assertion expires more than an hour ahead.".into());
    }
    Ok(c.clone())
}
