//! The tenant's device trust record (`DEVICETRUST`): which connected Okta org device trust uses, and whether it
//! is active or being removed from the devices. Writing it is a transaction with the org it uses
//! (`org_trust.rs`).

use super::{tenant_of_pk, tenant_pk, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key of the device trust record.
pub(super) const DEVICE_TRUST_SK: &str = "DEVICETRUST";

/// The lifecycle of device trust for a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceTrustState {
    /// Device trust runs for the chosen org.
    Active,
    /// The admin deleted device trust: every deployed item must come off the devices (deploy-trigger carries
    /// it out and then removes the record).
    Removing,
}

/// The device trust record of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceTrustRecord {
    pub pk: String,
    pub sk: String,
    pub okta_org_id: String,
    pub state: DeviceTrustState,
    /// RFC 3339.
    pub enabled_at: String,
    pub removal_requested_at: Option<String>,
    pub updated_at: String,
    pub version: u64,
    /// `DEVICETRUST`: the `gsi1` key under which the scheduled reconciliation finds every tenant.
    #[serde(default = "device_trust_index")]
    pub gsi1pk: String,
    /// The tenant id.
    #[serde(default)]
    pub gsi1sk: String,
}

/// The `gsi1` partition that lists every tenant's device trust record.
const DEVICE_TRUST_INDEX: &str = "DEVICETRUST";

fn device_trust_index() -> String {
    DEVICE_TRUST_INDEX.to_string()
}

impl DeviceTrustRecord {
    /// A new record for `tenant` (version 1).
    pub fn new(tenant: &str, okta_org_id: String, now: String) -> Self {
        DeviceTrustRecord {
            pk: tenant_pk(tenant),
            sk: DEVICE_TRUST_SK.to_string(),
            okta_org_id,
            state: DeviceTrustState::Active,
            enabled_at: now.clone(),
            removal_requested_at: None,
            updated_at: now,
            version: 1,
            gsi1pk: DEVICE_TRUST_INDEX.to_string(),
            gsi1sk: tenant.to_string(),
        }
    }

    /// The tenant whose device trust this is.
    pub fn tenant(&self) -> &str {
        tenant_of_pk(&self.pk).unwrap_or_default()
    }
}

impl Store {
    /// Every tenant's device trust record (through `gsi1`, every page): what the schedule reconciles.
    pub async fn list_device_trusts(&self) -> Result<Vec<DeviceTrustRecord>, StoreError> {
        self.query_index(DEVICE_TRUST_INDEX).await
    }

    /// The tenant's device trust record, if any.
    pub async fn get_device_trust(&self, tenant: &str) -> Result<Option<DeviceTrustRecord>, StoreError> {
        self.get(&tenant_pk(tenant), DEVICE_TRUST_SK).await
    }

    /// Deletes the device trust record at its version (its removal from the devices is done). Errors:
    /// [`StoreError::VersionConflict`] when it changed meanwhile.
    pub async fn delete_device_trust(&self, rec: &DeviceTrustRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}
