//! The tenant's Okta event hook (`HOOK`): where its secret lives in Secrets Manager (written by `PUT
//! /event-hook` or by the product's own registration and rotation, read by the hook's door for every delivery),
//! and, when the product registered the hook in Okta itself, Okta's id of it.

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
    /// A second secret accepted beside `secret` while a rotation is under way: the new one, until Okta has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotating_to: Option<SecretRef>,
    /// The hook the product registered in Okta (none: the admin set the hook up by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub okta: Option<OktaHook>,
    pub version: u64,
}

/// The event hook the product registered in Okta through the Event Hooks API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OktaHook {
    /// The connected org (`org_…`) it was registered in.
    pub org_id: String,
    /// Okta's id of the hook; `None` while the registration that claimed the record has not created it yet.
    pub hook_id: Option<String>,
    /// The URL Okta calls (`https://<api>/hooks/okta/<tenant>`).
    pub uri: String,
}

impl HookRecord {
    /// The hook of `tenant` with its secret set `now`, at `version`.
    pub fn new(tenant: &str, secret: SecretRef, now: String, version: u64) -> Self {
        HookRecord {
            pk: tenant_pk(tenant),
            sk: HOOK_SK.to_string(),
            secret,
            secret_updated_at: now,
            rotating_to: None,
            okta: None,
            version,
        }
    }

    /// The secrets a delivery may carry: the hook's secret, and the one a rotation is moving to.
    pub fn accepted_secrets(&self) -> impl Iterator<Item = &SecretRef> {
        std::iter::once(&self.secret).chain(self.rotating_to.as_ref())
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
