//! The status routes: summary, device pages with filters, evidence refresh, exports, sharing with technicians,
//! and the technician list.

use crate::evidence::{refresh as refresh_evidence, RefreshReport};
use crate::exports::{export as write_export, mail, ExportDeps, ExportView, Format};
use crate::join::StatusWalk;
use crate::status::{DeviceStatus, Filter, OdtState, Summary};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{store_failure, ErrorBody, GatewayMessage};
use odt_shared::ids::is_safe_id;
use odt_shared::platform::Platform;
use odt_shared::store::{StoreError, TechniciansRecord};
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest page of devices.
pub const MAX_PAGE_SIZE: u64 = 500;
/// The most technicians a tenant may list.
pub const MAX_TECHNICIANS: usize = 200;

fn filter_from_query(req: &ApiRequest) -> Result<Filter, ApiError> {
    let text = |name: &str| req.query(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    filter_from(text("platform"), text("state"), text("group"), text("q"))
}

fn filter_from(
    platform: Option<String>,
    state: Option<String>,
    group: Option<String>,
    q: Option<String>,
) -> Result<Filter, ApiError> {
    let platform = platform
        .map(|p| Platform::parse(&p).ok_or_else(|| ApiError::invalid("platform", "use ios, android, macos or windows")))
        .transpose()?;
    let state = state
        .map(|s| {
            OdtState::parse(&s).ok_or_else(|| {
                let all: Vec<&str> = OdtState::ALL.iter().map(|s| s.as_str()).collect();
                ApiError::invalid("state", format!("use one of {}", all.join(", ")))
            })
        })
        .transpose()?;
    if let Some(g) = &group {
        if !is_safe_id(g) {
            return Err(ApiError::invalid("group", "not a group id"));
        }
    }
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid("q", "at most 200 characters"));
    }
    Ok(Filter { platform, state, group, q })
}

/// `GET /status`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub summary: Summary,
}

/// `GET /status`: counts per platform by state, from the device records and the evidence.
#[utoipa::path(get, path = "/status", tag = "status", operation_id = "getStatus",
    description = "Roles: admin, technician. Devices per platform by device-trust state (managed, not managed, delivered, pending, failed, removing, not in scope).",
    security(("bearer" = [])),
    responses((status = 200, description = "The summary", body = StatusView),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn summary(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let mut walk = StatusWalk::start(deps, req.caller.tenant.as_str()).await.map_err(store_failure)?;
    let mut summary = Summary::default();
    while let Some((_, s)) = walk.next().await.map_err(store_failure)? {
        summary.add(&s);
    }
    Ok(json_response(StatusCode::OK, &StatusView { summary }))
}

/// `GET /status/devices`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DevicePage {
    pub items: Vec<DeviceStatus>,
    /// Devices passing the filters.
    pub total: usize,
    pub page: u64,
    pub page_size: u64,
    pub pages: u64,
}

