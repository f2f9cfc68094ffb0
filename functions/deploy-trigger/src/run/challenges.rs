//! The per-device step of a run, for platforms with Okta's dynamic SCEP challenge (case C24): each member of the
//! platform's group gets its own policy (`policy_targets.devices`) whose document carries a
//! challenge Okta issued for that device, fetched from the challenge URL with the saved username and password.
//! A challenge is single use: a device gets a new one only when what it carries changes (the platform's payload
//! or Okta Verify's method: a re-enrollment), never one given to another device or another enrollment. A device
//! that leaves the group, or a platform that leaves the dynamic challenge, has its own policy deleted.
//!
//! Cost (docs/ARCHITECTURE.md, "Dynamic SCEP challenge"): two UEM calls for a device's first enrollment (the
//! documented create, then its payload), one for each later enrollment (the update), one per device leaving; the
//! Okta challenge URL once per device per enrollment (more only for a refused challenge, bounded by
//! `MAX_FETCHES`).

use super::outcomes::Records;
use super::plan::PlatformPlan;
use super::{Ctx, RunReport};
use crate::desired::Outcome;
use crate::policy::{build_for_device, device_policy_name, per_device, policy_key, PlatformFailure};
use odt_shared::attestation::render::{CHALLENGE_PASSWORD, CHALLENGE_USERNAME};
use odt_shared::error::Error;
use odt_shared::okta::challenge::{fetch_printable, ChallengeError};
use odt_shared::store::{DeployItem, DeviceTrustState, ItemStatus, PlatformRecord, PlatformSettings};
use odt_shared::uem::{DeploymentPolicy, UemError};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::time::Duration;

/// Devices given their own document per run and platform: the rest wait for the next run (the UEM's budget is
/// 30 calls a minute; one delivery is one call).
pub const DELIVERIES_PER_RUN: usize = 250;

/// The key of what device `device_id` carries: the platform's payload hash and Okta Verify's method, as the
/// group policy's key is made, and the deleted Okta device record it was delivered again for (`redelivered_for`,
/// case C27: a new key, so a new challenge and document).
fn device_key(plan: &PlatformPlan, ctx: &Ctx<'_>, device_id: &str, redelivered_for: Option<&str>) -> String {
    let hash = plan.dep.payload_hash.as_deref().unwrap_or_default();
    let device = match redelivered_for {
        Some(okta) => format!("{device_id} again for {okta}"),
        None => device_id.to_string(),
    };
    policy_key(hash, ctx.settings.methods.get(&plan.platform), &device)
}

/// Gives every member of a dynamic-challenge platform that lacks it its own document, and takes devices' own
/// policies off where they no longer belong. A run that read its settings before device trust was deleted may
/// give a device its policy after the removal listed the policies to delete (seen in the remote walkthrough:
/// removal complete, some `… - device …` policies left). So a run that tried to give any reads device trust again
/// (strongly consistent) at its end, whatever happened on the way (a record write lost to the removal, a UEM
/// error), and when it is no longer active takes every device's own policy of its platforms off the UEM, found
/// by name in the UEM's own list (a policy whose payload step failed is in no record). Errors: the store failing.
pub(super) async fn deliver(
    ctx: &Ctx<'_>,
    plans: &[PlatformPlan],
    recs: &mut Records<'_>,
    report: &mut RunReport,
) -> Result<(), Error> {
    let mut tried = false;
    let result = deliver_each(ctx, plans, recs, report, &mut tried).await;
    if tried && !still_active(ctx).await? {
        tracing::info!(tenant = ctx.tenant, "device trust ended during the run; devices' own policies come off");
        sweep(ctx, plans).await;
        for id in recs.device_ids().cloned().collect::<Vec<_>>() {
            recs.edit(&id, |r| {
                r.device_policy_id = None;
                r.device_payload_hash = None;
            });
        }
        if let Err(e) = recs.flush(ctx.deps).await {
            tracing::warn!(tenant = ctx.tenant, error = %e, "device records after the sweep not written (removed?)");
        }
    }
    result
}

/// Deletes every device's own policy of `plans`' platforms the UEM lists (one gone meanwhile counts as deleted); a
/// failure is logged and left to the removal and the next run.
async fn sweep(ctx: &Ctx<'_>, plans: &[PlatformPlan]) {
    let listed = match ctx.uem.policies().await {
        Ok(l) => l,
        Err(e) => return tracing::warn!(tenant = ctx.tenant, error = %e, "devices' own policies could not be listed"),
    };
    let prefixes: Vec<String> = plans.iter().map(|p| device_policy_name(p.platform, "")).collect();
    for own in listed.into_iter().filter(|x| prefixes.iter().any(|p| x.name.starts_with(p.as_str()))) {
        match ctx.uem.delete_policy(&own.id).await {
            Ok(()) | Err(UemError::NotFound(_)) => {}
            Err(e) => tracing::warn!(policy = own.id, error = %e, "a device's own policy could not be deleted"),
        }
    }
}

