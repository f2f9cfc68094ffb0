//! The admin's Okta Verify installation method per platform, checked against the UEM's app inventory, and the
//! inventory itself (to choose an existing app from).
//!
//! Methods: iOS `vpp`; macOS `vpp`, `pkg` (an existing PKG app) or `pkg_upload`; Windows `exe` (an existing EXE
//! app, its details filled in from the inventory) or `exe_upload` (Okta's EXE added as a new app with name,
//! category, description, success criteria and uninstall parameters); Android `managed_play`
//! (`com.okta.android.auth` approved in managed Google Play; Android Enterprise devices only).

use crate::policy::ANDROID_PACKAGE;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, public_https_url, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{store_failure, ErrorBody, GatewayMessage};
use odt_shared::platform::Platform;
use odt_shared::store::{AppDetails, InstallMethod, OktaVerifyRecord, StoreError};
use odt_shared::uem::{AppKind, NewEnterpriseApp, Uem, UemApp, UemError};
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The method names the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    Vpp,
    Pkg,
    PkgUpload,
    Exe,
    ExeUpload,
    ManagedPlay,
}

impl MethodName {
    fn as_str(self) -> &'static str {
        match self {
            MethodName::Vpp => "vpp",
            MethodName::Pkg => "pkg",
            MethodName::PkgUpload => "pkg_upload",
            MethodName::Exe => "exe",
            MethodName::ExeUpload => "exe_upload",
            MethodName::ManagedPlay => "managed_play",
        }
    }
}

/// The methods that fit a platform.
pub fn methods_for(p: Platform) -> &'static [MethodName] {
    match p {
        Platform::Ios => &[MethodName::Vpp],
        Platform::Macos => &[MethodName::Vpp, MethodName::Pkg, MethodName::PkgUpload],
        Platform::Windows => &[MethodName::Exe, MethodName::ExeUpload],
        Platform::Android => &[MethodName::ManagedPlay],
    }
}

/// `PUT /okta-verify/{platform}`: one method and the fields it takes (others are refused, naming them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"method": "vpp", "appId": "12", "locationToken": "Acme Corp VPP", "licenses": 500}))]
pub struct OktaVerifyInput {
    pub method: MethodName,
    /// `vpp`, `pkg`, `exe`: the UEM's app id (see `GET /uem/apps`); `managed_play`: optional, must be Okta Verify.
    pub app_id: Option<String>,
    /// `vpp`: the VPP location (content token) whose licenses are used, as the UEM names it.
    pub location_token: Option<String>,
    /// `vpp`: licenses bought for the location.
    pub licenses: Option<u64>,
    /// `pkg_upload`, `exe_upload`: the new app's name.
    pub name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    /// `pkg_upload`, `exe_upload`: where the UEM fetches Okta's installer (https).
    pub installer_url: Option<String>,
    /// `exe_upload`: how the UEM tells the install succeeded.
    pub success_criteria: Option<String>,
    /// `exe_upload`: silent uninstall parameters.
    pub uninstall_parameters: Option<String>,
    /// The version read (conditional save; 409 with `currentVersion` when it changed).
    pub version: Option<u64>,
}

/// A platform's method as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OktaVerifyView {
    pub platform: Platform,
    /// The stored method: `vpp`, `pkg`, `exe` or `managed_play` (uploads are stored as `pkg` / `exe`).
    pub method: String,
    pub app_id: String,
    pub app_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_criteria: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uninstall_parameters: Option<String>,
    /// Whether the product uploaded the app (rather than the admin choosing it from the inventory).
    pub uploaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<u64>,
    pub updated_at: String,
    pub version: u64,
}

impl OktaVerifyView {
    /// The view of a stored method.
    pub fn of(r: &OktaVerifyRecord) -> Self {
        let (method, location_token, licenses) = match &r.method {
            InstallMethod::Vpp { location_token, licenses, .. } => {
                ("vpp", Some(location_token.clone()), Some(*licenses))
            }
            InstallMethod::Pkg { .. } => ("pkg", None, None),
            InstallMethod::Exe { .. } => ("exe", None, None),
            InstallMethod::ManagedPlay { .. } => ("managed_play", None, None),
        };
        OktaVerifyView {
            platform: r.platform,
            method: method.into(),
            app_id: r.method.app_id().to_string(),
            app_name: r.app.name.clone(),
            app_version: r.app.version.clone(),
            category: r.app.category.clone(),
            description: r.app.description.clone(),
            success_criteria: r.app.success_criteria.clone(),
            uninstall_parameters: r.app.uninstall_parameters.clone(),
            uploaded: r.app.uploaded,
            location_token,
            licenses,
            updated_at: r.updated_at.clone(),
            version: r.version,
        }
    }
}

