//! A device's decision as reconciliation writes it: the desired record from the gathered facts, and the
//! re-decision from the facts a record carries (what the hook consumer and a merge use).

use crate::facts::Gathered;
use odt_shared::platform::Platform;
use odt_shared::scope::{decide, ScopeFacts};
use odt_shared::store::DeviceRecord;
use odt_shared::uem::UemDevice;
use std::collections::HashMap;

/// The desired record of a device given the gathered facts (keeping the stored bookkeeping).
pub fn desired(tenant: &str, d: &UemDevice, g: &Gathered, stored: Option<&DeviceRecord>, now: &str) -> DeviceRecord {
    let decision = decide(d, &g.facts, stored.and_then(|s| s.okta_user_id.as_deref()));
    let hash = if decision.in_scope() { d.platform.and_then(|p| g.payload_hashes.get(&p).cloned()) } else { None };
    let owner = decision.okta_user_id.as_deref().and_then(|id| g.facts.user_by_id(id));
    let mut owner_selected_groups = owner.and_then(|u| g.member_groups.get(&u.id)).cloned().unwrap_or_default();
    owner_selected_groups.sort();
    DeviceRecord {
        name: d.name.clone(),
        platform: d.platform,
        os_version: d.os_version.clone(),
        serial: d.serial.clone(),
        udid: d.udid.clone(),
        owner_email: d.owner_email.clone(),
        in_scope: decision.in_scope(),
        owner_email_mismatch: decision.owner_email_mismatch.clone(),
        exclusion: decision.exclusion,
        desired_payload_hash: hash,
        enrollment: d.enrollment,
        owner_status: owner.map(|u| u.status.clone()),
        owner_selected_groups,
        in_selected_device_group: g.facts.selected_devices.contains(&d.id),
        version: stored.map(|s| s.version + 1).unwrap_or(1),
        ..DeviceRecord::new(tenant, &d.id, decision.okta_user_id, now)
    }
}

/// Re-decides a record from the facts it carries (owner state, the owner's selected groups, device-group
/// membership, platform, OS, enrollment) and the platforms switched on (with their payload hashes).
pub fn redecide_record(rec: &mut DeviceRecord, enabled: &HashMap<Platform, String>) {
    if rec.okta_user_id.is_none() {
        // No owner, an owner Okta does not have, or one two users claim (C26): only Okta's users can change
        // that, and the record does not carry them; the reason stored stands (it comes before every other).
        return;
    }
    let device = UemDevice {
        id: rec.device_id.clone(),
        name: rec.name.clone(),
        platform: rec.platform,
        os_version: rec.os_version.clone(),
        serial: None,
        udid: None,
        enrollment: rec.enrollment,
        owner_email: rec.owner_email.clone(),
        owner_id: None,
    };
    let mut facts = ScopeFacts::default();
    if let (Some(email), Some(uid)) = (&rec.owner_email, &rec.okta_user_id) {
        facts.add_user(uid, rec.owner_status.as_deref().unwrap_or(""), email, None);
        if !rec.owner_selected_groups.is_empty() {
            facts.selected_members.insert(uid.clone());
        }
    }
    if rec.in_selected_device_group {
        facts.selected_devices.insert(rec.device_id.clone());
    }
    facts.enabled_platforms.extend(enabled.keys().copied());
    let d = decide(&device, &facts, rec.okta_user_id.as_deref());
    rec.in_scope = d.in_scope();
    rec.exclusion = d.exclusion;
    rec.desired_payload_hash = if d.in_scope() { rec.platform.and_then(|p| enabled.get(&p).cloned()) } else { None };
}
