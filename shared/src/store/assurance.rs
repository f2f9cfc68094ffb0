//! The product's own device assurance policies in Okta (`ASSURANCE#<platform>`): one record per platform whose
//! policy the product created, naming it by Okta's id (`okta_policy_id`), so the product only ever changes or
//! deletes a policy it recorded (docs/ARCHITECTURE.md, "Okta's side through its Management API").

use super::{tenant_pk, Store, StoreError};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// The sort key prefix of the records.
const ASSURANCE_PREFIX: &str = "ASSURANCE#";

/// One device assurance policy the product created in the device-trust org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssuranceRecord {
    pub pk: String,
    pub sk: String,
    pub platform: Platform,
    /// Okta's id of the policy (`dae…`).
    pub okta_policy_id: String,
    /// The connected org (`org_…`) the policy lives in.
    pub okta_org_id: String,
    /// The OS minimum the product last wrote (`osVersion.minimum`).
    pub os_minimum: String,
    /// Hash of the body the product last wrote: a rule that changes makes another hash.
    pub body_hash: String,
    /// Okta's `lastUpdate` after the product's last write: a different value in Okta means someone else
    /// changed the policy since.
    pub okta_last_update: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
    pub version: u64,
}

impl AssuranceRecord {
    /// The record of `tenant`'s policy for `platform` (fill the rest with struct update syntax).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        tenant: &str,
        platform: Platform,
        okta_policy_id: String,
        okta_org_id: String,
        os_minimum: String,
        body_hash: String,
        okta_last_update: Option<String>,
        now: String,
        version: u64,
    ) -> Self {
        AssuranceRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(platform),
            platform,
            okta_policy_id,
            okta_org_id,
            os_minimum,
            body_hash,
            okta_last_update,
            updated_at: now,
            version,
        }
    }

    fn sk_of(p: Platform) -> String {
        format!("{ASSURANCE_PREFIX}{}", p.as_str())
    }
}

impl Store {
    /// Every device assurance policy the product recorded for `tenant`, in platform order.
    pub async fn list_assurances(&self, tenant: &str) -> Result<Vec<AssuranceRecord>, StoreError> {
        let mut recs: Vec<AssuranceRecord> = self.query_prefix(&tenant_pk(tenant), ASSURANCE_PREFIX).await?;
        recs.sort_by_key(|r| r.platform);
        Ok(recs)
    }

    /// The Okta ids of the device assurance policies the product created for `tenant` (what an authentication
    /// policy rule of the product names), in platform order.
    pub async fn device_assurance_ids(&self, tenant: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.list_assurances(tenant).await?.into_iter().map(|r| r.okta_policy_id).collect())
    }

    /// Writes a record if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_assurance(&self, rec: &AssuranceRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Deletes a record if it is still at its version. Errors: [`StoreError::VersionConflict`].
    pub async fn delete_assurance(&self, rec: &AssuranceRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}

super::versioned!(AssuranceRecord);
