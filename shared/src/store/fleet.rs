//! The fleet selection (`FLEET`: Okta user groups and UEM device groups, by id), written by fleet-sync's
//! `PUT /fleet` and read by reconciliation and the hook consumer.

use super::{tenant_pk, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key of the fleet selection.
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
}

super::versioned!(FleetRecord);
