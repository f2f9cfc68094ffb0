//! The scope rules: which UEM devices device trust covers, and for every other device the one reason why not.
//! Pure functions over facts gathered from Okta and the UEM, so they are tested without any service.
//!
//! A device is in scope when (its owner is a member of a selected Okta user group) or (it is in a selected UEM
//! device group and its owner is a user of the connected Okta org), and also its owner is ACTIVE in Okta, its
//! platform is enabled, its OS is supported (macOS 13+; Windows 10 21H2/22H2, builds 19044/19045, or Windows 11,
//! build 22000+; iOS 16+; Android 11+), and an Android device is enrolled through Android Enterprise. Owners match
//! Okta users by email against the user's login and primary email, trimmed and case-insensitive, exactly.

use crate::platform::Platform;
use crate::uem::{Enrollment, UemDevice};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Why a device is not in scope. The first rule a device fails, in the order of the variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The UEM records no owner (or an owner without an email).
    NoOwner,
    /// No user of the Okta org has the owner's email as login or primary email.
    OwnerNotInOktaOrg,
    /// Neither the owner is in a selected Okta group nor the device in a selected UEM device group.
    NotInSelectedGroup,
    /// The owner's Okta status is not ACTIVE (suspended, deprovisioned, …).
    OwnerNotActive,
    /// A platform device trust does not cover (tvOS, Linux, …).
    PlatformUnsupported,
    /// The platform is switched off (or not configured).
    PlatformDisabled,
    /// The OS is older than device trust supports.
    OsTooOld,
    /// An Android device enrolled without Android Enterprise.
    NotAndroidEnterprise,
}

impl Exclusion {
    /// Every reason, in rule order.
    pub const ALL: [Exclusion; 8] = [
        Exclusion::NoOwner,
        Exclusion::OwnerNotInOktaOrg,
        Exclusion::NotInSelectedGroup,
        Exclusion::OwnerNotActive,
        Exclusion::PlatformUnsupported,
        Exclusion::PlatformDisabled,
        Exclusion::OsTooOld,
        Exclusion::NotAndroidEnterprise,
    ];
}

/// The Okta facts about one user that scope needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OktaUserFacts {
    pub id: String,
    /// `ACTIVE`, `SUSPENDED`, `DEPROVISIONED`, ….
    pub status: String,
}

/// Everything scope is decided from, gathered once per reconciliation.
#[derive(Debug, Default, Clone)]
pub struct ScopeFacts {
    /// Okta users of the org by normalized login and by normalized primary email.
    pub users_by_email: HashMap<String, OktaUserFacts>,
    /// Okta user ids that are members of a selected Okta group.
    pub selected_members: HashSet<String>,
    /// UEM device ids in a selected UEM device group.
    pub selected_devices: HashSet<String>,
    /// Platforms switched on.
    pub enabled_platforms: HashSet<Platform>,
}

impl ScopeFacts {
    /// Records an Okta user under its login and primary email.
    pub fn add_user(&mut self, id: &str, status: &str, login: &str, email: Option<&str>) {
        let facts = OktaUserFacts { id: id.to_string(), status: status.to_string() };
        for key in std::iter::once(login).chain(email) {
            let k = normalize_email(key);
            if !k.is_empty() {
                self.users_by_email.insert(k, facts.clone());
            }
        }
    }
}

/// The decision for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The owner's Okta user id, when the owner is a user of the org.
    pub okta_user_id: Option<String>,
    /// `None` when the device is in scope.
    pub exclusion: Option<Exclusion>,
}

impl Decision {
    /// Whether the device is in scope.
    pub fn in_scope(&self) -> bool {
        self.exclusion.is_none()
    }
}

