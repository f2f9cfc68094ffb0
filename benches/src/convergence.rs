//! `odt-bench convergence` (issue 18, part 6): a fleet of `n` iOS devices kept converged at Hexnode's limits. A
//! Hexnode-like limiter of 30 calls a minute stands in front of the double for the whole local stack (the
//! functions, both stream consumers and the runs below), the product paces within its default share, and every
//! wait goes through one [`ScaledClock`]. Three figures:
//!
//! 1. a full reconciliation of `n` devices run as the schedule runs it: invocations of 15 minutes (less the
//!    inventory's save margin; simulated while pages are read, real once the inventory is read to its end, since
//!    what is left is real work no clock shortens), each resuming the kept read, 5 s apart, until one completes; its UEM calls against
//!    the pages and its simulated time against the calls at the re-reads' part of the share;
//! 2. while the next full reconciliation runs, `hooks` Okta event hook deliveries (a user added to the selected
//!    group), each timed from its delivery to the device's membership write in the UEM (polled on the double);
//! 3. UEM calls a day in steady state: one re-read's calls (measured) times the re-reads a day the schedule makes
//!    (its cadence, [`reread_interval`], plus the re-read's measured time), and the busiest minute of all the
//!    product's calls against its share.
//!
//! The hook phase may run at a lower speed-up than the re-read (`hook_speedup`): the hook's way through the
//! local stack (HTTP, DynamoDB Local, the stream pump) takes real time, which the speed-up multiplies.

use crate::hexnode_limit::HexnodeLimiter;
use crate::Figure;
use fleet_sync::sync::{reconcile, reread_interval, Budget, SAVE_MARGIN};
use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodeUser};
use odt_doubles::Served;
use odt_shared::clock::{Clock, ScaledClock};
use odt_shared::deps::Deps;
use odt_shared::pacing::{CallClass, Share, UemLimits};
use odt_tests::TestStack;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The part of a 15-minute invocation a run uses (the inventory stops [`SAVE_MARGIN`] before its deadline).
const INVOCATION_SECS: f64 = 900.0 - 5.0;
/// Between one scheduled invocation's end and the next one's start (simulated seconds).
const BETWEEN_INVOCATIONS: Duration = Duration::from_secs(5);
/// The selected Okta group.
const GROUP: &str = "00gCONVERGE00000001";
/// The hook secret.
const SECRET: &str = "bench-convergence-hook-secret-0123456789";

fn device_id(i: usize) -> u64 {
    3_000_000 + i as u64
}

fn okta_id(i: usize) -> String {
    format!("00uC{i:016}")
}

/// A stack whose Hexnode calls all pass `per_minute` limiter on `clock`, at Hexnode's limits.
async fn stack(clock: Arc<ScaledClock>) -> (TestStack, Arc<HexnodeLimiter>) {
    let slot: Arc<OnceLock<(Arc<HexnodeLimiter>, Served)>> = Arc::new(OnceLock::new());
    let (s, c): (_, Arc<dyn Clock>) = (slot.clone(), clock.clone());
    let front: odt_local::stack::DoubleFront = Arc::new(move |double| {
        let (s, c) = (s.clone(), c.clone());
        Box::pin(async move {
            let limiter = HexnodeLimiter::new(double, 30, c);
            let served = Served::start(limiter.router(), 0).await?;
            let addr = served.addr;
            let _ = s.set((limiter, served));
            Ok(addr)
        })
    });
    let clock_for_stamps = clock.clone();
    let c: Arc<dyn Clock> = clock;
    let t = TestStack::start_with(|cfg| {
        cfg.clock = c;
        cfg.uem_limits = UemLimits::HEXNODE;
        cfg.hexnode_front = Some(front);
    })
    .await;
    let stamp = clock_for_stamps.clone();
    t.stack.hexnode.lock().clock =
        Some(odt_doubles::hexnode::StampClock(Arc::new(move || stamp.now().unix_timestamp())));
    let limiter = slot.get().expect("the limiter started with the stack").0.clone();
    // The slot keeps the limiter's server alive for the run.
    std::mem::forget(slot);
    (t, limiter)
}

