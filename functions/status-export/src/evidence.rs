//! Reading the evidence: Okta's device records with their device user links (`GET /api/v1/devices?expand=user`,
//! every page), matched to UEM devices by serial number or UDID, and the UEM's per-device state of each platform
//! policy (payload landed, Okta Verify installed). Written per device as `EVIDENCE#`, only where it changed. A
//! device that had an Okta device and now has none has lost its Okta device record (case C27).

use futures::stream::{self, StreamExt};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::okta::OktaDevice;
use odt_shared::pacing::CallClass;
use odt_shared::store::{DeviceRecord, EvidenceRecord, StoreError};
use odt_shared::uem::{PayloadState, Uem, UemError};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The Okta scope evidence needs.
pub const SCOPES: [&str; 1] = ["okta.devices.read"];

/// What a refresh did.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    /// Device records whose evidence was read.
    pub devices: usize,
    /// Okta device records read.
    pub okta_devices: usize,
    /// UEM devices matched to an Okta device (by serial number or UDID).
    pub matched: usize,
    /// Evidence records written (changed or new); one a concurrent refresh wrote first is not counted.
    pub written: usize,
    /// When the evidence was read (RFC 3339).
    pub checked_at: String,
}

/// The UEM's view of a device under one platform policy: payload state, the UEM's error, Okta Verify installed.
type UemState = (PayloadState, Option<String>, Option<bool>);

/// Reads the evidence for every device of `tenant` and writes what changed. Errors: device trust or the UEM
/// not set up; Okta (stored credentials), the UEM or the store failing.
pub async fn refresh(deps: &Deps, tenant: &str) -> Result<RefreshReport, Error> {
    let (_, okta) = deps.device_trust_okta(tenant, &SCOPES).await?;
    let uem = deps.connected_uem(tenant, CallClass::Evidence).await?;
    let now = rfc3339(deps.clock.now());
    let okta_devices = okta.list_devices().await?;
    let by_hw = hardware_index(&okta_devices);
    let uem_view = uem_view(deps, uem.as_ref(), tenant).await?;
    let mut report = RefreshReport { okta_devices: okta_devices.len(), checked_at: now.clone(), ..Default::default() };
    let devices = deps.store.list_devices(tenant).await?;
    let stored: HashMap<String, EvidenceRecord> =
        deps.store.list_evidence(tenant).await?.into_iter().map(|e| (e.device_id.clone(), e)).collect();
    let mut writes = Vec::new();
    for d in &devices {
        report.devices += 1;
        let okta_dev = hardware_keys(d.serial.as_deref(), d.udid.as_deref())
            .find_map(|k| by_hw.get(&k))
            .map(|i| &okta_devices[*i]);
        report.matched += usize::from(okta_dev.is_some());
        let old = stored.get(&d.device_id);
        let rec = evidence_of(tenant, d, okta_dev, uem_view.get(&d.device_id), old, &now);
        if old.is_none_or(|o| !o.same(&rec)) {
            writes.push((rec, old.map(|o| o.version)));
        }
    }
    report.written = write_changed(deps, writes).await?;
    Ok(report)
}

/// A device's non-empty hardware keys (serial number, UDID), normalized for matching.
fn hardware_keys<'a>(serial: Option<&'a str>, udid: Option<&'a str>) -> impl Iterator<Item = String> + 'a {
    [serial, udid].into_iter().flatten().filter(|k| !k.trim().is_empty()).map(|k| k.trim().to_ascii_lowercase())
}

/// Okta's devices by hardware key: key → index in `devices`.
fn hardware_index(devices: &[OktaDevice]) -> HashMap<String, usize> {
    let mut by_hw = HashMap::new();
    for (i, d) in devices.iter().enumerate() {
        for k in hardware_keys(d.serial_number.as_deref(), d.udid.as_deref()) {
            by_hw.insert(k, i);
        }
    }
    by_hw
}

