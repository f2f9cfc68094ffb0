//! What deploy-trigger keeps: the admin's Okta Verify installation method per platform (`OKTAVERIFY#<platform>`),
//! the platform's deployment in the UEM (`DEPLOYMENT#<platform>`: managed device group, policy and what the
//! policy carries), and per device what was applied and every attempt (`DEPLOYED#<uem device id>`).

use super::{tenant_pk, PrefixCursor, Store, StoreError};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// The sort key prefixes of the records deploy-trigger keeps.
const OKTA_VERIFY_PREFIX: &str = "OKTAVERIFY#";
const DEPLOYMENT_PREFIX: &str = "DEPLOYMENT#";
const DEPLOYED_PREFIX: &str = "DEPLOYED#";

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

/// A platform's deployment in the UEM (`DEPLOYMENT#<platform>`), written by deploy-trigger only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub pk: String,
    pub sk: String,
    pub platform: Option<Platform>,
    /// The managed device group that holds the platform's in-scope devices.
    pub group_id: Option<String>,
    /// The policy (Okta Verify, attestation payload, SSO extension) that targets the group.
    pub policy_id: Option<String>,
    /// What the policy carries: a hash over the platform's payload hash and the Okta Verify method (never over a
    /// secret), so a change of either updates the policy once.
    pub policy_key: Option<String>,
    /// The platform payload hash the policy carries.
    pub payload_hash: Option<String>,
    /// The Okta Verify app the policy installs (`None`: no method set yet).
    pub app_id: Option<String>,
    pub updated_at: String,
    pub version: u64,
}

impl DeploymentRecord {
    /// The sort key of a platform's deployment.
    fn sk_of(p: Platform) -> String {
        format!("{DEPLOYMENT_PREFIX}{}", p.as_str())
    }

    /// A new, empty deployment for `tenant` and `p` (version 0: not stored yet).
    pub fn empty(tenant: &str, p: Platform) -> Self {
        DeploymentRecord { pk: tenant_pk(tenant), sk: Self::sk_of(p), platform: Some(p), ..Default::default() }
    }
}

/// What is deployed to a device, item by item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployItem {
    /// The Okta Verify app.
    OktaVerify,
    /// The management attestation payload (app config on iOS/Android, SCEP profile on macOS/Windows).
    Attestation,
    /// macOS: the Okta Verify SSO extension.
    SsoExtension,
}

impl DeployItem {
    /// The items a platform's devices carry.
    pub fn for_platform(p: Platform) -> &'static [DeployItem] {
        match p {
            Platform::Macos => &[DeployItem::OktaVerify, DeployItem::Attestation, DeployItem::SsoExtension],
            _ => &[DeployItem::OktaVerify, DeployItem::Attestation],
        }
    }
}

/// Where an item stands on a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Wanted on the device; not attempted yet (or waiting for its retry).
    Pending,
    /// The UEM call is under way.
    InProgress,
    /// The UEM accepted it for the device.
    Applied,
    /// The last attempt failed (see the error; `retry_at` says whether and when it is retried).
    Failed,
    /// Coming off the device; the UEM call is under way.
    Removing,
    /// Taken off the device.
    Removed,
}

/// One item's state on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemState {
    pub status: ItemStatus,
    /// Attempts since the item last reached `applied` or `removed` (or since the admin's "retry now").
    pub attempts: u32,
    /// RFC 3339 time of the last attempt.
    pub last_attempt_at: Option<String>,
    /// The UEM's reason for the last failure.
    pub error: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
}

/// A device's deployment (`DEPLOYED#<uem device id>`), written by deploy-trigger only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployedRecord {
    pub pk: String,
    pub sk: String,
    pub device_id: String,
    pub platform: Option<Platform>,
    /// The managed group the device is a member of (`None`: none).
    pub group_id: Option<String>,
    /// The platform payload hash the device carries (`None`: none).
    pub payload_hash: Option<String>,
    pub items: BTreeMap<DeployItem, ItemState>,
    /// Epoch seconds before which an automatic retry leaves the device alone; `None`: no retry is due (done,
    /// or a permanent failure that waits for the admin).
    pub retry_at: Option<i64>,
    /// Whether the last failure is permanent (device gone, app unknown): no automatic retry.
    #[serde(default)]
    pub permanent_failure: bool,
    pub updated_at: String,
    pub version: u64,
}

impl DeployedRecord {
    /// The sort key of device `id`.
    fn sk_of(id: &str) -> String {
        format!("{DEPLOYED_PREFIX}{id}")
    }

    /// A new record for a device (version 0: not stored yet).
    pub fn new(tenant: &str, device_id: &str, platform: Option<Platform>, now: &str) -> Self {
        DeployedRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(device_id),
            device_id: device_id.to_string(),
            platform,
            group_id: None,
            payload_hash: None,
            items: BTreeMap::new(),
            retry_at: None,
            permanent_failure: false,
            updated_at: now.to_string(),
            version: 0,
        }
    }

    /// Whether any item is still on the device (or may be: applied, failed, in progress, removing).
    pub fn carries_items(&self) -> bool {
        self.group_id.is_some()
            || self.items.values().any(|i| !matches!(i.status, ItemStatus::Removed | ItemStatus::Pending))
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

    /// Every platform's deployment record.
    pub async fn list_deployments(&self, tenant: &str) -> Result<Vec<DeploymentRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), DEPLOYMENT_PREFIX).await
    }

    /// Writes a deployment record at `expected` (`None` / version 0: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_deployment(&self, rec: &DeploymentRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Deletes a platform's deployment record at its version (the platform's group and policy are gone).
    /// Errors: [`StoreError::VersionConflict`] when it changed meanwhile.
    pub async fn delete_deployment(&self, rec: &DeploymentRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }

    /// Every device deployment record of a tenant (all pages).
    pub async fn list_deployed(&self, tenant: &str) -> Result<Vec<DeployedRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), DEPLOYED_PREFIX).await
    }

    /// A cursor over the tenant's device deployment records, in device id order.
    pub fn deployed_cursor(&self, tenant: &str) -> PrefixCursor<DeployedRecord> {
        self.cursor(tenant, DEPLOYED_PREFIX)
    }

    /// One device's deployment record.
    pub async fn get_deployed(&self, tenant: &str, device_id: &str) -> Result<Option<DeployedRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &DeployedRecord::sk_of(device_id)).await
    }

    /// Writes a device's deployment record at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_deployed(&self, rec: &DeployedRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Deletes a device's deployment record at its version (nothing is left on the device). Errors:
    /// [`StoreError::VersionConflict`] when it changed meanwhile.
    pub async fn delete_deployed(&self, rec: &DeployedRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}

super::versioned!(OktaVerifyRecord, DeploymentRecord, DeployedRecord);
