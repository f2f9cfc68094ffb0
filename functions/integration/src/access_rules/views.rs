//! What the `/access-policy-rules` routes take and answer.

use super::fleet::CallerVerdict;
use odt_shared::store::{AccessRuleRecord, AccessRuleState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /access-policy-rules/preview` and `PUT /access-policy-rules`: the app sign-on policies the rules go in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyIdsInput {
    /// Okta access policy ids (`rst…`), 1 to 20, distinct.
    pub policy_ids: Vec<String>,
}

/// An app sign-on policy of the org.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyView {
    pub id: String,
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    /// Whether Okta created it.
    pub system: bool,
}

/// `GET /access-policies`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessPolicyList {
    pub items: Vec<AccessPolicyView>,
    pub count: usize,
}

/// The product's pair of rules in one policy.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulePairView {
    pub policy_id: String,
    /// `creating` (stopped part-way: roll back), `inactive` or `active`.
    #[schema(value_type = String)]
    pub state: AccessRuleState,
    pub allow_rule_id: Option<String>,
    pub deny_rule_id: Option<String>,
    /// The fleet's Okta group ids the rules name.
    pub group_ids: Vec<String>,
    /// The device assurance policy ids the allow rule names.
    pub assurance_ids: Vec<String>,
    /// Both rule names end with `[<tag>]`.
    pub tag: String,
    pub created_at: String,
    pub activated_at: Option<String>,
}

impl From<&AccessRuleRecord> for RulePairView {
    fn from(r: &AccessRuleRecord) -> Self {
        RulePairView {
            policy_id: r.policy_id.clone(),
            state: r.state,
            allow_rule_id: r.allow.as_ref().map(|c| c.rule_id.clone()),
            deny_rule_id: r.deny.as_ref().map(|c| c.rule_id.clone()),
            group_ids: r.group_ids.clone(),
            assurance_ids: r.assurance_ids.clone(),
            tag: r.tag.clone(),
            created_at: r.created_at.clone(),
            activated_at: r.activated_at.clone(),
        }
    }
}

/// `GET|PUT /access-policy-rules`, `POST /access-policy-rules/activate`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulePairList {
    pub items: Vec<RulePairView>,
    pub count: usize,
    /// After a create: whether every rule the product did not create kept its relative order (read back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_order_kept: Option<bool>,
    /// After an activation: what the rules do to the admin who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerVerdict>,
}

/// The rules a rollback removed from one policy.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovedView {
    pub policy_id: String,
    pub rule_ids: Vec<String>,
}

/// `DELETE /access-policy-rules`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RollbackView {
    pub removed: Vec<RemovedView>,
    pub count: usize,
}

/// A rule Okta evaluates before the product's pair.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    pub id: String,
    pub name: String,
    pub priority: Option<i64>,
}

/// Which rule Okta's simulation says matches a fleet user signing in to one of the policy's apps today.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimulationView {
    pub app_id: String,
    /// The fleet user simulated (the admin when in the fleet).
    pub okta_user_id: String,
    /// The rule matched from a registered, managed device; `None` when none matched.
    pub managed_device_rule_id: Option<String>,
    /// The rule matched from an unregistered device.
    pub other_device_rule_id: Option<String>,
}

/// One chosen policy in the preview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPreview {
    pub id: String,
    pub name: String,
    /// The apps mapped to the policy (Okta app ids).
    pub app_ids: Vec<String>,
    /// Rules the policy has now.
    pub rules: usize,
    pub catch_all_rule_id: Option<String>,
    /// The priority the allow rule would take (the deny rule the next; the catch-all moves down two).
    pub insert_at: Option<i64>,
    /// `null` when it can take the rules, else why not (`no_catch_all`, `catch_all_denies`).
    pub unfit: Option<String>,
    /// Active rules Okta evaluates before the product's: for users they match, they decide.
    pub rules_before: Vec<RuleRef>,
    /// The product's pair already there, if any.
    pub product_rules: Option<RulePairView>,
    /// Okta's simulation for the first mapped app, or `None` (see `simulationNote`).
    pub simulation: Option<SimulationView>,
    pub simulation_note: Option<String>,
}

/// A fleet user the deny rule would refuse.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefusedUser {
    pub okta_user_id: String,
    pub login: String,
}

/// `POST /access-policy-rules/preview`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulePreview {
    pub policies: Vec<PolicyPreview>,
    /// The fleet's Okta group ids the rules would name.
    pub group_ids: Vec<String>,
    /// The device assurance policy ids the allow rule would name.
    pub assurance_ids: Vec<String>,
    /// ACTIVE members of the fleet's groups.
    pub fleet_users: usize,
    /// Fleet users with a device Okta reports MANAGED today.
    pub managed_in_okta: usize,
    /// Fleet users whose in-scope device the product's records show MANAGED.
    pub managed_by_product: usize,
    /// Fleet users the deny rule would refuse (no device Okta reports MANAGED).
    pub refused_count: usize,
    /// The first 100 of them, by Okta user id.
    pub refused: Vec<RefusedUser>,
    /// What the rules would do to the admin who asks (activation is refused for `no_email` and
    /// `would_be_locked_out`).
    pub caller: CallerVerdict,
}