/// `GET /status/devices`: one page of devices passing the filters, in device id order.
#[utoipa::path(get, path = "/status/devices", tag = "status", operation_id = "listDeviceStatus",
    description = "Roles: admin, technician.",
    params(("platform" = Option<String>, Query, description = "ios, android, macos or windows"),
        ("state" = Option<String>, Query, description = "managed, not_managed, delivered, pending, failed, removing or not_in_scope"),
        ("group" = Option<String>, Query, description = "an Okta group id the owner belongs to (of the fleet's)"),
        ("q" = Option<String>, Query, description = "text in the device name or id, owner email or OS version"),
        ("page" = Option<u64>, Query, description = "1-based, default 1"),
        ("pageSize" = Option<u64>, Query, description = "1 to 500, default 50")),
    security(("bearer" = [])),
    responses((status = 200, description = "The page", body = DevicePage),
        (status = 400, description = "A filter or page that is not valid", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn devices(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let filter = filter_from_query(req)?;
    let page = req.query_u64("page")?.unwrap_or(1);
    let size = req.query_u64("pageSize")?.unwrap_or(50);
    if page == 0 || page > 1_000_000 {
        return Err(ApiError::invalid("page", "a page from 1 to 1000000"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(ApiError::invalid("pageSize", format!("1 to {MAX_PAGE_SIZE}")));
    }
    let skip = (page - 1) * size;
    let mut walk = StatusWalk::start(deps, req.caller.tenant.as_str()).await.map_err(store_failure)?;
    let (mut total, mut items) = (0u64, Vec::new());
    while let Some((_, s)) = walk.next().await.map_err(store_failure)? {
        if !filter.matches(&s) {
            continue;
        }
        if total >= skip && (items.len() as u64) < size {
            items.push(s);
        }
        total += 1;
    }
    Ok(json_response(
        StatusCode::OK,
        &DevicePage { items, total: total as usize, page, page_size: size, pages: total.div_ceil(size) },
    ))
}

/// `POST /status/refresh`: read the evidence from Okta and the UEM now.
#[utoipa::path(post, path = "/status/refresh", tag = "status", operation_id = "refreshStatus",
    description = "Roles: admin, technician. Reads Okta's device records (managementStatus of each device user link) and the UEM's per-device policy state; writes what changed.",
    security(("bearer" = [])),
    responses((status = 200, description = "What the refresh read", body = RefreshReport),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 409, description = "Device trust or the UEM not set up, or stored credentials refused", body = ErrorBody),
        (status = 502, description = "Okta or the UEM failed", body = ErrorBody),
        (status = 503, description = "Okta or the UEM is throttling", body = ErrorBody)))]
pub async fn refresh(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let report = refresh_evidence(deps, req.caller.tenant.as_str()).await?;
    Ok(json_response(StatusCode::OK, &report))
}

/// `POST /status/exports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"format": "csv", "platform": "macos"}))]
pub struct ExportInput {
    pub format: Format,
    pub platform: Option<String>,
    pub state: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
}

/// `POST /status/exports`: the device status (with the filters) as CSV or PDF in S3, behind a presigned link.
#[utoipa::path(post, path = "/status/exports", tag = "status", operation_id = "exportStatus",
    description = "Roles: admin, technician. CSV: UTF-8 with BOM, RFC 4180, formula-looking text neutralized, stable column ids in the first row. PDF: title, tenant, time, summary, the device table with its header on every page and page numbers. Small exports also come back inline.",
    request_body = ExportInput, security(("bearer" = [])),
    responses((status = 200, description = "The export", body = ExportView),
        (status = 400, description = "A format or filter that is not valid", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn export(deps: &Deps, x: &ExportDeps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let input: ExportInput = req.json()?;
    let filter = filter_from(input.platform, input.state, input.group, input.q)?;
    let view = write_export(deps, x, req.caller.tenant.as_str(), input.format, &filter).await?;
    Ok(json_response(StatusCode::OK, &view))
}

/// `POST /status/exports/share`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"format": "pdf", "emails": ["tech@acme.com"]}))]
pub struct ShareInput {
    pub format: Format,
    /// Addresses on the tenant's technician list (`GET /technicians`); any other is refused.
    pub emails: Vec<String>,
    pub platform: Option<String>,
    pub state: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
}

/// What was shared.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareView {
    pub export: ExportView,
    pub sent_to: Vec<String>,
    /// What SES accepted, per address.
    pub messages: Vec<crate::exports::SentMail>,
}

fn normalize_email(field: &str, e: &str) -> Result<String, ApiError> {
    let e = e.trim().to_ascii_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'));
    if ok {
        Ok(e)
    } else {
        Err(ApiError::invalid(field, format!("`{}` is not an email address", e.chars().take(64).collect::<String>())))
    }
}

/// `POST /status/exports/share`: export, then mail the link to technicians on the tenant's list.
#[utoipa::path(post, path = "/status/exports/share", tag = "status", operation_id = "shareStatus",
    description = "Roles: admin, technician. Only addresses on the technician list are accepted; any other is refused with 400 naming it, and nothing is sent.",
    request_body = ShareInput, security(("bearer" = [])),
    responses((status = 200, description = "Exported and mailed", body = ShareView),
        (status = 400, description = "An address not on the technician list, or an invalid format or filter", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn share(deps: &Deps, x: &ExportDeps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let input: ShareInput = req.json()?;
    if input.emails.is_empty() || input.emails.len() > MAX_TECHNICIANS {
        return Err(ApiError::invalid("emails", format!("1 to {MAX_TECHNICIANS} addresses")));
    }
    let mut to = Vec::new();
    for e in &input.emails {
        let e = normalize_email("emails", e)?;
        if !to.contains(&e) {
            to.push(e);
        }
    }
    let allowed =
        deps.store.get_technicians(tenant).await.map_err(store_failure)?.map(|t| t.emails).unwrap_or_default();
    let refused: Vec<&String> = to.iter().filter(|e| !allowed.contains(e)).collect();
    if !refused.is_empty() {
        return Err(ApiError::invalid(
            "emails",
            "exports are mailed only to the tenant's technicians (PUT /technicians)",
        )
        .with_detail("refused", serde_json::json!(refused)));
    }
    let filter = filter_from(input.platform, input.state, input.group, input.q)?;
    let export = write_export(deps, x, tenant, input.format, &filter).await?;
    let messages = mail(x, tenant, &export, &to).await?;
    Ok(json_response(StatusCode::OK, &ShareView { export, sent_to: to, messages }))
}

/// The technician list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TechniciansView {
    pub emails: Vec<String>,
    /// 0 while none is stored.
    pub version: u64,
}

/// `PUT /technicians`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"emails": ["tech@acme.com"], "version": 0}))]
pub struct TechniciansInput {
    pub emails: Vec<String>,
    pub version: Option<u64>,
}

/// `GET /technicians`.
#[utoipa::path(get, path = "/technicians", tag = "status", operation_id = "getTechnicians",
    description = "Roles: admin, technician. The addresses exports may be mailed to.", security(("bearer" = [])),
    responses((status = 200, description = "The list", body = TechniciansView),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage)))]
