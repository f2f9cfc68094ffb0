//! Pacing the calls to a tenant's UEM (issue 18, "Pacing and budget"). The UEM's limits belong to the customer's
//! account, shared by every invocation of every function and by the customer's other integrations, so each request
//! is admitted in three steps:
//!
//! 1. a local token bucket per tenant in the warm instance ([`LocalPace`]) spaces the instance's own calls at the
//!    product's per-minute share, and remembers a minute the shared budget said was spent, so an instance does not
//!    ask DynamoDB again until the next minute;
//! 2. the shared per-minute budget in DynamoDB ([`CallBudget::take_minute`]): conditional counters per tenant and
//!    minute that every invocation draws from, the total below the product's share of the UEM's rate and each
//!    [`CallClass`]'s own count below its part (deployment all, evidence 75 %, full re-reads 50 %: a re-read has
//!    its half whenever deployment leaves room, and always leaves room in every minute for deployment);
//! 3. the daily count ([`CallBudget::take_day`]) against the product's share of the UEM's daily budget, of which
//!    each [`CallClass`] may reach its part: deployment all of it, evidence reads 85 %, full re-reads 70 %, so a short
//!    day still leaves room for a change to reach devices.
//!
//! Every request sent is counted, retries and `429`s included (the client admits each attempt). Hexnode's limits:
//! [`UemLimits::HEXNODE`]. The day is the UTC day (Hexnode does not say when its day starts).

mod budget;
mod view;

pub use budget::{CallBudget, MemoryBudget};
pub use view::{CallBudgetView, ClassBudget};

use crate::clock::{utc_day, Clock};
use crate::store::StoreError;
use crate::uem::{Admission, UemError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// A UEM's published limits for one customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UemLimits {
    /// Calls a minute, account-wide.
    pub per_minute: u32,
    /// Calls a day per managed device, pooled account-wide.
    pub per_device_per_day: u32,
}

impl UemLimits {
    /// Hexnode's limits as Hexnode's staff state them (../shared/hexnode/API-NOTES.md, "Rate limits": "30
    /// calls/minute; 10 calls per managed device per day, pooled account-wide",
    /// <https://www.hexnode.com/forums/?p=45730>).
    pub const HEXNODE: UemLimits = UemLimits { per_minute: 30, per_device_per_day: 10 };
}

/// The product's share of the UEM's limits when the admin has set none (percent): half, leaving the other half
/// to the customer's other integrations.
pub const DEFAULT_SHARE_PERCENT: u8 = 50;

/// The longest an admitted call waits for a minute with room in it, in all, before it fails as throttled
/// (other invocations keep every minute spent): 3 minutes.
pub const MAX_ADMIT_WAIT: Duration = Duration::from_secs(180);

/// Who a call is for, in the order the daily budget serves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallClass {
    /// Deployment runs and the admin's own requests: a change an admin or a hook made must reach devices.
    #[default]
    Deployment,
    /// Evidence reads (device status refresh).
    Evidence,
    /// Reconciliation's full re-read of the inventory on the schedule.
    Reread,
}

impl CallClass {
    /// Every class, most urgent first.
    pub const ALL: [CallClass; 3] = [CallClass::Deployment, CallClass::Evidence, CallClass::Reread];

    /// The part of the product's daily budget (percent) this class may use up to.
    pub fn daily_percent(self) -> u64 {
        match self {
            CallClass::Deployment => 100,
            CallClass::Evidence => 85,
            CallClass::Reread => 70,
        }
    }

    /// The part of the product's per-minute share (percent) this class may take in any minute: deployment all of
    /// it, evidence 75 %, full re-reads 50 %, so a running re-read always leaves room in each minute for a change to
    /// reach devices.
    pub fn minute_percent(self) -> u32 {
        match self {
            CallClass::Deployment => 100,
            CallClass::Evidence => 75,
            CallClass::Reread => 50,
        }
    }

    /// The class's name as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            CallClass::Deployment => "deployment",
            CallClass::Evidence => "evidence",
            CallClass::Reread => "reread",
        }
    }
}

/// The product's share of a tenant's UEM limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub limits: UemLimits,
    /// 1 to 100.
    pub percent: u8,
}

impl Share {
    /// `percent` (the tenant's setting; `None`: [`DEFAULT_SHARE_PERCENT`]) of `limits`.
    pub fn new(limits: UemLimits, percent: Option<u8>) -> Self {
        Share { limits, percent: percent.unwrap_or(DEFAULT_SHARE_PERCENT).clamp(1, 100) }
    }

