//! Per-device configuration status from evidence: the device record (scope), what deploy-trigger applied
//! (`DEPLOYED#`), and what Okta and the UEM report (`EVIDENCE#`: the device user link's `managementStatus`, the
//! policy's payload state, Okta Verify installed). A payload the UEM delivered that never produced a managed
//! device in Okta shows as `delivered`, not as done.

use crate::renewals::{certificate_facts, PlatformsNow, RenewalDue};
pub use crate::state::OdtState;
use odt_exports::{Cell, Column, ColumnKind};
use odt_shared::platform::Platform;
use odt_shared::store::{DeployItem, DeployedRecord, DeviceRecord, EvidenceRecord, ItemStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// One device's status, as the API and the exports show it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceStatus {
    /// The UEM's device id.
    pub device_id: String,
    /// The device's name in the UEM.
    pub device_name: String,
    /// The device-trust platform; absent for a platform device trust does not cover.
    pub platform: Option<Platform>,
    /// The OS version the UEM reports.
    pub os_version: String,
    /// The owner's email in the UEM (what is matched to an Okta user's login or primary email).
    pub owner_email: Option<String>,
    /// When the device stays with the Okta user it was linked to although the UEM owner's email above names no
    /// Okta user any more (the user was renamed, C28): that user's login, which the UEM owner should be changed
    /// to. Absent when the owner's email names the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_email_mismatch: Option<String>,
    /// Whether device trust covers the device now: the fleet's decision as the platform switches stand (false at
    /// once when its platform is switched off), and false whenever device trust is not active.
    pub in_scope: bool,
    /// Why the device is out of scope (the first scope rule it fails, `platform_disabled` at once when its
    /// platform is switched off); absent when in scope, and when only device trust being off leaves it out.
    pub exclusion: Option<String>,
    /// The device-trust state (see its values).
    pub odt_status: OdtState,
    /// `yes`, `no` or `unknown` (the UEM's app inventory of the device).
    pub okta_verify_installed: String,
    /// `yes` when Okta has this device (matched by serial number or UDID) linked to its owner, the UEM owner
    /// matched to an Okta user (Okta Verify registered by them); `no` otherwise, also when Okta links it only to
    /// other users.
    pub okta_verify_configured: String,
    /// macOS: `yes` when the SSO extension was applied and the UEM reports the profile carrying it applied on the
    /// device, else `no`; other platforms: `n/a`.
    pub sso_extension: String,
    /// The attestation payload (SCEP profile on macOS/Windows, app config on iOS/Android): `applied`,
    /// `pending`, `failed`, `removed` or `n/a`.
    pub attestation_payload: String,
    /// Whether the device still carries an older payload (e.g. the previous secret key) than its platform's.
    pub old_payload: bool,
    /// Deployment attempts since the last success.
    pub attempts: u32,
    /// When deployment last tried to add or take off this device's items (RFC 3339).
    pub last_attempt_at: Option<String>,
    /// Why the last deployment attempt failed (the UEM's reason as deploy-trigger recorded it), else the UEM's
    /// error for the payload on the device; absent when neither has one.
    pub last_error: Option<String>,
    /// What the admin does next for this device, in a few words: one text per state and, out of scope, per
    /// reason (the exports' `next_step` column).
    pub next_step: String,
    /// When the UEM portal refused a call the product needs for this device (state `unsupported`): the call,
    /// the portal's status and the manual step that replaces it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<odt_shared::uem::Unsupported>,
    /// macOS and Windows: when the attestation was last delivered (RFC 3339), the start of its SCEP certificate's
    /// year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attested_at: Option<String>,
    /// macOS and Windows: days since that delivery (Okta's certificates last 365).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_age_days: Option<i64>,
    /// macOS and Windows: when the attestation is delivered again (RFC 3339), and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_reason: Option<odt_shared::attestation::freshness::Reason>,
    /// The selected Okta groups the owner belongs to (for the group filter).
    #[serde(skip)]
    pub groups: Vec<String>,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn item_status(dep: Option<&DeployedRecord>, item: DeployItem) -> Option<ItemStatus> {
    dep.and_then(|d| d.items.get(&item)).map(|i| i.status)
}

/// The status of one device (its record as the platform switches stand, [`DeviceRecord::as_switched`]).
/// `trust_off`: device trust is not active (being deleted, or gone), so no device is covered; `current_payload`:
/// each platform's current payload hash.
pub fn device_status(
    dev: &DeviceRecord,
    dep: Option<&DeployedRecord>,
    ev: Option<&EvidenceRecord>,
    trust_off: bool,
    platforms: &PlatformsNow,
) -> DeviceStatus {
    let current_payload = &platforms.payload;
    let payload_state = ev.and_then(|e| e.payload_state.as_deref());
    let platform = dev.platform;
    let sso = match platform {
        Some(Platform::Macos) => yes_no(
            item_status(dep, DeployItem::SsoExtension) == Some(ItemStatus::Applied) && payload_state == Some("applied"),
        ),
        _ => "n/a".to_string(),
    };
    let installed = match ev.and_then(|e| e.okta_verify_installed) {
        Some(b) => yes_no(b),
        None => "unknown".to_string(),
    };
    let old_payload = match (dep.and_then(|d| d.payload_hash.as_ref()), platform.and_then(|p| current_payload.get(&p)))
    {
        (Some(have), Some(want)) => have != want,
        _ => false,
    };
    let (attempts, last_attempt_at, last_error) = attempts(dep, ev);
    let in_scope = dev.in_scope && !trust_off;
    let odt_status = state(dev, dep, ev, trust_off);
    let unsupported = unsupported(dep);
    let cert = certificate_facts(&dev.device_id, platform, dep, ev, platforms);
    DeviceStatus {
        device_id: dev.device_id.clone(),
        device_name: dev.name.clone(),
        platform,
        os_version: dev.os_version.clone(),
        owner_email: dev.owner_email.clone(),
        owner_email_mismatch: dev.owner_email_mismatch.clone(),
        in_scope,
        exclusion: dev
            .exclusion
            .and_then(|e| serde_json::to_value(e).ok())
            .and_then(|v| v.as_str().map(str::to_string)),
        odt_status,
        next_step: crate::state::next_step(odt_status, dev.exclusion.filter(|_| !in_scope)).to_string(),
        okta_verify_installed: installed,
        // The owner's device user link (its managementStatus is there only then), not any match in Okta.
        okta_verify_configured: yes_no(ev.is_some_and(|e| e.management_status.is_some())),
        sso_extension: sso,
        attestation_payload: attestation(in_scope, dep, payload_state),
        old_payload,
        attempts,
        last_attempt_at,
        last_error,
        unsupported,
        attested_at: cert.attested_at,
        certificate_age_days: cert.age_days,
        renewal_due_at: cert.renewal_due_at,
        renewal_reason: cert.renewal_reason,
        groups: dev.owner_selected_groups.clone(),
    }
}

/// The device-trust state: what deploy-trigger applied, then what the UEM and Okta report.
fn state(dev: &DeviceRecord, dep: Option<&DeployedRecord>, ev: Option<&EvidenceRecord>, trust_off: bool) -> OdtState {
    let statuses: Vec<ItemStatus> = dep.map(|d| d.items.values().map(|i| i.status).collect()).unwrap_or_default();
    let any = |s: &[ItemStatus]| statuses.iter().any(|x| s.contains(x));
    let all_applied = !statuses.is_empty() && statuses.iter().all(|s| *s == ItemStatus::Applied);
    let payload_state = ev.and_then(|e| e.payload_state.as_deref());
    let carries = dep.is_some_and(|d| d.carries_items());
    if trust_off || (!dev.in_scope && carries && !any(&[ItemStatus::Removed])) {
        if carries {
            OdtState::Removing
        } else {
            OdtState::NotInScope
        }
    } else if !dev.in_scope {
        OdtState::NotInScope
    } else if unsupported(dep).is_some() {
        OdtState::Unsupported
    } else if any(&[ItemStatus::Failed]) || payload_state == Some("failed") {
        OdtState::Failed
    } else if ev.is_some_and(|e| e.okta_record_lost.is_some()) {
        OdtState::MustEnrollAgain
    } else if !all_applied || payload_state != Some("applied") {
        OdtState::Pending
    } else {
        match ev.and_then(|e| e.management_status.as_deref()) {
            Some("MANAGED") => OdtState::Managed,
            Some(_) if ev.is_some_and(|e| e.managed_before) => OdtState::NotManaged,
            Some(_) => OdtState::AwaitingFastpass,
            None => OdtState::Delivered,
        }
    }
}

/// The refusal a failed item of `dep` records (its reason is [`odt_shared::uem::UemError::Unsupported`]'s text).
fn unsupported(dep: Option<&DeployedRecord>) -> Option<odt_shared::uem::Unsupported> {
    dep?.items
        .values()
        .filter(|i| i.status == ItemStatus::Failed)
        .find_map(|i| i.error.as_deref().and_then(odt_shared::uem::Unsupported::from_reason))
}

/// The attestation payload's column: the UEM's state when it reports one, else what deploy-trigger recorded.
fn attestation(in_scope: bool, dep: Option<&DeployedRecord>, payload_state: Option<&str>) -> String {
    match (payload_state, item_status(dep, DeployItem::Attestation)) {
        (_, Some(ItemStatus::Removed)) => "removed".to_string(),
        (Some(p), _) if p != "unknown" => p.to_string(),
        (_, Some(ItemStatus::Failed)) => "failed".to_string(),
        (_, Some(_)) => "pending".to_string(),
        (_, None) if in_scope => "pending".to_string(),
        _ => "n/a".to_string(),
    }
}

/// Deployment attempts since the last success, the last attempt's time, and the last error (deploy-trigger's,
/// else the UEM's).
fn attempts(dep: Option<&DeployedRecord>, ev: Option<&EvidenceRecord>) -> (u32, Option<String>, Option<String>) {
    let uem_error = || ev.and_then(|e| e.payload_error.clone());
    match dep {
        Some(d) => {
            let attempts = d.items.values().map(|i| i.attempts).max().unwrap_or(0);
            let last = d.items.values().filter_map(|i| i.last_attempt_at.clone()).max();
            (attempts, last, d.items.values().find_map(|i| i.error.clone()).or_else(uem_error))
        }
        None => (0, None, uem_error()),
    }
}

/// The CSV's columns, in order; the ids are its first row and never change, and its cells hold the API's values
/// (`not_in_scope`, `platform_disabled`). The PDF report has its own columns, in words ([`crate::report`]); the
/// widths here are unused by it.
pub const COLUMNS: [Column; 21] = [
    Column { id: "device_id", title: "Device ID", kind: ColumnKind::Text, width: 3.2 },
    Column { id: "device_name", title: "Device", kind: ColumnKind::Text, width: 5.3 },
    Column { id: "platform", title: "Platform", kind: ColumnKind::Text, width: 3.4 },
    Column { id: "os_version", title: "OS", kind: ColumnKind::Text, width: 4.0 },
    Column { id: "owner_email", title: "Owner", kind: ColumnKind::Text, width: 7.2 },
    Column { id: "in_scope", title: "In scope", kind: ColumnKind::Text, width: 2.2 },
    Column { id: "exclusion", title: "Excluded because", kind: ColumnKind::Text, width: 7.9 },
    Column { id: "odt_status", title: "ODT status", kind: ColumnKind::Text, width: 6.9 },
    Column { id: "okta_verify_installed", title: "OV installed", kind: ColumnKind::Text, width: 3.4 },
    Column { id: "okta_verify_configured", title: "OV configured", kind: ColumnKind::Text, width: 2.8 },
    Column { id: "sso_extension", title: "SSO ext.", kind: ColumnKind::Text, width: 2.4 },
    Column { id: "attestation_payload", title: "SCEP / app config", kind: ColumnKind::Text, width: 3.7 },
    Column { id: "old_payload", title: "Old payload", kind: ColumnKind::Text, width: 2.2 },
    Column { id: "attempts", title: "Attempts", kind: ColumnKind::Number, width: 2.4 },
    Column { id: "last_attempt_at", title: "Last attempt", kind: ColumnKind::Text, width: 4.5 },
    Column { id: "last_error", title: "Last error", kind: ColumnKind::Text, width: 4.5 },
    Column { id: "next_step", title: "Next step", kind: ColumnKind::Text, width: 10.5 },
    Column { id: "attested_at", title: "Attested", kind: ColumnKind::Text, width: 4.5 },
    Column { id: "certificate_age_days", title: "Certificate age (days)", kind: ColumnKind::Number, width: 2.4 },
    Column { id: "renewal_due_at", title: "Renewal due", kind: ColumnKind::Text, width: 4.5 },
    Column { id: "renewal_reason", title: "Renewal reason", kind: ColumnKind::Text, width: 3.4 },
];
fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

impl DeviceStatus {
    /// Its next attestation re-delivery, when it is in scope on a SCEP platform and has one.
    pub fn renewal(&self) -> Option<RenewalDue> {
        let (Some(platform), Some(due_at), Some(reason)) =
            (self.platform, self.renewal_due_at.clone(), self.renewal_reason)
        else {
            return None;
        };
        self.in_scope.then(|| RenewalDue {
            device_id: self.device_id.clone(),
            device_name: self.device_name.clone(),
            platform,
            due_at,
            reason,
        })
    }

    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> Vec<Cell> {
        vec![
            text(self.device_id.clone()),
            text(self.device_name.clone()),
            text(self.platform.map(|p| p.as_str()).unwrap_or("")),
            text(self.os_version.clone()),
            text(self.owner_email.clone().unwrap_or_default()),
            text(yes_no(self.in_scope)),
            text(self.exclusion.clone().unwrap_or_default()),
            text(self.odt_status.as_str()),
            text(self.okta_verify_installed.clone()),
            text(self.okta_verify_configured.clone()),
            text(self.sso_extension.clone()),
            text(self.attestation_payload.clone()),
            text(yes_no(self.old_payload)),
            Cell::Number(i64::from(self.attempts)),
            text(self.last_attempt_at.clone().unwrap_or_default()),
            text(self.last_error.clone().unwrap_or_default()),
            text(self.next_step.clone()),
            text(self.attested_at.clone().unwrap_or_default()),
            self.certificate_age_days.map_or(Cell::Empty, Cell::Number),
            text(self.renewal_due_at.clone().unwrap_or_default()),
            text(self.renewal_reason.map(|r| r.as_str()).unwrap_or_default()),
        ]
    }
}
