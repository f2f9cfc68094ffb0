//! The scope rules: which UEM devices device trust covers, and for every other device the one reason why not.
//! Pure functions over facts gathered from Okta and the UEM, so they are tested without any service.
//!
//! A device is in scope when (its owner is a member of a selected Okta user group) or (it is in a selected UEM
//! device group and its owner is a user of the connected Okta org), and also its owner is ACTIVE in Okta, its
//! platform is enabled, its OS is supported (macOS 13+; Windows 10 21H2/22H2, builds 19044/19045, or Windows 11,
//! build 22000+; iOS 16+; Android 11+), and an Android device is enrolled through Android Enterprise. Owners match
//! Okta users by email against the user's login and primary email, trimmed and case-insensitive, exactly; an
//! email two users share goes to the user whose login it is, else to the smaller user id (never to whichever came
//! last). An email no login claims and two users have as primary email (C26) belongs to neither: the device is
//! out of scope as `owner_ambiguous`. A device whose owner email no longer matches any user, while the Okta user
//! it was linked to (by id) is still in the org, stays with that user (a renamed user, C28), with a note naming
//! the mismatch.

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
    /// No user has the owner's email as login and more than one has it as primary email: which user owns the
    /// device cannot be told, so it goes to neither (C26).
    OwnerAmbiguous,
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
    pub const ALL: [Exclusion; 9] = [
        Exclusion::NoOwner,
        Exclusion::OwnerNotInOktaOrg,
        Exclusion::OwnerAmbiguous,
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
    /// The user's login as Okta reports it (what a renamed user's device owner should read).
    pub login: String,
}

/// Who an owner's email names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// The user at this index of `users`; `login`: the email is that user's login.
    One { index: usize, login: bool },
    /// Users of the same kind of claim (two primary emails, or two logins alike once trimmed and lower-cased):
    /// nobody. `index`: the smallest of them, so a later login still knows what it takes over.
    Ambiguous { index: usize, login: bool },
}

impl Claim {
    fn parts(self) -> (usize, bool) {
        match self {
            Claim::One { index, login } | Claim::Ambiguous { index, login } => (index, login),
        }
    }
}

/// The hasher of the scope maps: foldhash (fast on short ids and emails, seeded per process). The keys are the
/// tenant's own Okta and UEM data, hashed within that tenant's run only.
pub type ScopeHasher = foldhash::fast::RandomState;

/// Everything scope is decided from, gathered once per reconciliation.
#[derive(Debug, Default, Clone)]
pub struct ScopeFacts {
    /// Okta users of the org, each once per `add_user`.
    users: Vec<OktaUserFacts>,
    /// Normalized login or primary email → who it names (see [`Claim`]).
    by_email: HashMap<String, Claim, ScopeHasher>,
    /// Okta user id → its index in `users` (the first `add_user` of the id).
    by_id: HashMap<String, usize, ScopeHasher>,
    /// Okta user ids that are members of a selected Okta group.
    pub selected_members: HashSet<String, ScopeHasher>,
    /// UEM device ids in a selected UEM device group.
    pub selected_devices: HashSet<String, ScopeHasher>,
    /// Platforms switched on.
    pub enabled_platforms: HashSet<Platform>,
}

impl ScopeFacts {
    /// Records an Okta user under its login and primary email.
    ///
    /// When two users share a key, a login beats a primary email (Okta keeps logins unique, but a primary email
    /// may repeat or equal another user's login); two claims of the same kind by different users make the key
    /// ambiguous (C26: a device goes to neither). The same user added twice (its users page and a group's
    /// members) is one claim. The outcome never depends on the order users are added (Okta's page order).
    pub fn add_user(&mut self, id: &str, status: &str, login: &str, email: Option<&str>) {
        let index = self.users.len();
        self.users.push(OktaUserFacts { id: id.to_string(), status: status.to_string(), login: login.to_string() });
        self.by_id.entry(id.to_string()).or_insert(index);
        for (key, from_login) in std::iter::once((login, true)).chain(email.map(|e| (e, false))) {
            let k = normalized(key);
            if k.is_empty() {
                continue;
            }
            let claim = match self.by_email.get(k.as_ref()) {
                None => Claim::One { index, login: from_login },
                Some(&old) => self.merge_claim(old, index, from_login),
            };
            self.by_email.insert(k.into_owned(), claim);
        }
    }

