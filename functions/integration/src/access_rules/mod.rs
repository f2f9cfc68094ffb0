//! The app sign-on policy rules scoped to the fleet (issue 21, part 3): the admin picks access policies (apps),
//! reads a preview, has the product create two rules in each (allow from a registered, managed and assured
//! device; deny otherwise; both for the fleet's Okta groups, right above the catch-all, INACTIVE), activates them
//! with an explicit call, and rolls them back with one call. Every route is the admin's; reads need
//! `okta.policies.read` granted, changes `okta.policies.manage` (409 `okta_scope_missing` naming it otherwise,
//! before any Okta call).
//!
//! Rooms: `context` (org, scopes, fleet groups, chosen ids), `rules` (the pair and its placement, no I/O),
//! `fleet` (the fleet's users, managed devices, the lockout verdict), `preview`, `create`, `lifecycle`
//! (activate, rollback), `views`.

mod context;
mod create;
pub mod fleet;
mod lifecycle;
mod preview;
pub mod rules;
pub mod views;

use context::{Access, Context};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::ApiError;
use views::{
    AccessPolicyList, AccessPolicyView, PolicyIdsInput, RemovedView, RollbackView, RulePairList, RulePairView,
    RulePreview,
};

/// 409 and the Okta failures every route here may answer. For the document only.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum RuleConflicts {
    #[response(
        status = 409,
        description = "Not possible now (code names why): okta_scope_missing (scope), device_trust_not_configured, \
fleet_not_selected, policy_unfit (unfit), no_rules, would_lock_out_caller / caller_unknown (caller), rule_changed / \
rule_missing (ruleId), fleet_changed, rules_incomplete, access_rules_changed, okta_credentials_rejected"
    )]
    Conflict(ErrorBody),
    #[response(status = 502, description = "Okta failed or answered something unreadable")]
    Failed(ErrorBody),
    #[response(status = 503, description = "Okta rate limit exhausted (retryAt)")]
    RateLimited(ErrorBody),
}

fn pairs(recs: &[odt_shared::store::AccessRuleRecord]) -> RulePairList {
    let items: Vec<RulePairView> = recs.iter().map(RulePairView::from).collect();
    RulePairList { count: items.len(), items, foreign_order_kept: None, caller: None }
}

/// `GET /access-policies`: the org's app sign-on policies (all pages), to pick from.
#[utoipa::path(get, path = "/access-policies", tag = "access-policy-rules", operation_id = "listAccessPolicies",
    description = "Role: admin. The app sign-on policies (ACCESS_POLICY) of device trust's Okta org. Okta scope: okta.policies.read.",
    security(("bearer" = [])),
    responses((status = 200, description = "The policies", body = AccessPolicyList), RuleConflicts, Unauthorized, Forbidden))]
pub async fn list_policies(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let ctx = context::load(deps, req.caller.tenant.as_str(), Access::Read).await?;
    let items: Vec<AccessPolicyView> = ctx
        .okta
        .list_access_policies()
        .await?
        .into_iter()
        .map(|p| AccessPolicyView { id: p.id, name: p.name, status: p.status, system: p.system })
        .collect();
    Ok(json_response(StatusCode::OK, &AccessPolicyList { count: items.len(), items }))
}

/// `GET /access-policy-rules`: the product's rules as recorded (no Okta call).
#[utoipa::path(get, path = "/access-policy-rules", tag = "access-policy-rules", operation_id = "listAccessPolicyRules",
    description = "Role: admin. The rules the product created, per access policy, as recorded.",
    security(("bearer" = [])),
    responses((status = 200, description = "The product's rules", body = RulePairList), Unauthorized, Forbidden))]
pub async fn list_rules(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let recs = deps.store.list_access_rules(req.caller.tenant.as_str()).await?;
    Ok(json_response(StatusCode::OK, &pairs(&recs)))
}

/// The chosen ids, checked as sent (before the context, so bad input is told whatever is set up), and the
/// context for `access`.
async fn chosen(deps: &Deps, req: &ApiRequest, access: Access) -> Result<(PolicyIdsInput, Context), ApiError> {
    req.caller.require_admin()?;
    let input: PolicyIdsInput = req.json()?;
    context::check_ids(&input.policy_ids)?;
    let ctx = context::load(deps, req.caller.tenant.as_str(), access).await?;
    ctx.require_fleet()?;
    Ok((input, ctx))
}

