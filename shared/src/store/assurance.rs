//! The device assurance policies the product created in Okta, one per platform (`ASSURANCE#<platform>`, with
//! `okta_policy_id`). Placeholder: the reader the access policy rule needs; the records and their writes come
//! with the device assurance work (issue 21, part 2), whose version of this file replaces this one.

use super::{tenant_pk, Store, StoreError};
use serde::Deserialize;

/// The sort key prefix of the device assurance records.
const ASSURANCE_PREFIX: &str = "ASSURANCE#";

/// What the access policy rule reads of a device assurance record.
#[derive(Debug, Deserialize)]
struct AssuranceId {
    /// Okta's device assurance policy id (`dae…`).
    okta_policy_id: String,
}

impl Store {
    /// The Okta ids of the device assurance policies the product created for `tenant`, in platform order of
    /// their sort keys; empty when it created none.
    pub async fn device_assurance_ids(&self, tenant: &str) -> Result<Vec<String>, StoreError> {
        let recs: Vec<AssuranceId> = self.query_prefix(&tenant_pk(tenant), ASSURANCE_PREFIX).await?;
        Ok(recs.into_iter().map(|r| r.okta_policy_id).collect())
    }
}
