//! The rules of deployment, without I/O: which managed group a device belongs in, what a device's record says
//! after an outcome, and how long a failed device waits before its next automatic attempt.

use odt_shared::platform::Platform;
use odt_shared::store::{DeployItem, DeployedRecord, DeviceRecord, ItemState, ItemStatus};
use std::collections::HashSet;
use std::time::Duration;

/// The first wait after a transient failure; it doubles with every further failed attempt.
pub const BASE_RETRY: Duration = Duration::from_secs(60);
/// The longest wait between automatic attempts (6 hours).
pub const MAX_RETRY: Duration = Duration::from_secs(6 * 3600);
/// Failed attempts after which automatic retries stop and the device waits for the admin's "retry now".
pub const MAX_ATTEMPTS: u32 = 10;

/// The platform whose managed group device `dev` belongs in, or `None` when it should carry nothing: device
/// trust is active and it is in scope as the platform switches stand now (so its platform is switched on:
/// [`DeviceRecord::in_scope_as_switched`], the rule status shows by too).
pub fn desired_platform(
    dev: &DeviceRecord,
    device_trust_active: bool,
    enabled: &HashSet<Platform>,
) -> Option<Platform> {
    if !device_trust_active || !dev.in_scope_as_switched(enabled) {
        return None;
    }
    dev.platform
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones: [`BASE_RETRY`] doubling, capped at
/// [`MAX_RETRY`], and never shorter than the UEM's own `retry_after`.
pub fn retry_wait(attempts: u32, retry_after: Option<Duration>) -> Duration {
    let doubled = BASE_RETRY.saturating_mul(1u32 << attempts.saturating_sub(1).min(16)).min(MAX_RETRY);
    doubled.max(retry_after.unwrap_or(Duration::ZERO))
}

/// What happened to a device in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It is a member of platform `platform`'s group `group_id`, whose policy carries `payload_hash`;
    /// `app_missing` names why Okta Verify is not part of the policy (no installation method set).
    Applied { platform: Platform, group_id: String, payload_hash: String, app_missing: Option<String> },
    /// A membership change for it is under way (written before the UEM call).
    InProgress { adding: bool },
    /// It carries nothing of ours any more.
    Removed,
    /// The UEM call for it failed. `permanent`: retrying cannot help (the device is gone); `retry_after`: the
    /// UEM's own wait.
    Failed { reason: String, permanent: bool, retry_after: Option<Duration>, removing: bool },
}

fn set(items: &mut std::collections::BTreeMap<DeployItem, ItemState>, item: DeployItem, status: ItemStatus, now: &str) {
    let e = items.entry(item).or_insert_with(|| ItemState {
        status,
        attempts: 0,
        last_attempt_at: None,
        error: None,
        updated_at: now.to_string(),
    });
    if e.status != status {
        e.updated_at = now.to_string();
    }
    e.status = status;
}

/// The record after `outcome`, from `old` (a new record when `None`). `now` is RFC 3339, `now_epoch` seconds.
pub fn next_record(
    tenant: &str,
    device_id: &str,
    platform: Option<Platform>,
    old: Option<&DeployedRecord>,
    outcome: &Outcome,
    now: &str,
    now_epoch: i64,
) -> DeployedRecord {
    let mut r = old.cloned().unwrap_or_else(|| DeployedRecord::new(tenant, device_id, platform, now));
    match outcome {
        Outcome::Applied { platform, group_id, payload_hash, app_missing } => {
            applied(&mut r, *platform, group_id, payload_hash, app_missing.as_deref(), now)
        }
        Outcome::InProgress { adding } => {
            let items = items_of(&mut r, platform, *adding);
            in_progress(&mut r, &items, *adding, now)
        }
        Outcome::Removed => removed(&mut r, now),
        Outcome::Failed { reason, permanent, retry_after, removing } => {
            let items = items_of(&mut r, platform, !*removing);
            failed(&mut r, &items, reason, *permanent, *retry_after, now, now_epoch)
        }
    }
    r.updated_at = now.to_string();
    r
}

