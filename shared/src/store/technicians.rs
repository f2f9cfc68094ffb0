//! The tenant's technician list (`TECHNICIANS`): the addresses exports may be mailed to.

use super::{tenant_pk, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key of the technician list.
const TECHNICIANS_SK: &str = "TECHNICIANS";

/// The addresses exports may be mailed to (admins keep the list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniciansRecord {
    pub pk: String,
    pub sk: String,
    /// Lower-case email addresses.
    pub emails: Vec<String>,
    pub updated_at: String,
    pub version: u64,
}

impl TechniciansRecord {
    /// The technician list of `tenant` at `version`.
    pub fn new(tenant: &str, emails: Vec<String>, now: String, version: u64) -> Self {
        TechniciansRecord { pk: tenant_pk(tenant), sk: TECHNICIANS_SK.to_string(), emails, updated_at: now, version }
    }
}

impl Store {
    /// The technician list, if any.
    pub async fn get_technicians(&self, tenant: &str) -> Result<Option<TechniciansRecord>, StoreError> {
        self.get(&tenant_pk(tenant), TECHNICIANS_SK).await
    }

    /// Writes the technician list at `expected` (`None`: none stored). Errors: [`StoreError::VersionConflict`].
    pub async fn put_technicians(&self, rec: &TechniciansRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(TechniciansRecord);
