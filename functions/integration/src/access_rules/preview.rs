//! The preview the admin reads before anything is created: per chosen policy its apps, where the product's
//! rules would go and which rules come before them, and Okta's own simulation for one of its apps; for the fleet,
//! how many users have a managed device today and who would be refused; and what the rules would do to the admin
//! who asks. Reads only.
//!
//! Okta's simulation (`createPolicySimulation`, Limited GA) evaluates the rules the policy has now, so it shows
//! which rule a fleet user meets today from a managed device and from another one; inactive rules (the
//! product's before activation) do not take part. An org without the feature answers 4xx: the preview says so
//! and goes on.

use super::context::Context;
use super::fleet::FleetUsers;
use super::rules;
use super::views::{PolicyPreview, RefusedUser, RulePairView, RuleRef, SimulationView};
use odt_shared::okta::policies::AccessPolicy;
use odt_shared::okta::OktaError;
use odt_shared::store::AccessRuleRecord;
use odt_shared::ApiError;

/// How many refused users the preview names.
pub const REFUSED_LISTED: usize = 100;

/// The refused users the preview names, by Okta user id.
pub fn refused(fleet: &FleetUsers) -> Vec<RefusedUser> {
    fleet
        .refused()
        .into_iter()
        .take(REFUSED_LISTED)
        .map(|u| RefusedUser { okta_user_id: u.id.clone(), login: u.profile.login.clone() })
        .collect()
}

/// Whom Okta's simulation signs in: a fleet user, and the device assurance policy their managed device meets.
#[derive(Clone, Copy)]
pub struct Simulated<'a> {
    pub okta_user_id: &'a str,
    pub assurance_id: Option<&'a str>,
}

/// The preview of one policy; `user` is whom to simulate (none: no simulation).
pub async fn policy(
    ctx: &Context,
    p: AccessPolicy,
    existing: Option<&AccessRuleRecord>,
    user: Option<Simulated<'_>>,
) -> Result<PolicyPreview, ApiError> {
    let rules = ctx.okta.list_policy_rules(&p.id).await?;
    let app_ids = ctx.okta.list_policy_app_ids(&p.id).await?;
    let ours: Vec<&str> = existing.map(|r| r.rules().map(|c| c.rule_id.as_str()).collect()).unwrap_or_default();
    let fit = rules::catch_all(&rules);
    let (catch_all_rule_id, insert_at, rules_before) = match &fit {
        Ok(ca) => (
            Some(ca.id().to_string()),
            ca.priority(),
            rules::rules_before(&rules, ca, &ours)
                .into_iter()
                .map(|r| RuleRef { id: r.id().to_string(), name: r.name().to_string(), priority: r.priority() })
                .collect(),
        ),
        Err(_) => (None, None, Vec::new()),
    };
    let (simulation, simulation_note) = match (app_ids.first(), user) {
        (Some(app), Some(u)) => simulate(ctx, &p.id, app, u).await?,
        (None, _) => (None, Some("no app is mapped to this policy".to_string())),
        (_, None) => (None, Some("the fleet has no active user to simulate".to_string())),
    };
    Ok(PolicyPreview {
        id: p.id,
        name: p.name,
        app_ids,
        rules: rules.len(),
        catch_all_rule_id,
        insert_at,
        unfit: fit.err().map(|why| why.explain().0.to_string()),
        rules_before,
        product_rules: existing.map(RulePairView::from),
        simulation,
        simulation_note,
    })
}

/// Okta's simulation of `user` signing in to `app` from a managed (and assured) device and from another one:
/// the rule each matches in policy `policy_id`. An org that refuses it (4xx) or fails (5xx, rate limit) gives a
/// note instead; only the store and the token fail the preview.
async fn simulate(
    ctx: &Context,
    policy_id: &str,
    app: &str,
    user: Simulated<'_>,
) -> Result<(Option<SimulationView>, Option<String>), ApiError> {
    let mut matched = Vec::new();
    for managed in [true, false] {
        match ctx.okta.simulate_access(app, user.okta_user_id, &ctx.group_ids, managed, user.assurance_id).await {
            Ok(m) => matched.push(m.into_iter().find(|(p, _)| p == policy_id).map(|(_, rule)| rule)),
            Err(e @ OktaError::OAuth { .. }) => return Err(e.into()),
            Err(e) => return Ok((None, Some(format!("Okta's policy simulation is not available: {e}")))),
        }
    }
    let view = SimulationView {
        app_id: app.to_string(),
        okta_user_id: user.okta_user_id.to_string(),
        managed_device_rule_id: matched[0].clone(),
        other_device_rule_id: matched[1].clone(),
    };
    Ok((Some(view), None))
}
