//! Where a reconciliation that ran out of budget stopped (`SYNCCHECKPOINT`): the next run resumes after it.

use super::{tenant_pk, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key of the checkpoint.
const CHECKPOINT_SK: &str = "SYNCCHECKPOINT";

/// The record a stopped reconciliation leaves. Written by fleet-sync only (one writer: unconditional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub pk: String,
    pub sk: String,
    /// The last device id decided (devices are visited in id order).
    pub after: String,
    /// When the run stopped (RFC 3339).
    pub at: String,
}

impl CheckpointRecord {
    /// The checkpoint of `tenant`: the run decided every device up to `after`, and stopped `at`.
    pub fn new(tenant: &str, after: String, at: String) -> Self {
        CheckpointRecord { pk: tenant_pk(tenant), sk: CHECKPOINT_SK.to_string(), after, at }
    }
}

impl Store {
    /// The tenant's reconciliation checkpoint, if a run left one.
    pub async fn get_checkpoint(&self, tenant: &str) -> Result<Option<CheckpointRecord>, StoreError> {
        self.get(&tenant_pk(tenant), CHECKPOINT_SK).await
    }

    /// Writes the checkpoint (unconditionally: reconciliation is its only writer).
    pub async fn put_checkpoint(&self, rec: &CheckpointRecord) -> Result<(), StoreError> {
        self.put_raw(rec).await
    }

    /// Deletes the tenant's checkpoint (a run reached the end; a missing one is not an error).
    pub async fn delete_checkpoint(&self, tenant: &str) -> Result<(), StoreError> {
        self.delete_raw(&tenant_pk(tenant), CHECKPOINT_SK).await
    }
}
