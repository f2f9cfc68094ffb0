//! The fleet routes: selection, preview, sync now.

use crate::facts::{gather, sources, unknown_selected, Selection, Sources, Unknown};
use crate::sync::{count, reconcile, reconciliation, Budget, ReconciliationView, SyncSummary};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::ids::is_safe_id;
use odt_shared::pacing::CallClass;
use odt_shared::platform::Platform;
use odt_shared::scope::{decide, Exclusion};
use odt_shared::store::{FleetRecord, Store};
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most groups of each kind a fleet may select.
pub const MAX_GROUPS: usize = 200;
/// How many devices a preview shows of each kind (in scope, excluded).
pub const SAMPLE: usize = 10;

/// `PUT /fleet`: the whole selection (replaces the stored one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"oktaGroupIds": ["00g1emaKYZTWRYYRRTSK"], "uemDeviceGroupIds": ["42"], "version": 0}))]
pub struct FleetInput {
    /// Okta user group ids (`00g…`): their members' devices are in the fleet.
    pub okta_group_ids: Vec<String>,
    /// UEM device group ids: their devices are in the fleet when the owner is a user of the Okta org.
    pub uem_device_group_ids: Vec<String>,
    pub version: Option<u64>,
}

/// `POST /fleet/preview`: a proposed selection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"oktaGroupIds": ["00g1emaKYZTWRYYRRTSK"], "uemDeviceGroupIds": []}))]
pub struct PreviewInput {
    pub okta_group_ids: Vec<String>,
    pub uem_device_group_ids: Vec<String>,
}

/// The stored selection.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetView {
    pub okta_group_ids: Vec<String>,
    pub uem_device_group_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// 0 while nothing is selected.
    pub version: u64,
    /// Where the reconciliation of this fleet stands (only on `GET /fleet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<ReconciliationView>,
}

/// One device in a preview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SampleDevice {
    pub device_id: String,
    pub name: String,
    pub platform: Option<Platform>,
    pub owner_email: Option<String>,
    pub in_scope: bool,
    pub exclusion: Option<Exclusion>,
}

/// What a selection would put in scope.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    pub devices: usize,
    pub in_scope: usize,
    /// Out-of-scope devices by reason.
    pub excluded: std::collections::BTreeMap<String, usize>,
    pub sample: Vec<SampleDevice>,
}