    /// The product's calls a minute: the share of the UEM's, at least 1.
    pub fn per_minute(&self) -> u32 {
        (u64::from(self.limits.per_minute) * u64::from(self.percent) / 100).max(1) as u32
    }

    /// The calls a minute `class` may take (its [`CallClass::minute_percent`] of [`Share::per_minute`], at least 1).
    pub fn class_per_minute(&self, class: CallClass) -> u32 {
        (self.per_minute() * class.minute_percent() / 100).max(1)
    }

    /// The UEM's daily budget for `managed` devices. `None`, no daily limit, while the fleet size is unknown (no
    /// reconciliation yet) or zero: Hexnode's pool is per device and says nothing of an account without devices,
    /// so only the per-minute rate holds there.
    pub fn uem_per_day(&self, managed: Option<u64>) -> Option<u64> {
        managed.filter(|n| *n > 0).map(|n| n.saturating_mul(u64::from(self.limits.per_device_per_day)))
    }

    /// The product's calls a day: its share of [`Share::uem_per_day`].
    pub fn per_day(&self, managed: Option<u64>) -> Option<u64> {
        self.uem_per_day(managed).map(|d| d.saturating_mul(u64::from(self.percent)) / 100)
    }

    /// The calls a day `class` may reach.
    pub fn class_per_day(&self, managed: Option<u64>, class: CallClass) -> Option<u64> {
        self.per_day(managed).map(|d| d.saturating_mul(class.daily_percent()) / 100)
    }
}

/// Minutes since the epoch of `t`.
pub fn minute_of(t: OffsetDateTime) -> i64 {
    t.unix_timestamp().div_euclid(60)
}

/// Whole seconds from `t` to the next UTC midnight (when the daily count starts again), at least 1.
pub fn secs_to_next_day(t: OffsetDateTime) -> u64 {
    let into_day = t.unix_timestamp().rem_euclid(86_400);
    (86_400 - into_day).max(1) as u64
}

/// Each warm instance's own pace per tenant (the local token bucket in front of the shared budget; GCRA form):
/// calls spaced `60 s / per_minute` apart with a burst of up to [`LOCAL_BURST`], and a minute the shared budget
/// said was spent held back until it ends. Cheap to clone; one per instance in `Deps`.
#[derive(Debug, Clone, Default)]
pub struct LocalPace {
    /// Tenant → the theoretical arrival time of its next call (GCRA).
    next: Arc<Mutex<HashMap<String, OffsetDateTime>>>,
}

/// Calls an instance may send back to back before the spacing applies.
pub const LOCAL_BURST: u32 = 3;

impl LocalPace {
    /// The wait before `tenant`'s next call at `per_minute`, reserving its slot. Never negative.
    fn reserve(&self, tenant: &str, per_minute: u32, now: OffsetDateTime) -> Duration {
        let interval = time::Duration::seconds_f64(60.0 / f64::from(per_minute.max(1)));
        let burst = interval * (LOCAL_BURST.min(per_minute.max(1)) - 1) as i32;
        let mut next = self.next.lock().expect("pace lock");
        let tat = next.get(tenant).copied().unwrap_or(now).max(now);
        let allowed_at = tat - burst;
        next.insert(tenant.to_string(), tat + interval);
        let wait = allowed_at - now;
        if wait.is_positive() {
            Duration::from_secs_f64(wait.as_seconds_f64())
        } else {
            Duration::ZERO
        }
    }

    /// Holds `tenant`'s calls in this instance back until `until` (the shared minute is spent).
    fn hold_until(&self, tenant: &str, until: OffsetDateTime) {
        let mut next = self.next.lock().expect("pace lock");
        let tat = next.entry(tenant.to_string()).or_insert(until);
        *tat = (*tat).max(until);
    }
}

/// Admits the calls of one tenant's UEM client (see the module text; the client takes it as its
/// [`Admission`]). Built by `Deps::uem_pacer`.
pub struct Pacer {
    tenant: String,
    class: CallClass,
    share: Share,
    budget: Arc<dyn CallBudget>,
    clock: Arc<dyn Clock>,
    local: LocalPace,
    managed: tokio::sync::OnceCell<Option<u64>>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").field("tenant", &self.tenant).field("class", &self.class).finish()
    }
}

#[async_trait::async_trait]
impl Admission for Pacer {
    async fn admit(&self) -> Result<(), UemError> {
        Pacer::admit(self).await
    }
}

impl Pacer {
    /// A pacer for `tenant`'s calls of `class` within `share`, drawing from `budget`, waiting through `clock`.
    pub fn new(
        tenant: &str,
        class: CallClass,
        share: Share,
        budget: Arc<dyn CallBudget>,
        clock: Arc<dyn Clock>,
        local: LocalPace,
    ) -> Self {
        Pacer { tenant: tenant.to_string(), class, share, budget, clock, local, managed: tokio::sync::OnceCell::new() }
    }

