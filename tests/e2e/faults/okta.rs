//! Okta faults during reconciliations: 429 storms (with `X-Rate-Limit-Reset`), 5xx bursts, a timeout (an
//! answer later than the client's 10 s request timeout), pages cut short (fewer items, `next` after the last
//! one) and pages whose body breaks off mid-way; Okta's data changes meanwhile.

use super::common::*;
use odt_doubles::okta::OktaFault;
use std::time::Duration;

/// A seeded plan: mostly passes, 5xx bursts of 1 to 3, 429 storms of 1 to 4 (and one of 6, longer than the
/// client's 5 attempts, so one run fails mid-way), short pages, cut bodies, and `stalls` timeouts early on. A
/// pass follows each fault group, so groups do not merge into longer ones.
fn plan(rng: &mut fastrand::Rng, len: usize, stalls: usize) -> Vec<OktaFault> {
    let reset = || time::OffsetDateTime::now_utc().unix_timestamp() + 1;
    let mut out = Vec::new();
    for _ in 0..stalls {
        out.push(OktaFault::Pass);
        out.push(OktaFault::Stall(Duration::from_secs(11)));
    }
    while out.len() < len {
        let r = rng.f64();
        if r < 0.40 {
            out.push(OktaFault::Pass);
        } else if r < 0.55 {
            for _ in 0..rng.usize(1..=3) {
                out.push(OktaFault::Status([500, 502, 503, 504][rng.usize(..4)]));
            }
        } else if r < 0.70 {
            for _ in 0..rng.usize(1..=4) {
                out.push(OktaFault::RateLimited(reset()));
            }
        } else if r < 0.85 {
            out.push(OktaFault::ShortPage(rng.usize(1..=5)));
        } else {
            out.push(OktaFault::CutBody);
        }
        out.push(OktaFault::Pass);
        if out.len() >= len / 2 && !out.contains(&OktaFault::Status(599)) {
            // The one long storm, marked by a 599 first (a 5xx like the others).
            out.push(OktaFault::Status(599));
            out.extend(std::iter::repeat_n(OktaFault::RateLimited(reset()), 6));
            out.push(OktaFault::Pass);
        }
    }
    out
}

#[tokio::test]
async fn okta_429_storms_5xx_timeouts_and_truncated_pages() {
    let n = size(80, 1000);
    let mut rng = fastrand::Rng::with_seed(seed());
    let (t, _clock) = stack(None, None).await;
    let people = fleet(&t, n).await;
    t.stack.okta.lock().max_page = 7;
    let planned = plan(&mut rng, size(160, 1500), size(1, 3));
    t.stack.okta.lock().fault_plan = planned.into();
    let (mut ok, mut failed) = (0, 0);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    let mut runs = 0;
    while !t.stack.okta.lock().fault_plan.is_empty() && runs < 40 {
        runs += 1;
        // Okta's data moves on between runs.
        okta_changes(&t, &mut rng, &people, 5, runs * 100);
        let (status, body) = sync(&t).await;
        match status {
            200 => ok += 1,
            // A storm longer than the client's patience or a 5xx burst past its attempts: the run fails whole.
            502 | 503 => {
                failed += 1;
                let code = body["error"]["code"].as_str().unwrap_or("");
                *reasons.entry(format!("{status} {code}")).or_default() += 1;
            }
            s => panic!("unexpected answer {s} to a reconciliation under Okta faults: {body}"),
        }
    }
    let injected = t.stack.okta.lock().faults_injected.clone();
    assert!(t.stack.okta.lock().fault_plan.is_empty(), "the plan was used up");
    assert!(ok > 0, "reconciliations complete under faults ({failed} failed)");
    for kind in ["Status", "RateLimited", "Stall", "ShortPage", "CutBody"] {
        assert!(injected.iter().any(|(_, f)| format!("{f:?}").starts_with(kind)), "{kind} injected");
    }
    assert!(
        reasons.keys().all(|k| k == "503 okta_rate_limited"),
        "only the storm longer than the client's attempts fails a run; 5xx bursts, timeouts, short pages and \
         broken bodies are retried: {reasons:?}"
    );
    let (after, left) = converge(&t, 2).await;
    Figures {
        faults: injected.len(),
        deliveries: 0,
        requests: requests(&t),
        devices: n,
        mismatches: left.len(),
        uem_writes_duplicated: 0,
        reconciliations_after: after,
    }
    .print("okta");
    println!("FAULTS okta: reconciliations under faults {runs} ({ok} complete, {failed} failed: {reasons:?})");
    assert!(left.is_empty(), "records differ from the oracle: {left:#?}");
}
