//! The tenant's Okta event hook (`HOOK`): where its secret lives in Secrets Manager (written by `PUT
//! /event-hook`, read by the hook's door for every delivery).

use super::{tenant_pk, Store, StoreError};
use crate::secrets::SecretRef;
use serde::{Deserialize, Serialize};

/// The sort key of the hook record.
const HOOK_SK: &str = "HOOK";

/// The tenant's hook configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookRecord {
    pub pk: String,
    pub sk: String,
    /// The secret Okta sends in `Authorization`.
    pub secret: SecretRef,
    /// RFC 3339.
    pub secret_updated_at: String,
    pub version: u64,
}

impl HookRecord {
    /// The hook of `tenant` with its secret set `now`, at `version`.
    pub fn new(tenant: &str, secret: SecretRef, now: String, version: u64) -> Self {
        HookRecord { pk: tenant_pk(tenant), sk: HOOK_SK.to_string(), secret, secret_updated_at: now, version }
    }

    /// The key under which a warm instance keeps the tenant's hook record (`Deps::warm`).
    pub fn cache_key(tenant: &str) -> String {
        format!("{}#{HOOK_SK}", tenant_pk(tenant))
    }
}

impl Store {
    /// The tenant's hook record (strongly consistent), if the hook is set up.
    pub async fn get_hook(&self, tenant: &str) -> Result<Option<HookRecord>, StoreError> {
        self.get(&tenant_pk(tenant), HOOK_SK).await
    }

    /// Writes the hook record if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`] with the current version.
    pub async fn put_hook(&self, rec: &HookRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(HookRecord);