/// An email as owners are matched: trimmed, lower case. Exact comparison only (never substring).
pub fn normalize_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Decides one device.
pub fn decide(device: &UemDevice, facts: &ScopeFacts) -> Decision {
    let out = |okta_user_id: Option<String>, e: Exclusion| Decision { okta_user_id, exclusion: Some(e) };
    let Some(email) = device.owner_email.as_deref().map(normalize_email).filter(|e| !e.is_empty()) else {
        return out(None, Exclusion::NoOwner);
    };
    let Some(user) = facts.users_by_email.get(&email) else {
        return out(None, Exclusion::OwnerNotInOktaOrg);
    };
    let uid = Some(user.id.clone());
    if !facts.selected_members.contains(&user.id) && !facts.selected_devices.contains(&device.id) {
        return out(uid, Exclusion::NotInSelectedGroup);
    }
    if user.status != "ACTIVE" {
        return out(uid, Exclusion::OwnerNotActive);
    }
    let Some(platform) = device.platform else {
        return out(uid, Exclusion::PlatformUnsupported);
    };
    if !facts.enabled_platforms.contains(&platform) {
        return out(uid, Exclusion::PlatformDisabled);
    }
    if !os_supported(platform, &device.os_version) {
        return out(uid, Exclusion::OsTooOld);
    }
    if platform == Platform::Android
        && !matches!(device.enrollment, Enrollment::AndroidWorkProfile | Enrollment::AndroidFullyManaged)
    {
        return out(uid, Exclusion::NotAndroidEnterprise);
    }
    Decision { okta_user_id: uid, exclusion: None }
}

/// The leading whole numbers of a version string: `"10.0.19045.3693"` → `[10, 0, 19045, 3693]`,
/// `"14.2 (23C64)"` → `[14, 2]`.
fn numbers(version: &str) -> Vec<u64> {
    version
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("")
        .split('.')
        .map_while(|p| p.parse::<u64>().ok())
        .collect()
}