/// One platform in `GET /okta-verify`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformMethods {
    pub platform: Platform,
    pub allowed_methods: Vec<MethodName>,
    /// `null` until the admin sets one: devices then get the attestation payload but not Okta Verify.
    pub configured: Option<OktaVerifyView>,
}

/// `GET /okta-verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OktaVerifyList {
    pub platforms: Vec<PlatformMethods>,
}

/// An app of the UEM's inventory.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub id: String,
    pub name: String,
    pub platform: Option<Platform>,
    pub kind: AppKind,
    pub bundle_id: Option<String>,
    pub version: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
}

/// `GET /uem/apps`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    pub apps: Vec<AppView>,
}

/// How a UEM failure during an admin request is told.
pub fn uem_error(e: UemError) -> ApiError {
    match e {
        UemError::Unauthorized(_) => ApiError::conflict("uem_credentials_rejected", e.to_string()),
        e => odt_shared::error::uem_failure(e),
    }
}

/// The tenant's UEM, or 409 `uem_not_connected`.
pub async fn connected_uem(deps: &Deps, tenant: &str) -> Result<Box<dyn Uem>, ApiError> {
    deps.tenant_uem(tenant)
        .await?
        .ok_or_else(|| ApiError::conflict("uem_not_connected", "connect the UEM first (PUT /uem)"))
}

/// `GET /okta-verify`.
#[utoipa::path(get, path = "/okta-verify", tag = "deployment", operation_id = "listOktaVerify",
    description = "Roles: admin, technician. The Okta Verify installation method of each platform.",
    security(("bearer" = [])),
    responses((status = 200, description = "Every platform", body = OktaVerifyList),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let stored = deps.store.list_okta_verify(req.caller.tenant.as_str()).await.map_err(store_failure)?;
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
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 409, description = "No UEM connected, or its key is refused", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody)))]
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
    let uem = connected_uem(deps, req.caller.tenant.as_str()).await?;
    let apps = uem
        .apps()
        .await
        .map_err(uem_error)?
        .into_iter()
        .filter(|a| platform.is_none_or(|p| a.platform == Some(p)) && kind.is_none_or(|k| a.kind == k))
        .map(|a| AppView {
            id: a.id,
            name: a.name,
            platform: a.platform,
            kind: a.kind,
            bundle_id: a.bundle_id,
            version: a.version,
            category: a.category,
            description: a.description,
        })
        .collect();
    Ok(json_response(StatusCode::OK, &AppList { apps }))
}

fn text(field: &str, v: Option<&String>, required: bool, max: usize) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim()) {
        None | Some("") if required => Err(ApiError::invalid(field, format!("{field} is required for this method"))),
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => {
            Err(ApiError::invalid(field, format!("{field} is longer than {max} characters")))
        }
        Some(s) if s.chars().any(char::is_control) => {
            Err(ApiError::invalid(field, format!("{field} must not contain control characters")))
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

/// The fields each method takes; any other given field is refused, naming it.
fn allowed_fields(m: MethodName) -> &'static [&'static str] {
    match m {
        MethodName::Vpp => &["appId", "locationToken", "licenses"],
        MethodName::Pkg | MethodName::Exe => &["appId"],
        MethodName::PkgUpload => &["name", "category", "description", "installerUrl"],
        MethodName::ExeUpload => {
            &["name", "category", "description", "installerUrl", "successCriteria", "uninstallParameters"]
        }
        MethodName::ManagedPlay => &["appId"],
    }
}

fn given_fields(i: &OktaVerifyInput) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&'static str, bool); 10] = [
        ("appId", i.app_id.is_some()),
        ("locationToken", i.location_token.is_some()),
        ("licenses", i.licenses.is_some()),
        ("name", i.name.is_some()),
        ("category", i.category.is_some()),
        ("description", i.description.is_some()),
        ("installerUrl", i.installer_url.is_some()),
        ("successCriteria", i.success_criteria.is_some()),
        ("uninstallParameters", i.uninstall_parameters.is_some()),
        ("version", false),
    ];
    for (name, given) in pairs {
        if given {
            out.push(name);
        }
    }
    out
}