/// `n` owners in Okta and Hexnode, each with one iOS device; every `in_group_every`th in the selected group (none
/// when 0).
async fn seed(t: &TestStack, n: usize, in_group_every: usize) -> anyhow::Result<()> {
    t.stack.okta.add_group(GROUP, "Convergence");
    {
        let mut s = t.stack.okta.lock();
        for i in 0..n {
            let (id, email) = (okta_id(i), format!("c{i}@acme.example"));
            s.users.insert(
                id.clone(),
                json!({"id": id, "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
                       "profile": {"login": email, "email": email, "firstName": "User", "lastName": i.to_string()}}),
            );
            if in_group_every > 0 && i % in_group_every == 0 {
                s.members.entry(GROUP.to_string()).or_default().push(id);
            }
        }
    }
    {
        let mut s = t.stack.hexnode.lock();
        for i in 0..n {
            let user = 1 + i as u64;
            s.users
                .insert(user, HexnodeUser { id: user, name: format!("User {i}"), email: format!("c{i}@acme.example") });
            let mut d = HexnodeDeviceSeed::new(device_id(i), &format!("Device {i}"), "iOS", Some(user));
            d.os_version = "17.4".into();
            s.devices.insert(d.id, d);
        }
    }
    let admin = t.admin();
    let a =
        t.call("PUT", "/fleet", Some(&admin), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []}))).await;
    anyhow::ensure!(a.status == 200, "PUT /fleet: {}", a.text);
    let a = t.call("PUT", "/event-hook", Some(&admin), Some(json!({"secret": SECRET}))).await;
    anyhow::ensure!(a.status == 200, "PUT /event-hook: {}", a.text);
    Ok(())
}

/// Waits until the stream consumers are idle, however long deploying at the UEM's pace takes (the stack's
/// `settle` gives up after a minute of real time without a delivery finishing).
async fn settled(t: &TestStack) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..60 {
        match t.stack.settle().await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("never settled")))
}

/// Another invocation of the functions: the stack's clients, its own local pace.
fn invocation(t: &TestStack) -> Deps {
    let mut d = t.stack.deps.as_ref().clone();
    d.uem_pace = odt_shared::pacing::LocalPace::default();
    d
}

/// What a full reconciliation across invocations took.
struct FullRun {
    invocations: usize,
    secs: f64,
}

/// Runs scheduled invocations of the re-read until one completes.
async fn full_reconciliation(t: &TestStack, clock: &ScaledClock) -> anyhow::Result<FullRun> {
    let deps = invocation(t);
    let start = clock.now();
    let mut invocations = 0;
    loop {
        invocations += 1;
        // An invocation reading pages spends its time in paced waits, which the speed-up shortens; one that
        // starts with the inventory read to its end spends it on real work (Okta's users from the double, the
        // table from DynamoDB Local, the decisions), which no clock shortens: it gets Lambda's real 15 minutes.
        let kept = t.stack.deps.store.get_inventory_read(&t.tenant).await?;
        let real_work = kept.is_some_and(|r| r.cursor.is_none());
        let usable = Duration::from_secs_f64(INVOCATION_SECS / if real_work { 1.0 } else { clock.factor() });
        let budget = Budget {
            deadline: Some(Instant::now() + usable + SAVE_MARGIN),
            calls: CallClass::Reread,
            whole_invocation: true,
            ..Budget::default()
        };
        let began = clock.now();
        let s = reconcile(&deps, &t.tenant, budget).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if real_work {
            let took = (clock.now() - began).as_seconds_f64();
            eprintln!("  invocation {invocations} with the inventory complete: {began} for {took:.1} s (simulated)");
        }
        if s.complete {
            return Ok(FullRun { invocations, secs: (clock.now() - start).as_seconds_f64() });
        }
        if let Some(why) = s.stalled {
            anyhow::bail!("the re-read stalled after {invocations} invocations (a lower --speedup gives the real-time reads more room): {why}");
        }
        anyhow::ensure!(invocations < 1_000, "the re-read makes no progress");
        clock.sleep(BETWEEN_INVOCATIONS).await;
    }
}

/// The Hexnode double's pages of the inventory served so far, with the (simulated) second each arrived at.
fn inventory_pages(t: &TestStack) -> Vec<i64> {
    let h = &t.stack.hexnode;
    let mut at: Vec<i64> =
        h.requests_to("/api/v1/devices/?").into_iter().chain(h.requests_to("/api/v1/users/?")).map(|r| r.at).collect();
    at.sort_unstable();
    at
}