/// `POST /access-policy-rules/preview`.
#[utoipa::path(post, path = "/access-policy-rules/preview", tag = "access-policy-rules", operation_id = "previewAccessPolicyRules",
    description = "Role: admin. Reads only. Per chosen policy: its apps, where the rules would go, the rules Okta \
evaluates before them, Okta's simulation for its first app; for the fleet: users, how many have a managed device \
(Okta's view and the product's), who would be refused; and what the rules would do to the caller. Okta scopes: \
okta.policies.read, okta.groups.read, okta.devices.read.",
    request_body = PolicyIdsInput, security(("bearer" = [])),
    responses((status = 200, description = "The preview", body = RulePreview),
        (status = 400, description = "Invalid policyIds (unknownIds, refused)", body = ErrorBody),
        RuleConflicts, Unauthorized, Forbidden, BodyRefused))]
pub async fn preview(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let (input, ctx) = chosen(deps, req, Access::Read).await?;
    let chosen = context::policies(&ctx, &input.policy_ids).await?;
    let fleet = fleet::read(deps, tenant, &ctx).await?;
    let caller = fleet.verdict(req.caller.email.as_deref());
    let simulated = match &caller {
        fleet::CallerVerdict::HasManagedDevice { okta_user_id }
        | fleet::CallerVerdict::WouldBeLockedOut { okta_user_id } => Some(okta_user_id.clone()),
        _ => fleet.users.keys().next().cloned(),
    };
    let existing = deps.store.list_access_rules(tenant).await?;
    let assurance_ids = deps.store.device_assurance_ids(tenant).await?;
    let sim = simulated
        .as_deref()
        .map(|u| preview::Simulated { okta_user_id: u, assurance_id: assurance_ids.first().map(String::as_str) });
    let mut policies = Vec::new();
    for p in chosen {
        let rec = existing.iter().find(|r| r.policy_id == p.id);
        policies.push(preview::policy(&ctx, p, rec, sim).await?);
    }
    let view = RulePreview {
        policies,
        group_ids: ctx.group_ids.clone(),
        assurance_ids,
        fleet_users: fleet.users.len(),
        managed_in_okta: fleet.users.keys().filter(|u| fleet.managed_in_okta.contains(*u)).count(),
        managed_by_product: fleet.users.keys().filter(|u| fleet.managed_by_product.contains(*u)).count(),
        refused_count: fleet.refused().len(),
        refused: preview::refused(&fleet),
        caller,
    };
    Ok(json_response(StatusCode::OK, &view))
}

/// `PUT /access-policy-rules`: creates the pair, INACTIVE, in each chosen policy the product has none in yet.
#[utoipa::path(put, path = "/access-policy-rules", tag = "access-policy-rules", operation_id = "createAccessPolicyRules",
    description = "Role: admin. In each chosen policy without the product's rules: an allow rule (fleet's groups; \
device registered, managed, and the product's device assurance policies) and a deny rule (fleet's groups), right \
above the catch-all, both INACTIVE. Every policy is checked first; an unfit one creates nothing. Okta scope: \
okta.policies.manage.",
    request_body = PolicyIdsInput, security(("bearer" = [])),
    responses((status = 200, description = "The product's rules (foreignOrderKept: read back)", body = RulePairList),
        (status = 400, description = "Invalid policyIds (unknownIds, refused)", body = ErrorBody),
        RuleConflicts, Unauthorized, Forbidden, BodyRefused))]
pub async fn create_rules(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let (input, ctx) = chosen(deps, req, Access::Manage).await?;
    let existing = deps.store.list_access_rules(tenant).await?;
    let new: Vec<_> = context::policies(&ctx, &input.policy_ids)
        .await?
        .into_iter()
        .filter(|p| !existing.iter().any(|r| r.policy_id == p.id))
        .collect();
    let planned = create::plan(&ctx, new).await?;
    let assurance = deps.store.device_assurance_ids(tenant).await?;
    let mut kept = true;
    for p in &planned {
        kept &= create::create_pair(deps, tenant, &ctx, p, &assurance).await?.1;
    }
    let mut list = pairs(&deps.store.list_access_rules(tenant).await?);
    list.foreign_order_kept = Some(kept);
    Ok(json_response(StatusCode::OK, &list))
}

