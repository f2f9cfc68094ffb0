//! The app sign-on policy rules the product created in Okta (`ACCESSRULE#<policy id>`, one record per chosen
//! access policy): the two rules' ids, the tag both rule names carry, what Okta answered for each rule when it
//! was created (a fingerprint to compare before any change), and where the pair stands. Written by the
//! integration function's `/access-policy-rules` routes, each write conditional on the version read.

use super::{tenant_pk, Store, StoreError};
use serde::{Deserialize, Serialize};

/// The sort key prefix of the access rule records.
const ACCESS_RULE_PREFIX: &str = "ACCESSRULE#";

/// Where a policy's pair of rules stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessRuleState {
    /// The record is written and the rules are being created (a stop here leaves what the record names, and
    /// any rule carrying the tag, for the rollback).
    Creating,
    /// Both rules exist in Okta, INACTIVE.
    Inactive,
    /// Both rules are ACTIVE (the admin activated them).
    Active,
}

/// One rule the product created: its Okta id and the fingerprint of its `conditions` and `actions` as Okta
/// answered them at creation (SHA-256 hex over their canonical JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRule {
    pub rule_id: String,
    pub fingerprint: String,
}

/// The product's pair of rules in one access policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRuleRecord {
    pub pk: String,
    pub sk: String,
    /// Okta's access policy id (`rst…`).
    pub policy_id: String,
    /// The connected org (`org_…`) the rules live in.
    pub org_id: String,
    /// Eight hex digits, chosen before anything is created, in both rule names: what finds a rule whose
    /// creation answer was lost.
    pub tag: String,
    /// The fleet's Okta group ids the rules name.
    pub group_ids: Vec<String>,
    /// The device assurance policy ids the allow rule names.
    #[serde(default)]
    pub assurance_ids: Vec<String>,
    pub allow: Option<CreatedRule>,
    pub deny: Option<CreatedRule>,
    pub state: AccessRuleState,
    /// RFC 3339.
    pub created_at: String,
    pub activated_at: Option<String>,
    pub updated_at: String,
    pub version: u64,
}

impl AccessRuleRecord {
    /// A record of `tenant` for policy `policy_id` in org `org_id`, `Creating`, at version 1.
    pub fn new(tenant: &str, policy_id: &str, org_id: &str, tag: &str, group_ids: Vec<String>, now: &str) -> Self {
        AccessRuleRecord {
            pk: tenant_pk(tenant),
            sk: format!("{ACCESS_RULE_PREFIX}{policy_id}"),
            policy_id: policy_id.to_string(),
            org_id: org_id.to_string(),
            tag: tag.to_string(),
            group_ids,
            assurance_ids: Vec::new(),
            allow: None,
            deny: None,
            state: AccessRuleState::Creating,
            created_at: now.to_string(),
            activated_at: None,
            updated_at: now.to_string(),
            version: 1,
        }
    }

    /// The rules recorded, allow first.
    pub fn rules(&self) -> impl Iterator<Item = &CreatedRule> {
        self.allow.iter().chain(self.deny.iter())
    }
}

impl Store {
    /// Every access rule record of `tenant`, in policy id order.
    pub async fn list_access_rules(&self, tenant: &str) -> Result<Vec<AccessRuleRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), ACCESS_RULE_PREFIX).await
    }

    /// Writes the record if the stored one is at `expected` (`None`: none stored). Errors:
    /// [`StoreError::VersionConflict`].
    pub async fn put_access_rule(&self, rec: &AccessRuleRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// Deletes the record if it is still at its version. Errors: [`StoreError::VersionConflict`].
    pub async fn delete_access_rule(&self, rec: &AccessRuleRecord) -> Result<(), StoreError> {
        self.delete_versioned(&rec.pk, &rec.sk, rec.version).await
    }
}

super::versioned!(AccessRuleRecord);