    /// The claim on a key after user `index` claims it (`login`: as its login) where `old` stood.
    fn merge_claim(&self, old: Claim, index: usize, login: bool) -> Claim {
        let (old_index, old_login) = old.parts();
        let (new, was) = (&self.users[index], &self.users[old_index]);
        let smaller = if (&new.id, &new.status) < (&was.id, &was.status) { index } else { old_index };
        match (login, old_login) {
            (true, false) => Claim::One { index, login },
            (false, true) => old,
            _ if new.id == was.id => match old {
                Claim::One { .. } => Claim::One { index: smaller, login },
                Claim::Ambiguous { .. } => Claim::Ambiguous { index: smaller, login },
            },
            _ => Claim::Ambiguous { index: smaller, login },
        }
    }

    /// The Okta user with id `id`, if the org has it.
    pub fn user_by_id(&self, id: &str) -> Option<&OktaUserFacts> {
        self.by_id.get(id).map(|&i| &self.users[i])
    }

    /// The Okta user an owner's email matches (trimmed, case-insensitive, exact), if exactly one does.
    pub fn user_by_email(&self, email: &str) -> Option<&OktaUserFacts> {
        match self.by_email.get(normalized(email).as_ref()) {
            Some(&Claim::One { index, .. }) => Some(&self.users[index]),
            _ => None,
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
    /// When the owner is the Okta user the device was linked to while the UEM owner's email matches no user any
    /// more (a renamed user, C28): that user's login, which the UEM owner should read.
    pub owner_email_mismatch: Option<String>,
}

impl Decision {
    /// Whether the device is in scope.
    pub fn in_scope(&self) -> bool {
        self.exclusion.is_none()
    }
}

/// An email as owners are matched: trimmed, lower case. Exact comparison only (never substring).
pub fn normalize_email(s: &str) -> String {
    normalized(s).into_owned()
}

/// [`normalize_email`] without copying an email that is already trimmed lower-case ASCII (the usual case).
fn normalized(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    if t.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        std::borrow::Cow::Borrowed(t)
    } else {
        std::borrow::Cow::Owned(t.to_lowercase())
    }
}

/// Decides one device. `linked`: the Okta user id the device's record was linked to, if any: when the owner's
/// email matches no user, that user (still in the org) keeps the device, with [`Decision::owner_email_mismatch`].
pub fn decide(device: &UemDevice, facts: &ScopeFacts, linked: Option<&str>) -> Decision {
    let out = |okta_user_id: Option<String>, e: Exclusion| Decision {
        okta_user_id,
        exclusion: Some(e),
        owner_email_mismatch: None,
    };
    let Some(email) = device.owner_email.as_deref().map(normalized).filter(|e| !e.is_empty()) else {
        return out(None, Exclusion::NoOwner);
    };
    let (user, mismatch) = match facts.by_email.get(email.as_ref()) {
        Some(&Claim::One { index, .. }) => (&facts.users[index], None),
        Some(Claim::Ambiguous { .. }) => return out(None, Exclusion::OwnerAmbiguous),
        None => match linked.and_then(|id| facts.user_by_id(id)) {
            Some(u) => (u, Some(u.login.clone())),
            None => return out(None, Exclusion::OwnerNotInOktaOrg),
        },
    };
    let out = |okta_user_id: Option<String>, e: Exclusion| Decision {
        okta_user_id,
        exclusion: Some(e),
        owner_email_mismatch: mismatch.clone(),
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
    Decision { okta_user_id: uid, exclusion: None, owner_email_mismatch: mismatch }
}

/// A decision made earlier (`decided`, `None` for in scope, of a device of `platform`) as the platform switches
/// stand now (`enabled`): a platform switched off since puts the device out of scope with
/// [`Exclusion::PlatformDisabled`], unless a rule before that one already excludes it (what [`decide`] would
/// answer now); every other decision stands. Readers of stored decisions (status and its exports, deployment)
/// go by this between a switch and the next reconciliation, which then writes the same (case C29). A platform
/// switched on since is left to that reconciliation: the rules after the switch (OS, Android enrollment) were
/// not checked while it was off.
pub fn as_switched(
    decided: Option<Exclusion>,
    platform: Option<Platform>,
    enabled: &HashSet<Platform>,
) -> Option<Exclusion> {
    match platform {
        Some(p) if !enabled.contains(&p) && decided.is_none_or(|e| e > Exclusion::PlatformDisabled) => {
            Some(Exclusion::PlatformDisabled)
        }
        _ => decided,
    }
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

/// The oldest OS version device trust supports on `platform`, as version components: macOS 13, iOS 16,
/// Android 11, Windows 10.0.19044 (Windows 10 21H2). The one statement of the OS rule: [`os_supported`] applies
/// it to a device, and the product's device assurance policies carry it to Okta as `osVersion.minimum`
/// ([`crate::okta_side::assurance`]). Windows has one more rule that no minimum can say: the Windows 10 builds
/// between 19045 (22H2) and 22000 (Windows 11) are not supported ([`os_supported`]).
pub const fn os_minimum(platform: Platform) -> &'static [u64] {
    match platform {
        Platform::Macos => &[13, 0, 0],
        Platform::Ios => &[16, 0, 0],
        Platform::Android => &[11, 0, 0],
        Platform::Windows => &[10, 0, 19044, 0],
    }
}

/// Whether `version` is at least `minimum`, component by component (missing components count as 0).
fn at_least(version: &[u64], minimum: &[u64]) -> bool {
    let len = version.len().max(minimum.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    (0..len).map(|i| at(version, i).cmp(&at(minimum, i))).find(|o| o.is_ne()).is_none_or(|o| o.is_gt())
}

/// Whether device trust supports this OS version: at least [`os_minimum`] (macOS 13+, iOS 16+, Android 11+), and
/// for Windows 10 builds 19044 and 19045 (21H2, 22H2) or Windows 11 (build 22000+, or a version reported as
/// `11`). An unreadable version is not supported.
pub fn os_supported(platform: Platform, os_version: &str) -> bool {
    let n = numbers(os_version);
    if n.is_empty() {
        return false;
    }
    match platform {
        Platform::Windows => match (n[0], n.get(2).copied()) {
            (10, Some(build)) => at_least(&n, os_minimum(platform)) && (build <= 19045 || build >= 22000),
            (11, _) => true,
            _ => false,
        },
        // Only the major version is compared: a device reporting "16" or "16.1" is on iOS 16.
        p => n[0] >= os_minimum(p)[0],
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

    /// Fails if a platform switched off leaves a stored decision in scope (or with a later rule's reason), or if
    /// it hides a reason that comes before the switch, or if a platform switched on changes a stored decision.
    #[test]
    fn a_platform_switched_off_since_the_decision_excludes_its_devices_from_then_on() {
        let on = HashSet::from([Platform::Ios]);
        let off = HashSet::new();
        let ios = Some(Platform::Ios);
        assert_eq!(as_switched(None, ios, &off), Some(Exclusion::PlatformDisabled));
        assert_eq!(as_switched(Some(Exclusion::OsTooOld), ios, &off), Some(Exclusion::PlatformDisabled));
        assert_eq!(
            as_switched(Some(Exclusion::NotAndroidEnterprise), Some(Platform::Android), &on),
            Some(Exclusion::PlatformDisabled)
        );
        for earlier in [Exclusion::NoOwner, Exclusion::NotInSelectedGroup, Exclusion::OwnerNotActive] {
            assert_eq!(as_switched(Some(earlier), ios, &off), Some(earlier));
        }
        assert_eq!(as_switched(None, None, &off), None, "no platform: decided by the platform rule already");
        assert_eq!(as_switched(None, ios, &on), None);
        assert_eq!(as_switched(Some(Exclusion::PlatformDisabled), ios, &on), Some(Exclusion::PlatformDisabled));
        // What decide answers with the platform off, for every stored decision made while it was on.
        let f = facts();
        let mut f_off = facts();
        f_off.enabled_platforms.remove(&Platform::Ios);
        for owner in [None, Some("zed@acme.com"), Some("dave@acme.com"), Some("bob@acme.com"), Some("alice@acme.com")] {
            for os in ["17.1", "15.7"] {
                let d = device("1", ios, os, owner);
                assert_eq!(
                    as_switched(decide(&d, &f, None).exclusion, ios, &HashSet::new()),
                    decide(&d, &f_off, None).exclusion
                );
            }
        }
    }

    #[test]
    fn every_reason() {
        let f = facts();
        let reason = |d: &UemDevice| decide(d, &f, None).exclusion;
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
            decide(&device("1", Some(Platform::Ios), "17.1", Some("alice@acme.com")), &off, None).exclusion,
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
        let d = |owner: &str| decide(&device("1", Some(Platform::Macos), "14.2", Some(owner)), &f, None);
        assert!(d("  ALICE@acme.COM ").in_scope());
        assert_eq!(d("carol.jones@acme.com").okta_user_id.as_deref(), Some("00u3"), "matched by primary email");
        assert_eq!(d("alice@acme.co").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a prefix");
        assert_eq!(d("xalice@acme.com").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a suffix");
        assert_eq!(d("lice@acme.com").exclusion, Some(Exclusion::OwnerNotInOktaOrg), "never a substring");
    }

    #[test]
    fn a_shared_email_goes_to_the_user_whose_login_it_is_in_any_order() {
        let users = [("00u1", "ann@acme.com", Some("Shared@acme.com")), ("00u9", "shared@acme.com", None)];
        for reversed in [false, true] {
            let mut f = ScopeFacts::default();
            let mut order = users.to_vec();
            if reversed {
                order.reverse();
            }
            for (id, login, email) in order {
                f.add_user(id, "ACTIVE", login, email);
            }
            assert_eq!(f.user_by_email("shared@acme.com").unwrap().id, "00u9", "reversed: {reversed}");
            assert_eq!(f.user_by_email(" Ann@ACME.com").unwrap().id, "00u1");
        }
        // Two primary emails alike and no login: nobody's, whatever the order (C26).
        let mut a = ScopeFacts::default();
        a.add_user("00u7", "ACTIVE", "x", Some("p@acme.com"));
        a.add_user("00u3", "SUSPENDED", "y", Some("p@acme.com"));
        let mut b = ScopeFacts::default();
        b.add_user("00u3", "SUSPENDED", "y", Some("p@acme.com"));
        b.add_user("00u7", "ACTIVE", "x", Some("p@acme.com"));
        assert_eq!(a.user_by_email("p@acme.com"), None);
        assert_eq!(b.user_by_email("p@acme.com"), None);
        // A login claims a key two primary emails made ambiguous, whatever the order.
        let mut c = ScopeFacts::default();
        c.add_user("00u5", "ACTIVE", "z", Some("q@acme.com"));
        c.add_user("00u2", "ACTIVE", "y", Some("q@acme.com"));
        c.add_user("00u9", "ACTIVE", "q@acme.com", None);
        assert_eq!(c.user_by_email("q@acme.com").unwrap().id, "00u9");
        // The same user twice (its page and a group's members) is one claim.
        let mut d = ScopeFacts::default();
        d.add_user("00u4", "ACTIVE", "r", Some("r@acme.com"));
        d.add_user("00u4", "ACTIVE", "r", Some("r@acme.com"));
        assert_eq!(d.user_by_email("r@acme.com").unwrap().id, "00u4");
    }

    /// C26: pat's device goes to the user whose login is pat's email; sam's email is two users' primary email
    /// and nobody's login, so sam's device goes to neither, excluded with the reason that names it.
    #[test]
    fn c26_users_sharing_an_email_owner_by_login_or_nobody() {
        for reversed in [false, true] {
            let mut users = vec![
                ("00uPAT1", "pat@example.com", "pat@example.com"),
                ("00uPAT2", "pat.admin@example.com", "pat@example.com"),
                ("00uSAM1", "sam1@example.com", "sam@example.com"),
                ("00uSAM2", "sam2@example.com", "sam@example.com"),
            ];
            if reversed {
                users.reverse();
            }
            let mut f = ScopeFacts::default();
            for (id, login, email) in users {
                f.add_user(id, "ACTIVE", login, Some(email));
                f.selected_members.insert(id.to_string());
            }
            f.enabled_platforms.extend(Platform::ALL);
            let pat = decide(&device("p", Some(Platform::Ios), "17.1", Some("pat@example.com")), &f, None);
            assert_eq!((pat.okta_user_id.as_deref(), pat.exclusion), (Some("00uPAT1"), None));
            let sam = device("s", Some(Platform::Ios), "17.1", Some("sam@example.com"));
            let expected =
                Decision { okta_user_id: None, exclusion: Some(Exclusion::OwnerAmbiguous), owner_email_mismatch: None };
            assert_eq!(decide(&sam, &f, None), expected);
            // Not even to the user it was linked to before the second user took the same email.
            assert_eq!(decide(&sam, &f, Some("00uSAM1")), expected);
        }
    }

    /// C28: a user renamed from a@ to b@ keeps the device its UEM owner still lists as a@, with a note naming
    /// the login the owner should read; once the UEM reads b@ the note goes and nothing else changes.
    #[test]
    fn c28_a_renamed_user_keeps_the_device_linked_by_id() {
        let mut f = ScopeFacts::default();
        f.add_user("00u1", "ACTIVE", "b@example.com", Some("b@example.com"));
        f.selected_members.insert("00u1".into());
        f.enabled_platforms.extend(Platform::ALL);
        let old = device("1", Some(Platform::Macos), "14.2", Some("a@example.com"));
        let kept = decide(&old, &f, Some("00u1"));
        assert_eq!(kept.okta_user_id.as_deref(), Some("00u1"));
        assert_eq!((kept.exclusion, kept.owner_email_mismatch.as_deref()), (None, Some("b@example.com")));
        assert_eq!(decide(&old, &f, None).exclusion, Some(Exclusion::OwnerNotInOktaOrg), "no link: nobody's");
        assert_eq!(decide(&old, &f, Some("00u2")).exclusion, Some(Exclusion::OwnerNotInOktaOrg), "a user gone");
        let renamed = device("1", Some(Platform::Macos), "14.2", Some("b@example.com"));
        let now = decide(&renamed, &f, Some("00u1"));
        assert_eq!((now.okta_user_id.as_deref(), now.exclusion, now.owner_email_mismatch), (Some("00u1"), None, None));
        // An email that now names another user goes to that user: the current match wins over the old link.
        f.add_user("00u2", "ACTIVE", "a@example.com", None);
        assert_eq!(decide(&old, &f, Some("00u1")).okta_user_id.as_deref(), Some("00u2"));
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
        let decisions: Vec<Decision> = devices.iter().map(|d| decide(d, &f, None)).collect();
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

/// Properties of the scope rules over generated fleets (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    const EMAILS: [&str; 5] = ["ann@acme.com", "bob@acme.com", "cy@acme.com", "di@other.com", "ed@other.com"];
    const STATUSES: [&str; 5] = ["ACTIVE", "SUSPENDED", "DEPROVISIONED", "STAGED", "LOCKED_OUT"];
    const ENROLLMENTS: [Enrollment; 4] =
        [Enrollment::AndroidWorkProfile, Enrollment::AndroidFullyManaged, Enrollment::AndroidLegacy, Enrollment::Other];

    /// One of a few addresses, in any case and with any padding, so owners and users collide often.
    fn email() -> impl Strategy<Value = String> {
        (select(EMAILS.to_vec()), any::<bool>(), "[ \t]{0,2}").prop_map(|(e, upper, pad)| {
            let e = if upper { e.to_uppercase() } else { e.to_string() };
            format!("{pad}{e}{pad}")
        })
    }

    /// `(id, status, login, primary email)`; ids repeat and emails collide across users on purpose.
    fn user() -> impl Strategy<Value = (String, String, String, Option<String>)> {
        ("00u[0-5]", select(STATUSES.to_vec()), prop_oneof![email(), "[a-z]{1,4}"], proptest::option::of(email()))
            .prop_map(|(id, status, login, mail)| (id, status.to_string(), login, mail))
    }

    /// A version as UEMs report it: numbers joined by dots, sometimes prefixed or followed by a build note.
    fn version() -> impl Strategy<Value = String> {
        (proptest::collection::vec(0u64..30_000, 0..5), select(vec!["", "iOS ", "v"]), select(vec!["", " (23C64)"]))
            .prop_map(|(n, pre, post)| {
                format!("{pre}{}{post}", n.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
            })
    }

    fn device() -> impl Strategy<Value = UemDevice> {
        (
            "d[0-5]",
            proptest::option::of(select(Platform::ALL.to_vec())),
            prop_oneof![
                version(),
                select(vec!["17.1", "14.2.1", "14", "10.0.19045", "10.0.22631", "11"]).prop_map(str::to_string)
            ],
            select(ENROLLMENTS.to_vec()),
            proptest::option::of(prop_oneof![4 => email(), 1 => "[ a-z@.]{0,8}"]),
        )
            .prop_map(|(id, platform, os_version, enrollment, owner_email)| UemDevice {
                name: format!("device {id}"),
                id,
                platform,
                os_version,
                serial: None,
                udid: None,
                enrollment,
                owner_email,
                owner_id: None,
            })
    }

    type User = (String, String, String, Option<String>);

    /// The inputs facts are built from, in the order they arrive (Okta pages, group member lists).
    #[derive(Debug, Clone)]
    struct Inputs {
        users: Vec<User>,
        members: Vec<String>,
        devices: Vec<String>,
        enabled: Vec<Platform>,
    }

    fn inputs() -> impl Strategy<Value = Inputs> {
        (
            proptest::collection::vec(user(), 0..8),
            proptest::collection::vec("00u[0-5]", 0..5),
            proptest::collection::vec("d[0-5]", 0..4),
            subsequence(Platform::ALL.to_vec(), 0..=4),
        )
            .prop_map(|(users, members, devices, enabled)| Inputs { users, members, devices, enabled })
    }

    fn build(i: &Inputs) -> ScopeFacts {
        let mut f = ScopeFacts::default();
        for (id, status, login, mail) in &i.users {
            f.add_user(id, status, login, mail.as_deref());
        }
        f.selected_members.extend(i.members.iter().cloned());
        f.selected_devices.extend(i.devices.iter().cloned());
        f.enabled_platforms.extend(i.enabled.iter().copied());
        f
    }

    /// `inputs` with every list in another order.
    fn shuffled() -> impl Strategy<Value = (Inputs, Inputs)> {
        inputs().prop_flat_map(|i| {
            let other = (
                Just(i.users.clone()).prop_shuffle(),
                Just(i.members.clone()).prop_shuffle(),
                Just(i.devices.clone()).prop_shuffle(),
                Just(i.enabled.clone()).prop_shuffle(),
            )
                .prop_map(|(users, members, devices, enabled)| Inputs { users, members, devices, enabled });
            (Just(i), other)
        })
    }

    /// A version's leading numbers, compared as a tuple.
    fn nums(v: &[u64]) -> String {
        v.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
    }

    proptest! {
        /// Fails if any rule is checked before the owner (e.g. a device group selection admitting ownerless
        /// devices) or if a blank email counted as an owner.
        #[test]
        fn a_device_without_an_owner_is_never_in_scope(i in inputs(), mut d in device(), blank in "[ \t]{0,3}",
            none in any::<bool>()) {
            d.owner_email = if none { None } else { Some(blank) };
            let decision = decide(&d, &build(&i), None);
            prop_assert_eq!(decision, Decision { okta_user_id: None, exclusion: Some(Exclusion::NoOwner), owner_email_mismatch: None });
        }

        /// Fails if any status but ACTIVE (SUSPENDED, DEPROVISIONED, …) let a device in.
        #[test]
        fn an_owner_who_is_not_active_is_never_in_scope(i in inputs(), mut d in device(), id in "00u[0-5]",
            status in select(STATUSES[1..].to_vec()), owner in email()) {
            let mut others = i.clone();
            let key = normalize_email(&owner);
            others.users.retain(|(uid, _, login, mail)| {
                *uid != id && normalize_email(login) != key && mail.as_deref().map(normalize_email) != Some(key.clone())
            });
            let mut f = build(&others);
            f.add_user(&id, status, &owner, None);
            f.selected_members.insert(id.clone());
            d.owner_email = Some(owner);
            let decision = decide(&d, &f, None);
            prop_assert!(!decision.in_scope());
            prop_assert_eq!(decision.okta_user_id, Some(id));
        }

        /// Fails if a decision depended on the order Okta's pages, group members or device group members came
        /// in (e.g. the last of two users sharing an email winning), or on anything but its inputs.
        #[test]
        fn deciding_is_deterministic_and_independent_of_input_order((a, b) in shuffled(),
            devices in proptest::collection::vec(device(), 1..6)) {
            let (fa, fb) = (build(&a), build(&b));
            for d in &devices {
                let first = decide(d, &fa, None);
                prop_assert_eq!(&first, &decide(d, &fa, None));
                prop_assert_eq!(&first, &decide(d, &fb, None), "{:?}", d);
            }
        }

        /// Fails if a selected Okta group the owner is not a member of (or a device group the device is not in)
        /// could bring a device into scope or change its reason.
        #[test]
        fn adding_a_group_the_owner_is_not_in_changes_nothing(i in inputs(), d in device(),
            group in proptest::collection::vec("00u[0-9]", 0..5), device_group in proptest::collection::vec("d[0-9]", 0..5)) {
            let before = build(&i);
            let decision = decide(&d, &before, None);
            let mut after = before.clone();
            let owner = decision.okta_user_id.clone();
            after.selected_members.extend(group.into_iter().filter(|m| Some(m) != owner.as_ref()));
            after.selected_devices.extend(device_group.into_iter().filter(|g| *g != d.id));
            prop_assert_eq!(decide(&d, &after, None), decision);
        }

        /// Fails if a newer macOS, iOS or Android release (or a newer Windows 11 build) could be refused where
        /// an older one is accepted.
        #[test]
        fn os_supported_is_monotonic_in_the_version(p in select(vec![Platform::Macos, Platform::Ios, Platform::Android]),
            a in proptest::collection::vec(0u64..40, 1..4), b in proptest::collection::vec(0u64..40, 1..4),
            build_a in 22_000u64..40_000, build_b in 22_000u64..40_000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(!os_supported(p, &nums(&lo)) || os_supported(p, &nums(&hi)), "{} {:?} {:?}", p, lo, hi);
            let (lo, hi) = (build_a.min(build_b), build_a.max(build_b));
            let (old, new) = (format!("10.0.{lo}"), format!("10.0.{hi}"));
            let (old_ok, new_ok) = (os_supported(Platform::Windows, &old), os_supported(Platform::Windows, &new));
            prop_assert!(!old_ok || new_ok, "{} {}", old, new);
            prop_assert!(old_ok, "{}", old);
        }

        /// Fails if reading a version could panic (overflowing numbers, odd characters) on any text.
        #[test]
        fn os_supported_never_panics(p in select(Platform::ALL.to_vec()), v in any::<String>()) {
            let _ = os_supported(p, &v);
        }
    }
}
