//! The per-device records that hold each device's desired state (`DEVICE#<uem device id>`), written by
//! fleet-sync (reconciliation and the hook consumer), read by deploy-trigger and status-export; `gsi1` finds an
//! Okta user's devices.

use super::{tenant_pk, PrefixCursor, Store, StoreError};
use crate::platform::Platform;
use crate::scope::Exclusion;
use crate::uem::Enrollment;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The sort key prefix of device records.
const DEVICE_PREFIX: &str = "DEVICE#";

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
    /// When the device stays with the Okta user it was linked to although the UEM owner's email matches no user
    /// any more (a renamed user, C28): that user's login, which the UEM owner should read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email_mismatch: Option<String>,
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
    /// This record's exclusion as the platform switches stand now (`enabled`; [`crate::scope::as_switched`]):
    /// `platform_disabled` once its platform is switched off, though no reconciliation has written that yet.
    pub fn exclusion_as_switched(&self, enabled: &HashSet<Platform>) -> Option<Exclusion> {
        let decided = if self.in_scope { None } else { self.exclusion };
        crate::scope::as_switched(decided, self.platform, enabled)
    }

    /// Whether the device is in scope as the platform switches stand now (`enabled`).
    pub fn in_scope_as_switched(&self, enabled: &HashSet<Platform>) -> bool {
        self.in_scope && self.exclusion_as_switched(enabled).is_none()
    }

    /// This record as its readers show it while the platform switches stand at `enabled`: out of scope with
    /// `platform_disabled` once its platform is switched off (case C29), else unchanged. A view: never written.
    pub fn as_switched(mut self, enabled: &HashSet<Platform>) -> DeviceRecord {
        self.exclusion = self.exclusion_as_switched(enabled);
        if self.exclusion.is_some() {
            self.in_scope = false;
            self.desired_payload_hash = None;
        }
        self
    }

    /// A new record of device `device_id` of `tenant` owned by Okta user `okta_user_id` (if any; the record is
    /// then in `gsi1` under that user), written `now` (version 1), saying nothing else yet: the caller sets what
    /// the UEM says and the decision (`DeviceRecord { name, in_scope, .., ..DeviceRecord::new(..) }`).
    pub fn new(tenant: &str, device_id: &str, okta_user_id: Option<String>, now: &str) -> Self {
        DeviceRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(device_id),
            device_id: device_id.to_string(),
            name: String::new(),
            platform: None,
            os_version: String::new(),
            serial: None,
            udid: None,
            owner_email: None,
            gsi1pk: okta_user_id.as_deref().map(|u| Self::user_index(tenant, u)),
            gsi1sk: okta_user_id.as_ref().map(|_| Self::sk_of(device_id)),
            okta_user_id,
            owner_email_mismatch: None,
            in_scope: false,
            exclusion: None,
            desired_payload_hash: None,
            enrollment: Enrollment::default(),
            owner_status: None,
            owner_selected_groups: Vec::new(),
            in_selected_device_group: false,
            updated_at: now.to_string(),
            version: 1,
        }
    }

    /// The sort key of device `id`.
    fn sk_of(id: &str) -> String {
        format!("{DEVICE_PREFIX}{id}")
    }

    /// Whether two records say the same about the device (ignoring bookkeeping), so an unchanged device is
    /// not written.
    pub fn same_state(&self, other: &DeviceRecord) -> bool {
        (
            &self.name,
            self.platform,
            (&self.os_version, &self.serial, &self.udid),
            &self.owner_email,
            (&self.okta_user_id, &self.owner_email_mismatch),
            self.in_scope,
            self.exclusion,
            &self.desired_payload_hash,
            (self.enrollment, &self.owner_status, &self.owner_selected_groups, self.in_selected_device_group),
        ) == (
            &other.name,
            other.platform,
            (&other.os_version, &other.serial, &other.udid),
            &other.owner_email,
            (&other.okta_user_id, &other.owner_email_mismatch),
            other.in_scope,
            other.exclusion,
            &other.desired_payload_hash,
            (other.enrollment, &other.owner_status, &other.owner_selected_groups, other.in_selected_device_group),
        )
    }

    /// The `gsi1` partition key of an Okta user's devices.
    fn user_index(tenant: &str, okta_user_id: &str) -> String {
        format!("{}#U#{okta_user_id}", tenant_pk(tenant))
    }
}

impl Store {
    /// Every device record of a tenant (all pages).
    pub async fn list_devices(&self, tenant: &str) -> Result<Vec<DeviceRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), DEVICE_PREFIX).await
    }

    /// A cursor over the tenant's device records, in device id order.
    pub fn device_cursor(&self, tenant: &str) -> PrefixCursor<DeviceRecord> {
        self.cursor(tenant, DEVICE_PREFIX)
    }

    /// One device record of a tenant (strongly consistent), if any.
    pub async fn get_device(&self, tenant: &str, device_id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &DeviceRecord::sk_of(device_id)).await
    }

    /// The record `rec` as it is stored now (strongly consistent), if it still is: what a conditional write that
    /// lost re-reads.
    pub async fn fresh_device(&self, rec: &DeviceRecord) -> Result<Option<DeviceRecord>, StoreError> {
        self.get(&rec.pk, &rec.sk).await
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

super::versioned!(DeviceRecord);
