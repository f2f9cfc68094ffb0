//! The Okta Verify API's shapes: the method names and which fit a platform, the input of
//! `PUT /okta-verify/{platform}`, a stored method as the API shows it, and the UEM's app inventory.

use odt_shared::platform::Platform;
use odt_shared::store::{InstallMethod, OktaVerifyRecord};
use odt_shared::uem::{AppKind, UemApp};
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
    /// The name as the API spells it.
    pub fn as_str(self) -> &'static str {
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

impl From<UemApp> for AppView {
    fn from(a: UemApp) -> Self {
        AppView {
            id: a.id,
            name: a.name,
            platform: a.platform,
            kind: a.kind,
            bundle_id: a.bundle_id,
            version: a.version,
            category: a.category,
            description: a.description,
        }
    }
}
