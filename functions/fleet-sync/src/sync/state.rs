//! Where a tenant's reconciliation stands, as `GET /fleet` shows it: the last complete run, a run holding the
//! lease, a read or decisions kept for the next run, a stall, and when the schedule re-reads next.

use super::cadence::reread_interval;
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::pacing::Share;
use serde::Serialize;
use utoipa::ToSchema;

/// A tenant's reconciliation now.
#[derive(Debug, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReconciliationView {
    /// When the last complete reconciliation ended (RFC 3339); absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_complete_at: Option<String>,
    /// Whether a run holds the tenant's lease now.
    pub running: bool,
    /// Pages of the UEM inventory kept by runs of an unfinished re-read (0: none kept).
    pub inventory_pages_kept: u32,
    /// Whether the kept inventory is read to its end (only Okta's side and the decisions are left).
    pub inventory_complete: bool,
    /// The last device id decided by a run that stopped at its budget: the next run decides the devices after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumes_after: Option<String>,
    /// Why a run could not go on although it had its whole invocation: the reconciliation will not finish by
    /// itself. Cleared by the next complete run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stalled: Option<String>,
    /// When the stall was found (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stalled_at: Option<String>,
    /// When the schedule starts the next full re-read (RFC 3339): the last complete run plus the cadence for
    /// the fleet's size and the call share; absent while a re-read is unfinished (the schedule goes on at once)
    /// or none ever completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_reread_at: Option<String>,
}

/// The time between two scheduled full re-reads of `tenant` (the fleet's size and its call share). Errors: the
/// store failing.
pub async fn interval(deps: &Deps, tenant: &str) -> Result<std::time::Duration, Error> {
    let share = deps.store.get_uem(tenant).await?.and_then(|u| u.call_share_percent);
    let managed = deps.store.uem_devices(tenant).await?;
    Ok(reread_interval(managed, Share::new(deps.uem_limits, share)))
}

/// Where `tenant`'s reconciliation stands. Errors: the store failing.
pub async fn reconciliation(deps: &Deps, tenant: &str) -> Result<ReconciliationView, Error> {
    let (run, read, checkpoint) = futures::try_join!(
        deps.store.get_sync_run(tenant),
        deps.store.get_inventory_read(tenant),
        deps.store.get_checkpoint(tenant),
    )?;
    let now = deps.clock.now().unix_timestamp();
    let at = |t: i64| time::OffsetDateTime::from_unix_timestamp(t).ok().map(rfc3339);
    let unfinished = read.is_some() || checkpoint.is_some();
    let next = match run.last_complete_at {
        Some(last) if !unfinished => at(last + interval(deps, tenant).await?.as_secs() as i64),
        _ => None,
    };
    Ok(ReconciliationView {
        last_complete_at: run.last_complete_at.and_then(at),
        running: run.lease_until > now,
        inventory_pages_kept: read.as_ref().map_or(0, |r| r.pages),
        inventory_complete: read.as_ref().is_some_and(|r| r.cursor.is_none()),
        resumes_after: checkpoint.map(|c| c.after),
        stalled: run.stalled,
        stalled_at: run.stalled_at.and_then(at),
        next_reread_at: next,
    })
}
