//! The admin's Okta Verify installation method per platform, checked against the UEM's app inventory, and the
//! inventory itself (to choose an existing app from).
//!
//! Methods: iOS `vpp`; macOS `vpp`, `pkg` (an existing PKG app) or `pkg_upload`; Windows `exe` (an existing EXE
//! app, its details filled in from the inventory) or `exe_upload` (Okta's EXE added as a new app with name,
//! category, description, success criteria and uninstall parameters); Android `managed_play`
//! (`com.okta.android.auth` approved in managed Google Play; Android Enterprise devices only).
//!
//! The handlers are here; `model` holds the API's shapes, `input` the checks that need no UEM, and `method` the
//! method to store, from the UEM's inventory.

mod input;
mod method;
mod model;

pub use model::{
    methods_for, AppList, AppView, MethodName, OktaVerifyInput, OktaVerifyList, OktaVerifyView, PlatformMethods,
};

use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::pacing::CallClass;
use odt_shared::platform::Platform;
use odt_shared::store::{OktaVerifyRecord, Store};
use odt_shared::uem::AppKind;
use odt_shared::ApiError;

/// `GET /okta-verify`.
#[utoipa::path(get, path = "/okta-verify", tag = "deployment", operation_id = "listOktaVerify",
    description = "Roles: admin, technician. The Okta Verify installation method of each platform.",
    security(("bearer" = [])),
    responses((status = 200, description = "Every platform", body = OktaVerifyList),
        Unauthorized))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let stored = deps.store.list_okta_verify(req.caller.tenant.as_str()).await?;
    let platforms = Platform::ALL
        .into_iter()
        .map(|p| PlatformMethods {
            platform: p,
            allowed_methods: methods_for(p).to_vec(),
            configured: stored.iter().find(|r| r.platform == p).map(OktaVerifyView::of),
        })
        .collect();
    Ok(json_response(StatusCode::OK, &OktaVerifyList { platforms }))
}

/// `GET /uem/apps`: the UEM's app inventory, optionally of one `platform` and `kind`.
#[utoipa::path(get, path = "/uem/apps", tag = "deployment", operation_id = "listUemApps",
    description = "Roles: admin, technician. The UEM's apps, to choose Okta Verify from.",
    params(("platform" = Option<String>, Query, description = "ios, android, macos or windows"),
        ("kind" = Option<String>, Query, description = "vpp, store, managed_play, enterprise or other")),
    security(("bearer" = [])),
    responses((status = 200, description = "The apps", body = AppList),
        (status = 400, description = "Unknown platform or kind", body = ErrorBody),
        (status = 409, description = "No UEM connected, or its key is refused", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody),
        Unauthorized))]
pub async fn apps(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let platform = req
        .query("platform")
        .map(|v| Platform::parse(v).ok_or_else(|| ApiError::invalid("platform", "use ios, android, macos or windows")))
        .transpose()?;
    let kind = req
        .query("kind")
        .map(|v| {
            serde_json::from_value::<AppKind>(serde_json::Value::String(v.to_string()))
                .map_err(|_| ApiError::invalid("kind", "use vpp, store, managed_play, enterprise or other"))
        })
        .transpose()?;
    let uem = deps.connected_uem(req.caller.tenant.as_str(), CallClass::Deployment).await?;
    let apps = uem
        .apps()
        .await?
        .into_iter()
        .filter(|a| platform.is_none_or(|p| a.platform == Some(p)) && kind.is_none_or(|k| a.kind == k))
        .map(AppView::from)
        .collect();
    Ok(json_response(StatusCode::OK, &AppList { apps }))
}

/// `PUT /okta-verify/{platform}`.
#[utoipa::path(put, path = "/okta-verify/{platform}", tag = "deployment", operation_id = "putOktaVerify",
    description = "Role: admin. Sets how Okta Verify reaches the platform's devices; the app must be in the UEM's inventory (or is uploaded). The next deployment run puts it on every in-scope device.",
    params(("platform" = String, Path, description = "ios, android, macos or windows")),
    request_body = OktaVerifyInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = OktaVerifyView),
        (status = 400, description = "A method that does not fit the platform, a field it does not take, an unknown app, or a platform not sent as an id", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion), or no UEM connected", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn put(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: OktaVerifyInput = req.json()?;
    let existing = deps.store.get_okta_verify(tenant, p).await?;
    let current = Store::expect_version(input.version, existing.as_ref().map(|e| e.version))?;
    let uem = deps.connected_uem(tenant, CallClass::Deployment).await?;
    let fields = input::check(p, &input)?;
    let (method, app) = method::resolve(uem.as_ref(), p, fields, existing.as_ref()).await?;
    let rec = OktaVerifyRecord::new(tenant, p, method, app, rfc3339(deps.clock.now()), current + 1);
    deps.store.put_okta_verify(&rec, existing.as_ref().map(|e| e.version)).await?;
    Ok(json_response(StatusCode::OK, &OktaVerifyView::of(&rec)))
}