/// One event hook delivery: Okta added owner `i` to the selected group (the double already has it).
async fn deliver(t: &TestStack, http: &reqwest::Client, i: usize) -> anyhow::Result<()> {
    t.stack.okta.add_member(GROUP, &okta_id(i));
    let published = time::OffsetDateTime::now_utc();
    let published = odt_shared::clock::rfc3339(published);
    let event = json!({"uuid": uuid::Uuid::new_v4().to_string(), "published": published,
        "eventType": "group.user_membership.add", "version": "0", "severity": "INFO", "displayMessage": "Add user to group membership",
        "actor": {"id": "00uADMIN", "type": "User"},
        "target": [{"id": okta_id(i), "type": "User", "alternateId": format!("c{i}@acme.example"), "displayName": "U"},
                   {"id": GROUP, "type": "UserGroup", "alternateId": "unknown", "displayName": "Convergence"}]});
    let body = json!({"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
        "source": "https://acme.okta.com/api/v1/eventHooks/whoCONVERGE", "eventId": uuid::Uuid::new_v4().to_string(),
        "eventTime": published, "contentType": "application/json", "data": {"events": [event]}});
    let url = format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant);
    let r = http.post(url).header("authorization", SECRET).json(&body).send().await?;
    anyhow::ensure!(r.status().as_u16() == 200, "a delivery answered {}", r.status());
    Ok(())
}

/// The stages of one delivery's way, in simulated seconds from the delivery: the hook's answer (the inbox
/// record written), the device record re-decided in scope (the inbox consumer), deploy-trigger's first UEM call
/// for it (the managed group's read), and the membership write.
#[derive(Debug, Clone, Copy, Default)]
struct Stages {
    answered: f64,
    applied: Option<f64>,
    uem_read: Option<f64>,
    member: f64,
}

impl std::fmt::Display for Stages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{s:.2} s"));
        write!(
            f,
            "answered {:.2} s, in scope {}, group read {}, member {:.2} s",
            self.answered,
            at(self.applied),
            at(self.uem_read),
            self.member
        )
    }
}