fn details(app: &UemApp, uploaded: bool) -> AppDetails {
    AppDetails {
        name: app.name.clone(),
        version: app.version.clone(),
        category: app.category.clone(),
        description: app.description.clone(),
        success_criteria: app.success_criteria.clone(),
        uninstall_parameters: app.uninstall_parameters.clone(),
        uploaded,
        installer_url: None,
    }
}

/// The inventory app `id`, checked to be of `platform` and `kind`; 400 on `appId` otherwise.
fn pick<'a>(apps: &'a [UemApp], id: &str, platform: Platform, kind: AppKind) -> Result<&'a UemApp, ApiError> {
    let app = apps
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| ApiError::invalid("appId", format!("the UEM has no app with id {id}")))?;
    if app.platform != Some(platform) {
        return Err(ApiError::invalid("appId", format!("app {id} ({}) is not a {} app", app.name, platform.as_str())));
    }
    if app.kind != kind {
        let want = serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        return Err(ApiError::invalid("appId", format!("app {id} ({}) is not a {want} app", app.name)));
    }
    Ok(app)
}

/// Validates the input against the platform and the UEM's inventory, uploading an installer when asked, and
/// returns the method to store. An upload saved again (same name, same installer URL, the app `stored` already
/// uses) reuses its app; an app of that name from anything else is a 409 naming `name`, never silently reused.
async fn resolve(
    uem: &dyn Uem,
    p: Platform,
    input: &OktaVerifyInput,
    stored: Option<&OktaVerifyRecord>,
) -> Result<(InstallMethod, AppDetails), ApiError> {
    let m = input.method;
    if !methods_for(p).contains(&m) {
        let allowed: Vec<&str> = methods_for(p).iter().map(|m| m.as_str()).collect();
        return Err(ApiError::invalid(
            "method",
            format!("`{}` does not fit {}; use {}", m.as_str(), p.as_str(), allowed.join(" or ")),
        ));
    }
    if let Some(extra) = given_fields(input).into_iter().find(|f| !allowed_fields(m).contains(f)) {
        return Err(ApiError::invalid(extra, format!("{extra} does not apply to method {}", m.as_str())));
    }
    let app_id =
        text("appId", input.app_id.as_ref(), matches!(m, MethodName::Vpp | MethodName::Pkg | MethodName::Exe), 128)?;
    let (name, installer_url) = match m {
        MethodName::PkgUpload | MethodName::ExeUpload => {
            let name = text("name", input.name.as_ref(), true, 128)?.unwrap_or_default();
            let url = input.installer_url.as_deref().unwrap_or_default();
            if url.trim().is_empty() {
                return Err(ApiError::invalid("installerUrl", "installerUrl is required for this method"));
            }
            (name, public_https_url("installerUrl", url)?)
        }
        _ => (String::new(), String::new()),
    };
    let location = text("locationToken", input.location_token.as_ref(), m == MethodName::Vpp, 128)?;
    if m == MethodName::Vpp && input.licenses.is_none_or(|n| n == 0 || n > 10_000_000) {
        return Err(ApiError::invalid("licenses", "licenses is required for vpp: a number from 1 to 10000000"));
    }
    let category = text("category", input.category.as_ref(), false, 128)?;
    let description = text("description", input.description.as_ref(), false, 1024)?;
    let success = text("successCriteria", input.success_criteria.as_ref(), m == MethodName::ExeUpload, 512)?;
    let uninstall = text("uninstallParameters", input.uninstall_parameters.as_ref(), m == MethodName::ExeUpload, 512)?;
    let apps = uem.apps().await.map_err(uem_error)?;
    match m {
        MethodName::Vpp => {
            let id = app_id.unwrap_or_default();
            let app = pick(&apps, &id, p, AppKind::Vpp)?;
            let method = InstallMethod::Vpp {
                app_id: id,
                location_token: location.unwrap_or_default(),
                licenses: input.licenses.unwrap_or_default(),
            };
            Ok((method, details(app, false)))
        }
        MethodName::Pkg | MethodName::Exe => {
            let id = app_id.unwrap_or_default();
            let app = pick(&apps, &id, p, AppKind::Enterprise)?;
            let method = if m == MethodName::Pkg {
                InstallMethod::Pkg { app_id: id }
            } else {
                InstallMethod::Exe { app_id: id }
            };
            Ok((method, details(app, false)))
        }
        MethodName::PkgUpload | MethodName::ExeUpload => {
            let existing =
                apps.iter().find(|a| a.platform == Some(p) && a.kind == AppKind::Enterprise && a.name == name).cloned();
            let app = match existing {
                // The same upload saved again: the app this method already uses, from the same installer.
                Some(a)
                    if stored.is_some_and(|r| {
                        r.method.app_id() == a.id && r.app.installer_url.as_deref() == Some(installer_url.as_str())
                    }) =>
                {
                    a
                }
                Some(a) => {
                    return Err(ApiError::conflict(
                        "app_exists",
                        format!(
                            "the UEM already has an app named `{}` (id {}); choose it with appId, or upload the new installer under a new name",
                            a.name, a.id
                        ),
                    )
                    .with_field("name"));
                }
                None => uem
                    .create_enterprise_app(&NewEnterpriseApp {
                        platform: p,
                        name,
                        category: category.unwrap_or_else(|| "Security".into()),
                        description: description.unwrap_or_else(|| "Okta Verify (Okta Device Trust)".into()),
                        installer_url: installer_url.clone(),
                        success_criteria: success,
                        uninstall_parameters: uninstall,
                    })
                    .await
                    .map_err(|e| match e {
                        UemError::Api { status: 400, message } => {
                            ApiError::invalid("installerUrl", format!("the UEM refused the new app: {message}"))
                        }
                        e => uem_error(e),
                    })?,
            };
            let method = if m == MethodName::PkgUpload {
                InstallMethod::Pkg { app_id: app.id.clone() }
            } else {
                InstallMethod::Exe { app_id: app.id.clone() }
            };
            let mut d = details(&app, true);
            d.installer_url = Some(installer_url);
            Ok((method, d))
        }
        MethodName::ManagedPlay => {
            let ov = apps.iter().find(|a| {
                a.platform == Some(Platform::Android)
                    && a.kind == AppKind::ManagedPlay
                    && a.bundle_id.as_deref() == Some(ANDROID_PACKAGE)
            });
            let Some(ov) = ov else {
                return Err(ApiError::invalid(
                    "method",
                    format!("Okta Verify ({ANDROID_PACKAGE}) is not approved in managed Google Play for this UEM; approve it there first"),
                ));
            };
            if let Some(id) = app_id.filter(|id| *id != ov.id) {
                return Err(ApiError::invalid("appId", format!("app {id} is not Okta Verify ({ANDROID_PACKAGE})")));
            }
            Ok((InstallMethod::ManagedPlay { app_id: ov.id.clone() }, details(ov, false)))
        }
    }
}

