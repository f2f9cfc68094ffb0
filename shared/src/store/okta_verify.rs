//! The admin's Okta Verify installation method per platform (`OKTAVERIFY#<platform>`): how the app reaches the
//! platform's devices and the app's details from the UEM inventory. Written by deploy-trigger's routes.

use super::{tenant_pk, Store, StoreError};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// The sort key prefix of installation methods.
const OKTA_VERIFY_PREFIX: &str = "OKTAVERIFY#";

/// How Okta Verify reaches a platform's devices, as the admin set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum InstallMethod {
    /// iOS and macOS: the App Store copy through Apple Business/School Manager (VPP).
    Vpp {
        app_id: String,
        /// The UEM's name or id of the VPP location (content token) whose licenses are used.
        location_token: String,
        /// Licenses bought for the location.
        licenses: u64,
    },
    /// macOS: Okta's PKG as an app in the UEM (uploaded by the product or chosen from the inventory).
    Pkg { app_id: String },
    /// Windows: Okta's EXE as an app in the UEM (uploaded by the product or chosen from the inventory).
    Exe { app_id: String },
    /// Android Enterprise: managed Google Play (`com.okta.android.auth`).
    ManagedPlay { app_id: String },
}

impl InstallMethod {
    /// The UEM app id the method installs.
    pub fn app_id(&self) -> &str {
        match self {
            InstallMethod::Vpp { app_id, .. }
            | InstallMethod::Pkg { app_id }
            | InstallMethod::Exe { app_id }
            | InstallMethod::ManagedPlay { app_id } => app_id,
        }
    }

    /// The VPP location, for VPP only.
    pub fn vpp_location(&self) -> Option<&str> {
        match self {
            InstallMethod::Vpp { location_token, .. } => Some(location_token),
            _ => None,
        }
    }
}

/// The app the method installs, as the UEM's inventory described it when the admin saved (for display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetails {
    pub name: String,
    pub version: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub success_criteria: Option<String>,
    pub uninstall_parameters: Option<String>,
    /// Whether the product uploaded it (`true`) or the admin chose it from the inventory.
    pub uploaded: bool,
    /// Uploads: the installer URL the app was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installer_url: Option<String>,
}

/// The admin's Okta Verify installation method for one platform (`OKTAVERIFY#<platform>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OktaVerifyRecord {
    pub pk: String,
    pub sk: String,
    pub platform: Platform,
    pub method: InstallMethod,
    pub app: AppDetails,
    pub updated_at: String,
    pub version: u64,
}

impl OktaVerifyRecord {
    /// Platform `p`'s method of `tenant`, as the admin saved it `now`, at `version`.
    pub fn new(tenant: &str, p: Platform, method: InstallMethod, app: AppDetails, now: String, version: u64) -> Self {
        OktaVerifyRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(p),
            platform: p,
            method,
            app,
            updated_at: now,
            version,
        }
    }

    /// The sort key of a platform's method.
    fn sk_of(p: Platform) -> String {
        format!("{OKTA_VERIFY_PREFIX}{}", p.as_str())
    }
}

impl Store {
    /// A platform's Okta Verify installation method, if set.
    pub async fn get_okta_verify(&self, tenant: &str, p: Platform) -> Result<Option<OktaVerifyRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &OktaVerifyRecord::sk_of(p)).await
    }

    /// Every platform's Okta Verify installation method.
    pub async fn list_okta_verify(&self, tenant: &str) -> Result<Vec<OktaVerifyRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), OKTA_VERIFY_PREFIX).await
    }

    /// Writes a platform's method if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_okta_verify(&self, rec: &OktaVerifyRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(OktaVerifyRecord);
