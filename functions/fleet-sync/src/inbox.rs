//! The event hook's second half: the stream consumer that applies what `POST /hooks/okta/{tenant}` accepted.
//!
//! The hook answers Okta once a delivery is durable (one `HOOKINBOX#` record per part, see
//! [`crate::hooks::receive`]); the table's stream hands each new inbox record here (the
//! `FleetSyncHookFunction` in `template.yaml`, filtered to inbox inserts). Per event:
//!
//! - Each event is applied once: a marker `HOOKEVENT#<uuid>` (TTL 7 days) is checked before and written after;
//!   applying is idempotent, so a duplicate racing the first changes nothing (case C06).
//! - Membership and user-state changes are kept per (group, user) and per user with the event's `published`
//!   time, and an older event never overwrites a newer one, so unordered deliveries converge (case C06).
//! - The owner's devices are then re-decided from the facts kept on their records, applying the newest stored
//!   fact (never the event's own value), conditionally on each record's version (case C12).
//! - `device.user.*` and `device.lifecycle.*` events keep the latest state of Okta's device record
//!   (`OKTADEVICE#<id>`) as evidence for status; they do not change scope.
//!
//! A record whose events cannot all be applied (the store failing, or a re-decision losing every attempt) is
//! reported as a batch item failure, so the stream delivers it again (from that record on, 20 attempts and 15
//! minutes at most: `template.yaml`) while the rest of the batch is applied (ServerlessDevelopers/serverless-rust:
//! partial batch responses). An inbox record that does not read is
//! logged and skipped: delivering it again cannot help, and reconciliation covers whatever it held.

use crate::hooks::{target, Event, DEDUP_TTL_SECS};
use crate::store_failure;
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use futures::stream::{self, StreamExt, TryStreamExt};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::platform::Platform;
use odt_shared::store::{tenant_pk, DeviceRecord, StoreError};
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The sort key prefix of inbox records (`HOOKINBOX#<delivery key>#<part>`).
pub const INBOX_PREFIX: &str = "HOOKINBOX#";

/// One part of an accepted delivery, kept 7 days (TTL): the stream consumer applies it once it is written, and
/// while it is there a redelivery of the same delivery is known at the door.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxRecord {
    pub pk: String,
    /// `HOOKINBOX#<32 hex digits of SHA-256 over the delivery's event uuids>#<part>`.
    pub sk: String,
    /// The events this product acts on, oldest `published` first, with only the targets it reads.
    pub events: Vec<Event>,
    /// When the hook accepted the delivery (RFC 3339).
    pub received_at: String,
    /// The table's TTL attribute (epoch seconds).
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
}

/// What applying one inbox record did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Events that changed a fact (and re-decided the owner's devices) or kept Okta device evidence.
    pub applied: usize,
    /// Events already applied (their marker was there).
    pub duplicates: usize,
    /// Events about groups outside the fleet, older than what is known, or without the targets they need.
    pub ignored: usize,
}

/// The tenant and inbox record of a stream record, or `None` for any other record (or one that does not read,
/// which is logged).
fn inbox_of(r: &EventRecord) -> Option<(String, InboxRecord)> {
    let (tenant, sk) = odt_shared::stream::tenant_and_sk(r)?;
    if !sk.starts_with(INBOX_PREFIX) || r.event_name != "INSERT" {
        return None;
    }
    match serde_dynamo::from_item::<_, InboxRecord>(r.change.new_image.clone()) {
        Ok(rec) => Some((tenant, rec)),
        Err(e) => {
            tracing::error!(tenant = tenant.as_str(), sk = sk.as_str(), error = %e, "inbox record does not read; skipped");
            None
        }
    }
}

/// Inbox records of one tenant applied at once (their order does not matter, as for the events inside one).
const RECORDS_AT_ONCE: usize = 4;

