//! Connected Okta orgs: connect, list, get, rotate credentials, list groups, disconnect.

use crate::input::{ConnectOrg, RotateCredentials};
use crate::views::{GroupList, GroupView, OrgList, OrgView};
use crate::{okta_errors, secrets_failure, store_failure};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, no_content, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{ErrorBody, GatewayMessage};
use odt_shared::ids::{is_safe_id, new_id};
use odt_shared::okta::{OktaClient, OktaCredentials, OktaError, OPTIONAL_SCOPES, REQUIRED_SCOPES};
use odt_shared::outbound::{validate_org_host, OrgHost};
use odt_shared::store::{OrgRecord, StoreError};
use odt_shared::ApiError;
use serde_json::json;
use std::sync::Arc;

/// Reads a tenant's org, 404 when the id is malformed, unknown, or another tenant's.
pub async fn load(deps: &Deps, tenant: &str, org_id: &str) -> Result<OrgRecord, ApiError> {
    if !is_safe_id(org_id) {
        return Err(ApiError::not_found("Okta org"));
    }
    deps.store.get_org(tenant, org_id).await.map_err(store_failure)?.ok_or_else(|| ApiError::not_found("Okta org"))
}

/// Verifies credentials against the org: a token with the product's scopes and one read call. Asks for every
/// scope at once; when Okta answers `invalid_scope`, asks for the required ones (naming each missing one if
/// that fails too) and then adds each optional scope that Okta grants. Returns the granted scopes.
async fn verify(deps: &Deps, host: &OrgHost, creds: &OktaCredentials) -> Result<Vec<String>, ApiError> {
    let client_for = |scopes: &[&str]| {
        OktaClient::new(
            deps.outbound.clone(),
            deps.clock.clone(),
            host.clone(),
            creds.clone(),
            scopes.iter().map(|s| s.to_string()).collect(),
            deps.retry,
        )
    };
    let is_invalid_scope = |e: &OktaError| e.code() == Some("invalid_scope");
    let wanted: Vec<&str> = REQUIRED_SCOPES.iter().chain(OPTIONAL_SCOPES.iter()).copied().collect();
    let probe = client_for(&wanted);
    let mut verifier = None;
    let granted = match probe.request_token(&wanted).await {
        Ok(g) => {
            verifier = Some(probe);
            g.scopes
        }
        Err(e) if is_invalid_scope(&e) => {
            let mut granted: Vec<&str> = REQUIRED_SCOPES.to_vec();
            if let Err(e) = probe.request_token(&granted).await {
                if !is_invalid_scope(&e) {
                    return Err(okta_errors::to_api_at_connect(e));
                }
                let mut missing = Vec::new();
                for s in REQUIRED_SCOPES {
                    match probe.request_token(&[s]).await {
                        Ok(_) => {}
                        Err(e) if is_invalid_scope(&e) => missing.push(s.to_string()),
                        Err(e) => return Err(okta_errors::to_api_at_connect(e)),
                    }
                }
                return Err(okta_errors::to_api_at_connect(OktaError::MissingScopes(missing)));
            }
            for optional in OPTIONAL_SCOPES {
                let mut with = granted.clone();
                with.push(optional);
                match probe.request_token(&with).await {
                    Ok(_) => granted = with,
                    Err(e) if is_invalid_scope(&e) => {}
                    Err(e) => return Err(okta_errors::to_api_at_connect(e)),
                }
            }
            granted.into_iter().map(str::to_string).collect()
        }
        Err(e) => return Err(okta_errors::to_api_at_connect(e)),
    };
    // The probe reuses the token just granted when every scope was; otherwise one more token is needed.
    let verifier = verifier.unwrap_or_else(|| client_for(&REQUIRED_SCOPES));
    verifier.probe().await.map_err(okta_errors::to_api_at_connect)?;
    Ok(granted)
}