/// Whether device trust supports this OS version: macOS 13+, iOS 16+, Android 11+, Windows 10 builds 19044 and
/// 19045 (21H2, 22H2) or Windows 11 (build 22000+, or a version reported as `11`). An unreadable version is
/// not supported.
pub fn os_supported(platform: Platform, os_version: &str) -> bool {
    let n = numbers(os_version);
    let major = n.first().copied();
    match platform {
        Platform::Macos => major.is_some_and(|m| m >= 13),
        Platform::Ios => major.is_some_and(|m| m >= 16),
        Platform::Android => major.is_some_and(|m| m >= 11),
        Platform::Windows => match (major, n.get(2).copied()) {
            (Some(10), Some(build)) => build == 19044 || build == 19045 || build >= 22000,
            (Some(11), _) => true,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, platform: Option<Platform>, os: &str, owner: Option<&str>) -> UemDevice {
        UemDevice {
            id: id.into(),
            name: format!("device {id}"),
            platform,
            os_version: os.into(),
            serial: None,
            udid: None,
            enrollment: Enrollment::Other,
            owner_email: owner.map(str::to_string),
            owner_id: None,
        }
    }

    fn facts() -> ScopeFacts {
        let mut f = ScopeFacts::default();
        f.add_user("00u1", "ACTIVE", "alice@acme.com", Some("alice@acme.com"));
        f.add_user("00u2", "SUSPENDED", "bob@acme.com", Some("bob@acme.com"));
        f.add_user("00u3", "ACTIVE", "carol", Some("Carol.Jones@Acme.com"));
        f.add_user("00u4", "ACTIVE", "dave@acme.com", None);
        f.selected_members.extend(["00u1".to_string(), "00u2".to_string(), "00u3".to_string()]);
        f.enabled_platforms.extend(Platform::ALL);
        f
    }

    #[test]
    fn every_reason() {
        let f = facts();
        let reason = |d: &UemDevice| decide(d, &f).exclusion;
        assert_eq!(reason(&device("1", Some(Platform::Ios), "17.1", None)), Some(Exclusion::NoOwner));
        assert_eq!(reason(&device("1", Some(Platform::Ios), "17.1", Some("  "))), Some(Exclusion::NoOwner));
        assert_eq!(
            reason(&device("1", Some(Platform::Ios), "17.1", Some("zed@acme.com"))),
            Some(Exclusion::OwnerNotInOktaOrg)
        );
        assert_eq!(
            reason(&device("1", Some(Platform::Ios), "17.1", Some("dave@acme.com"))),
            Some(Exclusion::NotInSelectedGroup)
        );
        assert_eq!(
            reason(&device("1", Some(Platform::Ios), "17.1", Some("bob@acme.com"))),
            Some(Exclusion::OwnerNotActive)
        );
        assert_eq!(reason(&device("1", None, "1.0", Some("alice@acme.com"))), Some(Exclusion::PlatformUnsupported));
        let mut off = facts();
        off.enabled_platforms.remove(&Platform::Ios);
        assert_eq!(
            decide(&device("1", Some(Platform::Ios), "17.1", Some("alice@acme.com")), &off).exclusion,
            Some(Exclusion::PlatformDisabled)
        );
        assert_eq!(
            reason(&device("1", Some(Platform::Ios), "15.7", Some("alice@acme.com"))),
            Some(Exclusion::OsTooOld)
        );
        let mut legacy = device("1", Some(Platform::Android), "14", Some("alice@acme.com"));
        assert_eq!(reason(&legacy), Some(Exclusion::NotAndroidEnterprise));
        legacy.enrollment = Enrollment::AndroidLegacy;
        assert_eq!(reason(&legacy), Some(Exclusion::NotAndroidEnterprise));
        legacy.enrollment = Enrollment::AndroidWorkProfile;
        assert_eq!(reason(&legacy), None);
        legacy.enrollment = Enrollment::AndroidFullyManaged;
        assert_eq!(reason(&legacy), None);
    }

    #[test]
    fn owner_matching_is_trimmed_case_insensitive_and_exact() {
        let f = facts();
        let d = |owner: &str| decide(&device("1", Some(Platform::Macos), "14.2", Some(owner)), &f);
        assert!(d("  ALICE@acme.COM ").in_scope());
        assert_eq!(d("carol.jones@acme.com").okta_user_id.as_deref(), Some("00u3"), "matched by primary email");
        assert_eq!(d("alice@acme.co").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a prefix");
        assert_eq!(d("xalice@acme.com").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a suffix");
        assert_eq!(d("lice@acme.com").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a substring");
    }

    #[test]
    fn c18_device_group_of_six_with_four_okta_owners_puts_exactly_four_in_scope() {
        let mut f = facts();
        f.selected_members.clear();
        let owners = [
            "alice@acme.com",
            "carol.jones@acme.com",
            "dave@acme.com",
            "alice@acme.com",
            "eve@other.com",
            "frank@other.com",
        ];
        let devices: Vec<UemDevice> = owners
            .iter()
            .enumerate()
            .map(|(i, o)| device(&format!("d{i}"), Some(Platform::Macos), "14.1", Some(o)))
            .collect();
        f.selected_devices.extend(devices.iter().map(|d| d.id.clone()));
        let decisions: Vec<Decision> = devices.iter().map(|d| decide(d, &f)).collect();
        assert_eq!(decisions.iter().filter(|d| d.in_scope()).count(), 4);
        let out: Vec<_> = decisions.iter().filter_map(|d| d.exclusion).collect();
        assert_eq!(out, vec![Exclusion::OwnerNotInOktaOrg, Exclusion::OwnerNotInOktaOrg]);
    }

    #[test]
    fn os_boundaries() {
        use Platform::*;
        for (p, v, ok) in [
            (Macos, "12.7.4", false),
            (Macos, "13.0", true),
            (Macos, "13", true),
            (Macos, "14.2.1", true),
            (Ios, "15.8", false),
            (Ios, "16.0", true),
            (Ios, "17.4.1", true),
            (Android, "10", false),
            (Android, "11", true),
            (Android, "14.0", true),
            (Windows, "10.0.19043", false),
            (Windows, "10.0.19044", true),
            (Windows, "10.0.19045.3693", true),
            (Windows, "10.0.19046", false),
            (Windows, "10.0.21999", false),
            (Windows, "10.0.22000", true),
            (Windows, "10.0.22631.2861", true),
            (Windows, "11", true),
            (Windows, "6.3.9600", false),
            (Windows, "", false),
            (Macos, "unknown", false),
            (Ios, "iOS 16.1", true),
        ] {
            assert_eq!(os_supported(p, v), ok, "{p} {v}");
        }
    }
}