/// Handles one stream batch: each tenant's inbox records ([`RECORDS_AT_ONCE`] at once), its context read once.
/// A record that fails is reported by sequence number; the rest of the batch goes on.
pub async fn handle_stream(deps: &Deps, event: StreamEvent) -> DynamoDbEventResponse {
    let mut by_tenant: Vec<(String, Vec<(String, InboxRecord)>)> = Vec::new();
    for r in &event.records {
        let Some((tenant, rec)) = inbox_of(r) else { continue };
        let seq = r.change.sequence_number.clone().unwrap_or_default();
        match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, recs)) => recs.push((seq, rec)),
            None => by_tenant.push((tenant, vec![(seq, rec)])),
        }
    }
    let mut failed = Vec::new();
    for (tenant, recs) in by_tenant {
        let ctx = match Context::load(deps, &tenant).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(tenant = tenant.as_str(), error = %e.message, "hook context unreadable; records retried");
                failed.extend(recs.into_iter().map(|(seq, _)| seq));
                continue;
            }
        };
        let ctx = &ctx;
        let tenant = tenant.as_str();
        let outcomes: Vec<(String, Result<Applied, ApiError>, String)> = stream::iter(recs)
            .map(|(seq, rec)| async move {
                let r = apply_events(deps, tenant, ctx, &rec.events).await;
                (seq, r, rec.sk)
            })
            .buffer_unordered(RECORDS_AT_ONCE)
            .collect()
            .await;
        for (seq, outcome, sk) in outcomes {
            match outcome {
                Ok(a) => tracing::info!(
                    tenant,
                    record = sk.as_str(),
                    applied = a.applied,
                    duplicates = a.duplicates,
                    ignored = a.ignored,
                    "event hook delivery applied"
                ),
                Err(e) => {
                    tracing::warn!(tenant, record = sk.as_str(), error = %e.message,
                        "event hook delivery not applied; retried");
                    failed.push(seq);
                }
            }
        }
    }
    odt_shared::stream::batch_failures(failed)
}

/// Applies `events` of `tenant` ([`EVENTS_AT_ONCE`] at once: their order does not matter, since each fact keeps
/// its newest event and every re-decision reads the newest facts). An event whose `published` does not read
/// (the door checked it) counts as ignored.
///
/// # Errors
/// The first event that failed (the store, or a re-decision that lost every attempt); events applied before it
/// stay applied and marked.
pub async fn apply_events(deps: &Deps, tenant: &str, ctx: &Context, events: &[Event]) -> Result<Applied, ApiError> {
    let mut out = Applied::default();
    let rfc = &time::format_description::well_known::Rfc3339;
    let applying: Vec<_> = events
        .iter()
        .filter_map(|e| time::OffsetDateTime::parse(&e.published, rfc).ok().map(|at| (at, e)))
        .map(|(at, e)| apply_once(deps, tenant, ctx, e, at))
        .collect();
    out.ignored += events.len() - applying.len();
    let outcomes: Vec<Outcome> = stream::iter(applying).buffer_unordered(EVENTS_AT_ONCE).try_collect().await?;
    for o in outcomes {
        match o {
            Outcome::Applied => out.applied += 1,
            Outcome::Ignored => out.ignored += 1,
            Outcome::Duplicate => out.duplicates += 1,
        }
    }
    Ok(out)
}

/// What applying a tenant's events needs, read once per stream batch.
pub struct Context {
    selected_groups: Vec<String>,
    enabled: HashMap<Platform, String>,
}

impl Context {
    /// Reads the fleet's selected Okta groups and the enabled platforms' payload hashes of `tenant`.
    pub async fn load(deps: &Deps, tenant: &str) -> Result<Context, ApiError> {
        let fleet = deps.store.get_fleet(tenant).await.map_err(store_failure)?;
        let enabled = deps
            .store
            .list_platforms(tenant)
            .await
            .map_err(store_failure)?
            .into_iter()
            .filter(|p| p.enabled)
            .map(|p| (p.platform, p.payload_hash))
            .collect();
        Ok(Context { selected_groups: fleet.map(|f| f.okta_group_ids).unwrap_or_default(), enabled })
    }
}

/// Events of one inbox record applied at once (each is a handful of DynamoDB calls).
const EVENTS_AT_ONCE: usize = 8;

/// What became of one event of a delivery.
enum Outcome {
    Applied,
    Ignored,
    Duplicate,
}

/// Applies one event unless its marker says it was (case C06), then writes the marker. Errors: the store or a
/// lost re-decision; the inbox record then fails and the stream delivers it again (an event applied but not
/// marked is applied again, which changes nothing).
async fn apply_once(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    e: &Event,
    at: time::OffsetDateTime,
) -> Result<Outcome, ApiError> {
    let marker = format!("HOOKEVENT#{}", e.uuid);
    if deps.store.exists(&tenant_pk(tenant), &marker).await.map_err(store_failure)? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = if apply(deps, tenant, ctx, e, at).await? { Outcome::Applied } else { Outcome::Ignored };
    let expires = deps.clock.now().unix_timestamp() + DEDUP_TTL_SECS;
    deps.store.put_marker(&tenant_pk(tenant), &marker, expires).await.map_err(store_failure)?;
    Ok(outcome)
}