/// `POST /okta-orgs`: validate the domain before any request leaves, verify the credentials, then store the
/// secret in Secrets Manager and the record in DynamoDB. 201 with the org; 4xx with Okta's error and nothing
/// stored; 409 when this tenant already connected the org.
#[utoipa::path(post, path = "/okta-orgs", tag = "okta-orgs", operation_id = "connectOrg",
    description = "Role: admin. Validates the domain (outbound rules) before any request, verifies the credentials \
with a token and one read call, stores the secret in Secrets Manager.",
    request_body = ConnectOrg, security(("bearer" = [])),
    responses((status = 201, description = "Connected", body = OrgView), (status = 400, description = "Invalid input, or Okta refused the credentials (oktaError names Okta's code)", body = ErrorBody), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage), (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 409, description = "This org is already connected (orgId)", body = ErrorBody), (status = 413, description = "Body over 1 MiB", body = ErrorBody), (status = 415, description = "Body is not application/json", body = ErrorBody), (status = 502, description = "Okta failed or answered something unreadable", body = ErrorBody), (status = 503, description = "Okta rate limit exhausted (retryAt)", body = ErrorBody)))]
pub async fn connect(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let input: ConnectOrg = req.json()?;
    let creds = input.credentials.validate()?;
    let host = validate_org_host(&input.domain, deps.resolver.as_ref())
        .await
        .map_err(|e| ApiError::invalid("domain", format!("the Okta domain {e}")))?;
    let tenant = req.caller.tenant.as_str();
    if let Some(existing) =
        deps.store.list_orgs(tenant).await.map_err(store_failure)?.into_iter().find(|o| o.domain == host.as_str())
    {
        return Err(already_connected(&existing.org_id));
    }
    let granted = verify(deps, &host, &creds).await?;
    let org_id = new_id("org");
    let secret_name = deps.secrets.name(tenant, &["okta", &org_id, "credentials"]);
    let secret = deps.secrets.put(&secret_name, creds.secret()).await.map_err(secrets_failure)?;
    let now = rfc3339(deps.clock.now());
    let rec = OrgRecord::new(tenant, &org_id, host.as_str(), &creds, granted, secret, &now);
    match deps.store.create_org(&rec).await {
        Ok(()) => {
            tracing::info!(tenant, org_id = %org_id, domain = %rec.domain, "Okta org connected");
            Ok(json_response(StatusCode::CREATED, &OrgView::from(&rec)))
        }
        Err(e) => {
            deps.secrets.delete(&secret_name).await.map_err(secrets_failure)?;
            match e {
                StoreError::TransactionCondition { .. } => {
                    let existing = deps.store.list_orgs(tenant).await.map_err(store_failure)?;
                    let id =
                        existing.iter().find(|o| o.domain == rec.domain).map(|o| o.org_id.clone()).unwrap_or_default();
                    Err(already_connected(&id))
                }
                other => Err(store_failure(other)),
            }
        }
    }
}

fn already_connected(org_id: &str) -> ApiError {
    ApiError::conflict("org_already_connected", "this Okta org is already connected; rotate its credentials instead")
        .with_field("domain")
        .with_detail("orgId", json!(org_id))
}

/// `GET /okta-orgs`.
#[utoipa::path(get, path = "/okta-orgs", tag = "okta-orgs", operation_id = "listOrgs",
    description = "Roles: admin, technician.", security(("bearer" = [])),
    responses((status = 200, description = "The tenant's orgs", body = OrgList), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let orgs = deps.store.list_orgs(req.caller.tenant.as_str()).await.map_err(store_failure)?;
    let items: Vec<OrgView> = orgs.iter().map(OrgView::from).collect();
    Ok(json_response(StatusCode::OK, &OrgList { count: items.len(), items }))
}

/// `GET /okta-orgs/{id}`.
#[utoipa::path(get, path = "/okta-orgs/{orgId}", tag = "okta-orgs", operation_id = "getOrg",
    description = "Roles: admin, technician.", params(("orgId" = String, Path, description = "The org connection id (`org_…`)")), security(("bearer" = [])),
    responses((status = 200, description = "The org", body = OrgView), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage), (status = 404, description = "No such org for this tenant", body = ErrorBody)))]
