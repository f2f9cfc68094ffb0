//! What Okta and the UEM say about each device (`EVIDENCE#<uem device id>`), kept by status-export's refresh and
//! read by the status report and the exports.

use super::{tenant_pk, PrefixCursor, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key prefix of evidence records.
const EVIDENCE_PREFIX: &str = "EVIDENCE#";

/// What Okta and the UEM say about one device, as of `checked_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub pk: String,
    pub sk: String,
    pub device_id: String,
    /// Okta's device id, when an Okta device matched this one (by serial number or UDID).
    pub okta_device_id: Option<String>,
    /// The device user link's `managementStatus` for the device's owner (`MANAGED` / `NOT_MANAGED`), `None`
    /// when Okta has no device for it (Okta Verify not registered).
    pub management_status: Option<String>,
    /// The UEM's state of the platform policy's payload on the device (`applied`, `pending`, `failed`,
    /// `unknown`), `None` when the device is in no policy.
    pub payload_state: Option<String>,
    /// The UEM's error for the payload, if any.
    pub payload_error: Option<String>,
    /// Whether the UEM reports Okta Verify installed, `None` when unknown.
    pub okta_verify_installed: Option<bool>,
    /// Whether Okta has reported the device `MANAGED` for its owner at any refresh (kept from then on): a device
    /// `NOT_MANAGED` that never was awaits its owner's first FastPass sign-in; one that was has lost it.
    #[serde(default)]
    pub managed_before: bool,
    /// The Okta device id whose record Okta deleted (a `device.lifecycle.delete` event, or no Okta device at a
    /// refresh for a device that had one), case C27: the owner must enroll Okta Verify again, and deploy-trigger
    /// delivers the attestation again. `None` once Okta reports a device for it again.
    #[serde(default)]
    pub okta_record_lost: Option<String>,
    /// RFC 3339 time of the refresh that last found the device `MANAGED` when it was not before (the first
    /// report after each delivery of its attestation, [`crate::attestation::freshness`]); `None`: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_at: Option<String>,
    /// RFC 3339.
    pub checked_at: String,
    pub version: u64,
}

impl EvidenceRecord {
    /// A new record of device `device_id` of `tenant` checked at `checked_at` (version 1), saying nothing yet:
    /// the caller sets what Okta and the UEM said (`EvidenceRecord { management_status, ..EvidenceRecord::new(..) }`).
    pub fn new(tenant: &str, device_id: &str, checked_at: &str) -> Self {
        EvidenceRecord {
            pk: tenant_pk(tenant),
            sk: format!("{EVIDENCE_PREFIX}{device_id}"),
            device_id: device_id.to_string(),
            okta_device_id: None,
            management_status: None,
            payload_state: None,
            payload_error: None,
            okta_verify_installed: None,
            managed_before: false,
            okta_record_lost: None,
            managed_at: None,
            checked_at: checked_at.to_string(),
            version: 1,
        }
    }

    /// Whether two records say the same (ignoring when they were checked and the version).
    pub fn same(&self, other: &EvidenceRecord) -> bool {
        (
            &self.okta_device_id,
            &self.management_status,
            &self.payload_state,
            &self.payload_error,
            self.okta_verify_installed,
            self.managed_before,
            &self.okta_record_lost,
            &self.managed_at,
        ) == (
            &other.okta_device_id,
            &other.management_status,
            &other.payload_state,
            &other.payload_error,
            other.okta_verify_installed,
            other.managed_before,
            &other.okta_record_lost,
            &other.managed_at,
        )
    }
}

impl Store {
    /// A cursor over the tenant's evidence records, in device id order.
    pub fn evidence_cursor(&self, tenant: &str) -> PrefixCursor<EvidenceRecord> {
        self.cursor(tenant, EVIDENCE_PREFIX)
    }

    /// Every evidence record of a tenant (all pages).
    pub async fn list_evidence(&self, tenant: &str) -> Result<Vec<EvidenceRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), EVIDENCE_PREFIX).await
    }

    /// One device's evidence record.
    pub async fn get_evidence(&self, tenant: &str, device_id: &str) -> Result<Option<EvidenceRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &format!("{EVIDENCE_PREFIX}{device_id}")).await
    }

    /// Writes a device's evidence at `expected` (`None`: none stored). Errors: [`StoreError::VersionConflict`].
    pub async fn put_evidence(&self, rec: &EvidenceRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(EvidenceRecord);