/// [`Outcome::Applied`]: every item of `platform` applied (Okta Verify failed naming `app_missing` when no
/// installation method is set); an attempt is counted when an item's state, the group or the payload changed.
fn applied(
    r: &mut DeployedRecord,
    platform: Platform,
    group_id: &str,
    payload_hash: &str,
    app_missing: Option<&str>,
    now: &str,
) {
    let changed = r.group_id.as_deref() != Some(group_id) || r.payload_hash.as_deref() != Some(payload_hash);
    r.platform = Some(platform);
    r.group_id = Some(group_id.to_string());
    r.payload_hash = Some(payload_hash.to_string());
    r.items.retain(|i, _| DeployItem::for_platform(platform).contains(i));
    for item in DeployItem::for_platform(platform) {
        let missing = *item == DeployItem::OktaVerify && app_missing.is_some();
        let status = if missing { ItemStatus::Failed } else { ItemStatus::Applied };
        let was = r.items.get(item).map(|s| s.status);
        set(&mut r.items, *item, status, now);
        let e = r.items.get_mut(item).expect("set above");
        if was != Some(status) || changed {
            e.attempts = if status == ItemStatus::Applied { 0 } else { e.attempts.saturating_add(1) };
            e.last_attempt_at = Some(now.to_string());
            if *item == DeployItem::Attestation && status == ItemStatus::Applied {
                // Delivered (again): a new SCEP enrollment, the start of its certificate's year.
                r.attested_at = Some(now.to_string());
            }
        }
        e.error = if missing { app_missing.map(str::to_string) } else { None };
    }
    r.retry_at = None;
    r.permanent_failure = false;
}

/// The items an in-progress or failed outcome concerns: every item of the device's platform (`platform`, else
/// the record's, which the record then takes) when `adding`, else the items the record has.
fn items_of(r: &mut DeployedRecord, platform: Option<Platform>, adding: bool) -> Vec<DeployItem> {
    let p = platform.or(r.platform);
    r.platform = p;
    match (p, adding) {
        (Some(p), true) => DeployItem::for_platform(p).to_vec(),
        _ => r.items.keys().copied().collect(),
    }
}

/// [`Outcome::InProgress`]: `items` marked under way (adding, else removing), the attempt counted.
fn in_progress(r: &mut DeployedRecord, items: &[DeployItem], adding: bool, now: &str) {
    let status = if adding { ItemStatus::InProgress } else { ItemStatus::Removing };
    for item in items {
        set(&mut r.items, *item, status, now);
        if let Some(e) = r.items.get_mut(item) {
            e.attempts = e.attempts.saturating_add(1);
            e.last_attempt_at = Some(now.to_string());
        }
    }
}

/// [`Outcome::Removed`]: every item removed, nothing to retry.
fn removed(r: &mut DeployedRecord, now: &str) {
    r.group_id = None;
    r.payload_hash = None;
    for e in r.items.values_mut() {
        if e.status != ItemStatus::Removed {
            e.status = ItemStatus::Removed;
            e.updated_at = now.to_string();
        }
        e.attempts = 0;
        e.error = None;
    }
    r.retry_at = None;
    r.permanent_failure = false;
}

/// [`Outcome::Failed`]: `items` failed with `reason`, the attempt counted (once: an in-progress mark at `now`
/// already counted it); the next automatic attempt after [`retry_wait`], none when `permanent` or after
/// [`MAX_ATTEMPTS`].
fn failed(
    r: &mut DeployedRecord,
    items: &[DeployItem],
    reason: &str,
    permanent: bool,
    retry_after: Option<Duration>,
    now: &str,
    now_epoch: i64,
) {
    let mut attempts = 0;
    for item in items {
        set(&mut r.items, *item, ItemStatus::Failed, now);
        if let Some(e) = r.items.get_mut(item) {
            if e.last_attempt_at.as_deref() != Some(now) {
                e.attempts = e.attempts.saturating_add(1);
            }
            e.last_attempt_at = Some(now.to_string());
            e.error = Some(reason.to_string());
            attempts = attempts.max(e.attempts);
        }
    }
    let gave_up = attempts >= MAX_ATTEMPTS;
    r.permanent_failure = permanent || gave_up;
    r.retry_at =
        (!r.permanent_failure).then(|| now_epoch.saturating_add(retry_wait(attempts, retry_after).as_secs() as i64));
    if gave_up && !permanent {
        for e in r.items.values_mut().filter(|e| e.status == ItemStatus::Failed) {
            e.error = Some(format!("gave up after {attempts} attempts: {reason}"));
        }
    }
}

/// Whether two records say the same (ignoring `updated_at` and `version`), so an unchanged device is not written.
pub fn same(a: &DeployedRecord, b: &DeployedRecord) -> bool {
    let strip = |r: &DeployedRecord| {
        let mut r = r.clone();
        r.updated_at = String::new();
        r.version = 0;
        for e in r.items.values_mut() {
            e.updated_at = String::new();
        }
        r
    };
    strip(a) == strip(b)
}

