//! Per device what deploy-trigger applied and every attempt (`DEPLOYED#<uem device id>`), item by item.

use super::{tenant_pk, PrefixCursor, Store, StoreError};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sort key prefix of device deployments.
const DEPLOYED_PREFIX: &str = "DEPLOYED#";

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
    /// Dynamic SCEP challenge: the UEM policy that carries this device's own document (its challenge, issued by
    /// Okta for this device and enrollment), targeting the device alone; `None`: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_policy_id: Option<String>,
    /// The platform payload hash that per-device document was made for: a different one (a re-enrollment)
    /// fetches a new challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_payload_hash: Option<String>,
    /// Case C27: the deleted Okta device record (its Okta device id) for which the attestation was delivered again
    /// (taken out of the platform's group and added again, or on a dynamic-challenge platform a new document with a
    /// new challenge), so one deletion re-delivers once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redelivered_for: Option<String>,
    /// RFC 3339 time the attestation was last delivered (the device joined its platform's group, its payload
    /// changed, or its own document was given): the start of the year its SCEP certificate lasts
    /// ([`crate::attestation::freshness`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attested_at: Option<String>,
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
            device_policy_id: None,
            device_payload_hash: None,
            redelivered_for: None,
            attested_at: None,
            updated_at: now.to_string(),
            version: 0,
        }
    }

    /// Whether any item is still on the device (or may be: applied, failed, in progress, removing).
    pub fn carries_items(&self) -> bool {
        self.group_id.is_some()
            || self.device_policy_id.is_some()
            || self.items.values().any(|i| !matches!(i.status, ItemStatus::Removed | ItemStatus::Pending))
    }
}

impl Store {
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

super::versioned!(DeployedRecord);