/// The UEM's view of each platform policy deployed: device id → its state. A policy the UEM no longer has is
/// skipped.
async fn uem_view(deps: &Deps, uem: &dyn Uem, tenant: &str) -> Result<HashMap<String, UemState>, Error> {
    let mut view = HashMap::new();
    for dep in deps.store.list_deployments(tenant).await? {
        let Some(policy) = &dep.policy_id else { continue };
        let rows = match uem.policy_device_status(policy).await {
            Ok(r) => r,
            Err(UemError::NotFound(_)) => continue,
            // A portal without the (undocumented) per-device policy status: no UEM evidence for this policy; the
            // devices' status rests on deploy-trigger's record and Okta's managementStatus.
            Err(UemError::Unsupported { call, manual_step, .. }) => {
                tracing::warn!(tenant, policy, call, manual_step, "the UEM portal refused the policy status");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for r in rows {
            let installed = dep
                .app_id
                .as_ref()
                .and_then(|app| r.apps_installed.iter().find(|(id, _)| id == app).map(|(_, ok)| *ok));
            view.insert(r.device_id.clone(), (r.payload, r.error.clone(), installed));
        }
    }
    Ok(view)
}

/// Device `d`'s evidence as of `now`: its owner's device user link in Okta (when Okta has the device) and the
/// UEM's state of its policy; versioned after `old`.
fn evidence_of(
    tenant: &str,
    d: &DeviceRecord,
    okta_dev: Option<&OktaDevice>,
    uem: Option<&UemState>,
    old: Option<&EvidenceRecord>,
    now: &str,
) -> EvidenceRecord {
    let management_status = okta_dev.and_then(|o| {
        let link = o.users.iter().find(|u| Some(&u.user_id) == d.okta_user_id.as_ref());
        link.map(|l| l.management_status.clone().unwrap_or_else(|| "NOT_MANAGED".to_string()))
    });
    let (payload_state, payload_error, installed) = match uem {
        Some((p, e, i)) => {
            let name = serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string));
            (name, e.clone(), *i)
        }
        None => (None, None, None),
    };
    EvidenceRecord {
        okta_device_id: okta_dev.map(|o| o.id.clone()),
        managed_before: old.is_some_and(|o| o.managed_before) || management_status.as_deref() == Some("MANAGED"),
        okta_record_lost: record_lost(okta_dev, old),
        managed_at: managed_at(management_status.as_deref(), old, now),
        management_status,
        payload_state,
        payload_error,
        okta_verify_installed: installed,
        version: old.map_or(1, |o| o.version + 1),
        ..EvidenceRecord::new(tenant, &d.device_id, now)
    }
}

/// When the device last became `MANAGED`: now when it is and was not at the last refresh, else as it was.
fn managed_at(status: Option<&str>, old: Option<&EvidenceRecord>, now: &str) -> Option<String> {
    let was = old.and_then(|o| o.management_status.as_deref()) == Some("MANAGED");
    match (status == Some("MANAGED"), was) {
        (true, false) => Some(now.to_string()),
        _ => old.and_then(|o| o.managed_at.clone()),
    }
}

/// The Okta device id whose record Okta deleted (case C27): none while Okta has a device for it; else the one the
/// device had at the last read (or the one already known lost).
fn record_lost(okta_dev: Option<&OktaDevice>, old: Option<&EvidenceRecord>) -> Option<String> {
    if okta_dev.is_some() {
        return None;
    }
    old.and_then(|o| o.okta_device_id.clone().or_else(|| o.okta_record_lost.clone()))
}

/// Writes each record conditional on the version read (16 at a time) and returns how many were written. A
/// record another refresh wrote meanwhile is left as that one wrote it, and not counted (case C30).
async fn write_changed(deps: &Deps, writes: Vec<(EvidenceRecord, Option<u64>)>) -> Result<usize, Error> {
    let results: Vec<Result<bool, StoreError>> = stream::iter(writes)
        .map(|(rec, expected)| async move {
            match deps.store.put_evidence(&rec, expected).await {
                Ok(()) => Ok(true),
                Err(StoreError::VersionConflict { .. }) => Ok(false),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut written = 0;
    for r in results {
        written += usize::from(r?);
    }
    Ok(written)
}
