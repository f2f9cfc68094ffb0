//! The fleet selection (`FLEET`: Okta user groups and UEM device groups, by id) and the per-device records
//! that hold each device's desired state (`DEVICE#<uem device id>`), written by fleet-sync, read by
//! deploy-trigger and status-export.

use super::{tenant_pk, Store, StoreError};
use crate::platform::Platform;
use crate::scope::Exclusion;
use crate::uem::Enrollment;
use serde::{Deserialize, Serialize};

const FLEET_SK: &str = "FLEET";

/// Which groups make the fleet. Keys are Okta group ids and UEM device group ids; names are never keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetRecord {
    pub pk: String,
    pub sk: String,
    pub okta_group_ids: Vec<String>,
    pub uem_group_ids: Vec<String>,
    pub updated_at: String,
    pub version: u64,
}

impl FleetRecord {
    /// A record for `tenant` at `version`.
    pub fn new(
        tenant: &str,
        okta_group_ids: Vec<String>,
        uem_group_ids: Vec<String>,
        now: String,
        version: u64,
    ) -> Self {
        FleetRecord {
            pk: tenant_pk(tenant),
            sk: FLEET_SK.into(),
            okta_group_ids,
            uem_group_ids,
            updated_at: now,
            version,
        }
    }
}

/// One device's record: what the UEM says about it, the scope decision, and the desired state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub pk: String,
    /// `DEVICE#<uem device id>`.
    pub sk: String,
    pub device_id: String,
    pub name: String,
    pub platform: Option<Platform>,
    pub os_version: String,
    /// Serial number and UDID as the UEM reports them: what matches the device to Okta's device record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udid: Option<String>,
    pub owner_email: Option<String>,
    pub okta_user_id: Option<String>,
    pub in_scope: bool,
    pub exclusion: Option<Exclusion>,
    /// When in scope: the content hash of the attestation payload the device should carry.
    pub desired_payload_hash: Option<String>,
    /// The facts the decision used, kept so an event hook can re-decide without asking Okta or the UEM.
    #[serde(default)]
    pub enrollment: Enrollment,
    #[serde(default)]
    pub owner_status: Option<String>,
    /// The selected Okta groups the owner belongs to.
    #[serde(default)]
    pub owner_selected_groups: Vec<String>,
    #[serde(default)]
    pub in_selected_device_group: bool,
    /// `T#<tenant>#U#<okta user id>` when the owner is an Okta user: the `gsi1` key that finds a user's devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    pub updated_at: String,
    pub version: u64,
}

impl DeviceRecord {
    /// The sort key of device `id`.
    pub fn sk_of(id: &str) -> String {
        format!("DEVICE#{id}")
    }

    /// Whether two records say the same about the device (ignoring bookkeeping), so an unchanged device is
    /// not written.
    pub fn same_state(&self, other: &DeviceRecord) -> bool {
        (
            &self.name,
            self.platform,
            (&self.os_version, &self.serial, &self.udid),
            &self.owner_email,
            &self.okta_user_id,
            self.in_scope,
            self.exclusion,
            &self.desired_payload_hash,
            (self.enrollment, &self.owner_status, &self.owner_selected_groups, self.in_selected_device_group),
        ) == (
            &other.name,
            other.platform,
            (&other.os_version, &other.serial, &other.udid),
            &other.owner_email,
            &other.okta_user_id,
            other.in_scope,
            other.exclusion,
            &other.desired_payload_hash,
            (other.enrollment, &other.owner_status, &other.owner_selected_groups, other.in_selected_device_group),
        )
    }

    /// The `gsi1` partition key of an Okta user's devices.
    pub fn user_index(tenant: &str, okta_user_id: &str) -> String {
        format!("{}#U#{okta_user_id}", tenant_pk(tenant))
    }
}

impl Store {
    /// The fleet selection, if any.
    pub async fn get_fleet(&self, tenant: &str) -> Result<Option<FleetRecord>, StoreError> {
        self.get(&tenant_pk(tenant), FLEET_SK).await
    }

    /// Writes the fleet selection if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_fleet(&self, rec: &FleetRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Every device record of a tenant (all pages).
    pub async fn list_devices(&self, tenant: &str) -> Result<Vec<DeviceRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), "DEVICE#").await
    }

    /// Writes a device record if the stored one is at `expected` (`None`: none stored). A hook and a
    /// reconciliation that both start from one version cannot both win (case C12). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_device(&self, rec: &DeviceRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// The devices whose owner is Okta user `okta_user_id` (through `gsi1`, every page; eventually consistent).
    pub async fn devices_of_user(&self, tenant: &str, okta_user_id: &str) -> Result<Vec<DeviceRecord>, StoreError> {
        self.query_index(&DeviceRecord::user_index(tenant, okta_user_id)).await
    }

    /// Deletes a device record at its version (a device the UEM no longer has). Errors:
    /// [`StoreError::VersionConflict`] when it changed meanwhile.
    pub async fn delete_device(&self, rec: &DeviceRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}

impl super::Versioned for FleetRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

impl super::Versioned for DeviceRecord {
    fn version(&self) -> u64 {
        self.version
    }
}