/// `POST /access-policy-rules/activate`.
#[utoipa::path(post, path = "/access-policy-rules/activate", tag = "access-policy-rules", operation_id = "activateAccessPolicyRules",
    description = "Role: admin. Activates the product's rules (allow, then deny), only when each is still as the \
product created it and the caller cannot be locked out: the token's email claim is matched to the fleet's Okta users \
(login or email); a match without a device Okta reports MANAGED, or no email claim, is refused (409 \
would_lock_out_caller / caller_unknown). Okta scope: okta.policies.manage.",
    security(("bearer" = [])),
    responses((status = 200, description = "Activated (caller: the verdict)", body = RulePairList),
        RuleConflicts, Unauthorized, Forbidden))]
pub async fn activate(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let ctx = context::load(deps, tenant, Access::Manage).await?;
    ctx.require_fleet()?;
    let (recs, verdict) = lifecycle::activate(deps, tenant, &ctx, req.caller.email.as_deref()).await?;
    let mut list = pairs(&recs);
    list.caller = Some(verdict);
    Ok(json_response(StatusCode::OK, &list))
}

/// `DELETE /access-policy-rules`: the rollback.
#[utoipa::path(delete, path = "/access-policy-rules", tag = "access-policy-rules", operation_id = "rollBackAccessPolicyRules",
    description = "Role: admin. Deactivates and deletes every rule the product created (by recorded id, or by the \
exact name its tag makes when a creation's answer was lost), deny first; nothing else is touched. Repeating it \
changes nothing. Okta scope: okta.policies.manage.",
    security(("bearer" = [])),
    responses((status = 200, description = "What was removed", body = RollbackView), RuleConflicts, Unauthorized, Forbidden))]
pub async fn rollback(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let ctx = context::load(deps, tenant, Access::Manage).await?;
    let removed: Vec<RemovedView> = lifecycle::rollback(deps, tenant, &ctx)
        .await?
        .into_iter()
        .map(|(policy_id, rule_ids)| RemovedView { policy_id, rule_ids })
        .collect();
    Ok(json_response(StatusCode::OK, &RollbackView { count: removed.len(), removed }))
}

/// With device trust deleted, the product's rules go first: once the devices lose their management attestation
/// the deny rule would refuse the whole fleet, and Okta refuses to delete a device assurance policy a rule still
/// names. Rolls back every pair in `org` (as `DELETE /access-policy-rules`); one outcome per policy rolled back
/// (`policy_rules`, `deleted`, the policy's id), or one `failed` outcome saying why (a missing scope, Okta
/// failing: the records are kept, so deleting device trust again tries again). Errors: the store failing.
pub async fn remove_with_device_trust(
    deps: &Deps,
    tenant: &str,
    org: &odt_shared::store::OrgRecord,
) -> Result<Vec<odt_shared::okta_side::StepOutcome>, odt_shared::error::Error> {
    use odt_shared::okta_side::{StepOutcome, POLICY_RULES};
    if deps.store.list_access_rules(tenant).await?.is_empty() {
        return Ok(Vec::new());
    }
    let removed = match context::for_org(deps, tenant, org.clone(), Access::Manage).await {
        Ok(ctx) => lifecycle::rollback(deps, tenant, &ctx).await,
        Err(e) => Err(e),
    };
    Ok(match removed {
        Ok(done) => {
            done.iter().map(|(policy, _)| StepOutcome::new(POLICY_RULES.name, "deleted", Some(policy))).collect()
        }
        Err(e) => vec![StepOutcome::new(POLICY_RULES.name, "failed", None).because(format!(
            "{}: {} (roll the rules back with DELETE /access-policy-rules, or delete device trust again)",
            e.code, e.message
        ))],
    })
}
