//! The tenant's UEM connection (`UEM`): which UEM, its portal host, and where its API key lives.

use super::{tenant_pk, Store, StoreError};
use crate::secrets::SecretRef;
use serde::{Deserialize, Serialize};

const UEM_SK: &str = "UEM";

/// A connected UEM. The API key lives in Secrets Manager at `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UemRecord {
    pub pk: String,
    pub sk: String,
    /// `hexnode`.
    pub kind: String,
    /// The portal host, e.g. `acme.hexnodemdm.com`.
    pub portal: String,
    pub secret: SecretRef,
    /// RFC 3339.
    pub secret_updated_at: String,
    pub verified_at: String,
    pub created_at: String,
    pub updated_at: String,
    /// The product's share of the UEM's rate and daily budget, percent (1 to 100); `None`: the default
    /// (the `pacing` room's `DEFAULT_SHARE_PERCENT`). Read by every paced client of the tenant.
    #[serde(default)]
    pub call_share_percent: Option<u8>,
    pub version: u64,
}

impl UemRecord {
    /// A UEM connection of `tenant` verified `now` (version 1): its secret set, created and updated `now`. A
    /// re-connect keeps what it carries over with `UemRecord { created_at, version, ..UemRecord::new(..) }`.
    pub fn new(tenant: &str, kind: &str, portal: &str, secret: SecretRef, now: &str) -> Self {
        UemRecord {
            pk: tenant_pk(tenant),
            sk: UEM_SK.to_string(),
            kind: kind.to_string(),
            portal: portal.to_string(),
            secret,
            secret_updated_at: now.to_string(),
            verified_at: now.to_string(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
            call_share_percent: None,
            version: 1,
        }
    }
}

impl Store {
    /// The tenant's UEM connection, if any.
    pub async fn get_uem(&self, tenant: &str) -> Result<Option<UemRecord>, StoreError> {
        self.get(&tenant_pk(tenant), UEM_SK).await
    }

    /// Writes the UEM connection if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`] with the current version.
    pub async fn put_uem(&self, rec: &UemRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(UemRecord);