    /// Waits until one more request may be sent and counts it. Errors: [`UemError::BudgetSpent`] when the day's
    /// part for this call's class is used up (until the next UTC midnight); [`UemError::Throttled`] when no minute
    /// had room within [`MAX_ADMIT_WAIT`]; [`UemError::BudgetUnavailable`] when the store fails.
    pub async fn admit(&self) -> Result<(), UemError> {
        let unavailable = |e: StoreError| UemError::BudgetUnavailable(e.to_string());
        let managed = *self
            .managed
            .get_or_try_init(|| async { self.budget.managed_devices(&self.tenant).await })
            .await
            .map_err(unavailable)?;
        let per_minute = self.share.class_per_minute(self.class);
        let total = self.share.per_minute();
        // Each class keeps its own local pace; the shared minute item counts them all and each class.
        let key = format!("{}#{}", self.tenant, self.class.as_str());
        let mut waited = Duration::ZERO;
        loop {
            let wait = self.local.reserve(&key, per_minute, self.clock.now());
            if !wait.is_zero() {
                self.clock.sleep(wait).await;
            }
            let now = self.clock.now();
            let minute = minute_of(now);
            let taken = self.budget.take_minute(&self.tenant, minute, self.class.as_str(), per_minute, total);
            if taken.await.map_err(unavailable)? {
                break;
            }
            // Spent by this and other invocations: wait for the next minute, holding this instance back too.
            let next_minute = OffsetDateTime::from_unix_timestamp((minute + 1) * 60).unwrap_or(now);
            let gap = Duration::from_secs_f64((next_minute - now).as_seconds_f64().max(0.0));
            if waited + gap > MAX_ADMIT_WAIT {
                return Err(UemError::Throttled { retry_after_secs: gap.as_secs().max(1) });
            }
            self.local.hold_until(&key, next_minute);
            waited += gap;
        }
        let now = self.clock.now();
        let limit = self.share.class_per_day(managed, self.class);
        match self.budget.take_day(&self.tenant, &utc_day(now), limit).await.map_err(unavailable)? {
            Some(_) => Ok(()),
            None => Err(UemError::BudgetSpent {
                class: self.class.as_str().to_string(),
                allowed: limit.unwrap_or_default(),
                retry_after_secs: secs_to_next_day(now),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn start() -> OffsetDateTime {
        // 2026-12-06 10:00:00 UTC.
        OffsetDateTime::from_unix_timestamp(1_796_551_200).unwrap()
    }

    fn pacer(budget: &Arc<MemoryBudget>, clock: &ManualClock, class: CallClass, local: LocalPace) -> Pacer {
        let share = Share::new(UemLimits::HEXNODE, None);
        Pacer::new("t1", class, share, budget.clone(), Arc::new(clock.clone()), local)
    }

    #[test]
    fn the_share_of_hexnodes_limits() {
        let s = Share::new(UemLimits::HEXNODE, None);
        assert_eq!(s.per_minute(), 15);
        assert_eq!(s.uem_per_day(Some(100_000)), Some(1_000_000));
        assert_eq!(s.per_day(Some(100_000)), Some(500_000));
        assert_eq!(s.class_per_day(Some(1_000), CallClass::Reread), Some(3_500));
        assert_eq!(s.per_day(None), None);
        assert_eq!(s.per_day(Some(0)), None, "no devices: only the per-minute rate");
        assert_eq!(Share::new(UemLimits::HEXNODE, Some(1)).per_minute(), 1, "never zero a minute");
        assert_eq!(Share::new(UemLimits::HEXNODE, Some(100)).per_minute(), 30);
        assert_eq!((s.class_per_minute(CallClass::Reread), s.class_per_minute(CallClass::Evidence)), (7, 11));
    }

    /// Fails if two instances (each its own local bucket) drawing from one budget could send more in a minute
    /// than the product's share, or if a call were not counted.
    #[tokio::test]
    async fn two_instances_together_stay_within_the_share_each_minute() {
        let budget = Arc::new(MemoryBudget::default());
        let clock = ManualClock::new(start());
        let a = pacer(&budget, &clock, CallClass::Deployment, LocalPace::default());
        let b = pacer(&budget, &clock, CallClass::Reread, LocalPace::default());
        for _ in 0..40 {
            a.admit().await.expect("a");
            b.admit().await.expect("b");
        }
        let minutes = budget.minutes("t1");
        assert!(minutes.iter().all(|(_, n)| *n <= 15), "{minutes:?}");
        assert_eq!(minutes.iter().map(|(_, n)| u64::from(*n)).sum::<u64>(), 80);
        assert_eq!(budget.day_count("t1", &utc_day(start())), 80);
        assert!(minutes.len() >= 6, "80 calls at 15 a minute take at least 6 minutes: {minutes:?}");
    }

    /// Fails if a full re-read could take a whole minute's share and make a deployment call wait for the next
    /// minute (the re-read's own cap per minute is what leaves room).
    #[tokio::test]
    async fn a_running_reread_leaves_room_each_minute_for_deployment() {
        let budget = Arc::new(MemoryBudget::default());
        let clock = ManualClock::new(start());
        let local = LocalPace::default();
        let reread = pacer(&budget, &clock, CallClass::Reread, local.clone());
        let deploy = pacer(&budget, &clock, CallClass::Deployment, local);
        let mut waits = Vec::new();
        for i in 0..60 {
            reread.admit().await.expect("re-read");
            if i % 3 == 2 {
                let t0 = clock.now();
                deploy.admit().await.expect("deployment");
                waits.push((clock.now() - t0).as_seconds_f64());
            }
        }
        let minutes = budget.minutes("t1");
        assert!(minutes.iter().all(|(_, n)| *n <= 15), "{minutes:?}");
        assert!(waits.iter().all(|w| *w < 4.5), "deployment never waits for a minute: {waits:?}");
        // The re-read alone: 7 a minute (half of 15), so 60 calls span at least 8 minutes.
        assert!(minutes.len() >= 8, "{minutes:?}");
    }

    /// Fails if deployment's calls in a minute took the re-read's part of it (the re-read's count is its own).
    #[tokio::test]
    async fn a_reread_keeps_its_part_of_the_minute_beside_deployment() {
        let budget = Arc::new(MemoryBudget::default());
        let clock = ManualClock::new(start());
        let deploy = pacer(&budget, &clock, CallClass::Deployment, LocalPace::default());
        let reread = pacer(&budget, &clock, CallClass::Reread, LocalPace::default());
        for _ in 0..6 {
            deploy.admit().await.expect("deployment");
        }
        for _ in 0..7 {
            reread.admit().await.expect("re-read");
        }
        let minutes = budget.minutes("t1");
        assert_eq!(minutes.first().map(|m| m.1), Some(13), "6 deployment calls and the re-read's 7: {minutes:?}");
    }

    /// Fails if the local bucket let an instance send its calls back to back past the burst.
    #[tokio::test]
    async fn one_instance_spaces_its_calls() {
        let budget = Arc::new(MemoryBudget::default());
        let clock = ManualClock::new(start());
        let p = pacer(&budget, &clock, CallClass::Deployment, LocalPace::default());
        for _ in 0..10 {
            p.admit().await.expect("admit");
        }
        // The burst goes at once, then one call every 4 s (15 a minute).
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 10 - LOCAL_BURST as usize, "{sleeps:?}");
        assert!(sleeps.iter().all(|s| (s.as_secs_f64() - 4.0).abs() < 0.01), "{sleeps:?}");
    }

    /// Fails if a full re-read could spend the part of the day kept for deployment and evidence.
    #[tokio::test]
    async fn a_short_day_stops_rereads_first_and_keeps_deployment_going() {
        // 10 devices: 100 calls a day for the account, 50 for the product; re-reads up to 35, evidence 42.
        let budget = Arc::new(MemoryBudget::with_devices(10));
        let clock = ManualClock::new(start());
        let reread = pacer(&budget, &clock, CallClass::Reread, LocalPace::default());
        let mut sent = 0;
        let refused = loop {
            match reread.admit().await {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(sent, 35);
        match refused {
            UemError::BudgetSpent { class, allowed, retry_after_secs } => {
                assert_eq!((class.as_str(), allowed), ("reread", 35));
                assert!(retry_after_secs > 0 && retry_after_secs <= 86_400);
            }
            other => panic!("{other:?}"),
        }
        let deploy = pacer(&budget, &clock, CallClass::Deployment, LocalPace::default());
        for _ in 0..15 {
            deploy.admit().await.expect("deployment keeps its part");
        }
        assert!(matches!(deploy.admit().await, Err(UemError::BudgetSpent { .. })));
        assert_eq!(budget.day_count("t1", &utc_day(clock.now())), 50, "only calls sent are counted");
    }

    #[test]
    fn days_and_minutes() {
        assert_eq!(utc_day(start()), "2026-12-06");
        assert_eq!(secs_to_next_day(start()), 14 * 3600);
        assert_eq!(minute_of(start()), 1_796_551_200 / 60);
    }
}
