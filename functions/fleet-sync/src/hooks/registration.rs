//! The event hook through Okta's Event Hooks API (`shared::okta_side::hook`), when the device-trust org's app is
//! granted `okta.eventHooks.manage`: `POST /event-hook/register` creates (or repairs) the hook with this
//! tenant's URL, the secret and the event types the product acts on, has Okta verify it against the door and
//! activates it; `POST /event-hook/rotate` gives Okta and the product a new secret together, with both accepted
//! until Okta has the new one. Without the scope both answer 409 `okta_scope_not_granted` naming it, and the
//! manual set-up (`GET|PUT /event-hook`) stays.

use super::events::EVENT_TYPES;
use super::settings::{view, HookView};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::okta_side::{self, hook};
use odt_shared::ApiError;

/// `POST /event-hook/register`: the hook registered in the device-trust org, verified and active.
#[utoipa::path(post, path = "/event-hook/register", tag = "event-hook", operation_id = "registerEventHook",
    description = "Role: admin. Needs the scope okta.eventHooks.manage on the device-trust org's app. Creates the event \
hook in Okta (this tenant's URL, the secret as its Authorization header, the event types the product acts on), has Okta \
verify it (Okta calls the URL with x-okta-verification-challenge) and activates it; run again, it repairs the product's \
hook (verified and active again, or created anew when Okta lost it). The secret is never returned.",
    security(("bearer" = [])),
    responses((status = 200, description = "Registered: the set-up with Okta's view", body = HookView),
        (status = 400, description = "Okta refused (oktaErrorCode), e.g. the verification was not answered", body = ErrorBody),
        (status = 409, description = "okta_scope_not_granted (missingScope), device trust not configured, or changed meanwhile", body = ErrorBody),
        (status = 502, description = "Okta failed", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn register(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let base = req
        .api_base
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("api_url_unknown", "the API's own URL is not known for this request"))?;
    let uri = hook::hook_uri(base, tenant);
    let (rec, okta) = hook::register(deps, tenant, &uri, &EVENT_TYPES).await?;
    Ok(json_response(StatusCode::OK, &answer(deps, tenant, &rec, okta, req).await?))
}

/// `POST /event-hook/rotate`: a new secret in Okta and in the product, with no delivery refused meanwhile.
#[utoipa::path(post, path = "/event-hook/rotate", tag = "event-hook", operation_id = "rotateEventHookSecret",
    description = "Role: admin. Only for the hook the product registered. The new secret is accepted beside the old one, \
given to Okta (replaceEventHook, then verified and active again), and only then the old one dropped: a delivery with \
either secret is accepted throughout. The secret is never returned.",
    security(("bearer" = [])),
    responses((status = 200, description = "Rotated: the set-up with Okta's view", body = HookView),
        (status = 400, description = "Okta refused the new secret (the old one alone stays accepted)", body = ErrorBody),
        (status = 409, description = "hook_not_registered, okta_scope_not_granted (missingScope), or changed meanwhile", body = ErrorBody),
        (status = 502, description = "Okta failed (both secrets stay accepted until a rotation finishes)", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn rotate(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let (rec, okta) = hook::rotate(deps, tenant, &EVENT_TYPES).await?;
    Ok(json_response(StatusCode::OK, &answer(deps, tenant, &rec, okta, req).await?))
}

/// The set-up after a registration or rotation, with Okta's answer as its view.
async fn answer(
    deps: &Deps,
    tenant: &str,
    rec: &odt_shared::store::HookRecord,
    okta: odt_shared::okta::EventHook,
    req: &ApiRequest,
) -> Result<HookView, ApiError> {
    let mut v = view(tenant, Some(rec), req.api_base.as_deref());
    let org = deps.device_trust_org(tenant).await?;
    v.automation = Some(okta_side::view(&org, &okta_side::EVENT_HOOK));
    v.okta = Some(okta.into());
    Ok(v)
}
