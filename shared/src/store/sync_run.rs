//! A tenant's reconciliation runs (`SYNCRUN`): the lease that keeps two runs of one tenant apart (its holder and
//! expiry, taken and given back with conditional writes) and when the last complete run ended, which the
//! schedule's cadence of full re-reads is measured from.

use super::{tenant_pk, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

/// A number attribute.
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A string attribute.
fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// The sort key of the record.
const SYNC_RUN_SK: &str = "SYNCRUN";

/// The record as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunRecord {
    /// The run holding the lease (a random id per run); `None` once given back.
    #[serde(default)]
    pub holder: Option<String>,
    /// Until when the lease holds (epoch seconds); past it another run may take it (a run that died).
    #[serde(default)]
    pub lease_until: i64,
    /// When the last complete run ended (epoch seconds), if one did.
    #[serde(default)]
    pub last_complete_at: Option<i64>,
    /// Why a run could not go on although it had its whole invocation for what it stopped at (the reconciliation
    /// will not finish by itself): set by that run, removed by the next complete run.
    #[serde(default)]
    pub stalled: Option<String>,
    /// When `stalled` was set (epoch seconds).
    #[serde(default)]
    pub stalled_at: Option<i64>,
}

/// How a run that gives its lease back ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd<'a> {
    /// It reached the end, at this time (epoch seconds).
    Complete(i64),
    /// It stopped where the next run goes on (a kept read or a checkpoint); a stall recorded before stays.
    Stopped,
    /// It could not go on although it had its whole invocation (`why`), at `at` (epoch seconds).
    Stalled { why: &'a str, at: i64 },
}

impl Store {
    /// The tenant's run record (the default when no run was ever made).
    pub async fn get_sync_run(&self, tenant: &str) -> Result<SyncRunRecord, StoreError> {
        Ok(self.get(&tenant_pk(tenant), SYNC_RUN_SK).await?.unwrap_or_default())
    }

    /// Takes the tenant's lease for run `holder` until `until` (epoch seconds) if no lease holds at `now`.
    /// Returns `Err(lease_until)` of the run that holds it.
    pub async fn take_sync_lease(
        &self,
        tenant: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<Result<(), i64>, StoreError> {
        let taken = self
            .update_if(
                &tenant_pk(tenant),
                SYNC_RUN_SK,
                "SET holder = :h, lease_until = :u",
                "attribute_not_exists(lease_until) OR lease_until <= :now",
                &[(":h", s(holder)), (":u", n(until)), (":now", n(now))],
            )
            .await?;
        if taken {
            return Ok(Ok(()));
        }
        Ok(Err(self.get_sync_run(tenant).await?.lease_until))
    }

    /// Gives the lease of run `holder` back (a lease another run took after this one's expired is left alone);
    /// `end` says how the run ended: complete (and when, epoch seconds), stopped to go on, or stalled (why, and
    /// when).
    pub async fn give_sync_lease(&self, tenant: &str, holder: &str, end: RunEnd<'_>) -> Result<(), StoreError> {
        let (set, mut values) = match end {
            RunEnd::Complete(t) => {
                ("SET lease_until = :z, last_complete_at = :t REMOVE holder, stalled, stalled_at", vec![(":t", n(t))])
            }
            RunEnd::Stopped => ("SET lease_until = :z REMOVE holder", vec![]),
            RunEnd::Stalled { why, at } => (
                "SET lease_until = :z, stalled = :w, stalled_at = :t REMOVE holder",
                vec![(":w", s(why)), (":t", n(at))],
            ),
        };
        values.push((":z", n(0)));
        values.push((":h", s(holder)));
        self.update_if(&tenant_pk(tenant), SYNC_RUN_SK, set, "holder = :h", &values).await?;
        Ok(())
    }
}
