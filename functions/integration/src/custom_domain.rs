//! `PUT /okta-orgs/{orgId}/custom-domain`: the org's custom URL domain. macOS devices get it in the SSO
//! extension's `Hosts` (Okta help [H-ssom], `okta/MDM.md` section 3), so a change re-hashes the macOS platform
//! when device trust uses this org: its payload hash changes and deployment re-delivers the profile.

use crate::input::{custom_domain, SetCustomDomain};
use crate::orgs::load;
use crate::views::OrgView;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::attestation::render::payload_hash;
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::platform::Platform;
use odt_shared::store::{OrgRecord, Store, StoreError};
use odt_shared::ApiError;

/// Attempts at re-hashing the macOS platform when a concurrent save changes it meanwhile.
const REHASH_ATTEMPTS: usize = 3;

/// `PUT /okta-orgs/{id}/custom-domain`.
#[utoipa::path(put, path = "/okta-orgs/{orgId}/custom-domain", tag = "okta-orgs", operation_id = "setCustomDomain",
    description = "Role: admin. Sets (or, with null, clears) the org's custom URL domain, a bare host. When device \
trust uses the org, the macOS profile's payload hash changes, so deployment re-delivers it with the new SSO hosts.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)")), request_body = SetCustomDomain,
    security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = OrgView),
        (status = 400, description = "customDomain is not a bare host written as it is used, or an orgId not sent as an id (field names it)", body = ErrorBody),
        (status = 404, description = "No such org for this tenant", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn set(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: SetCustomDomain = req.json()?;
    let rec = load(deps, tenant, org_id).await?;
    // Bad input is refused the same way whatever the stored version.
    let custom = custom_domain(input.custom_domain.as_deref(), &rec.domain)?;
    let current = Store::expect_version(input.version, Some(rec.version))?;
    if custom == rec.custom_domain {
        return Ok(json_response(StatusCode::OK, &OrgView::from(&rec)));
    }
    let now = rfc3339(deps.clock.now());
    let updated = OrgRecord { custom_domain: custom, updated_at: now, version: current + 1, ..rec };
    if let Err(e) = deps.store.update_org(&updated, current).await {
        if matches!(e, StoreError::VersionConflict { current: None }) {
            return Err(Error::NotFound("Okta org").into());
        }
        return Err(e.into());
    }
    rehash_macos(deps, tenant, &updated).await?;
    tracing::info!(tenant, org_id, custom_domain = ?updated.custom_domain, "Okta org custom domain set");
    Ok(json_response(StatusCode::OK, &OrgView::from(&updated)))
}

/// When device trust uses `org`, stores the macOS platform's new payload hash (keeping the previous one, as a
/// re-configure does), conditional on its version; retried a bounded number of times when a save races.
async fn rehash_macos(deps: &Deps, tenant: &str, org: &OrgRecord) -> Result<(), Error> {
    let uses_org = deps.store.get_device_trust(tenant).await?.is_some_and(|d| d.okta_org_id == org.org_id);
    if !uses_org {
        return Ok(());
    }
    for _ in 0..REHASH_ATTEMPTS {
        let Some(existing) = deps.store.get_platform(tenant, Platform::Macos).await? else { return Ok(()) };
        let hash = payload_hash(tenant, &existing, org)?;
        if hash == existing.payload_hash {
            return Ok(());
        }
        let mut rec = existing.clone();
        rec.previous_payload_hash = Some(existing.payload_hash.clone());
        rec.previous_secrets = Default::default();
        rec.payload_hash = hash;
        rec.reconfigured_at = Some(org.updated_at.clone());
        rec.updated_at = org.updated_at.clone();
        rec.version = existing.version + 1;
        match deps.store.put_platform(&rec, Some(existing.version)).await {
            Ok(()) => return Ok(()),
            Err(StoreError::VersionConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::internal("macOS payload hash", "the macOS settings kept changing while the custom domain was set"))
}
