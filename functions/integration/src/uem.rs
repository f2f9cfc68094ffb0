//! The tenant's UEM connection: portal URL and API key, verified with one read call before anything is stored.

use crate::{secrets_failure, store_failure};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{ErrorBody, GatewayMessage};
use odt_shared::outbound::{validate_host_under, HEXNODE_SUFFIX};
use odt_shared::store::{StoreError, UemRecord};
use odt_shared::uem::{Uem, UemError};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// `PUT /uem`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"portalUrl": "https://acme.hexnodemdm.com", "apiKey": "<Hexnode API key>"}))]
pub struct ConnectUem {
    /// The Hexnode portal: `https://<portal>.hexnodemdm.com` (or the bare host).
    pub portal_url: String,
    /// The API key (Hexnode: Admin › API). Required the first time; omit it to keep the stored one.
    #[schema(value_type = Option<String>, format = Password)]
    pub api_key: Option<SecretString>,
    pub version: Option<u64>,
}

/// The UEM connection as the API shows it; the key only as "set".
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UemView {
    /// `not_connected` or `connected`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<crate::views::SecretStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    pub version: u64,
}

impl UemView {
    fn of(r: Option<&UemRecord>) -> Self {
        match r {
            None => UemView {
                state: "not_connected".into(),
                kind: None,
                portal: None,
                api_key: None,
                verified_at: None,
                version: 0,
            },
            Some(r) => UemView {
                state: "connected".into(),
                kind: Some(r.kind.clone()),
                portal: Some(r.portal.clone()),
                api_key: Some(crate::views::SecretStatus { set: true, updated_at: r.secret_updated_at.clone() }),
                verified_at: Some(r.verified_at.clone()),
                version: r.version,
            },
        }
    }
}

/// How a UEM failure met while verifying what the admin entered is told.
fn verify_error(e: UemError) -> ApiError {
    match e {
        UemError::Unauthorized(status) => {
            ApiError::invalid("apiKey", format!("the UEM refused the API key ({status})"))
        }
        UemError::Unreachable(why) => {
            ApiError::invalid("portalUrl", format!("the UEM portal could not be reached: {why}"))
        }
        UemError::NotFound(what) => {
            ApiError::invalid("portalUrl", format!("the portal has no API at this address ({what})"))
        }
        UemError::Throttled { retry_after_secs } => ApiError::upstream(
            StatusCode::SERVICE_UNAVAILABLE,
            "uem_throttled",
            format!("the UEM is throttling; try again in {retry_after_secs} s"),
        )
        .with_detail("retryAfterSeconds", json!(retry_after_secs)),
        e => ApiError::upstream(StatusCode::BAD_GATEWAY, "uem_error", e.to_string()),
    }
}

/// `GET /uem`.
#[utoipa::path(get, path = "/uem", tag = "uem", operation_id = "getUem", description = "Roles: admin, technician.",
    security(("bearer" = [])),
    responses((status = 200, description = "The UEM connection", body = UemView),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn get(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let rec = deps.store.get_uem(req.caller.tenant.as_str()).await.map_err(store_failure)?;
    Ok(json_response(StatusCode::OK, &UemView::of(rec.as_ref())))
}

/// `PUT /uem`: validate the portal host (outbound rules, `*.hexnodemdm.com`), verify the key with one read call,
/// then store the key in Secrets Manager and the connection in DynamoDB (conditional on the version).
#[utoipa::path(put, path = "/uem", tag = "uem", operation_id = "connectUem",
    description = "Role: admin. Hexnode only for now.", request_body = ConnectUem, security(("bearer" = [])),
    responses((status = 200, description = "Connected", body = UemView),
        (status = 400, description = "Invalid input, or the UEM refused the key", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody)))]
pub async fn connect(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: ConnectUem = req.json()?;
    let portal = validate_host_under(&input.portal_url, HEXNODE_SUFFIX)
        .map_err(|e| ApiError::invalid("portalUrl", format!("the portal URL {e}")))?;
    if let Some(k) = &input.api_key {
        let k = k.expose_secret();
        if k.is_empty() || k.len() > 512 || !k.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::invalid("apiKey", "apiKey must be 1 to 512 printable characters without spaces"));
        }
    }
    let existing = deps.store.get_uem(tenant).await.map_err(store_failure)?;
    let current = existing.as_ref().map(|e| e.version).unwrap_or(0);
    if input.version.is_some_and(|v| v != current) {
        return Err(ApiError::version_conflict(current));
    }
    let key = match (&input.api_key, &existing) {
        (Some(k), _) => k.clone(),
        // The stored key only ever goes to the portal it was entered for.
        (None, Some(e)) if e.portal == portal.as_str() => deps.secrets.get(&e.secret).await.map_err(secrets_failure)?,
        (None, Some(_)) => {
            return Err(ApiError::invalid("apiKey", "apiKey is required when the portal changes"));
        }
        (None, None) => return Err(ApiError::invalid("apiKey", "apiKey is required the first time")),
    };
    deps.hexnode(portal.clone(), key.clone()).verify().await.map_err(verify_error)?;
    let now = rfc3339(deps.clock.now());
    let (secret, secret_updated_at) = match (&input.api_key, &existing) {
        (None, Some(e)) if e.portal == portal.as_str() => (e.secret.clone(), e.secret_updated_at.clone()),
        _ => {
            let name = deps.secrets.name(tenant, &["uem", "api-key"]);
            (deps.secrets.put(&name, &key).await.map_err(secrets_failure)?, now.clone())
        }
    };
    let rec = UemRecord {
        secret_updated_at,
        created_at: existing.as_ref().map(|e| e.created_at.clone()).unwrap_or_else(|| now.clone()),
        version: current + 1,
        ..UemRecord::new(tenant, "hexnode", portal.as_str(), secret, &now)
    };
    match deps.store.put_uem(&rec, existing.as_ref().map(|e| e.version)).await {
        Ok(()) => {
            tracing::info!(tenant, portal = %rec.portal, "UEM connected");
            Ok(json_response(StatusCode::OK, &UemView::of(Some(&rec))))
        }
        Err(StoreError::VersionConflict { current }) => {
            if let Some(now) = deps.store.get_uem(tenant).await.map_err(store_failure)? {
                deps.secrets.make_current(&now.secret).await.map_err(secrets_failure)?;
            }
            Err(ApiError::version_conflict(current.unwrap_or(0)))
        }
        Err(e) => Err(store_failure(e)),
    }
}
