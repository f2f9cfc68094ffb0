//! Reading, switching and previewing a platform's management attestation (saving it: [`crate::save`]).

use crate::input::EnabledInput;
use crate::render::preview as render_preview;
use crate::views::{missing, PayloadPreview, PlatformList, PlatformView};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, PathRefused, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::platform::Platform;
use odt_shared::store::{DeviceTrustState, OrgRecord, PlatformRecord, PlatformSettings, Store};
use odt_shared::ApiError;

/// The org device trust uses. Errors: [`Error::device_trust_not_configured`] when device trust is not
/// configured (or being removed) or its org is gone; the store failing.
pub async fn device_trust_org(deps: &Deps, tenant: &str) -> Result<OrgRecord, Error> {
    let not_ready = || {
        Error::device_trust_not_configured(
            "connect an Okta org and choose it for device trust (PUT /device-trust) first",
        )
    };
    let dt = deps.store.get_device_trust(tenant).await?;
    let dt = dt.filter(|d| d.state == DeviceTrustState::Active).ok_or_else(not_ready)?;
    deps.store.get_org(tenant, &dt.okta_org_id).await?.ok_or_else(not_ready)
}

/// `GET /platforms`.
#[utoipa::path(get, path = "/platforms", tag = "platforms", operation_id = "listPlatforms",
    description = "Roles: admin, technician. All four platforms, configured or not.", security(("bearer" = [])),
    responses((status = 200, description = "Every platform", body = PlatformList),
        Unauthorized))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let stored = deps.store.list_platforms(req.caller.tenant.as_str()).await?;
    let items = Platform::ALL
        .iter()
        .map(|p| {
            stored
                .iter()
                .find(|r| r.platform == *p)
                .map(PlatformView::from)
                .unwrap_or_else(|| PlatformView::not_configured(*p))
        })
        .collect();
    Ok(json_response(StatusCode::OK, &PlatformList { items }))
}

/// `GET /platforms/{platform}`.
#[utoipa::path(get, path = "/platforms/{platform}", tag = "platforms", operation_id = "getPlatform",
    description = "Roles: admin, technician.", params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    security(("bearer" = [])),
    responses((status = 200, description = "The platform", body = PlatformView),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        PathRefused, Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    let rec = deps.store.get_platform(req.caller.tenant.as_str(), p).await?;
    let view = rec.as_ref().map(PlatformView::from).unwrap_or_else(|| PlatformView::not_configured(p));
    Ok(json_response(StatusCode::OK, &view))
}

/// `PUT /platforms/{platform}/enabled`: switching on needs complete settings, a still-valid CA certificate and
/// active device trust; switching off keeps the settings and marks the platform's devices for removal.
#[utoipa::path(put, path = "/platforms/{platform}/enabled", tag = "platforms", operation_id = "switchPlatform",
    description = "Role: admin.", params(("platform" = Platform, Path, description = "ios, android, macos or windows")),
    request_body = EnabledInput, security(("bearer" = [])),
    responses((status = 200, description = "Switched", body = PlatformView),
        (status = 400, description = "Invalid input, a platform not sent as an id, or settings incomplete (missing lists them)", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile, or device trust not configured", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn switch(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: EnabledInput = req.json()?;
    let existing = deps.store.get_platform(tenant, p).await?;
    let Some(existing) = existing else {
        if !input.enabled {
            return Ok(json_response(StatusCode::OK, &PlatformView::not_configured(p)));
        }
        return Err(incomplete(format!("{p} is not configured yet"), &PlatformView::not_configured(p).missing));
    };
    let current = Store::expect_version(input.version, Some(existing.version))?;
    if input.enabled == existing.enabled {
        return Ok(json_response(StatusCode::OK, &PlatformView::from(&existing)));
    }
    let now = deps.clock.now();
    let mut rec = existing.clone();
    if input.enabled {
        device_trust_org(deps, tenant).await?;
        ready_to_enable(&existing, now)?;
        rec.removal_requested_at = None;
    } else {
        rec.removal_requested_at = Some(rfc3339(now));
    }
    rec.enabled = input.enabled;
    rec.updated_at = rfc3339(now);
    rec.version = current + 1;
    deps.store.put_platform(&rec, Some(current)).await?;
    tracing::info!(tenant, platform = %p, enabled = rec.enabled, "platform switched");
    Ok(json_response(StatusCode::OK, &PlatformView::from(&rec)))
}

/// Whether a stored platform can be switched on at `now`. Errors: 400 `incomplete_settings` listing what is
/// missing; 400 `ca_certificate_expired`.
fn ready_to_enable(rec: &PlatformRecord, now: time::OffsetDateTime) -> Result<(), ApiError> {
    let missing = missing(rec);
    if !missing.is_empty() {
        return Err(incomplete(format!("{} settings are incomplete", rec.platform), &missing));
    }
    if let PlatformSettings::Desktop { ca: Some(ca), .. } = &rec.settings {
        if ca.not_after < now {
            return Err(ApiError::bad_request(
                "ca_certificate_expired",
                format!("the CA certificate expired at {}; save a current one first", rfc3339(ca.not_after)),
            )
            .with_field("caCertificate"));
        }
    }
    Ok(())
}

/// 400 `incomplete_settings` on `enabled`, listing the `missing` settings.
fn incomplete(message: String, missing: &[String]) -> ApiError {
    ApiError::bad_request("incomplete_settings", message)
        .with_field("enabled")
        .with_detail("missing", serde_json::json!(missing))
}

/// `GET /platforms/{platform}/payload`: the exact document the platform's devices receive, secrets masked.
#[utoipa::path(get, path = "/platforms/{platform}/payload", tag = "platforms", operation_id = "previewPayload",
    description = "Roles: admin, technician. Secrets are shown as ********.",
    params(("platform" = Platform, Path, description = "ios, android, macos or windows")), security(("bearer" = [])),
    responses((status = 200, description = "The document", body = PayloadPreview),
        (status = 404, description = "Unknown or not configured platform", body = ErrorBody),
        (status = 409, description = "Device trust not configured", body = ErrorBody),
        PathRefused, Unauthorized))]
pub async fn preview(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_platform(tenant, p).await?.ok_or(Error::NotFound("platform configuration"))?;
    let org = device_trust_org(deps, tenant).await?;
    let doc = render_preview(tenant, &rec, &org)?;
    Ok(json_response(
        StatusCode::OK,
        &PayloadPreview {
            platform: p,
            media_type: doc.media_type.to_string(),
            document: doc.text,
            payload_hash: rec.payload_hash.clone(),
        },
    ))
}
