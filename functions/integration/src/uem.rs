//! The tenant's UEM connection: portal URL and API key, verified with one read call before anything is stored.

use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::outbound::{validate_host_under, HEXNODE_SUFFIX};
use odt_shared::pacing::{CallBudgetView, CallClass};
use odt_shared::store::{Store, StoreError, UemRecord};
use odt_shared::uem::Uem;
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

/// `PUT /uem`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"portalUrl": "https://acme.hexnodemdm.com", "apiKey": "<Hexnode API key>", "callSharePercent": 50}))]
pub struct ConnectUem {
    /// The Hexnode portal: `https://<portal>.hexnodemdm.com` (or the bare host).
    pub portal_url: String,
    /// The API key (Hexnode: Admin › API). Required the first time; omit it to keep the stored one.
    #[schema(value_type = Option<String>, format = Password)]
    pub api_key: Option<SecretString>,
    /// The product's share of the UEM's limits (Hexnode: 30 calls a minute, 10 per managed device a day, for the
    /// whole account), percent, 1 to 100; every function together stays within it. Omit it to keep the stored
    /// one (default 50, leaving the rest to the account's other integrations).
    #[schema(minimum = 1, maximum = 100)]
    pub call_share_percent: Option<i64>,
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
    /// The UEM call budget now: limits, the product's share, today's count and what is paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_budget: Option<CallBudgetView>,
    pub version: u64,
}

impl UemView {
    /// The view of `r` with its call budget read now (none when not connected). Errors: the store failing.
    async fn of(deps: &Deps, tenant: &str, r: Option<&UemRecord>) -> Result<Self, StoreError> {
        Ok(match r {
            None => UemView {
                state: "not_connected".into(),
                kind: None,
                portal: None,
                api_key: None,
                verified_at: None,
                call_budget: None,
                version: 0,
            },
            Some(r) => UemView {
                state: "connected".into(),
                kind: Some(r.kind.clone()),
                portal: Some(r.portal.clone()),
                api_key: Some(crate::views::SecretStatus { set: true, updated_at: r.secret_updated_at.clone() }),
                verified_at: Some(r.verified_at.clone()),
                call_budget: Some(
                    CallBudgetView::read(&deps.store, deps.uem_limits, tenant, r.call_share_percent, deps.clock.now())
                        .await?,
                ),
                version: r.version,
            },
        })
    }
}

/// `GET /uem`.
#[utoipa::path(get, path = "/uem", tag = "uem", operation_id = "getUem", description = "Roles: admin, technician.",
    security(("bearer" = [])),
    responses((status = 200, description = "The UEM connection", body = UemView),
        Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let rec = deps.store.get_uem(tenant).await?;
    Ok(json_response(StatusCode::OK, &UemView::of(deps, tenant, rec.as_ref()).await?))
}

/// `PUT /uem`: validate the portal host (outbound rules, `*.hexnodemdm.com`), verify the key with one read call,
/// then store the key in Secrets Manager and the connection in DynamoDB (conditional on the version).
#[utoipa::path(put, path = "/uem", tag = "uem", operation_id = "connectUem",
    description = "Role: admin. Hexnode only for now.", request_body = ConnectUem, security(("bearer" = [])),
    responses((status = 200, description = "Connected", body = UemView),
        (status = 400, description = "Invalid input, or the UEM refused the key", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
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
    let share = match input.call_share_percent {
        Some(p) if !(1..=100).contains(&p) => {
            return Err(ApiError::invalid("callSharePercent", "callSharePercent must be a whole number from 1 to 100"))
        }
        p => p.map(|p| p as u8),
    };
    let existing = deps.store.get_uem(tenant).await?;
    let current = Store::expect_version(input.version, existing.as_ref().map(|e| e.version))?;
    let share = share.or(existing.as_ref().and_then(|e| e.call_share_percent));
    // The stored key only ever goes to the portal it was entered for.
    let kept = existing.as_ref().filter(|e| input.api_key.is_none() && e.portal == portal.as_str());
    let key = match (&input.api_key, kept, &existing) {
        (Some(k), _, _) => k.clone(),
        (None, Some(e), _) => deps.secrets.get(&e.secret).await?,
        (None, None, Some(_)) => return Err(ApiError::invalid("apiKey", "apiKey is required when the portal changes")),
        (None, None, None) => return Err(ApiError::invalid("apiKey", "apiKey is required the first time")),
    };
    // Told as the admin's input, the kept key too: it is checked against the portal they entered.
    let pacer = Arc::new(deps.uem_pacer(tenant, CallClass::Deployment, share));
    deps.hexnode(portal.clone(), key.clone()).paced(pacer).verify().await.map_err(Error::uem_entered)?;
    let now = rfc3339(deps.clock.now());
    let (secret, secret_updated_at) = match kept {
        Some(e) => (e.secret.clone(), e.secret_updated_at.clone()),
        None => {
            let name = deps.secrets.name(tenant, &["uem", "api-key"]);
            (deps.secrets.put(&name, &key).await?, now.clone())
        }
    };
    let rec = UemRecord {
        secret_updated_at,
        created_at: existing.as_ref().map(|e| e.created_at.clone()).unwrap_or_else(|| now.clone()),
        version: current + 1,
        call_share_percent: share,
        ..UemRecord::new(tenant, "hexnode", portal.as_str(), secret, &now)
    };
    if let Err(e) = deps.store.put_uem(&rec, existing.as_ref().map(|e| e.version)).await {
        if matches!(e, StoreError::VersionConflict { .. }) {
            // Another edit won: the secret version its record points at must stay current.
            if let Some(winner) = deps.store.get_uem(tenant).await? {
                deps.secrets.make_current(&winner.secret).await?;
            }
        }
        return Err(e.into());
    }
    tracing::info!(tenant, portal = %rec.portal, "UEM connected");
    Ok(json_response(StatusCode::OK, &UemView::of(deps, tenant, Some(&rec)).await?))
}
