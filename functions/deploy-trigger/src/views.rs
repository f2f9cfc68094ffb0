//! The deployment overview (per platform: the managed group, whether its policy carries the current payload,
//! item counts by state, VPP licenses against devices; and, while device trust is being deleted, how many
//! devices still carry items), one device's items, and the admin's "install now / retry now".

use crate::okta_verify::OktaVerifyView;
use crate::run::{run_tenant, RunReport, RunScope};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{Forbidden, PathRefused, Unauthorized};
use odt_shared::error::{Error, ErrorBody};
use odt_shared::ids::is_safe_id;
use odt_shared::platform::Platform;
use odt_shared::store::{DeployItem, DeviceTrustState, InstallMethod, ItemStatus, Store, StoreError};
use odt_shared::ApiError;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;

/// VPP licenses against the devices that need one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Licenses {
    /// The VPP licenses the admin gave for the app.
    pub licenses: u64,
    /// Devices in scope on the platform (each needs a license).
    pub in_scope: usize,
    /// Devices beyond the licenses (0 when there are enough).
    pub shortfall: usize,
}

/// One platform in the overview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformOverview {
    pub platform: Platform,
    pub enabled: bool,
    /// Devices in scope on this platform as its switch stands (none while it is switched off).
    pub in_scope: usize,
    /// The managed device group in the UEM.
    pub group_id: Option<String>,
    pub policy_id: Option<String>,
    /// Whether the policy carries the platform's current payload (false right after a re-configure until the
    /// next run updates it).
    pub payload_current: bool,
    pub okta_verify: Option<OktaVerifyView>,
    /// Devices by item and state, e.g. `{"okta_verify": {"applied": 12, "failed": 1}}`.
    pub items: BTreeMap<DeployItem, BTreeMap<ItemStatus, usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<Licenses>,
    /// When the UEM portal refused the policy's payload (a call its public API does not document): the call and
    /// the manual step that replaces it; asked again only when what the policy carries changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<odt_shared::uem::Unsupported>,
}

/// `GET /deployments`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// `active`, `removing` (device trust deleted; items are coming off) or `none`.
    pub device_trust: String,
    pub platforms: Vec<PlatformOverview>,
    /// Devices that still carry (or may carry) an item: while removing, the progress; 0 means done.
    pub devices_carrying_items: usize,
    /// Devices whose last attempt failed.
    pub failed_devices: usize,
    /// Devices whose failure waits for the admin ("retry now"): device gone, or retries given up.
    pub permanent_failures: usize,
}

/// One item on one device.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemView {
    pub status: ItemStatus,
    pub attempts: u32,
    pub last_attempt_at: Option<String>,
    pub error: Option<String>,
    pub updated_at: String,
}

/// `GET /deployments/devices/{deviceId}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDeployment {
    /// The UEM's device id.
    pub device_id: String,
    pub platform: Option<Platform>,
    /// Whether the fleet covers the device as its platform's switch stands (false at once when the platform is
    /// switched off); deployment also needs device trust active.
    pub in_scope: bool,
    /// The managed device group the device is a member of, if any.
    pub group_id: Option<String>,
    /// Whether the device carries its platform's current payload (false when it carries an older one, e.g. the
    /// previous secret key, or none).
    pub carries_current_payload: bool,
    pub items: BTreeMap<DeployItem, ItemView>,
    /// RFC 3339 time of the next automatic attempt, if one is due.
    pub retry_at: Option<String>,
    pub permanent_failure: bool,
}

fn state_name(s: Option<DeviceTrustState>) -> &'static str {
    match s {
        Some(DeviceTrustState::Active) => "active",
        Some(DeviceTrustState::Removing) => "removing",
        None => "none",
    }
}

/// `GET /deployments`.
#[utoipa::path(get, path = "/deployments", tag = "deployment", operation_id = "getDeployments",
    description = "Roles: admin, technician. Per platform: managed group, policy, item states; removal progress.",
    security(("bearer" = [])),
    responses((status = 200, description = "The overview", body = Overview),
        Unauthorized))]