/// Simulated seconds from each delivery to the device's membership of the managed iOS group, `hooks` deliveries
/// spread over `window`; each delivery's stages are printed to stderr (where a slow one spent its time).
async fn hook_latencies(
    t: &TestStack,
    clock: &ScaledClock,
    n: usize,
    hooks: usize,
    window: Duration,
) -> anyhow::Result<Vec<f64>> {
    let group = t.stack.hexnode.group_named("Okta Device Trust - iOS").map(|g| g.id);
    let group = group.ok_or_else(|| anyhow::anyhow!("no managed iOS group after the first reconciliation"))?;
    let http = reqwest::Client::new();
    let group_read = format!("/api/v1/devicegroups/{group}");
    let mut waits = Vec::new();
    for w in 0..hooks {
        // Owners not in the group at the start, spread over the fleet.
        let i = 10 * (w * (n / 10) / hooks) + 1;
        let reads_before = t.stack.hexnode.requests_to(&group_read).len();
        let sent = clock.now();
        let since = || (clock.now() - sent).as_seconds_f64();
        deliver(t, &http, i).await?;
        let mut stages = Stages { answered: since(), ..Stages::default() };
        let member = || t.stack.hexnode.lock().groups.get(&group).is_some_and(|g| g.members.contains(&device_id(i)));
        let mut polls = 0u64;
        while !member() {
            anyhow::ensure!((clock.now() - sent).whole_seconds() < 1_800, "device {i} never joined the group");
            if stages.uem_read.is_none() && t.stack.hexnode.requests_to(&group_read).len() > reads_before {
                stages.uem_read = Some(since());
            }
            if stages.applied.is_none() && polls.is_multiple_of(5) {
                let rec = t.stack.deps.store.get_device(&t.tenant, &device_id(i).to_string()).await?;
                if rec.is_some_and(|r| r.in_scope) {
                    stages.applied = Some(since());
                }
            }
            polls += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stages.member = since();
        eprintln!("  hook {w} sent {sent}: {stages}");
        waits.push(stages.member);
        let gap = window.as_secs_f64() / hooks as f64 - stages.member;
        if gap > 0.0 {
            clock.sleep(Duration::from_secs_f64(gap)).await;
        }
    }
    waits.sort_by(f64::total_cmp);
    Ok(waits)
}

/// The benchmark for `n` devices (see the module text); its figures.
pub async fn convergence(
    n: usize,
    hooks: usize,
    speedup: f64,
    hook_speedup: f64,
    in_group_every: usize,
) -> anyhow::Result<Vec<Figure>> {
    let clock = Arc::new(ScaledClock::new(speedup));
    let (t, limiter) = stack(clock.clone()).await;
    t.ready_fleet().await;
    seed(&t, n, in_group_every).await?;
    settled(&t).await?;
    let share = Share::new(UemLimits::HEXNODE, None);
    let reread_per_minute = f64::from(share.class_per_minute(CallClass::Reread));
    let pages = 2 * n.div_ceil(100);

    // 1. Full reconciliations as the schedule runs them: the first writes every record (and deploys the fleet's
    // first half), the second is the steady state's re-read, measured.
    let first = full_reconciliation(&t, &clock).await?;
    settled(&t).await?;
    let before = inventory_pages(&t).len();
    let full = full_reconciliation(&t, &clock).await?;
    let read = inventory_pages(&t).split_off(before);
    let calls = read.len();
    // From the first page's arrival to the last one's, plus one interval of the pace (the first page's own).
    let read_secs = match (read.first(), read.last()) {
        (Some(a), Some(b)) => (b - a) as f64 + 60.0 / reread_per_minute,
        _ => 0.0,
    };

    // 2. The next full reconciliation runs while hooks arrive.
    clock.set_factor(hook_speedup);
    // Full reconciliations follow each other until the last hook's device is in its group.
    let rereads = async {
        loop {
            if let Err(e) = full_reconciliation(&t, &clock).await {
                return e;
            }
        }
    };
    let window = Duration::from_secs(20 * 60);
    let waits = tokio::select! {
        waits = hook_latencies(&t, &clock, n, hooks, window) => waits?,
        failed = rereads => return Err(failed),
    };

    // 3. Steady state: the schedule's re-reads a day at the default cadence.
    let interval = reread_interval(Some(n as u64), share).as_secs_f64();
    let per_day = calls as f64 * 86_400.0 / (interval + read_secs);
    let reread_day = share.class_per_day(Some(n as u64), CallClass::Reread).unwrap_or(u64::MAX) as f64;
    let expected = calls as f64 / reread_per_minute * 60.0;
    Ok(vec![
        Figure::exactly(format!("convergence, {n} devices: full reconciliation UEM inventory calls"), calls as f64, "calls", pages as f64),
        Figure::at_most(
            format!("convergence, {n} devices: full reconciliation's UEM inventory read across invocations (simulated, x{speedup})"),
            read_secs / 60.0,
            "min",
            (expected / 60.0 * 1.05 * 100.0).round() / 100.0,
        ),
        Figure::info(
            format!("convergence, {n} devices: the whole reconciliation, Okta's side and the table included (simulated)"),
            full.secs / 60.0,
            "min",
        ),
        Figure::info(
            format!("convergence, {n} devices: the first reconciliation (every record written; simulated)"),
            first.secs / 60.0,
            "min",
        ),
        Figure::info(format!("convergence, {n} devices: invocations of 15 min"), full.invocations as f64, "invocations"),
        Figure::exactly(
            format!("convergence, {n} devices: calls the limiter answered 429"),
            limiter.throttled.load(Ordering::Relaxed) as f64,
            "calls",
            0.0,
        ),
        Figure::at_most(
            format!("convergence, {n} devices: hook to UEM membership write during a full re-read, p99 (simulated, x{hook_speedup})"),
            crate::percentile(&waits, 99.0),
            "s",
            60.0,
        ),
        Figure::info(format!("convergence, {n} devices: the same, median"), crate::percentile(&waits, 50.0), "s"),
        Figure::at_most(format!("convergence, {n} devices: UEM calls a day in steady state (re-reads)"), per_day, "calls", reread_day),
        Figure::at_most(
            format!("convergence, {n} devices: busiest minute of all the product's UEM calls"),
            limiter.busiest_minute.load(Ordering::Relaxed) as f64,
            "calls",
            f64::from(share.per_minute()),
        ),
    ])
}