pub async fn get(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    let rec = load(deps, req.caller.tenant.as_str(), org_id).await?;
    Ok(json_response(StatusCode::OK, &OrgView::from(&rec)))
}

/// `PUT /okta-orgs/{id}/credentials`: verify the new credentials first; only then write a new secret version
/// and the record (conditional on its version). On any failure the old credentials stay in force.
#[utoipa::path(put, path = "/okta-orgs/{orgId}/credentials", tag = "okta-orgs", operation_id = "rotateCredentials",
    description = "Role: admin. Verifies the new credentials first; on any failure the old ones stay in force.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)")), request_body = RotateCredentials, security(("bearer" = [])),
    responses((status = 200, description = "Rotated", body = OrgView), (status = 400, description = "Invalid input, or Okta refused the credentials (oktaError names Okta's code)", body = ErrorBody), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage), (status = 403, description = "The caller is not an admin", body = ErrorBody), (status = 404, description = "No such org for this tenant", body = ErrorBody), (status = 409, description = "Changed meanwhile (currentVersion) or in use", body = ErrorBody), (status = 413, description = "Body over 1 MiB", body = ErrorBody), (status = 415, description = "Body is not application/json", body = ErrorBody), (status = 502, description = "Okta failed or answered something unreadable", body = ErrorBody), (status = 503, description = "Okta rate limit exhausted (retryAt)", body = ErrorBody)))]
pub async fn rotate(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let rec = load(deps, tenant, org_id).await?;
    let input: RotateCredentials = req.json()?;
    if input.version.is_some_and(|v| v != rec.version) {
        return Err(ApiError::version_conflict(rec.version));
    }
    let creds = input.credentials.validate()?;
    let host = OrgHost::revalidate(&rec.domain).map_err(|e| {
        tracing::error!(error = %e, "stored org domain no longer passes the rules");
        ApiError::internal()
    })?;
    let granted = verify(deps, &host, &creds).await?;
    let secret = deps.secrets.put(&rec.secret.name, creds.secret()).await.map_err(secrets_failure)?;
    let now = rfc3339(deps.clock.now());
    let updated = OrgRecord {
        client_id: creds.client_id().to_string(),
        auth_method: creds.method(),
        key_id: creds.key_id().map(str::to_string),
        granted_scopes: granted,
        secret,
        secret_updated_at: now.clone(),
        updated_at: now,
        version: rec.version + 1,
        ..rec.clone()
    };
    match deps.store.update_org(&updated, rec.version).await {
        Ok(()) => {
            tracing::info!(tenant, org_id, "Okta credentials rotated");
            Ok(json_response(StatusCode::OK, &OrgView::from(&updated)))
        }
        Err(StoreError::VersionConflict { current }) => {
            // Another edit won: the secret version its record points at must stay current.
            if let Some(cur) = deps.store.get_org(tenant, org_id).await.map_err(store_failure)? {
                deps.secrets.make_current(&cur.secret).await.map_err(secrets_failure)?;
            }
            Err(match current {
                Some(v) => ApiError::version_conflict(v),
                None => ApiError::not_found("Okta org"),
            })
        }
        Err(e) => Err(store_failure(e)),
    }
}

/// `DELETE /okta-orgs/{id}`: 409 while device trust uses the org; else the record, its host marker and its
/// secret are removed. `?version=` makes it conditional on what the admin last read.
#[utoipa::path(delete, path = "/okta-orgs/{orgId}", tag = "okta-orgs", operation_id = "disconnectOrg",
    description = "Role: admin. Refused (409 org_in_use) while device trust uses the org.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)"), ("version" = Option<u64>, Query, description = "Only if the org is still at this version")),
    security(("bearer" = [])),
    responses((status = 204, description = "Disconnected; the secret is scheduled for deletion"),
        (status = 400, description = "Invalid version", body = ErrorBody), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage), (status = 403, description = "The caller is not an admin", body = ErrorBody), (status = 404, description = "No such org for this tenant", body = ErrorBody), (status = 409, description = "Changed meanwhile (currentVersion) or in use", body = ErrorBody)))]