fn ids(field: &str, v: Vec<String>) -> Result<Vec<String>, ApiError> {
    if v.len() > MAX_GROUPS {
        return Err(ApiError::invalid(field, format!("at most {MAX_GROUPS} groups")));
    }
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for id in v {
        if !is_safe_id(&id) {
            return Err(ApiError::invalid(
                field,
                format!("`{}` is not a group id", id.chars().take(64).collect::<String>()),
            ));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Checks that every selected id exists. Errors: 400 naming the unknown ones (`unknownIds`) on `oktaGroupIds` or
/// `uemDeviceGroupIds`; Okta or the UEM failing.
async fn check_selection(src: &Sources, sel: &Selection) -> Result<(), ApiError> {
    let (field, message, ids) = match unknown_selected(src, sel).await? {
        None => return Ok(()),
        Some(Unknown::OktaGroups(ids)) => ("oktaGroupIds", "these Okta groups do not exist in the org", ids),
        Some(Unknown::UemGroups(ids)) => ("uemDeviceGroupIds", "these UEM device groups do not exist", ids),
    };
    Err(ApiError::invalid(field, message).with_detail("unknownIds", serde_json::json!(ids)))
}

fn view(r: Option<&FleetRecord>) -> FleetView {
    match r {
        None => FleetView {
            okta_group_ids: vec![],
            uem_device_group_ids: vec![],
            updated_at: None,
            version: 0,
            reconciliation: None,
        },
        Some(r) => FleetView {
            okta_group_ids: r.okta_group_ids.clone(),
            uem_device_group_ids: r.uem_group_ids.clone(),
            updated_at: Some(r.updated_at.clone()),
            version: r.version,
            reconciliation: None,
        },
    }
}

/// `GET /fleet`.
#[utoipa::path(get, path = "/fleet", tag = "fleet", operation_id = "getFleet", description = "Roles: admin, technician.",
    security(("bearer" = [])),
    responses((status = 200, description = "The selection and where its reconciliation stands", body = FleetView), Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_fleet(tenant).await?;
    let view = FleetView { reconciliation: Some(reconciliation(deps, tenant).await?), ..view(rec.as_ref()) };
    Ok(json_response(StatusCode::OK, &view))
}

/// `PUT /fleet`: every id must exist (400 naming the unknown ones); conditional on the version.
#[utoipa::path(put, path = "/fleet", tag = "fleet", operation_id = "putFleet",
    description = "Role: admin. Replaces the selection; run POST /fleet/sync (or wait for the schedule) to apply it.",
    request_body = FleetInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = FleetView),
        (status = 400, description = "Invalid or unknown ids (unknownIds), or Okta refused a read with the stored credentials", body = ErrorBody),
        (status = 409, description = "Changed meanwhile, device trust / UEM not set up, or access_rules_name_group (groupIds, policyIds): the selection drops an Okta group the product's active policy rules name", body = ErrorBody),
        (status = 502, description = "Okta or the UEM failed", body = ErrorBody),
        (status = 503, description = "Okta or the UEM is throttling", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn put(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: FleetInput = req.json()?;
    let sel = Selection {
        okta_group_ids: ids("oktaGroupIds", input.okta_group_ids)?,
        uem_group_ids: ids("uemDeviceGroupIds", input.uem_device_group_ids)?,
    };
    let existing = deps.store.get_fleet(tenant).await?.map(|e| e.version);
    let current = Store::expect_version(input.version, existing)?;
    keeps_active_rule_groups(deps, tenant, &sel.okta_group_ids).await?;
    let src = sources(deps, tenant, CallClass::Deployment).await?;
    check_selection(&src, &sel).await?;
    let rec = FleetRecord::new(tenant, sel.okta_group_ids, sel.uem_group_ids, rfc3339(deps.clock.now()), current + 1);
    deps.store.put_fleet(&rec, existing).await?;
    Ok(json_response(StatusCode::OK, &view(Some(&rec))))
}

/// 409 `access_rules_name_group` (with `groupIds` and `policyIds`) when the new selection drops an Okta group that
/// the product's ACTIVE app sign-on policy rules name: the group's devices would lose their attestation while the
/// deny rule still requires it, refusing every member. Roll the rules back first (`DELETE /access-policy-rules`);
/// adding groups is always allowed (the rules just do not cover them until created again).
async fn keeps_active_rule_groups(deps: &Deps, tenant: &str, okta_group_ids: &[String]) -> Result<(), ApiError> {
    let active: Vec<_> = deps
        .store
        .list_access_rules(tenant)
        .await?
        .into_iter()
        .filter(|r| r.state == odt_shared::store::AccessRuleState::Active)
        .collect();
    let mut dropped: Vec<&str> = active
        .iter()
        .flat_map(|r| r.group_ids.iter())
        .filter(|g| !okta_group_ids.contains(g))
        .map(String::as_str)
        .collect();
    dropped.sort_unstable();
    dropped.dedup();
    if dropped.is_empty() {
        return Ok(());
    }
    let policies: Vec<&str> = active.iter().map(|r| r.policy_id.as_str()).collect();
    Err(ApiError::conflict(
        "access_rules_name_group",
        "the product's active app sign-on policy rules require a managed device for these Okta groups; taken out of \
         the fleet, their devices would lose their attestation and the deny rule would refuse their users: roll the \
         rules back first (DELETE /access-policy-rules)",
    )
    .with_field("oktaGroupIds")
    .with_detail("groupIds", serde_json::json!(dropped))
    .with_detail("policyIds", serde_json::json!(policies)))
}

/// `POST /fleet/preview`: what a selection would put in scope, by reason, with a sample; nothing written.
#[utoipa::path(post, path = "/fleet/preview", tag = "fleet", operation_id = "previewFleet",
    description = "Roles: admin, technician.", request_body = PreviewInput, security(("bearer" = [])),
    responses((status = 200, description = "The preview", body = PreviewView),
        (status = 400, description = "Invalid or unknown ids, or Okta refused a read with the stored credentials", body = ErrorBody),
        (status = 409, description = "Device trust or the UEM not set up", body = ErrorBody),
        (status = 502, description = "Okta or the UEM failed", body = ErrorBody),
        (status = 503, description = "Okta or the UEM is throttling", body = ErrorBody),
        Unauthorized, BodyRefused))]
pub async fn preview(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let input: PreviewInput = req.json()?;
    let sel = Selection {
        okta_group_ids: ids("oktaGroupIds", input.okta_group_ids)?,
        uem_group_ids: ids("uemDeviceGroupIds", input.uem_device_group_ids)?,
    };
    let src = sources(deps, tenant, CallClass::Deployment).await?;
    check_selection(&src, &sel).await?;
    let g = gather(deps, tenant, &src, &sel).await?;
    let mut summary = SyncSummary { devices: g.devices.len(), ..Default::default() };
    let (mut ins, mut outs) = (Vec::new(), Vec::new());
    for d in &g.devices {
        let decision = decide(d, &g.facts, None);
        count(&mut summary, decision.exclusion);
        let bucket = if decision.in_scope() { &mut ins } else { &mut outs };
        if bucket.len() < SAMPLE {
            bucket.push(SampleDevice {
                device_id: d.id.clone(),
                name: d.name.clone(),
                platform: d.platform,
                owner_email: d.owner_email.clone(),
                in_scope: decision.in_scope(),
                exclusion: decision.exclusion,
            });
        }
    }
    ins.extend(outs);
    Ok(json_response(
        StatusCode::OK,
        &PreviewView { devices: summary.devices, in_scope: summary.in_scope, excluded: summary.excluded, sample: ins },
    ))
}

/// `POST /fleet/sync`: reconcile now (the schedule does the same).
#[utoipa::path(post, path = "/fleet/sync", tag = "fleet", operation_id = "syncFleet",
    description = "Role: admin. Recomputes every device's scope and desired state; writes only what changed.",
    security(("bearer" = [])),
    responses((status = 200, description = "What the run did", body = SyncSummary),
        (status = 400, description = "Okta refused a read with the stored credentials (okta_forbidden, okta_not_found, okta_oauth_error, okta_error)", body = ErrorBody),
        (status = 409, description = "Device trust or the UEM not set up, Okta or the UEM refuses the stored credentials, or another reconciliation of the tenant is running (reconciliation_running)", body = ErrorBody),
        (status = 502, description = "Okta or the UEM failed", body = ErrorBody),
        (status = 503, description = "Okta or the UEM is throttling, or the day's UEM call budget is used up (uem_budget_spent)", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn sync_now(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(25);
    let summary = reconcile(
        deps,
        req.caller.tenant.as_str(),
        Budget { deadline: Some(deadline), calls: CallClass::Deployment, ..Budget::default() },
    )
    .await?;
    Ok(json_response(StatusCode::OK, &summary))
}
