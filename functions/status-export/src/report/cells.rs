//! The device table of the PDF report: its columns and a device's cells, in words.

use crate::state::{exclusion_label, parse_exclusion};
use crate::status::DeviceStatus;
use odt_exports::{Cell, Column, ColumnKind};
use odt_shared::platform::Platform;

/// A Text column of the report's tables.
pub(super) const fn text(id: &'static str, title: &'static str, width: f32) -> Column {
    Column { id, title, kind: ColumnKind::Text, width }
}

/// The device table's columns, in order: who the device is, its state, why and what to do next first. Widths in
/// points (they sum to the 770 pt between the margins), wide enough that no title, label, next step or other
/// fixed value breaks inside a word (a test checks each).
pub const PDF_COLUMNS: [Column; 13] = [
    text("device_id", "Device ID", 40.0),
    text("device_name", "Device", 72.0),
    text("odt_status", "State", 66.0),
    text("exclusion", "Excluded because", 72.0),
    text("next_step", "Next step", 84.0),
    text("platform", "Platform", 68.0),
    text("owner_email", "Owner", 84.0),
    text("okta_verify", "Okta Verify", 52.0),
    text("attestation_payload", "Attestation", 50.0),
    text("sso_extension", "SSO extension", 45.0),
    Column { id: "attempts", title: "Tries", kind: ColumnKind::Number, width: 27.0 },
    text("last_attempt_at", "Last attempt", 47.0),
    text("last_error", "Last error", 63.0),
];

/// A device's row, in [`PDF_COLUMNS`] order.
pub fn cells(s: &DeviceStatus) -> Vec<Cell> {
    let t = |v: String| if v.is_empty() { Cell::Empty } else { Cell::Text(v) };
    let reason =
        s.exclusion.as_deref().map(|e| parse_exclusion(e).map_or(e.to_string(), |x| exclusion_label(x).into()));
    let owner = match (&s.owner_email, &s.owner_email_mismatch) {
        (Some(email), Some(login)) => format!("{email} (Okta user: {login})"),
        (Some(email), None) => email.clone(),
        (None, _) => String::new(),
    };
    vec![
        t(s.device_id.clone()),
        t(s.device_name.clone()),
        t(s.odt_status.label().into()),
        t(reason.unwrap_or_default()),
        t(s.next_step.clone()),
        t(format!("{} {}", s.platform.map_or("Other", Platform::label), s.os_version).trim().to_string()),
        t(owner),
        t(okta_verify(&s.okta_verify_installed, &s.okta_verify_configured)),
        t(attestation(&s.attestation_payload, s.old_payload)),
        t(match s.sso_extension.as_str() {
            "yes" => "Applied".into(),
            "no" => "Not applied".into(),
            _ => String::new(),
        }),
        Cell::Number(i64::from(s.attempts)),
        t(s.last_attempt_at.as_deref().map(utc_minutes).unwrap_or_default()),
        t(s.last_error.clone().unwrap_or_default()),
    ]
}

/// Okta Verify in a few words: installed (as the UEM reports) and set up (Okta links the device to its owner).
pub(super) fn okta_verify(installed: &str, configured: &str) -> String {
    let installed = match installed {
        "yes" => "Installed",
        "no" => "Not installed",
        _ => "Not reported",
    };
    let set_up = if configured == "yes" { "set up" } else { "not set up" };
    format!("{installed}, {set_up}")
}

/// The attestation payload's state in words, and whether the device still carries an older one.
pub(super) fn attestation(payload: &str, old: bool) -> String {
    let state = match payload {
        "applied" => "Applied",
        "pending" => "Pending",
        "failed" => "Failed",
        "removed" => "Removed",
        "n/a" | "" => "",
        other => other,
    };
    match (state, old) {
        (s, true) if !s.is_empty() => format!("{s}, older payload"),
        (_, true) => "Older payload".into(),
        (s, false) => s.to_string(),
    }
}

/// An RFC 3339 time as `2026-11-29 08:00 UTC`; anything else as it is.
pub(super) fn utc_minutes(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            let (month, day, hour, minute) = (u8::from(t.month()), t.day(), t.hour(), t.minute());
            format!("{}-{month:02}-{day:02} {hour:02}:{minute:02} UTC", t.year())
        }
        Err(_) => rfc3339.to_string(),
    }
}