/// `PUT /okta-verify/{platform}`.
#[utoipa::path(put, path = "/okta-verify/{platform}", tag = "deployment", operation_id = "putOktaVerify",
    description = "Role: admin. Sets how Okta Verify reaches the platform's devices; the app must be in the UEM's inventory (or is uploaded). The next deployment run puts it on every in-scope device.",
    params(("platform" = String, Path, description = "ios, android, macos or windows")),
    request_body = OktaVerifyInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = OktaVerifyView),
        (status = 400, description = "A method that does not fit the platform, a field it does not take, an unknown app", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion), or no UEM connected", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody)))]
pub async fn put(deps: &Deps, req: &ApiRequest, p: Platform) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: OktaVerifyInput = req.json()?;
    let existing = deps.store.get_okta_verify(tenant, p).await.map_err(store_failure)?;
    let current = existing.as_ref().map_or(0, |e| e.version);
    if input.version.is_some_and(|v| v != current) {
        return Err(ApiError::version_conflict(current));
    }
    let uem = connected_uem(deps, tenant).await?;
    let (method, app) = resolve(uem.as_ref(), p, &input, existing.as_ref()).await?;
    let rec = OktaVerifyRecord::new(tenant, p, method, app, rfc3339(deps.clock.now()), current + 1);
    match deps.store.put_okta_verify(&rec, existing.as_ref().map(|e| e.version)).await {
        Ok(()) => Ok(json_response(StatusCode::OK, &OktaVerifyView::of(&rec))),
        Err(StoreError::VersionConflict { current }) => Err(ApiError::version_conflict(current.unwrap_or(0))),
        Err(e) => Err(store_failure(e)),
    }
}
