//! Management attestation kept fresh on the SCEP platforms (macOS, Windows): when a device's attestation is
//! delivered again before Okta's client certificate stops attesting it.
//!
//! Okta (`../shared/okta/MDM.md` section 5, from Okta's "Okta CA" and Jamf/Intune guides): the client certificate
//! lasts one year; Okta does not accept SCEP renewal, so the MDM enrolls anew before expiry (Okta's Jamf guide
//! redistributes 120 days ahead); a certificate not used by a FastPass sign-in within 90 days is revoked on day
//! 91. So a device is due a new delivery:
//!
//! - for **renewal**: `renew_days` before a year after its last delivery, plus a stagger of up to
//!   [`STAGGER_DAYS`] days (at most half of `renew_days`) taken from a hash of the device id, so a group delivered
//!   on one day does not re-enroll on one day; every renewal still lands at least `renew_days / 2` days before
//!   the year is up;
//! - as **never managed**: 90 days after its last delivery when Okta has not reported it managed since (its
//!   certificate, if it ever got one, is revoked by then, so a new enrollment is its way back).
//!
//! Each due delivery has a key (the reason and the delivery it follows) that deploy-trigger records once it is
//! done (`DeployedRecord::redelivered_for`), so each is delivered once; the new delivery moves the next due date a
//! year on.

use time::{Duration, OffsetDateTime};

/// Days a client certificate Okta issues is valid (MDM.md section 5).
pub const CERTIFICATE_DAYS: i64 = 365;
/// Days after which Okta revokes a certificate no FastPass sign-in used (MDM.md section 5).
pub const UNUSED_REVOKED_DAYS: i64 = 90;
/// The default days before a certificate's year is up at which its renewal is due (Okta's Jamf guide: 120).
pub const DEFAULT_RENEW_DAYS: u32 = 120;
/// The renewal lead an admin may set, in days: at least 30 (a renewal needs the device online and its owner's
/// FastPass sign-in), at most 300 (a certificate then renews before its first 90 days end would matter).
pub const RENEW_DAYS: std::ops::RangeInclusive<u32> = 30..=300;
/// The longest stagger of renewals, in days.
pub const STAGGER_DAYS: u32 = 30;
/// The window `GET /status` lists renewals in, in days.
pub const UPCOMING_DAYS: i64 = 30;

/// Why a device's attestation is delivered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its certificate nears the end of its year.
    Renewal,
    /// Okta has not reported it managed within 90 days of the delivery.
    NeverManaged,
}

impl Reason {
    /// The wire name (`renewal`, `never_managed`), as the API and the CSV export write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Renewal => "renewal",
            Reason::NeverManaged => "never_managed",
        }
    }
}

/// The next delivery a device is due: why, when, and its key (recorded once done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub reason: Reason,
    pub at: OffsetDateTime,
    pub key: String,
}

/// The days (0 to `STAGGER_DAYS - 1`, at most half of `renew_days`) device `device_id`'s renewal is put off by:
/// the first 8 bytes of the SHA-256 of its id, so the same device always gets the same day.
fn stagger_days(device_id: &str, renew_days: u32) -> i64 {
    use sha2::Digest;
    let spread = u64::from(STAGGER_DAYS.min(renew_days / 2).max(1));
    let digest = sha2::Sha256::digest(device_id.as_bytes());
    let first = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (first % spread) as i64
}

/// The next delivery device `device_id` is due, its attestation last delivered at `delivered_at`, `renew_days`
/// before the year is up; `managed_since_delivery`: Okta reported the device managed after that delivery.
pub fn next_due(device_id: &str, delivered_at: OffsetDateTime, renew_days: u32, managed_since_delivery: bool) -> Due {
    let stamp = crate::clock::rfc3339(delivered_at);
    let renewal = delivered_at
        + Duration::days(CERTIFICATE_DAYS - i64::from(renew_days))
        + Duration::days(stagger_days(device_id, renew_days));
    let unmanaged = delivered_at + Duration::days(UNUSED_REVOKED_DAYS);
    if !managed_since_delivery && unmanaged <= renewal {
        return Due { reason: Reason::NeverManaged, at: unmanaged, key: format!("never managed since {stamp}") };
    }
    Due { reason: Reason::Renewal, at: renewal, key: format!("renewal of {stamp}") }
}

