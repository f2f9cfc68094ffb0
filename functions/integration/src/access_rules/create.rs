//! Creating the product's pair of rules, INACTIVE, right above each chosen policy's catch-all. Every chosen
//! policy is checked first (its catch-all found and allowing), so a choice Okta cannot take creates nothing.
//! The record (with the tag both names carry) is written before the first rule is created, and each rule id as
//! soon as Okta answers, so a stop at any point leaves nothing the rollback cannot find.

use super::context::Context;
use super::rules::{self, RuleSpec};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::okta::policies::{AccessPolicy, PolicyRule};
use odt_shared::okta::OktaError;
use odt_shared::store::{AccessRuleRecord, AccessRuleState, CreatedRule, StoreError};
use odt_shared::ApiError;
use serde_json::json;

/// A chosen policy with its rules as read before anything was created.
pub struct Planned {
    pub policy: AccessPolicy,
    pub rules: Vec<PolicyRule>,
}

/// Reads each policy's rules and checks it can take the product's pair. Errors: 409 `policy_unfit` naming each
/// unfit policy with its reason (`unfit`: `[{policyId, code, message}]`), nothing created.
pub async fn plan(ctx: &Context, policies: Vec<AccessPolicy>) -> Result<Vec<Planned>, ApiError> {
    let mut planned = Vec::new();
    let mut unfit = Vec::new();
    for policy in policies {
        let rules = ctx.okta.list_policy_rules(&policy.id).await?;
        if let Err(why) = rules::catch_all(&rules) {
            let (code, message) = why.explain();
            unfit.push(json!({"policyId": policy.id, "code": code, "message": message}));
        }
        planned.push(Planned { policy, rules });
    }
    if !unfit.is_empty() {
        return Err(ApiError::conflict("policy_unfit", "these access policies cannot take the product's rules")
            .with_field("policyIds")
            .with_detail("unfit", json!(unfit)));
    }
    Ok(planned)
}

/// Creates the pair in one planned policy and records it; answers the record (`Inactive`) and whether every
/// rule the product did not create kept its relative order.
pub async fn create_pair(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    p: &Planned,
    assurance_ids: &[String],
) -> Result<(AccessRuleRecord, bool), ApiError> {
    let catch_all = rules::catch_all(&p.rules).map_err(|_| ApiError::internal())?;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let now = rfc3339(deps.clock.now());
    let mut rec = AccessRuleRecord {
        assurance_ids: assurance_ids.to_vec(),
        ..AccessRuleRecord::new(tenant, &p.policy.id, &ctx.org.org_id, &tag, ctx.group_ids.clone(), &now)
    };
    save(deps, &rec, None).await?;
    let mut spec = RuleSpec {
        name: rules::allow_name(&tag),
        allow: true,
        priority: catch_all.priority().unwrap_or(0),
        group_ids: &ctx.group_ids,
        assurance_ids,
        verification: rules::verification_of(catch_all),
    };
    let allow = create_one(ctx, &p.policy.id, &spec).await?;
    rec = record_rule(deps, rec, true, &allow).await?;
    spec.name = rules::deny_name(&tag);
    spec.allow = false;
    spec.priority = allow.priority().map_or(spec.priority + 1, |a| a + 1);
    let deny = create_one(ctx, &p.policy.id, &spec).await?;
    rec = record_rule(deps, rec, false, &deny).await?;
    let expected = rules::foreign_order(&p.rules, &[]);
    let now_rules = ctx.okta.list_policy_rules(&p.policy.id).await?;
    let kept = rules::foreign_order(&now_rules, &[allow.id(), deny.id()]) == expected;
    if !kept {
        tracing::warn!(tenant, policy_id = %p.policy.id, "the other rules' order changed while the product's were created");
    }
    let done = AccessRuleRecord { state: AccessRuleState::Inactive, version: rec.version + 1, ..rec.clone() };
    save(deps, &done, Some(rec.version)).await?;
    tracing::info!(tenant, policy_id = %p.policy.id, allow = allow.id(), deny = deny.id(), "access policy rules created inactive");
    Ok((done, kept))
}

/// Writes the record conditionally. Errors: 409 `version_conflict` when another request changed it meanwhile.
async fn save(deps: &Deps, rec: &AccessRuleRecord, expected: Option<u64>) -> Result<(), ApiError> {
    match deps.store.put_access_rule(rec, expected).await {
        Err(StoreError::VersionConflict { current }) => Err(ApiError::conflict(
            "access_rules_changed",
            "another request is changing this policy's rules; read them again (GET /access-policy-rules)",
        )
        .with_detail("policyId", json!(rec.policy_id))
        .with_detail("currentVersion", json!(current))),
        other => Ok(other?),
    }
}

/// Records a created rule (its id and fingerprint) on the record, at the next version.
async fn record_rule(
    deps: &Deps,
    rec: AccessRuleRecord,
    allow: bool,
    rule: &PolicyRule,
) -> Result<AccessRuleRecord, ApiError> {
    let created = Some(CreatedRule { rule_id: rule.id().to_string(), fingerprint: rules::fingerprint(rule) });
    let mut next = AccessRuleRecord { version: rec.version + 1, updated_at: rfc3339(deps.clock.now()), ..rec.clone() };
    if allow {
        next.allow = created;
    } else {
        next.deny = created;
    }
    save(deps, &next, Some(rec.version)).await?;
    Ok(next)
}

/// Creates one rule INACTIVE. When Okta's answer was lost (unreachable, 5xx), the policy's rules are read and a
/// rule with exactly this name (it carries the record's tag) is the one created; otherwise the error stands.
async fn create_one(ctx: &Context, policy_id: &str, spec: &RuleSpec<'_>) -> Result<PolicyRule, ApiError> {
    match ctx.okta.create_inactive_rule(policy_id, &spec.body()).await {
        Ok(rule) => Ok(rule),
        Err(e @ (OktaError::Unreachable(_) | OktaError::Api { status: 500..=599, .. })) => {
            let rules = ctx.okta.list_policy_rules(policy_id).await?;
            rules.into_iter().find(|r| r.name() == spec.name).ok_or_else(|| e.into())
        }
        Err(e) => Err(e.into()),
    }
}