/// [`deliver`]'s work per platform; `tried` is set once it asks to give any device its document.
async fn deliver_each(
    ctx: &Ctx<'_>,
    plans: &[PlatformPlan],
    recs: &mut Records<'_>,
    report: &mut RunReport,
    tried: &mut bool,
) -> Result<(), Error> {
    for plan in plans {
        let rec = ctx.settings.platform(plan.platform).filter(|r| per_device(r));
        let dynamic = plan.deploy && plan.failure.is_none() && rec.is_some();
        let mut ids: Vec<String> = recs
            .device_ids()
            .filter(|id| recs.get(id).is_some_and(|r| r.platform == Some(plan.platform)))
            .cloned()
            .collect();
        ids.sort();
        let mut wanting = Vec::new();
        for id in ids {
            let Some(r) = recs.get(&id) else { continue };
            let member = r.group_id.is_some()
                && r.payload_hash == plan.dep.payload_hash
                && r.items.get(&DeployItem::Attestation).is_some_and(|i| i.status == ItemStatus::Applied);
            if dynamic && member {
                let key = device_key(plan, ctx, &id, r.redelivered_for.as_deref());
                if r.device_payload_hash.as_deref() != Some(key.as_str()) || r.device_policy_id.is_none() {
                    wanting.push((id, key));
                }
            } else if r.device_policy_id.is_some() {
                take_off(ctx, recs, &id).await;
            }
        }
        if let (Some(rec), false) = (rec, wanting.is_empty()) {
            *tried = true;
            let run = report.platforms.entry(plan.platform.as_str().to_string()).or_default();
            run.failed += give(ctx, plan, rec, recs, wanting).await?;
        }
        recs.flush(ctx.deps).await?;
    }
    Ok(())
}

/// Whether the tenant's device trust is still active, read afresh. Errors: the store failing.
async fn still_active(ctx: &Ctx<'_>) -> Result<bool, Error> {
    let dt = ctx.deps.store.get_device_trust(ctx.tenant).await?;
    Ok(dt.is_some_and(|d| d.state == DeviceTrustState::Active))
}

/// Deletes device `id`'s own policy (one already gone counts as deleted); a failure leaves it for the next run.
async fn take_off(ctx: &Ctx<'_>, recs: &mut Records<'_>, id: &str) {
    let Some(pid) = recs.get(id).and_then(|r| r.device_policy_id.clone()) else { return };
    match ctx.uem.delete_policy(&pid).await {
        Ok(()) | Err(UemError::NotFound(_)) => recs.edit(id, |r| {
            r.device_policy_id = None;
            r.device_payload_hash = None;
        }),
        Err(e) => tracing::warn!(device = id, error = %e, "a device's own policy could not be deleted; next run"),
    }
}

