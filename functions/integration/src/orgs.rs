//! Connected Okta orgs: connect, list, get, rotate credentials, list groups, disconnect.

use crate::input::{custom_domain, ConnectOrg, RotateCredentials};
use crate::verify::verify;
use crate::views::{GroupList, GroupView, OrgList, OrgView};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, no_content, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, PathRefused, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::ids::{is_safe_id, new_id};
use odt_shared::outbound::{validate_org_host, OrgHost};
use odt_shared::store::{OrgRecord, Store, StoreError};
use odt_shared::ApiError;
use serde_json::json;

/// Reads a tenant's org. Errors: [`Error::NotFound`] when the id is malformed, unknown, or another tenant's;
/// the store failing.
pub async fn load(deps: &Deps, tenant: &str, org_id: &str) -> Result<OrgRecord, Error> {
    if !is_safe_id(org_id) {
        return Err(Error::NotFound("Okta org"));
    }
    deps.store.get_org(tenant, org_id).await?.ok_or(Error::NotFound("Okta org"))
}

/// A stored org's host, checked again against the outbound rules. Errors: internal when it no longer passes.
fn stored_host(rec: &OrgRecord) -> Result<OrgHost, Error> {
    OrgHost::revalidate(&rec.domain).map_err(|e| Error::internal("stored Okta domain", e))
}

/// 502 and 503: Okta failed or is rate limited (every route here that calls Okta). For the document only.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum OktaFailed {
    #[response(status = 502, description = "Okta failed or answered something unreadable")]
    Failed(ErrorBody),
    #[response(status = 503, description = "Okta rate limit exhausted (retryAt)")]
    RateLimited(ErrorBody),
}

/// `POST /okta-orgs`: validate the domain before any request leaves, verify the credentials, then store the
/// secret in Secrets Manager and the record in DynamoDB. 201 with the org; 4xx with Okta's error and nothing
/// stored; 409 when this tenant already connected the org.
#[utoipa::path(post, path = "/okta-orgs", tag = "okta-orgs", operation_id = "connectOrg",
    description = "Role: admin. Validates the domain (outbound rules) before any request, verifies the credentials \
with a token and one read call, stores the secret in Secrets Manager.",
    request_body = ConnectOrg, security(("bearer" = [])),
    responses((status = 201, description = "Connected", body = OrgView),
        (status = 400, description = "Invalid input, an orgId not sent as an id, or Okta refused the credentials (oktaError names Okta's code)", body = ErrorBody),
        (status = 409, description = "This org is already connected (orgId)", body = ErrorBody),
        OktaFailed, Unauthorized, Forbidden, BodyRefused))]
pub async fn connect(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let input: ConnectOrg = req.json()?;
    let creds = input.credentials.validate()?;
    let host = validate_org_host(&input.domain, deps.resolver.as_ref())
        .await
        .map_err(|e| ApiError::invalid("domain", format!("the Okta domain {e}")))?;
    let custom = custom_domain(input.custom_domain.as_deref(), host.as_str())?;
    let tenant = req.caller.tenant.as_str();
    if let Some(id) = connected_id(deps, tenant, host.as_str()).await? {
        return Err(already_connected(&id));
    }
    let granted = verify(deps, &host, &creds).await?;
    let org_id = new_id("org");
    let secret_name = deps.secrets.name(tenant, &["okta", &org_id, "credentials"]);
    let secret = deps.secrets.put(&secret_name, creds.secret()).await?;
    let now = rfc3339(deps.clock.now());
    let rec = OrgRecord {
        custom_domain: custom,
        ..OrgRecord::new(tenant, &org_id, host.as_str(), &creds, granted, secret, &now)
    };
    if let Err(e) = deps.store.create_org(&rec).await {
        deps.secrets.delete(&secret_name).await?;
        return Err(match e {
            // Another request connected the same org meanwhile.
            StoreError::TransactionCondition { .. } => {
                already_connected(&connected_id(deps, tenant, &rec.domain).await?.unwrap_or_default())
            }
            other => other.into(),
        });
    }
    tracing::info!(tenant, org_id = %org_id, domain = %rec.domain, "Okta org connected");
    Ok(json_response(StatusCode::CREATED, &OrgView::from(&rec)))
}

/// The id of the tenant's org on `domain`, if one is connected.
async fn connected_id(deps: &Deps, tenant: &str, domain: &str) -> Result<Option<String>, Error> {
    Ok(deps.store.list_orgs(tenant).await?.into_iter().find(|o| o.domain == domain).map(|o| o.org_id))
}

fn already_connected(org_id: &str) -> ApiError {
    ApiError::conflict("org_already_connected", "this Okta org is already connected; rotate its credentials instead")
        .with_field("domain")
        .with_detail("orgId", json!(org_id))
}

/// `GET /okta-orgs`.
#[utoipa::path(get, path = "/okta-orgs", tag = "okta-orgs", operation_id = "listOrgs",
    description = "Roles: admin, technician.", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's orgs", body = OrgList),
        Unauthorized))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let orgs = deps.store.list_orgs(req.caller.tenant.as_str()).await?;
    let items: Vec<OrgView> = orgs.iter().map(OrgView::from).collect();
    Ok(json_response(StatusCode::OK, &OrgList { count: items.len(), items }))
}

/// `GET /okta-orgs/{id}`.
#[utoipa::path(get, path = "/okta-orgs/{orgId}", tag = "okta-orgs", operation_id = "getOrg",
    description = "Roles: admin, technician.", params(("orgId" = String, Path, description = "The org connection id (`org_…`)")), security(("bearer" = [])),
    responses((status = 200, description = "The org", body = OrgView),
        (status = 404, description = "No such org for this tenant", body = ErrorBody),
        PathRefused, Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    let rec = load(deps, req.caller.tenant.as_str(), org_id).await?;
    Ok(json_response(StatusCode::OK, &OrgView::from(&rec)))
}

