//! A platform's deployment in the UEM (`DEPLOYMENT#<platform>`: managed device group, policy and what the
//! policy carries), written by deploy-trigger only.

use super::{tenant_pk, Store, StoreError};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// The sort key prefix of deployments.
const DEPLOYMENT_PREFIX: &str = "DEPLOYMENT#";

/// A platform's deployment in the UEM (`DEPLOYMENT#<platform>`), written by deploy-trigger only.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub pk: String,
    pub sk: String,
    pub platform: Option<Platform>,
    /// The managed device group that holds the platform's in-scope devices.
    pub group_id: Option<String>,
    /// The policy (Okta Verify, attestation payload, SSO extension) that targets the group.
    pub policy_id: Option<String>,
    /// What the policy carries: a hash over the platform's payload hash and the Okta Verify method (never over a
    /// secret), so a change of either updates the policy once.
    pub policy_key: Option<String>,
    /// The platform payload hash the policy carries.
    pub payload_hash: Option<String>,
    /// The Okta Verify app the policy installs (`None`: no method set yet).
    pub app_id: Option<String>,
    pub updated_at: String,
    pub version: u64,
}

impl DeploymentRecord {
    /// The sort key of a platform's deployment.
    fn sk_of(p: Platform) -> String {
        format!("{DEPLOYMENT_PREFIX}{}", p.as_str())
    }

    /// A new, empty deployment for `tenant` and `p` (version 0: not stored yet).
    pub fn empty(tenant: &str, p: Platform) -> Self {
        DeploymentRecord { pk: tenant_pk(tenant), sk: Self::sk_of(p), platform: Some(p), ..Default::default() }
    }
}

impl Store {
    /// Every platform's deployment record.
    pub async fn list_deployments(&self, tenant: &str) -> Result<Vec<DeploymentRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), DEPLOYMENT_PREFIX).await
    }

    /// Writes a deployment record at `expected` (`None` / version 0: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_deployment(&self, rec: &DeploymentRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Deletes a platform's deployment record at its version (the platform's group and policy are gone).
    /// Errors: [`StoreError::VersionConflict`] when it changed meanwhile.
    pub async fn delete_deployment(&self, rec: &DeploymentRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}

super::versioned!(DeploymentRecord);