/// Applies one event; `false` when it does not concern the fleet or is older than what is known.
async fn apply(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    e: &Event,
    at: time::OffsetDateTime,
) -> Result<bool, ApiError> {
    let pk = tenant_pk(tenant);
    let published = at.unix_timestamp_nanos().to_string();
    match e.event_type.as_str() {
        t @ ("group.user_membership.add" | "group.user_membership.remove") => {
            let (Some(user), Some(group)) = (target(e, "User"), target(e, "UserGroup")) else { return Ok(false) };
            if !ctx.selected_groups.iter().any(|g| g == group) {
                return Ok(false);
            }
            let member = t.ends_with(".add");
            let key = format!("GMEMBER#{group}#{user}");
            if !deps.store.put_if_newer(&pk, &key, &published, member.to_string()).await.map_err(store_failure)? {
                return Ok(false);
            }
            redecide(deps, tenant, ctx, user, &key, |r, fact| {
                r.owner_selected_groups.retain(|g| g != group);
                if fact == "true" {
                    r.owner_selected_groups.push(group.to_string());
                    r.owner_selected_groups.sort();
                }
            })
            .await?;
            Ok(true)
        }
        t if t.starts_with("user.lifecycle.") => {
            let Some(user) = target(e, "User") else { return Ok(false) };
            let status = match t {
                "user.lifecycle.create"
                | "user.lifecycle.activate"
                | "user.lifecycle.reactivate"
                | "user.lifecycle.unsuspend" => "ACTIVE",
                "user.lifecycle.suspend" => "SUSPENDED",
                "user.lifecycle.deactivate" => "DEPROVISIONED",
                "user.lifecycle.delete.initiated" => "DELETED",
                _ => return Ok(false),
            };
            let key = format!("OKTAUSER#{user}");
            if !deps.store.put_if_newer(&pk, &key, &published, status.to_string()).await.map_err(store_failure)? {
                return Ok(false);
            }
            redecide(deps, tenant, ctx, user, &key, |r, fact| r.owner_status = Some(fact.to_string())).await?;
            Ok(true)
        }
        t if t.starts_with("device.user.") || t.starts_with("device.lifecycle.") => {
            // Okta's own device record changed (its user link, or the device itself). Scope does not depend on
            // it; the latest state is kept per Okta device as evidence for the status report.
            let Some(device) = target(e, "Device") else { return Ok(false) };
            let value = format!("{t} {}", target(e, "User").unwrap_or("-"));
            Ok(deps
                .store
                .put_if_newer(&pk, &format!("OKTADEVICE#{device}"), &published, value)
                .await
                .map_err(store_failure)?)
        }
        _ => Ok(false),
    }
}

/// Conditional writes one device's re-decision may lose to concurrent writers before the delivery fails.
const REDECIDE_ATTEMPTS: usize = 5;

/// Re-decides every device of `user` after the fact under `fact_sk` changed, from the facts on each record,
/// conditionally on the record's version; a conflict (reconciliation or another consumer wrote meanwhile)
/// re-reads and re-applies (case C12). Each attempt applies the newest stored value of the fact, read after the
/// record, never the value of the event at hand; and after a write the fact is read once more: if a newer event
/// landed between this attempt's read and its write (its own re-decision saw the record before this write and
/// found nothing to do), this one applies the newer value too. So applications racing on one user end on the
/// newest fact whichever writes last. Errors: the store failing, or [`REDECIDE_ATTEMPTS`] rounds on one record
/// without settling (the stream delivers the inbox record again).
async fn redecide(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    user: &str,
    fact_sk: &str,
    change: impl Fn(&mut DeviceRecord, &str),
) -> Result<(), ApiError> {
    let pk = tenant_pk(tenant);
    for found in deps.store.devices_of_user(tenant, user).await.map_err(store_failure)? {
        let mut done = false;
        for _ in 0..REDECIDE_ATTEMPTS {
            let Some(fresh) = deps.store.get::<DeviceRecord>(&found.pk, &found.sk).await.map_err(store_failure)? else {
                done = true;
                break;
            };
            let Some(fact) = deps.store.fact(&pk, fact_sk).await.map_err(store_failure)? else {
                // Written just before this call and never deleted; absent only if the table was emptied.
                done = true;
                break;
            };
            let mut next = fresh.clone();
            change(&mut next, &fact.value);
            crate::sync::redecide_record(&mut next, &ctx.enabled);
            if next.same_state(&fresh) {
                done = true;
                break;
            }
            next.version = fresh.version + 1;
            next.updated_at = rfc3339(deps.clock.now());
            match deps.store.put_device(&next, Some(fresh.version)).await {
                Ok(()) => {
                    if deps.store.fact(&pk, fact_sk).await.map_err(store_failure)?.as_ref() == Some(&fact) {
                        done = true;
                        break;
                    }
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(e) => return Err(store_failure(e)),
            }
        }
        if !done {
            // Losing every attempt must not pass for applied: the record fails (no marker is written), so the
            // stream's redelivery applies the event again instead of the change being lost.
            return Err(store_failure(StoreError::VersionConflict { current: None }));
        }
    }
    Ok(())
}