/// `PUT /okta-orgs/{id}/credentials`: verify the new credentials first; only then write a new secret version
/// and the record (conditional on its version). On any failure the old credentials stay in force.
#[utoipa::path(put, path = "/okta-orgs/{orgId}/credentials", tag = "okta-orgs", operation_id = "rotateCredentials",
    description = "Role: admin. Verifies the new credentials first; on any failure the old ones stay in force.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)")), request_body = RotateCredentials, security(("bearer" = [])),
    responses((status = 200, description = "Rotated", body = OrgView),
        (status = 400, description = "Invalid input, an orgId not sent as an id, or Okta refused the credentials (oktaError names Okta's code)", body = ErrorBody),
        (status = 404, description = "No such org for this tenant", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion) or in use", body = ErrorBody),
        OktaFailed, Unauthorized, Forbidden, BodyRefused))]
pub async fn rotate(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let rec = load(deps, tenant, org_id).await?;
    let input: RotateCredentials = req.json()?;
    let current = Store::expect_version(input.version, Some(rec.version))?;
    let creds = input.credentials.validate()?;
    let granted = verify(deps, &stored_host(&rec)?, &creds).await?;
    let secret = deps.secrets.put(&rec.secret.name, creds.secret()).await?;
    let now = rfc3339(deps.clock.now());
    let updated = OrgRecord {
        client_id: creds.client_id().to_string(),
        auth_method: creds.method(),
        key_id: creds.key_id().map(str::to_string),
        granted_scopes: granted,
        secret,
        secret_updated_at: now.clone(),
        updated_at: now,
        version: current + 1,
        ..rec.clone()
    };
    if let Err(e) = deps.store.update_org(&updated, current).await {
        if let StoreError::VersionConflict { current } = &e {
            // Another edit won: the secret version its record points at must stay current.
            if let Some(winner) = deps.store.get_org(tenant, org_id).await? {
                deps.secrets.make_current(&winner.secret).await?;
            }
            if current.is_none() {
                return Err(Error::NotFound("Okta org").into());
            }
        }
        return Err(e.into());
    }
    tracing::info!(tenant, org_id, "Okta credentials rotated");
    Ok(json_response(StatusCode::OK, &OrgView::from(&updated)))
}

/// `DELETE /okta-orgs/{id}`: 409 while device trust uses the org; else the record, its host marker and its
/// secret are removed. `?version=` makes it conditional on what the admin last read.
#[utoipa::path(delete, path = "/okta-orgs/{orgId}", tag = "okta-orgs", operation_id = "disconnectOrg",
    description = "Role: admin. Refused (409 org_in_use) while device trust uses the org.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)"), ("version" = Option<u64>, Query, description = "Only if the org is still at this version")),
    security(("bearer" = [])),
    responses((status = 204, description = "Disconnected; the secret is scheduled for deletion"),
        (status = 400, description = "Invalid version, or an orgId not sent as an id (field names it)", body = ErrorBody),
        (status = 404, description = "No such org for this tenant", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion) or in use", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn disconnect(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let asked = req.query_u64("version")?;
    let rec = load(deps, tenant, org_id).await?;
    let expected = Store::expect_version(asked, Some(rec.version))?;
    match deps.store.delete_org(&rec, expected).await {
        Ok(()) => {
            deps.secrets.delete(&rec.secret.name).await?;
            tracing::info!(tenant, org_id, "Okta org disconnected");
            Ok(no_content())
        }
        Err(StoreError::TransactionCondition { index: 2 }) => Err(ApiError::conflict(
            "org_in_use",
            "device trust uses this Okta org; choose another org for device trust or delete device trust first",
        )),
        // Changed or disconnected since it was read.
        Err(StoreError::TransactionCondition { .. }) => match deps.store.get_org(tenant, org_id).await? {
            Some(c) => Err(ApiError::version_conflict(c.version)),
            None => Err(Error::NotFound("Okta org").into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// `GET /okta-orgs/{id}/groups?q=<name prefix>`: every Okta group (all pages), or those whose name starts with
/// `q`, for fleet selection. Keys are Okta group ids; names are for display only.
#[utoipa::path(get, path = "/okta-orgs/{orgId}/groups", tag = "okta-orgs", operation_id = "listOktaGroups",
    description = "Roles: admin, technician. Every Okta user group (all pages), or those whose name starts with q.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)"), ("q" = Option<String>, Query, description = "Name prefix, at most 100 characters")),
    security(("bearer" = [])),
    responses((status = 200, description = "The groups", body = GroupList),
        (status = 400, description = "Invalid q, an orgId not sent as an id, or Okta refused", body = ErrorBody),
        (status = 404, description = "No such org for this tenant", body = ErrorBody),
        (status = 409, description = "Okta no longer accepts the stored credentials (rotate them)", body = ErrorBody),
        OktaFailed, Unauthorized))]
pub async fn groups(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    let rec = load(deps, req.caller.tenant.as_str(), org_id).await?;
    let q = req.query("q").map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100 || q.chars().any(char::is_control)) {
        return Err(ApiError::invalid("q", "q must be at most 100 printable characters"));
    }
    let client = deps.org_okta(&rec, &["okta.groups.read"]).await?;
    let groups = client.list_groups(q).await?;
    let items: Vec<GroupView> = groups
        .into_iter()
        .map(|g| GroupView { id: g.id, name: g.profile.name, description: g.profile.description, kind: g.kind })
        .collect();
    Ok(json_response(StatusCode::OK, &GroupList { count: items.len(), items }))
}
