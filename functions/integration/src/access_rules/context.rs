//! What every `/access-policy-rules` route starts from: the admin, the org device trust uses with the scope the
//! route needs granted (checked before any Okta call), the fleet's Okta groups, and the access policies the admin
//! picked (read and checked as ids).

use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::ids::is_safe_id;
use odt_shared::okta::policies::{AccessPolicy, POLICIES_READ, RULES_SCOPES};
use odt_shared::okta::OktaClient;
use odt_shared::store::OrgRecord;
use odt_shared::ApiError;
use serde_json::json;
use std::sync::Arc;

/// The most access policies one request may name.
pub const MAX_POLICIES: usize = 20;

/// What a route may do in Okta: read policies, or also change their rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Manage,
}

impl Access {
    /// The scopes Okta's spec requires for the calls of this access, besides the product's required ones.
    fn scopes(self) -> &'static [&'static str] {
        match self {
            Access::Read => &[POLICIES_READ],
            Access::Manage => &RULES_SCOPES,
        }
    }
}

/// The org, its Okta client and the fleet's Okta groups.
pub struct Context {
    pub org: OrgRecord,
    pub okta: Arc<OktaClient>,
    pub group_ids: Vec<String>,
}

/// 409 `okta_scope_missing` naming the first scope of `needed` the org's app was not granted, when one is
/// missing: asked for, Okta would refuse the token, so nothing is sent.
pub fn require_scopes(org: &OrgRecord, needed: &[&str]) -> Result<(), ApiError> {
    match needed.iter().find(|s| !org.granted_scopes.iter().any(|g| g == *s)) {
        None => Ok(()),
        Some(missing) => Err(ApiError::conflict(
            "okta_scope_missing",
            format!(
                "the Okta app is not granted {missing}, which this needs; grant it (Admin Console › Applications › \
the app › Okta API Scopes), then rotate or reconnect the credentials so the product sees it"
            ),
        )
        .with_detail("scope", json!(missing))),
    }
}

/// The context of a route with `access`: device trust's org with the scopes granted, a client asking for them
/// and the users, groups and devices read scopes, and the fleet's Okta groups (possibly none: see
/// [`Context::require_fleet`]). Errors: 409 when device trust has no org or a scope is missing.
pub async fn load(deps: &Deps, tenant: &str, access: Access) -> Result<Context, ApiError> {
    let dt = deps.store.get_device_trust(tenant).await?;
    let Some(dt) = dt.filter(|d| d.state == odt_shared::store::DeviceTrustState::Active) else {
        return Err(Error::device_trust_not_configured("choose the Okta org for device trust first").into());
    };
    let org = deps
        .store
        .get_org(tenant, &dt.okta_org_id)
        .await?
        .ok_or_else(|| Error::device_trust_not_configured("the device-trust org is gone"))?;
    for_org(deps, tenant, org, access).await
}

/// The context of a route with `access` on `org`, whatever the state of device trust (deleting device trust
/// rolls the rules back in the org it used). Errors: 409 when a scope is missing; the store or the client failing.
pub async fn for_org(deps: &Deps, tenant: &str, org: OrgRecord, access: Access) -> Result<Context, ApiError> {
    require_scopes(&org, access.scopes())?;
    let scopes: Vec<&str> = odt_shared::okta::REQUIRED_SCOPES.iter().chain(access.scopes().iter()).copied().collect();
    let okta = deps.org_okta(&org, &scopes).await?;
    let group_ids = deps.store.get_fleet(tenant).await?.map(|f| f.okta_group_ids).unwrap_or_default();
    Ok(Context { org, okta, group_ids })
}

impl Context {
    /// Errors: 409 `fleet_not_selected` when the fleet has no Okta group (the rules would name none).
    pub fn require_fleet(&self) -> Result<(), ApiError> {
        if self.group_ids.is_empty() {
            return Err(ApiError::conflict(
                "fleet_not_selected",
                "select the fleet's Okta groups first (PUT /fleet): the rules apply to them",
            ));
        }
        Ok(())
    }
}

/// The chosen policy ids as sent: 1 to [`MAX_POLICIES`] distinct Okta ids. Errors: 400 naming `policyIds`.
pub fn check_ids(ids: &[String]) -> Result<(), ApiError> {
    if ids.is_empty() || ids.len() > MAX_POLICIES {
        return Err(ApiError::invalid("policyIds", format!("name 1 to {MAX_POLICIES} access policy ids")));
    }
    if let Some(bad) = ids.iter().find(|id| !is_safe_id(id)) {
        return Err(ApiError::invalid("policyIds", "each access policy id is an Okta id (A-Z, a-z, 0-9, _ and -)")
            .with_detail("refused", json!(bad)));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = ids.iter().find(|id| !seen.insert(id.as_str())) {
        return Err(
            ApiError::invalid("policyIds", "an access policy id is named twice").with_detail("refused", json!(dup))
        );
    }
    Ok(())
}

/// Each chosen policy read from Okta, in the order given. Errors: 400 naming `policyIds` with the ids Okta has
/// no access policy for (`unknownIds`); Okta failing.
pub async fn policies(ctx: &Context, ids: &[String]) -> Result<Vec<AccessPolicy>, ApiError> {
    check_ids(ids)?;
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        match ctx.okta.get_policy(id).await? {
            Some(p) if p.kind == "ACCESS_POLICY" => found.push(p),
            _ => unknown.push(id.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::invalid("policyIds", "Okta has no app sign-on policy (ACCESS_POLICY) with these ids")
            .with_detail("unknownIds", json!(unknown)));
    }
    Ok(found)
}
