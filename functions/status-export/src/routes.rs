//! The status routes: the summary, device pages with filters, and the evidence refresh (exports:
//! [`crate::export_routes`]; the technician list: [`crate::technicians`]).

use crate::evidence::{refresh as refresh_evidence, RefreshReport};
use crate::filter::Filter;
use crate::join::StatusWalk;
use crate::renewals::{platform_certificates, PlatformCertificates, RenewalsDue};
use crate::status::DeviceStatus;
use crate::summary::Summary;
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::Unauthorized;
use odt_shared::error::ErrorBody;
use odt_shared::pacing::CallBudgetView;
use odt_shared::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

/// The largest page of devices.
pub const MAX_PAGE_SIZE: u64 = 500;

/// `GET /status`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    pub summary: Summary,
    /// The UEM call budget now (absent while no UEM is connected): when it is short (`short`), evidence reads or
    /// full re-reads wait for `resetsAt` and the status above may be older than usual.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uem_budget: Option<CallBudgetView>,
    /// macOS and Windows: each platform's Okta CA dates (and the CA it replaces) and renewal lead.
    pub certificates: Vec<PlatformCertificates>,
    /// The attestation re-deliveries (certificate renewals, devices never managed) due within 30 days.
    pub renewals_due: RenewalsDue,
}

/// `GET /status`: counts per platform by state, from the device records and the evidence.
#[utoipa::path(get, path = "/status", tag = "status", operation_id = "getStatus",
    description = "Roles: admin, technician. Devices per platform by device-trust state (managed, not managed, awaiting the first FastPass sign-in, delivered, pending, failed, unsupported, removing, not in scope), and out of scope by reason; the UEM call budget; macOS and Windows: the Okta CA dates and the attestation re-deliveries (certificate renewals, devices never managed) due within 30 days.",
    security(("bearer" = [])),
    responses((status = 200, description = "The summary", body = StatusView),
        Unauthorized))]
pub async fn summary(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let mut walk = StatusWalk::start(deps, tenant).await?;
    let mut summary = Summary::default();
    let now = deps.clock.now();
    let mut renewals_due = RenewalsDue::new();
    while let Some((_, s)) = walk.next().await? {
        summary.add(&s);
        if let Some(due) = s.renewal() {
            renewals_due.add(due, now);
        }
    }
    renewals_due.trim();
    let certificates = platform_certificates(&deps.store.list_platforms(tenant).await?, now);
    let uem_budget = match deps.store.get_uem(tenant).await? {
        Some(u) => Some(
            CallBudgetView::read(&deps.store, deps.uem_limits, tenant, u.call_share_percent, deps.clock.now()).await?,
        ),
        None => None,
    };
    Ok(json_response(StatusCode::OK, &StatusView { summary, uem_budget, certificates, renewals_due }))
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
    description = "Roles: admin, technician. Each device with its state and the admin's next step (`nextStep`).",
    params(("platform" = Option<String>, Query, description = "ios, android, macos or windows"),
        ("state" = Option<String>, Query, description = "managed, not_managed, must_enroll_again, awaiting_fastpass, delivered, pending, failed, unsupported, removing or not_in_scope"),
        ("group" = Option<String>, Query, description = "an Okta group id the owner belongs to (of the fleet's)"),
        ("q" = Option<String>, Query, description = "text in the device name or id, owner email or OS version"),
        ("page" = Option<u64>, Query, description = "1-based, default 1"),
        ("pageSize" = Option<u64>, Query, description = "1 to 500, default 50")),
    security(("bearer" = [])),
    responses((status = 200, description = "The page", body = DevicePage),
        (status = 400, description = "A filter or page that is not valid", body = ErrorBody),
        Unauthorized))]
pub async fn devices(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let filter = Filter::from_query(req)?;
    let page = req.query_u64("page")?.unwrap_or(1);
    let size = req.query_u64("pageSize")?.unwrap_or(50);
    if page == 0 || page > 1_000_000 {
        return Err(ApiError::invalid("page", "a page from 1 to 1000000"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(ApiError::invalid("pageSize", format!("1 to {MAX_PAGE_SIZE}")));
    }
    let skip = (page - 1) * size;
    let mut walk = StatusWalk::start(deps, req.caller.tenant.as_str()).await?;
    let (mut total, mut items) = (0u64, Vec::new());
    while let Some((_, s)) = walk.next().await? {
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
        (status = 400, description = "Okta refused a read with the stored credentials (okta_forbidden, okta_not_found, okta_error)", body = ErrorBody),
        (status = 409, description = "Device trust or the UEM not set up, or stored credentials refused", body = ErrorBody),
        (status = 502, description = "Okta or the UEM failed", body = ErrorBody),
        (status = 503, description = "Okta or the UEM is throttling", body = ErrorBody),
        Unauthorized))]
pub async fn refresh(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let report = refresh_evidence(deps, req.caller.tenant.as_str()).await?;
    Ok(json_response(StatusCode::OK, &report))
}