pub async fn technicians(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let t = deps.store.get_technicians(req.caller.tenant.as_str()).await.map_err(store_failure)?;
    let view = t.map_or(TechniciansView { emails: vec![], version: 0 }, |t| TechniciansView {
        emails: t.emails,
        version: t.version,
    });
    Ok(json_response(StatusCode::OK, &view))
}

/// `PUT /technicians`: replaces the list (conditional on the version).
#[utoipa::path(put, path = "/technicians", tag = "status", operation_id = "putTechnicians",
    description = "Role: admin.", request_body = TechniciansInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = TechniciansView),
        (status = 400, description = "An address that is not valid, or too many", body = ErrorBody),
        (status = 401, description = "No valid token (API Gateway JWT authorizer)", body = GatewayMessage),
        (status = 403, description = "The caller is not an admin", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 415, description = "Body is not application/json", body = ErrorBody)))]
pub async fn put_technicians(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: TechniciansInput = req.json()?;
    if input.emails.len() > MAX_TECHNICIANS {
        return Err(ApiError::invalid("emails", format!("at most {MAX_TECHNICIANS} addresses")));
    }
    let mut emails = Vec::new();
    for e in &input.emails {
        let e = normalize_email("emails", e)?;
        if !emails.contains(&e) {
            emails.push(e);
        }
    }
    let existing = deps.store.get_technicians(tenant).await.map_err(store_failure)?;
    let current = existing.as_ref().map_or(0, |t| t.version);
    if input.version.is_some_and(|v| v != current) {
        return Err(ApiError::version_conflict(current));
    }
    let rec = TechniciansRecord::new(tenant, emails, rfc3339(deps.clock.now()), current + 1);
    match deps.store.put_technicians(&rec, existing.as_ref().map(|t| t.version)).await {
        Ok(()) => Ok(json_response(StatusCode::OK, &TechniciansView { emails: rec.emails, version: rec.version })),
        Err(StoreError::VersionConflict { current }) => Err(ApiError::version_conflict(current.unwrap_or(0))),
        Err(e) => Err(store_failure(e)),
    }
}
