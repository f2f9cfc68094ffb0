//! Device trust for the tenant: which connected org it uses, the overview, and deleting it.

use crate::input::ChooseOrg;
use crate::orgs;
use crate::views::DeviceTrustView;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::okta_side::{self, StepOutcome};
use odt_shared::store::{DeviceTrustRecord, DeviceTrustState, Store, StoreError};
use odt_shared::ApiError;

/// The overview of `rec`, with its org's domain.
async fn view(deps: &Deps, tenant: &str, rec: Option<&DeviceTrustRecord>) -> Result<DeviceTrustView, Error> {
    let domain = match rec {
        Some(r) => deps.store.get_org(tenant, &r.okta_org_id).await?.map(|o| o.domain),
        None => None,
    };
    Ok(DeviceTrustView::of(rec, domain))
}

/// Explains a failed conditional write, re-reading the record for its current version.
async fn conflict_of(deps: &Deps, tenant: &str, err: StoreError) -> ApiError {
    match err {
        StoreError::TransactionCondition { index: 1 } => {
            ApiError::conflict("org_changed", "the Okta org was changed or disconnected meanwhile; read it again")
                .with_field("oktaOrgId")
        }
        StoreError::TransactionCondition { .. } => match deps.store.get_device_trust(tenant).await {
            Ok(current) => ApiError::version_conflict(current.map(|c| c.version).unwrap_or(0)),
            Err(e) => e.into(),
        },
        e => e.into(),
    }
}

/// `GET /device-trust`: the overview (state, org, when enabled, removal progress).
#[utoipa::path(get, path = "/device-trust", tag = "device-trust", operation_id = "deviceTrustOverview",
    description = "Roles: admin, technician.", security(("bearer" = [])),
    responses((status = 200, description = "The overview", body = DeviceTrustView),
        Unauthorized))]
pub async fn overview(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_device_trust(tenant).await?;
    Ok(json_response(StatusCode::OK, &view(deps, tenant, rec.as_ref()).await?))
}

/// `PUT /device-trust` `{oktaOrgId, version?}`: device trust uses this connected org (enabling it when it was
/// not configured). 409 while a removal is in progress or when the record changed.
#[utoipa::path(put, path = "/device-trust", tag = "device-trust", operation_id = "chooseDeviceTrustOrg",
    description = "Role: admin. Device trust uses this connected org (enabling it when not configured).",
    request_body = ChooseOrg, security(("bearer" = [])),
    responses((status = 200, description = "Device trust uses the org", body = DeviceTrustView),
        (status = 400, description = "Invalid input or unknown org", body = ErrorBody),
        (status = 409, description = "Changed meanwhile, or a removal is in progress", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn choose_org(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: ChooseOrg = req.json()?;
    let org = orgs::load(deps, tenant, &input.okta_org_id)
        .await
        .map_err(|_| ApiError::invalid("oktaOrgId", "no connected Okta org has this id"))?;
    let existing = deps.store.get_device_trust(tenant).await?;
    let current = Store::expect_version(input.version, existing.as_ref().map(|e| e.version))?;
    let now = rfc3339(deps.clock.now());
    let rec = match &existing {
        Some(e) if e.state == DeviceTrustState::Removing => {
            return Err(ApiError::conflict(
                "removal_in_progress",
                "device trust is being removed from the devices; wait until the removal finishes",
            ))
        }
        Some(e) => {
            DeviceTrustRecord { okta_org_id: org.org_id.clone(), updated_at: now, version: current + 1, ..e.clone() }
        }
        None => DeviceTrustRecord::new(tenant, org.org_id.clone(), now),
    };
    if let Err(e) = deps.store.put_device_trust(&rec, existing.as_ref().map(|e| e.version), Some(&org)).await {
        return Err(conflict_of(deps, tenant, e).await);
    }
    tracing::info!(tenant, org_id = %org.org_id, "device trust uses Okta org");
    Ok(json_response(StatusCode::OK, &view(deps, tenant, Some(&rec)).await?))
}

/// `DELETE /device-trust`: records that every deployed item must come off every device (the deploy-trigger
/// function carries it out), and removes what the product made in Okta (its policy rules, the event hook it
/// registered, its device assurance policies); 202 with the overview and `oktaSide`. Repeating it changes nothing on the devices
/// and tries again what Okta did not remove.
#[utoipa::path(delete, path = "/device-trust", tag = "device-trust", operation_id = "deleteDeviceTrust",
    description = "Role: admin. Records that every deployed item must come off every device, and removes what the product made in Okta (its app sign-on policy rules first, its event hook, its device assurance policies; oktaSide tells each); repeating it tries again what Okta did not remove.",
    params(("version" = Option<u64>, Query, description = "Only if device trust is still at this version")),
    security(("bearer" = [])),
    responses((status = 202, description = "Removal requested", body = DeviceTrustView),
        (status = 400, description = "Invalid version", body = ErrorBody),
        (status = 404, description = "Device trust is not configured", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion) or in use", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn delete(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let expected = req.query_u64("version")?;
    let existing = deps.store.get_device_trust(tenant).await?.ok_or(Error::NotFound("device trust configuration"))?;
    if existing.state == DeviceTrustState::Removing {
        let mut v = view(deps, tenant, Some(&existing)).await?;
        v.okta_side = okta_side_removed(deps, tenant, &existing).await?;
        return Ok(json_response(StatusCode::ACCEPTED, &v));
    }
    let current = Store::expect_version(expected, Some(existing.version))?;
    let now = rfc3339(deps.clock.now());
    let rec = DeviceTrustRecord {
        state: DeviceTrustState::Removing,
        removal_requested_at: Some(now.clone()),
        updated_at: now,
        version: current + 1,
        ..existing.clone()
    };
    if let Err(e) = deps.store.put_device_trust(&rec, Some(current), None).await {
        return Err(conflict_of(deps, tenant, e).await);
    }
    tracing::info!(tenant, "device trust deleted; removal from devices requested");
    let mut v = view(deps, tenant, Some(&rec)).await?;
    v.okta_side = okta_side_removed(deps, tenant, &rec).await?;
    Ok(json_response(StatusCode::ACCEPTED, &v))
}

/// With device trust deleted, what the product made in Okta goes too: its app sign-on policy rules first
/// (rolled back: the deny rule would refuse the fleet once the devices lose their attestation, and Okta refuses
/// to delete a device assurance policy a rule names), the event hook it registered (deactivated, deleted) and its
/// device assurance policies (each only while unchanged since its write). Okta's failures and refusals are told
/// per item and their records kept, so deleting device trust again tries again. Errors: the store failing.
async fn okta_side_removed(deps: &Deps, tenant: &str, dt: &DeviceTrustRecord) -> Result<Vec<StepOutcome>, Error> {
    let org = deps.store.get_org(tenant, &dt.okta_org_id).await?;
    let mut out = match &org {
        Some(org) => crate::access_rules::remove_with_device_trust(deps, tenant, org).await?,
        None => Vec::new(),
    };
    out.push(okta_side::hook::remove(deps, tenant).await?);
    if let Some(org) = &org {
        out.extend(okta_side::assurance::remove_all(deps, tenant, org).await?);
    }
    Ok(out)
}