pub async fn disconnect(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let asked = req.query_u64("version")?;
    let rec = load(deps, tenant, org_id).await?;
    let expected = asked.unwrap_or(rec.version);
    match deps.store.delete_org(&rec, expected).await {
        Ok(()) => {
            deps.secrets.delete(&rec.secret.name).await.map_err(secrets_failure)?;
            tracing::info!(tenant, org_id, "Okta org disconnected");
            Ok(no_content())
        }
        Err(StoreError::TransactionCondition { index: 2 }) => Err(ApiError::conflict(
            "org_in_use",
            "device trust uses this Okta org; choose another org for device trust or delete device trust first",
        )),
        Err(StoreError::TransactionCondition { .. }) => {
            let current = deps.store.get_org(tenant, org_id).await.map_err(store_failure)?;
            Err(match current {
                Some(c) => ApiError::version_conflict(c.version),
                None => ApiError::not_found("Okta org"),
            })
        }
        Err(e) => Err(store_failure(e)),
    }
}

/// An Okta client for a stored org, with only `scopes`.
pub async fn client_for(deps: &Deps, rec: &OrgRecord, scopes: &[&str]) -> Result<Arc<OktaClient>, ApiError> {
    let secret = deps.secrets.get(&rec.secret).await.map_err(secrets_failure)?;
    let creds = OktaCredentials::from_parts(rec.auth_method, rec.client_id.clone(), secret, rec.key_id.clone());
    let host = OrgHost::revalidate(&rec.domain).map_err(|e| {
        tracing::error!(error = %e, "stored org domain no longer passes the rules");
        ApiError::internal()
    })?;
    let key = format!("{}|{}|{}", rec.pk, rec.org_id, rec.secret.version_id);
    Ok(deps.okta(&key, host, creds, scopes))
}

/// `GET /okta-orgs/{id}/groups?q=<name prefix>`: every Okta group (all pages), or those whose name starts with
/// `q`, for fleet selection. Keys are Okta group ids; names are for display only.
#[utoipa::path(get, path = "/okta-orgs/{orgId}/groups", tag = "okta-orgs", operation_id = "listOktaGroups",
    description = "Roles: admin, technician. Every Okta user group (all pages), or those whose name starts with q.",
    params(("orgId" = String, Path, description = "The org connection id (`org_…`)"), ("q" = Option<String>, Query, description = "Name prefix, at most 100 characters")),
    security(("bearer" = [])),
    responses((status = 200, description = "The groups", body = GroupList),
        (status = 400, description = "Invalid q, or Okta refused", body = ErrorBody), (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage), (status = 404, description = "No such org for this tenant", body = ErrorBody),
        (status = 409, description = "Okta no longer accepts the stored credentials (rotate them)", body = ErrorBody), (status = 502, description = "Okta failed or answered something unreadable", body = ErrorBody), (status = 503, description = "Okta rate limit exhausted (retryAt)", body = ErrorBody)))]
pub async fn groups(deps: &Deps, req: &ApiRequest, org_id: &str) -> Result<Response<Body>, ApiError> {
    let rec = load(deps, req.caller.tenant.as_str(), org_id).await?;
    let q = req.query("q").map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100 || q.chars().any(char::is_control)) {
        return Err(ApiError::invalid("q", "q must be at most 100 printable characters"));
    }
    let client = client_for(deps, &rec, &["okta.groups.read"]).await?;
    let groups = client.list_groups(q).await.map_err(okta_errors::to_api)?;
    let items: Vec<GroupView> = groups
        .into_iter()
        .map(|g| GroupView { id: g.id, name: g.profile.name, description: g.profile.description, kind: g.kind })
        .collect();
    Ok(json_response(StatusCode::OK, &GroupList { count: items.len(), items }))
}
