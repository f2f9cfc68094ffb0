//! The admin's side of the event hook: `GET /event-hook` (where Okta must send, whether the secret is set, the
//! event types to subscribe to, whether the product may register it through Okta's API and, when it did, Okta's
//! own view of it) and `PUT /event-hook` (the secret Okta sends in `Authorization` for a hook set up by hand,
//! kept in Secrets Manager, never returned). Registering and rotating through Okta's API: [`super::registration`].

use super::events::EVENT_TYPES;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::okta::EventHook;
use odt_shared::okta_side::{self, AutomationView};
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

/// The hook set-up as the admin needs it: where Okta must send, whether the secret is set, and whether the
/// product registered the hook in Okta (then Okta's own view of it).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookView {
    /// The path of this tenant's hook on the API (prefix it with the API's base URL).
    pub path: String,
    /// The full URL Okta calls, when the API's base URL is known (from this request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub secret_set: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_updated_at: Option<String>,
    /// A rotation is under way: the old and the new secret are both accepted until Okta has the new one.
    pub rotating: bool,
    pub version: u64,
    /// Event types to subscribe to in Okta.
    pub event_types: Vec<String>,
    /// `manual` (set the hook up in Okta by hand: the path, the event types and `PUT /event-hook`) or `product`
    /// (the product registered it through Okta's Event Hooks API).
    pub set_up_by: String,
    /// Whether the device-trust org's granted scopes let the product register the hook (`POST
    /// /event-hook/register`), and the scope to grant when not. Absent while device trust has no org.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation: Option<AutomationView>,
    /// Okta's own view of the hook the product registered (`getEventHook`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta: Option<OktaHookView>,
    /// Why Okta's view could not be read (the rest of the view stands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_error: Option<String>,
}

/// The event hook as Okta reports it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OktaHookView {
    /// Okta's id of the hook.
    pub id: String,
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// `VERIFIED` or `UNVERIFIED` (Okta delivers only to an active, verified hook).
    pub verification_status: String,
    /// The URL Okta calls.
    pub uri: String,
    /// The event types Okta delivers.
    pub events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
}

impl From<EventHook> for OktaHookView {
    fn from(h: EventHook) -> Self {
        OktaHookView {
            id: h.id,
            name: h.name,
            status: h.status,
            verification_status: h.verification_status,
            uri: h.channel.config.uri,
            events: h.events.items,
            created: h.created,
            last_updated: h.last_updated,
        }
    }
}

/// The view of `r` (or of no hook) for `tenant`, with the URL under `api_base` and Okta's `okta` view.
pub(super) fn view(tenant: &str, r: Option<&HookRecord>, api_base: Option<&str>) -> HookView {
    let by_product = r.and_then(|r| r.okta.as_ref()).is_some_and(|o| o.hook_id.is_some());
    HookView {
        path: format!("/hooks/okta/{tenant}"),
        url: api_base.map(|b| odt_shared::okta_side::hook::hook_uri(b, tenant)),
        secret_set: r.is_some(),
        secret_updated_at: r.map(|r| r.secret_updated_at.clone()),
        rotating: r.is_some_and(|r| r.rotating_to.is_some()),
        version: r.map(|r| r.version).unwrap_or(0),
        event_types: EVENT_TYPES.iter().map(|s| s.to_string()).collect(),
        set_up_by: if by_product { "product" } else { "manual" }.into(),
        automation: None,
        okta: None,
        okta_error: None,
    }
}

/// `GET /event-hook`: the set-up, whether the granted scopes allow the product to register it, and Okta's view
/// of the hook the product registered.
#[utoipa::path(get, path = "/event-hook", tag = "event-hook", operation_id = "getEventHook",
    description = "Roles: admin, technician. With a hook the product registered, Okta's own view of it (status, verification).",
    security(("bearer" = [])),
    responses((status = 200, description = "The hook set-up", body = HookView), Unauthorized))]
pub async fn get_config(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_hook(tenant).await?;
    let mut v = view(tenant, rec.as_ref(), req.api_base.as_deref());
    if let Ok(org) = deps.device_trust_org(tenant).await {
        v.automation = Some(okta_side::view(&org, &okta_side::EVENT_HOOK));
    }
    if let Some(rec) = rec.as_ref().filter(|_| v.set_up_by == "product") {
        match okta_side::hook::okta_view(deps, tenant, rec).await {
            Ok(Some(h)) => v.okta = Some(h.into()),
            Ok(None) => v.okta_error = Some("Okta no longer has the hook the product registered".into()),
            Err(e) => v.okta_error = Some(e.to_string()),
        }
    }
    Ok(json_response(StatusCode::OK, &v))
}

/// `PUT /event-hook`: the secret Okta sends in `Authorization`; stored in Secrets Manager, never returned.
#[utoipa::path(put, path = "/event-hook", tag = "event-hook", operation_id = "putEventHookSecret",
    description = "Role: admin.", request_body = HookSecretInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = HookView),
        (status = 400, description = "Invalid secret", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion), or the product registered the hook (hook_managed_by_product: rotate with POST /event-hook/rotate)", body = ErrorBody),
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
    let stored = deps.store.get_hook(tenant).await?;
    if stored.as_ref().and_then(|r| r.okta.as_ref()).is_some_and(|o| o.hook_id.is_some()) {
        return Err(ApiError::conflict(
            "hook_managed_by_product",
            "the product registered this hook in Okta and keeps its secret: rotate it with POST /event-hook/rotate",
        ));
    }
    let existing = stored.map(|e| e.version);
    let current = Store::expect_version(input.version, existing)?;
    let name = deps.secrets.name(tenant, &["hook", "secret"]);
    let secret = deps.secrets.put(&name, &input.secret).await?;
    let rec = HookRecord::new(tenant, secret, rfc3339(deps.clock.now()), current + 1);
    let saved = deps.store.put_hook(&rec, existing).await;
    deps.warm.forget(&HookRecord::cache_key(tenant));
    saved?;
    Ok(json_response(StatusCode::OK, &view(tenant, Some(&rec), req.api_base.as_deref())))
}