pub async fn overview(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let s = &deps.store;
    // Independent reads, at once (one round trip of latency instead of five, after the platforms whose switches
    // the in-scope count goes by); the device and deployed records are walked page by page and counted, so a
    // fleet of any size is never held in memory.
    let platforms = s.list_platforms(tenant).await?;
    let enabled: HashSet<Platform> = platforms.iter().filter(|p| p.enabled).map(|p| p.platform).collect();
    let (dt, deployments, methods, in_scope, carried) = futures::try_join!(
        s.get_device_trust(tenant),
        s.list_deployments(tenant),
        s.list_okta_verify(tenant),
        count_in_scope(s, tenant, &enabled),
        count_deployed(s, tenant),
    )?;
    let mut out = Vec::new();
    for p in Platform::ALL {
        let rec = platforms.iter().find(|r| r.platform == p);
        let dep = deployments.iter().find(|d| d.platform == Some(p));
        let method = methods.iter().find(|m| m.platform == p);
        let in_scope = in_scope.get(&p).copied().unwrap_or(0);
        let items = carried.items.get(&p).cloned().unwrap_or_default();
        let licenses = method.and_then(|m| match &m.method {
            InstallMethod::Vpp { licenses, .. } => Some(Licenses {
                licenses: *licenses,
                in_scope,
                shortfall: in_scope.saturating_sub(usize::try_from(*licenses).unwrap_or(usize::MAX)),
            }),
            _ => None,
        });
        out.push(PlatformOverview {
            platform: p,
            enabled: rec.is_some_and(|r| r.enabled),
            in_scope,
            group_id: dep.and_then(|d| d.group_id.clone()),
            policy_id: dep.and_then(|d| d.policy_id.clone()),
            payload_current: match (rec, dep) {
                (Some(r), Some(d)) => d.payload_hash.as_deref() == Some(r.payload_hash.as_str()),
                _ => false,
            },
            okta_verify: method.map(OktaVerifyView::of),
            items,
            licenses,
            unsupported: dep.and_then(crate::policy::kept_refusal),
        });
    }
    Ok(json_response(
        StatusCode::OK,
        &Overview {
            device_trust: state_name(dt.map(|d| d.state)).into(),
            platforms: out,
            devices_carrying_items: carried.carrying,
            failed_devices: carried.failed,
            permanent_failures: carried.permanent,
        },
    ))
}

/// In-scope devices per platform as the platform switches stand (`enabled`: a platform switched off has none,
/// case C29), counted over the tenant's `DEVICE#` records one page at a time.
async fn count_in_scope(
    s: &Store,
    tenant: &str,
    enabled: &HashSet<Platform>,
) -> Result<BTreeMap<Platform, usize>, StoreError> {
    let mut out = BTreeMap::new();
    let mut cursor = s.device_cursor(tenant);
    while let Some(d) = cursor.next().await? {
        if let (true, Some(p)) = (d.in_scope_as_switched(enabled), d.platform) {
            *out.entry(p).or_default() += 1;
        }
    }
    Ok(out)
}

/// What the tenant's `DEPLOYED#` records add up to.
#[derive(Default)]
struct DeployedCounts {
    /// Per platform, devices by item and state.
    items: BTreeMap<Platform, BTreeMap<DeployItem, BTreeMap<ItemStatus, usize>>>,
    /// Devices that still carry an item.
    carrying: usize,
    /// Devices with a failed item.
    failed: usize,
    /// Devices that wait for the admin.
    permanent: usize,
}

