//! The event hook's second half: the stream consumer that applies what `POST /hooks/okta/{tenant}` accepted.
//!
//! The hook answers Okta once a delivery is durable (one inbox record per part, see
//! [`crate::hooks::door::receive`]); the table's stream hands each new inbox record here (the
//! `FleetSyncHookFunction` in `template.yaml`, filtered to inbox inserts). Per event ([`apply`]):
//!
//! - Each event is applied once: its marker (TTL 7 days) is checked before and written after; applying is
//!   idempotent, so a duplicate racing the first changes nothing (case C06).
//! - Membership and user-state changes are kept per (group, user) and per user with the event's `published`
//!   time, and an older event never overwrites a newer one, so unordered deliveries converge (case C06).
//! - The owner's devices are then re-decided from the facts kept on their records, applying the newest stored
//!   fact (never the event's own value), conditionally on each record's version (case C12; [`redecide`]).
//! - `device.user.*` and `device.lifecycle.*` events keep the latest state of Okta's device record as evidence
//!   for status; they do not change scope. `device.lifecycle.delete` marks the fleet devices that had that Okta
//!   device as having lost it (case C27, `lost`).
//!
//! A record whose events cannot all be applied (the store failing, or a re-decision losing every attempt) is
//! reported as a batch item failure, so the stream delivers it again (from that record on, 10 attempts and 15
//! minutes at most: `template.yaml`) while the rest of the batch is applied (ServerlessDevelopers/serverless-rust:
//! partial batch responses). Then Lambda sends the batch's description to the on-failure queue and the shard
//! moves on; the record stays in the table for its TTL and [`redrive`] applies it. An inbox record that does not
//! read is logged and skipped: delivering it again cannot help, and reconciliation covers whatever it held.

mod apply;
mod context;
mod lost;
mod redecide;
pub mod redrive;

pub use context::Context;

use crate::hooks::events::Event;
use apply::{apply_once, Outcome};
use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use futures::stream::{self, StreamExt, TryStreamExt};
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::{is_inbox_key, InboxRecord};
use serde::Serialize;

/// What applying one inbox record did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Events that changed a fact and re-decided the devices of the fleet their user owns, or kept Okta device
    /// evidence.
    pub applied: usize,
    /// Events already applied (their marker was there).
    pub duplicates: usize,
    /// Events about groups outside the fleet or users who own no device of it (a user Okta does not have, a new
    /// user), older than what is known, or without the targets they need.
    pub ignored: usize,
}

/// An inbox record of one tenant as the stream delivered it: its sequence number (what a batch item failure
/// names) and the record.
type Delivered = (String, InboxRecord<Event>);

/// The tenant and inbox record of a stream record, or `None` for any other record (or one that does not read,
/// which is logged).
fn inbox_of(r: &EventRecord) -> Option<(String, InboxRecord<Event>)> {
    let (tenant, sk) = odt_shared::stream::tenant_and_sk(r)?;
    if !is_inbox_key(&sk) || r.event_name != "INSERT" {
        return None;
    }
    match serde_dynamo::from_item::<_, InboxRecord<Event>>(r.change.new_image.clone()) {
        Ok(rec) => Some((tenant, rec)),
        Err(e) => {
            tracing::error!(tenant = tenant.as_str(), sk = sk.as_str(), error = %e, "inbox record does not read; skipped");
            None
        }
    }
}

/// The inbox records of a batch by tenant, in the order the tenants first appear.
fn by_tenant(event: &StreamEvent) -> Vec<(String, Vec<Delivered>)> {
    let mut out: Vec<(String, Vec<Delivered>)> = Vec::new();
    for r in &event.records {
        let Some((tenant, rec)) = inbox_of(r) else { continue };
        let seq = r.change.sequence_number.clone().unwrap_or_default();
        match out.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, recs)) => recs.push((seq, rec)),
            None => out.push((tenant, vec![(seq, rec)])),
        }
    }
    out
}

/// Inbox records of one tenant applied at once (their order does not matter, as for the events inside one).
const RECORDS_AT_ONCE: usize = 4;

/// Handles one stream batch: each tenant's inbox records ([`RECORDS_AT_ONCE`] at once), its context read once.
/// A record that fails is reported by sequence number; the rest of the batch goes on.
pub async fn handle_stream(deps: &Deps, event: StreamEvent) -> DynamoDbEventResponse {
    let mut failed = Vec::new();
    for (tenant, recs) in by_tenant(&event) {
        match Context::load(deps, &tenant).await {
            Ok(ctx) => failed.extend(apply_records(deps, &tenant, &ctx, recs).await),
            Err(e) => {
                tracing::warn!(tenant = tenant.as_str(), error = %e, "hook context unreadable; records retried");
                failed.extend(recs.into_iter().map(|(seq, _)| seq));
            }
        }
    }
    odt_shared::stream::batch_failures(failed)
}

/// Applies a tenant's inbox records ([`RECORDS_AT_ONCE`] at once), logging each; returns the sequence numbers
/// of those that failed.
async fn apply_records(deps: &Deps, tenant: &str, ctx: &Context, recs: Vec<Delivered>) -> Vec<String> {
    let outcomes: Vec<(String, Result<Applied, Error>, String)> = stream::iter(recs)
        .map(|(seq, rec)| async move {
            let r = apply_events(deps, tenant, ctx, &rec.events).await;
            (seq, r, rec.sk)
        })
        .buffer_unordered(RECORDS_AT_ONCE)
        .collect()
        .await;
    let mut failed = Vec::new();
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
                tracing::warn!(tenant, record = sk.as_str(), error = %e, "event hook delivery not applied; retried");
                failed.push(seq);
            }
        }
    }
    failed
}

/// Events of one inbox record applied at once (each is a handful of DynamoDB calls).
const EVENTS_AT_ONCE: usize = 8;

/// Applies `events` of `tenant` ([`EVENTS_AT_ONCE`] at once: their order does not matter, since each fact keeps
/// its newest event and every re-decision reads the newest facts). An event whose `published` does not read
/// (the door checked it) counts as ignored.
///
/// # Errors
/// The first event that failed (the store, or a re-decision that lost every attempt); events applied before it
/// stay applied and marked.
pub async fn apply_events(deps: &Deps, tenant: &str, ctx: &Context, events: &[Event]) -> Result<Applied, Error> {
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
