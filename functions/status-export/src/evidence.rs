//! Reading the evidence: Okta's device records with their device user links (`GET /api/v1/devices?expand=user`,
//! every page), matched to UEM devices by serial number or UDID, and the UEM's per-device state of each platform
//! policy (payload landed, Okta Verify installed). Written per device as `EVIDENCE#`, only where it changed.

use futures::stream::{self, StreamExt};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::{okta_failure, uem_failure};
use odt_shared::store::{EvidenceRecord, StoreError};
use odt_shared::uem::{PayloadState, UemError};
use odt_shared::ApiError;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// The Okta scope evidence needs.
pub const SCOPES: [&str; 1] = ["okta.devices.read"];

/// What a refresh did.
#[derive(Debug, Default, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshReport {
    pub devices: usize,
    /// Okta device records read.
    pub okta_devices: usize,
    /// UEM devices matched to an Okta device (by serial number or UDID).
    pub matched: usize,
    /// Evidence records written (changed or new).
    pub written: usize,
    pub checked_at: String,
}

fn key(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

/// Reads the evidence for every device of `tenant` and writes what changed.
pub async fn refresh(deps: &Deps, tenant: &str) -> Result<RefreshReport, ApiError> {
    let store_failure = odt_shared::error::store_failure;
    let (_, okta) = deps.device_trust_okta(tenant, &SCOPES).await?;
    let uem = deps
        .tenant_uem(tenant)
        .await?
        .ok_or_else(|| ApiError::conflict("uem_not_connected", "connect the UEM first (PUT /uem)"))?;
    let now = rfc3339(deps.clock.now());
    let okta_devices = okta.list_devices().await.map_err(okta_failure)?;
    let mut by_hw: HashMap<String, usize> = HashMap::new();
    for (i, d) in okta_devices.iter().enumerate() {
        for k in [d.serial_number.as_deref(), d.udid.as_deref()].into_iter().flatten().filter(|k| !k.trim().is_empty())
        {
            by_hw.insert(key(k), i);
        }
    }
    // The UEM's view of each platform's policy: device id → (payload state, error, Okta Verify installed).
    let mut uem_view: HashMap<String, (PayloadState, Option<String>, Option<bool>)> = HashMap::new();
    for dep in deps.store.list_deployments(tenant).await.map_err(store_failure)? {
        let Some(policy) = &dep.policy_id else { continue };
        let rows = match uem.policy_device_status(policy).await {
            Ok(r) => r,
            Err(UemError::NotFound(_)) => continue,
            Err(e) => return Err(uem_failure(e)),
        };
        for r in rows {
            let installed = dep
                .app_id
                .as_ref()
                .and_then(|app| r.apps_installed.iter().find(|(id, _)| id == app).map(|(_, ok)| *ok));
            uem_view.insert(r.device_id.clone(), (r.payload, r.error.clone(), installed));
        }
    }
    let mut report = RefreshReport { okta_devices: okta_devices.len(), checked_at: now.clone(), ..Default::default() };
    let devices = deps.store.list_devices(tenant).await.map_err(store_failure)?;
    let stored: HashMap<String, EvidenceRecord> = deps
        .store
        .list_evidence(tenant)
        .await
        .map_err(store_failure)?
        .into_iter()
        .map(|e| (e.device_id.clone(), e))
        .collect();
    let mut writes = Vec::new();
    for d in &devices {
        report.devices += 1;
        let okta_dev = [d.serial.as_deref(), d.udid.as_deref()]
            .into_iter()
            .flatten()
            .filter(|k| !k.trim().is_empty())
            .find_map(|k| by_hw.get(&key(k)))
            .map(|i| &okta_devices[*i]);
        report.matched += usize::from(okta_dev.is_some());
        let management_status = okta_dev.and_then(|o| {
            let link = o.users.iter().find(|u| Some(&u.user_id) == d.okta_user_id.as_ref());
            link.map(|l| l.management_status.clone().unwrap_or_else(|| "NOT_MANAGED".to_string()))
        });
        let (payload_state, payload_error, installed) = match uem_view.get(&d.device_id) {
            Some((p, e, i)) => {
                let name = serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string));
                (name, e.clone(), *i)
            }
            None => (None, None, None),
        };
        let old = stored.get(&d.device_id);
        let rec = EvidenceRecord {
            okta_device_id: okta_dev.map(|o| o.id.clone()),
            management_status,
            payload_state,
            payload_error,
            okta_verify_installed: installed,
            version: old.map_or(1, |o| o.version + 1),
            ..EvidenceRecord::new(tenant, &d.device_id, &now)
        };
        if old.is_none_or(|o| !o.same(&rec)) {
            writes.push((rec, old.map(|o| o.version)));
        }
    }
    let results: Vec<Result<(), StoreError>> = stream::iter(writes)
        .map(|(rec, expected)| async move {
            match deps.store.put_evidence(&rec, expected).await {
                Err(StoreError::VersionConflict { .. }) => Ok(()),
                other => other,
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.map_err(store_failure)?;
        report.written += 1;
    }
    Ok(report)
}
