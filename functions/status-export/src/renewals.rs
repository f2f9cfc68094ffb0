//! Attestation kept fresh, as status shows it (issue 21, part 4): each SCEP device's certificate age and next
//! re-delivery ([`odt_shared::attestation::freshness`], the rule deploy-trigger applies), the renewals due soon,
//! and each SCEP platform's Okta CA dates (the current one and the one it replaces).

use odt_shared::attestation::cert::CaCertificate;
use odt_shared::attestation::freshness::{self, Reason};
use odt_shared::clock::rfc3339;
use odt_shared::platform::Platform;
use odt_shared::store::{DeployedRecord, EvidenceRecord, PlatformRecord, PlatformSettings};
use serde::Serialize;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

/// Devices a status lists among the renewals due soon (the count covers them all).
pub const LISTED_RENEWALS: usize = 100;
/// Days before its end at which a CA certificate is said to end soon.
pub const CA_ENDS_SOON_DAYS: i64 = 180;

/// What the walk knows of each platform now: its payload hash, and on macOS and Windows the renewal lead.
#[derive(Debug, Clone)]
pub struct PlatformsNow {
    pub payload: HashMap<Platform, String>,
    pub renew_days: HashMap<Platform, u32>,
    pub now: OffsetDateTime,
}

impl PlatformsNow {
    /// From the platform records, at `now`.
    pub fn of(platforms: &[PlatformRecord], now: OffsetDateTime) -> Self {
        let payload = platforms.iter().map(|p| (p.platform, p.payload_hash.clone())).collect();
        let renew_days = platforms
            .iter()
            .filter_map(|p| match &p.settings {
                PlatformSettings::Desktop { renew_days, .. } => Some((p.platform, *renew_days)),
                PlatformSettings::Mobile { .. } => None,
            })
            .collect();
        PlatformsNow { payload, renew_days, now }
    }
}

/// A device's SCEP certificate as status shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificateFacts {
    pub attested_at: Option<String>,
    pub age_days: Option<i64>,
    pub renewal_due_at: Option<String>,
    pub renewal_reason: Option<Reason>,
}

/// Device `device_id`'s certificate facts on `platform` (macOS and Windows with a delivery time; none else).
pub fn certificate_facts(
    device_id: &str,
    platform: Option<Platform>,
    dep: Option<&DeployedRecord>,
    ev: Option<&EvidenceRecord>,
    p: &PlatformsNow,
) -> CertificateFacts {
    let Some(renew_days) = platform.and_then(|pl| p.renew_days.get(&pl)) else { return CertificateFacts::default() };
    let attested_at = dep.and_then(|d| d.attested_at.clone());
    let (status, managed_at) =
        (ev.and_then(|e| e.management_status.as_deref()), ev.and_then(|e| e.managed_at.as_deref()));
    let due = freshness::due_of(device_id, attested_at.as_deref(), *renew_days, status, managed_at);
    let age_days = attested_at
        .as_deref()
        .and_then(|a| OffsetDateTime::parse(a, &time::format_description::well_known::Rfc3339).ok())
        .map(|a| (p.now - a).whole_days().max(0));
    CertificateFacts {
        attested_at,
        age_days,
        renewal_due_at: due.as_ref().map(|d| rfc3339(d.at)),
        renewal_reason: due.map(|d| d.reason),
    }
}

/// One device whose attestation is delivered again soon.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenewalDue {
    pub device_id: String,
    pub device_name: String,
    pub platform: Platform,
    /// RFC 3339; in the past when the next deployment run has it to do.
    pub due_at: String,
    pub reason: Reason,
}

/// The re-deliveries due within [`freshness::UPCOMING_DAYS`] days (or overdue), soonest first.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RenewalsDue {
    /// The window, in days.
    pub within_days: i64,
    /// Every device due in the window.
    pub count: usize,
    /// The first [`LISTED_RENEWALS`] of them by due date.
    pub devices: Vec<RenewalDue>,
}

impl RenewalsDue {
    /// An empty list.
    pub fn new() -> Self {
        RenewalsDue { within_days: freshness::UPCOMING_DAYS, ..RenewalsDue::default() }
    }

    /// Counts `due` (an in-scope device's next re-delivery) when it falls within the window from `now`.
    pub fn add(&mut self, due: RenewalDue, now: OffsetDateTime) {
        if due.due_at > rfc3339(now + Duration::days(self.within_days)) {
            return;
        }
        self.count += 1;
        self.devices.push(due);
        if self.devices.len() > 2 * LISTED_RENEWALS {
            self.trim();
        }
    }

    /// Keeps the soonest [`LISTED_RENEWALS`].
    pub fn trim(&mut self) {
        self.devices.sort_by(|a, b| (&a.due_at, &a.device_id).cmp(&(&b.due_at, &b.device_id)));
        self.devices.truncate(LISTED_RENEWALS);
    }
}

/// An Okta CA certificate's dates as status shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaDates {
    /// RFC 3339.
    pub not_before: String,
    pub not_after: String,
    pub sha1_thumbprint: String,
    /// Whether it ends within [`CA_ENDS_SOON_DAYS`] days: load Okta's renewed CA (Okta emails admins when it
    /// renews it) with `PUT /platforms/{platform}`.
    pub ends_soon: bool,
}

/// A SCEP platform's certificates: its Okta CA, the CA it replaces, and the renewal lead.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformCertificates {
    pub platform: Platform,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca: Option<CaDates>,
    /// The CA the current one replaced, still installed beside it until it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_ca: Option<CaDates>,
    pub renew_days_before_expiry: u32,
}

/// The SCEP platforms' certificates at `now`.
pub fn platform_certificates(platforms: &[PlatformRecord], now: OffsetDateTime) -> Vec<PlatformCertificates> {
    let dates = |c: &CaCertificate| CaDates {
        not_before: rfc3339(c.not_before),
        not_after: rfc3339(c.not_after),
        sha1_thumbprint: c.sha1_thumbprint.clone(),
        ends_soon: c.not_after - now < Duration::days(CA_ENDS_SOON_DAYS),
    };
    platforms
        .iter()
        .filter_map(|p| match &p.settings {
            PlatformSettings::Desktop { ca, retiring_ca, renew_days, .. } => Some(PlatformCertificates {
                platform: p.platform,
                ca: ca.as_deref().map(dates),
                retiring_ca: retiring_ca.as_deref().map(dates),
                renew_days_before_expiry: *renew_days,
            }),
            PlatformSettings::Mobile { .. } => None,
        })
        .collect()
}
