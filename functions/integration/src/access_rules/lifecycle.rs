//! Activating the product's rules (only on the admin's call, only when they are still what the product created
//! and cannot lock out the admin who asks) and rolling them back (deactivated and deleted, nothing else
//! touched).

use super::context::Context;
use super::fleet::{self, CallerVerdict};
use super::rules;
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::okta::policies::PolicyRule;
use odt_shared::okta::OktaError;
use odt_shared::store::{AccessRuleRecord, AccessRuleState, CreatedRule};
use odt_shared::ApiError;
use serde_json::json;

/// Checks that every recorded rule is still the one the product created: there, named with the record's tag,
/// and with the conditions and actions Okta answered when it was created. Errors: 409 `rules_incomplete` for a
/// record still `Creating`, `rule_missing` or `rule_changed` naming the rule, `fleet_changed` when the fleet's
/// groups are no longer those the rules name.
async fn check_unchanged(ctx: &Context, recs: &[AccessRuleRecord]) -> Result<(), ApiError> {
    for rec in recs {
        let conflict = |code, message: &str| {
            ApiError::conflict(code, message.to_string()).with_detail("policyId", json!(rec.policy_id))
        };
        if rec.state == AccessRuleState::Creating || rec.org_id != ctx.org.org_id {
            return Err(conflict(
                "rules_incomplete",
                "these rules were not created completely in device trust's org; roll them back and create them again",
            ));
        }
        if rec.group_ids != ctx.group_ids {
            return Err(conflict(
                "fleet_changed",
                "the fleet's Okta groups changed since the rules were created; roll them back and create them again",
            ));
        }
        for created in rec.rules() {
            let Some(rule) = ctx.okta.get_policy_rule(&rec.policy_id, &created.rule_id).await? else {
                return Err(conflict(
                    "rule_missing",
                    "a rule the product created is gone from Okta; roll back and create them again",
                )
                .with_detail("ruleId", json!(created.rule_id)));
            };
            if !is_ours(&rule, rec, created) {
                return Err(conflict("rule_changed", "a rule the product created was changed in Okta since; the product changes nothing it did not create: roll back and create them again")
                    .with_detail("ruleId", json!(created.rule_id)));
            }
        }
    }
    Ok(())
}

/// Whether `rule` is the product's `created` rule as it made it.
fn is_ours(rule: &PolicyRule, rec: &AccessRuleRecord, created: &CreatedRule) -> bool {
    let names = [rules::allow_name(&rec.tag), rules::deny_name(&rec.tag)];
    rule.id() == created.rule_id
        && names.iter().any(|n| n == rule.name())
        && rules::fingerprint(rule) == created.fingerprint
}

/// Activates every recorded pair (allow first, then deny, so no moment denies what the allow rule would let
/// in). Refused, with nothing changed: no rules (409 `no_rules`), the caller could be locked out (409
/// `would_lock_out_caller` / `caller_unknown` with `caller`), or a rule is not as created (see
/// [`check_unchanged`]). Answers the records, `Active`, and the caller's verdict.
pub async fn activate(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    email: Option<&str>,
) -> Result<(Vec<AccessRuleRecord>, CallerVerdict), ApiError> {
    let recs = deps.store.list_access_rules(tenant).await?;
    if recs.is_empty() {
        return Err(ApiError::conflict("no_rules", "the product has created no rules yet (PUT /access-policy-rules)"));
    }
    let verdict = fleet::read(deps, tenant, ctx).await?.verdict(email);
    if let Some((code, message)) = verdict.refusal() {
        return Err(ApiError::conflict(code, message).with_detail("caller", json!(verdict)));
    }
    check_unchanged(ctx, &recs).await?;
    let mut out = Vec::new();
    for rec in recs {
        if rec.state == AccessRuleState::Active {
            out.push(rec);
            continue;
        }
        for created in rec.rules() {
            ctx.okta.set_rule_active(&rec.policy_id, &created.rule_id, true).await?;
        }
        let now = rfc3339(deps.clock.now());
        let next = AccessRuleRecord {
            state: AccessRuleState::Active,
            activated_at: Some(now.clone()),
            updated_at: now,
            version: rec.version + 1,
            ..rec.clone()
        };
        deps.store.put_access_rule(&next, Some(rec.version)).await?;
        tracing::info!(tenant, policy_id = %rec.policy_id, "access policy rules activated");
        out.push(next);
    }
    Ok((out, verdict))
}

/// Rolls every pair back: each rule the record names, and each rule of the policy named exactly as the
/// record's tag makes the product's names (one whose creation answer was lost), is deactivated when active and
/// deleted, deny first; then the record is deleted. Rules the product did not create are never touched.
/// Answers `(policy id, rule ids removed)` per record.
pub async fn rollback(deps: &Deps, tenant: &str, ctx: &Context) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    let mut out = Vec::new();
    for rec in deps.store.list_access_rules(tenant).await? {
        if rec.org_id != ctx.org.org_id {
            return Err(ApiError::conflict(
                "org_changed",
                "these rules live in an Okta org device trust no longer uses; choose that org again to roll them back",
            )
            .with_detail("policyId", json!(rec.policy_id)));
        }
        let names = [rules::deny_name(&rec.tag), rules::allow_name(&rec.tag)];
        let recorded: Vec<&str> = rec.rules().map(|c| c.rule_id.as_str()).collect();
        let listed = match ctx.okta.list_policy_rules(&rec.policy_id).await {
            // The policy itself is gone, and its rules with it.
            Err(OktaError::Api { status: 404, .. }) => Vec::new(),
            other => other?,
        };
        let mut mine: Vec<PolicyRule> =
            listed.into_iter().filter(|r| recorded.contains(&r.id()) || names.iter().any(|n| n == r.name())).collect();
        // Deny first: while it goes, the allow rule still lets managed devices in.
        mine.sort_by_key(|r| names.iter().position(|n| n == r.name()).unwrap_or(names.len()));
        for rule in &mine {
            if rule.status() == "ACTIVE" {
                ctx.okta.set_rule_active(&rec.policy_id, rule.id(), false).await?;
            }
            ctx.okta.delete_rule(&rec.policy_id, rule.id()).await?;
        }
        deps.store.delete_access_rule(&rec).await?;
        tracing::info!(tenant, policy_id = %rec.policy_id, removed = mine.len(), "access policy rules rolled back");
        out.push((rec.policy_id.clone(), mine.iter().map(|r| r.id().to_string()).collect()));
    }
    Ok(out)
}
