//! The admin's side of the event hook: `GET /event-hook` (where Okta must send, whether the secret is set, the
//! event types to subscribe to) and `PUT /event-hook` (the secret Okta sends in `Authorization`, kept in Secrets
//! Manager, never returned).

use super::events::EVENT_TYPES;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::store::{HookRecord, Store};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PUT /event-hook`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"secret": "<the value set as the hook's Authorization header in Okta>"}))]
pub struct HookSecretInput {
    /// The value Okta sends in `Authorization` (Okta: Workflow › Event Hooks › the hook › Authentication field
    /// `Authorization`, secret). 16 to 256 printable characters, no space at either end.
    #[schema(value_type = String, format = Password)]
    pub secret: SecretString,
    pub version: Option<u64>,
}

/// The hook set-up as the admin needs it: where Okta must send, and whether the secret is set.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookView {
    /// The path of this tenant's hook on the API (prefix it with the API's base URL).
    pub path: String,
    pub secret_set: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_updated_at: Option<String>,
    pub version: u64,
    /// Event types to subscribe to in Okta.
    pub event_types: Vec<String>,
}

fn view(tenant: &str, r: Option<&HookRecord>) -> HookView {
    HookView {
        path: format!("/hooks/okta/{tenant}"),
        secret_set: r.is_some(),
        secret_updated_at: r.map(|r| r.secret_updated_at.clone()),
        version: r.map(|r| r.version).unwrap_or(0),
        event_types: EVENT_TYPES.iter().map(|s| s.to_string()).collect(),
    }
}

/// `GET /event-hook`.
#[utoipa::path(get, path = "/event-hook", tag = "event-hook", operation_id = "getEventHook",
    description = "Roles: admin, technician.", security(("bearer" = [])),
    responses((status = 200, description = "The hook set-up", body = HookView), Unauthorized))]
pub async fn get_config(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_hook(tenant).await?;
    Ok(json_response(StatusCode::OK, &view(tenant, rec.as_ref())))
}

/// `PUT /event-hook`: the secret Okta sends in `Authorization`; stored in Secrets Manager, never returned.
#[utoipa::path(put, path = "/event-hook", tag = "event-hook", operation_id = "putEventHookSecret",
    description = "Role: admin.", request_body = HookSecretInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = HookView),
        (status = 400, description = "Invalid secret", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn put_config(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: HookSecretInput = req.json()?;
    let s = input.secret.expose_secret();
    if s.len() < 16 || s.len() > 256 || !s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
        return Err(ApiError::invalid("secret", "secret must be 16 to 256 printable characters"));
    }
    // Header values are trimmed on the way in (RFC 9110 §5.5), so Okta's `Authorization` would never carry the
    // edge spaces and never match (case C31).
    if s.trim() != s {
        return Err(ApiError::invalid(
            "secret",
            "secret must not start or end with a space: header values arrive trimmed, so it could never match",
        ));
    }
    let existing = deps.store.get_hook(tenant).await?.map(|e| e.version);
    let current = Store::expect_version(input.version, existing)?;
    let name = deps.secrets.name(tenant, &["hook", "secret"]);
    let secret = deps.secrets.put(&name, &input.secret).await?;
    let rec = HookRecord::new(tenant, secret, rfc3339(deps.clock.now()), current + 1);
    let saved = deps.store.put_hook(&rec, existing).await;
    deps.warm.forget(&HookRecord::cache_key(tenant));
    saved?;
    Ok(json_response(StatusCode::OK, &view(tenant, Some(&rec))))
}