/// Fetches a challenge for each of `wanting` (`(device id, key)`) and writes its policy; returns how many devices
/// failed. Once Okta or the UEM stops answering for all (refused credentials, throttled, unreachable), the rest
/// fail with the same reason without calling. Errors: the store or Secrets Manager failing.
async fn give(
    ctx: &Ctx<'_>,
    plan: &PlatformPlan,
    rec: &PlatformRecord,
    recs: &mut Records<'_>,
    wanting: Vec<(String, String)>,
) -> Result<usize, Error> {
    let PlatformSettings::Desktop { challenge_url: Some(url), challenge_username: stored_user, .. } = &rec.settings
    else {
        let f = fail_reason("the dynamic challenge has no challenge URL", None);
        return Ok(fail_all(recs, wanting.iter().map(|(id, _)| id), &f));
    };
    let Some((user, password)) = credentials(ctx, rec, stored_user.as_deref()).await? else {
        let f = fail_reason("the dynamic challenge's username or password is not set", None);
        return Ok(fail_all(recs, wanting.iter().map(|(id, _)| id), &f));
    };
    let Some(org) = ctx.deps.store.get_org(ctx.tenant, &ctx.settings.dt.okta_org_id).await? else {
        return Ok(0);
    };
    // A policy written by a run whose record write then lost to a concurrent run is found again by its name and
    // updated, never made twice (one list, paged, per platform with work to do).
    let by_name: HashMap<String, String> = match ctx.uem.policies().await {
        Ok(list) => list.into_iter().map(|p| (p.name, p.id)).collect(),
        Err(e) => return Ok(fail_all(recs, wanting.iter().map(|(id, _)| id), &e.into())),
    };
    let method = ctx.settings.methods.get(&plan.platform);
    let mut failed = 0;
    let mut stop: Option<PlatformFailure> = None;
    for (n, (id, key)) in wanting.iter().enumerate() {
        if n >= DELIVERIES_PER_RUN && stop.is_none() {
            stop = Some(fail_reason("waiting for its own document: the run's per-device budget is spent", None));
        }
        if let Some(f) = &stop {
            failed += fail_all(recs, [id], f);
            continue;
        }
        let challenge = match fetch_printable(&ctx.deps.outbound, url, &user, &password, Duration::ZERO).await {
            Ok(c) => c,
            Err(e) => {
                let f = from_challenge(&e);
                failed += fail_all(recs, [id], &f);
                if !matches!(e, ChallengeError::NotPrintable(_) | ChallengeError::Unrecognised) {
                    stop = Some(f);
                }
                continue;
            }
        };
        let policy = match build_for_device(ctx.deps, ctx.tenant, rec, &org, method, id, &challenge).await {
            Ok(p) => p,
            Err(f) => {
                failed += fail_all(recs, [id], &f);
                continue;
            }
        };
        let existing = recs
            .get(id)
            .and_then(|r| r.device_policy_id.clone())
            .or_else(|| by_name.get(&device_policy_name(plan.platform, id)).cloned());
        match write(ctx, existing, &policy).await {
            Ok(pid) => {
                // Its own document with a new challenge: a new SCEP enrollment.
                let now = recs.now().to_string();
                recs.edit(id, |r| {
                    r.device_policy_id = Some(pid);
                    r.device_payload_hash = Some(key.clone());
                    r.attested_at = Some(now);
                })
            }
            Err(e) => {
                let stops = e.stops_every_call();
                let f: PlatformFailure = e.into();
                failed += fail_all(recs, [id], &f);
                if stops {
                    stop = Some(f);
                }
            }
        }
    }
    Ok(failed)
}

/// The challenge URL's username and password of platform `rec`, `None` when either is not set. The username is a
/// secret (saved since the dynamic challenge works); a record saved before kept it in its settings
/// (`stored_user`). Errors: Secrets Manager failing.
async fn credentials(
    ctx: &Ctx<'_>,
    rec: &PlatformRecord,
    stored_user: Option<&str>,
) -> Result<Option<(String, SecretString)>, Error> {
    let user = match rec.secrets.get(CHALLENGE_USERNAME) {
        Some(r) => Some(ctx.deps.secrets.get(r).await?.expose_secret().to_string()),
        None => stored_user.map(str::to_string),
    };
    let (Some(user), Some(pw_ref)) = (user, rec.secrets.get(CHALLENGE_PASSWORD)) else { return Ok(None) };
    Ok(Some((user, ctx.deps.secrets.get(pw_ref).await?)))
}

/// Writes a device's own policy: updates `existing` (its id) when there is one and the UEM still has it, else
/// creates it. Returns the policy id. Errors: the UEM's.
async fn write(ctx: &Ctx<'_>, existing: Option<String>, policy: &DeploymentPolicy) -> Result<String, UemError> {
    match existing {
        Some(pid) => match ctx.uem.update_policy(&pid, policy).await {
            Ok(()) => Ok(pid),
            Err(UemError::NotFound(_)) => ctx.uem.create_policy(policy).await,
            Err(e) => Err(e),
        },
        None => ctx.uem.create_policy(policy).await,
    }
}

/// The reason a device's document could not be made from challenge error `e`.
fn from_challenge(e: &ChallengeError) -> PlatformFailure {
    let retry = match e {
        ChallengeError::Throttled { retry_after_secs } => retry_after_secs.map(Duration::from_secs),
        _ => None,
    };
    fail_reason(&format!("no SCEP challenge from Okta: {e}"), retry)
}

fn fail_reason(reason: &str, retry_after: Option<Duration>) -> PlatformFailure {
    PlatformFailure { reason: reason.to_string(), retry_after }
}

/// Records each of `ids` as failed with `f`; returns how many.
fn fail_all<'i>(recs: &mut Records<'_>, ids: impl IntoIterator<Item = &'i String>, f: &PlatformFailure) -> usize {
    let mut n = 0;
    for id in ids {
        let outcome =
            Outcome::Failed { reason: f.reason.clone(), permanent: false, retry_after: f.retry_after, removing: false };
        recs.apply(id, &outcome);
        n += 1;
    }
    n
}