/// [`next_due`] from what is stored: the deployment's `attested_at` and the evidence's `managementStatus` and
/// `managed_at` (RFC 3339); managed since the delivery when Okta reports it `MANAGED` now or became managed after
/// it. `None` when the delivery time is absent or unreadable.
pub fn due_of(
    device_id: &str,
    attested_at: Option<&str>,
    renew_days: u32,
    management_status: Option<&str>,
    managed_at: Option<&str>,
) -> Option<Due> {
    let delivered = parse(attested_at?)?;
    let managed = management_status == Some("MANAGED") || managed_at.and_then(parse).is_some_and(|m| m >= delivered);
    Some(next_due(device_id, delivered, renew_days, managed))
}

fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day0() -> OffsetDateTime {
        // 2026-01-01T00:00:00Z.
        OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap()
    }

    #[test]
    fn a_managed_device_renews_renew_days_before_its_year_within_the_stagger() {
        for id in ["1", "2", "3", "10042", "abc"] {
            let due = next_due(id, day0(), 120, true);
            assert_eq!(due.reason, Reason::Renewal);
            let days = (due.at - day0()).whole_days();
            assert!((245..245 + i64::from(STAGGER_DAYS)).contains(&days), "{id}: {days}");
            assert_eq!(due.key, "renewal of 2026-01-01T00:00:00Z");
            // The same device, the same day.
            assert_eq!(next_due(id, day0(), 120, true), due);
        }
    }

    #[test]
    fn renewals_of_a_group_delivered_on_one_day_spread_over_the_stagger() {
        let days: std::collections::BTreeSet<i64> =
            (0..1000).map(|i| (next_due(&i.to_string(), day0(), 120, true).at - day0()).whole_days()).collect();
        assert_eq!(days.len(), STAGGER_DAYS as usize, "{days:?}");
    }

    #[test]
    fn a_short_lead_staggers_over_half_of_it_at_most() {
        for i in 0..200 {
            let due = next_due(&i.to_string(), day0(), 30, true);
            let before_expiry = (day0() + Duration::days(CERTIFICATE_DAYS) - due.at).whole_days();
            assert!((16..=30).contains(&before_expiry), "{before_expiry}");
        }
    }

    #[test]
    fn a_device_never_managed_is_due_after_90_days() {
        let due = next_due("7", day0(), 120, false);
        assert_eq!(due.reason, Reason::NeverManaged);
        assert_eq!((due.at - day0()).whole_days(), 90);
        assert_eq!(due.key, "never managed since 2026-01-01T00:00:00Z");
        // A lead so long that the renewal may come first: whichever is earlier.
        for i in 0..50 {
            let due = next_due(&i.to_string(), day0(), 300, false);
            let days = (due.at - day0()).whole_days();
            assert!(days <= 90, "{days}");
            assert_eq!(due.reason == Reason::Renewal, days < 90, "{due:?}");
        }
    }

    #[test]
    fn managed_since_the_delivery_from_stored_values() {
        let at = Some("2026-01-01T00:00:00Z");
        let due = |status, managed_at| due_of("7", at, 120, status, managed_at).unwrap().reason;
        assert_eq!(due(Some("MANAGED"), None), Reason::Renewal);
        assert_eq!(due(Some("NOT_MANAGED"), Some("2026-02-01T00:00:00Z")), Reason::Renewal);
        // Managed only before this delivery: not since.
        assert_eq!(due(Some("NOT_MANAGED"), Some("2025-06-01T00:00:00Z")), Reason::NeverManaged);
        assert_eq!(due(None, None), Reason::NeverManaged);
        assert_eq!(due_of("7", None, 120, None, None), None);
        assert_eq!(due_of("7", Some("yesterday"), 120, None, None), None);
    }
}