/// Counts the tenant's `DEPLOYED#` records one page at a time.
async fn count_deployed(s: &Store, tenant: &str) -> Result<DeployedCounts, StoreError> {
    let mut out = DeployedCounts::default();
    let mut cursor = s.deployed_cursor(tenant);
    while let Some(r) = cursor.next().await? {
        if let Some(p) = r.platform {
            let per_item = out.items.entry(p).or_default();
            for (item, st) in &r.items {
                *per_item.entry(*item).or_default().entry(st.status).or_default() += 1;
            }
        }
        out.carrying += usize::from(r.carries_items());
        out.failed += usize::from(r.items.values().any(|i| i.status == ItemStatus::Failed));
        out.permanent += usize::from(r.permanent_failure);
    }
    Ok(out)
}

/// `GET /deployments/devices/{deviceId}`.
#[utoipa::path(get, path = "/deployments/devices/{deviceId}", tag = "deployment", operation_id = "getDeviceDeployment",
    description = "Roles: admin, technician. What a device carries, item by item, with attempts and the UEM's reason for a failure.",
    params(("deviceId" = String, Path, description = "The UEM's device id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The device", body = DeviceDeployment),
        (status = 404, description = "No such device", body = ErrorBody),
        PathRefused, Unauthorized))]
pub async fn device(deps: &Deps, req: &ApiRequest, id: &str) -> Result<Response<Body>, ApiError> {
    if !is_safe_id(id) {
        return Err(ApiError::not_found("device"));
    }
    let tenant = req.caller.tenant.as_str();
    let dev = deps.store.get_device(tenant, id).await?;
    let dep = deps.store.get_deployed(tenant, id).await?;
    if dev.is_none() && dep.is_none() {
        return Err(ApiError::not_found("device"));
    }
    let platform = dev.as_ref().and_then(|d| d.platform).or(dep.as_ref().and_then(|d| d.platform));
    let rec = match platform {
        Some(p) => deps.store.get_platform(tenant, p).await?,
        None => None,
    };
    let enabled: HashSet<Platform> = rec.iter().filter(|r| r.enabled).map(|r| r.platform).collect();
    let current = rec.map(|r| r.payload_hash);
    let view = DeviceDeployment {
        device_id: id.to_string(),
        platform,
        in_scope: dev.as_ref().is_some_and(|d| d.in_scope_as_switched(&enabled)),
        group_id: dep.as_ref().and_then(|d| d.group_id.clone()),
        carries_current_payload: matches!((&current, dep.as_ref().and_then(|d| d.payload_hash.as_ref())), (Some(c), Some(h)) if c == h),
        items: dep
            .as_ref()
            .map(|d| {
                d.items
                    .iter()
                    .map(|(k, v)| {
                        (
                            *k,
                            ItemView {
                                status: v.status,
                                attempts: v.attempts,
                                last_attempt_at: v.last_attempt_at.clone(),
                                error: v.error.clone(),
                                updated_at: v.updated_at.clone(),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        retry_at: dep
            .as_ref()
            .and_then(|d| d.retry_at)
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .map(odt_shared::clock::rfc3339),
        permanent_failure: dep.as_ref().is_some_and(|d| d.permanent_failure),
    };
    Ok(json_response(StatusCode::OK, &view))
}

/// `POST /deployments/run`: "Install Okta Verify" / "retry now".
#[utoipa::path(post, path = "/deployments/run", tag = "deployment", operation_id = "runDeployments",
    description = "Role: admin. Deploys now to every in-scope device and retries every failed one, whatever its backoff; takes items off devices that left. Idempotent: what is already true costs no UEM change.",
    security(("bearer" = [])),
    responses((status = 200, description = "What the run did", body = RunReport),
        (status = 409, description = "Device trust or the UEM is not set up", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn run_now(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let report = run_tenant(deps, req.caller.tenant.as_str(), &RunScope::retry_now()).await?;
    match report.blocked.as_deref() {
        Some("device_trust_not_configured") => {
            Err(Error::device_trust_not_configured("choose the Okta org for device trust first").into())
        }
        Some("uem_not_connected") => Err(Error::uem_not_connected().into()),
        _ => Ok(json_response(StatusCode::OK, &report)),
    }
}