/// Whether an automatic run leaves a device alone for now: a permanent failure waits for the admin, a
/// transient one for its `retry_at`.
pub fn waiting(r: Option<&DeployedRecord>, now_epoch: i64) -> bool {
    r.is_some_and(|r| r.permanent_failure || r.retry_at.is_some_and(|at| at > now_epoch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(in_scope: bool, platform: Option<Platform>) -> DeviceRecord {
        DeviceRecord {
            name: "d".into(),
            platform,
            os_version: "17".into(),
            in_scope,
            ..DeviceRecord::new("t", "1", None, "")
        }
    }

    #[test]
    fn a_device_belongs_in_its_platform_group_only_when_everything_holds() {
        let on = HashSet::from([Platform::Ios]);
        assert_eq!(desired_platform(&device(true, Some(Platform::Ios)), true, &on), Some(Platform::Ios));
        assert_eq!(desired_platform(&device(false, Some(Platform::Ios)), true, &on), None);
        assert_eq!(desired_platform(&device(true, Some(Platform::Ios)), false, &on), None);
        assert_eq!(desired_platform(&device(true, Some(Platform::Android)), true, &on), None);
        assert_eq!(desired_platform(&device(true, None), true, &on), None);
    }

    #[test]
    fn retry_waits_double_are_capped_and_honour_the_uem() {
        assert_eq!(retry_wait(1, None), Duration::from_secs(60));
        assert_eq!(retry_wait(2, None), Duration::from_secs(120));
        assert_eq!(retry_wait(30, None), MAX_RETRY);
        assert_eq!(retry_wait(1, Some(Duration::from_secs(57))), Duration::from_secs(60));
        assert_eq!(retry_wait(1, Some(Duration::from_secs(900))), Duration::from_secs(900));
    }

    fn applied(app_missing: Option<String>) -> Outcome {
        Outcome::Applied { platform: Platform::Macos, group_id: "g".into(), payload_hash: "h1".into(), app_missing }
    }

    #[test]
    fn applied_sets_every_item_of_the_platform() {
        let r = next_record("t", "1", Some(Platform::Macos), None, &applied(None), "T1", 100);
        assert_eq!(r.items.len(), 3);
        assert!(r.items.values().all(|i| i.status == ItemStatus::Applied && i.error.is_none()));
        assert_eq!((r.group_id.as_deref(), r.payload_hash.as_deref()), (Some("g"), Some("h1")));
        let again = next_record("t", "1", Some(Platform::Macos), Some(&r), &applied(None), "T2", 200);
        assert!(same(&r, &again), "applying twice changes nothing");
    }

    #[test]
    fn a_missing_install_method_fails_only_okta_verify() {
        let r = next_record("t", "1", Some(Platform::Macos), None, &applied(Some("no method".into())), "T1", 1);
        assert_eq!(r.items[&DeployItem::OktaVerify].status, ItemStatus::Failed);
        assert_eq!(r.items[&DeployItem::OktaVerify].error.as_deref(), Some("no method"));
        assert_eq!(r.items[&DeployItem::Attestation].status, ItemStatus::Applied);
    }

    #[test]
    fn failures_count_attempts_back_off_and_give_up() {
        let fail = Outcome::Failed { reason: "503".into(), permanent: false, retry_after: None, removing: false };
        let mut r = next_record("t", "1", Some(Platform::Ios), None, &fail, "T0", 0);
        assert_eq!(r.retry_at, Some(60));
        for i in 1..MAX_ATTEMPTS {
            r = next_record("t", "1", Some(Platform::Ios), Some(&r), &fail, &format!("T{i}"), 0);
        }
        assert_eq!(r.items[&DeployItem::OktaVerify].attempts, MAX_ATTEMPTS);
        assert!(r.permanent_failure && r.retry_at.is_none());
        assert!(r.items[&DeployItem::Attestation].error.as_deref().is_some_and(|e| e.starts_with("gave up after 10")));
        let gone = Outcome::Failed { reason: "gone".into(), permanent: true, retry_after: None, removing: false };
        let g = next_record("t", "2", Some(Platform::Ios), None, &gone, "T", 0);
        assert!(g.permanent_failure && g.retry_at.is_none() && waiting(Some(&g), 0));
    }

    #[test]
    fn an_in_progress_mark_counts_the_attempt_once() {
        let r = next_record("t", "1", Some(Platform::Ios), None, &Outcome::InProgress { adding: true }, "T", 0);
        assert_eq!(r.items[&DeployItem::Attestation].status, ItemStatus::InProgress);
        let fail = Outcome::Failed { reason: "x".into(), permanent: false, retry_after: None, removing: false };
        let f = next_record("t", "1", Some(Platform::Ios), Some(&r), &fail, "T", 0);
        assert_eq!(f.items[&DeployItem::Attestation].attempts, 1);
    }

    #[test]
    fn removal_marks_every_item_removed() {
        let r = next_record("t", "1", Some(Platform::Macos), None, &applied(None), "T1", 1);
        let gone = next_record("t", "1", Some(Platform::Macos), Some(&r), &Outcome::Removed, "T2", 2);
        assert!(gone.items.values().all(|i| i.status == ItemStatus::Removed));
        assert!(gone.group_id.is_none() && !gone.carries_items());
    }
}
