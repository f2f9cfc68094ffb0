//! The outcomes step of a run: each device's deployment record after what happened to it, kept pending so a
//! device is written once with its latest state, and written conditionally on the version read. A conflict (a
//! concurrent run changed the record) is left for the next run, which re-reads.

use super::{RunScope, CONCURRENCY};
use crate::desired::{next_record, same, waiting, Outcome};
use futures::stream::{self, StreamExt};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::platform::Platform;
use odt_shared::store::{DeployedRecord, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};
use time::OffsetDateTime;

/// The deployment records of a run: the stored ones, the pending changes, and the devices the run looks at.
pub(super) struct Records<'a> {
    tenant: &'a str,
    now: String,
    now_epoch: i64,
    /// What is stored (as read, then as written), by device id.
    old: HashMap<String, DeployedRecord>,
    /// Pending records, by device id.
    current: HashMap<String, DeployedRecord>,
    /// The devices the run looks at and their platform.
    platform_of: HashMap<String, Option<Platform>>,
    /// Pending deletions.
    deleted: HashSet<String>,
    /// Records written (or deleted) so far.
    written: usize,
}

/// One device's pending write: its new record (or deletion) and the stored one.
#[derive(Clone)]
struct Write {
    old: Option<DeployedRecord>,
    /// The new record, at the version after `old`'s.
    new: Option<DeployedRecord>,
}

impl<'a> Records<'a> {
    /// The records of a run at `now` over the devices of `platform_of`, with their stored records `old`.
    pub fn new(
        tenant: &'a str,
        now: OffsetDateTime,
        old: HashMap<String, DeployedRecord>,
        platform_of: HashMap<String, Option<Platform>>,
    ) -> Self {
        Records {
            tenant,
            now: rfc3339(now),
            now_epoch: now.unix_timestamp(),
            old,
            current: HashMap::new(),
            platform_of,
            deleted: HashSet::new(),
            written: 0,
        }
    }

    /// The run's time (RFC 3339).
    pub fn now(&self) -> &str {
        &self.now
    }

    /// Device `id`'s record as it stands in the run (pending, else stored).
    pub fn get(&self, id: &str) -> Option<&DeployedRecord> {
        self.current.get(id).or_else(|| self.old.get(id))
    }

    /// The devices the run looks at.
    pub fn device_ids(&self) -> impl Iterator<Item = &String> {
        self.platform_of.keys()
    }

    /// Whether the run looks at device `id`.
    pub fn looks_at(&self, id: &str) -> bool {
        self.platform_of.contains_key(id)
    }

    /// The devices with a stored record.
    pub fn stored_ids(&self) -> impl Iterator<Item = &String> {
        self.old.keys()
    }

    /// Whether a device the run looks at, or a stored record, is of platform `p`.
    pub fn touches(&self, p: Platform) -> bool {
        self.platform_of.values().any(|d| *d == Some(p)) || self.old.values().any(|r| r.platform == Some(p))
    }

    /// Takes device `id` (of `platform`, stored as `stored`) into the run.
    pub fn include(&mut self, id: String, platform: Option<Platform>, stored: Option<DeployedRecord>) {
        self.platform_of.insert(id.clone(), platform);
        if let Some(r) = stored {
            self.old.insert(id, r);
        }
    }

    /// Whether device `id` is tried in this run under `scope`: always, unless the scope respects the backoff and
    /// the device waits (see [`waiting`]).
    pub fn due(&self, scope: &RunScope, id: &str) -> bool {
        scope.retry_now || !scope.respect_backoff || !waiting(self.get(id), self.now_epoch)
    }

    /// Records `outcome` for device `id`.
    pub fn apply(&mut self, id: &str, outcome: &Outcome) {
        let platform = self.platform_of.get(id).copied().flatten();
        let next = next_record(self.tenant, id, platform, self.get(id), outcome, &self.now, self.now_epoch);
        self.current.insert(id.to_string(), next);
    }

    /// Changes device `id`'s record (pending, else stored) by `f`; nothing when the device has no record.
    pub fn edit(&mut self, id: &str, f: impl FnOnce(&mut DeployedRecord)) {
        if let Some(mut r) = self.get(id).cloned() {
            f(&mut r);
            r.updated_at = self.now.clone();
            self.current.insert(id.to_string(), r);
        }
    }

    /// Writes what changed so far, each record conditionally on the version read; a conflict (a concurrent run)
    /// is left for the next run, which re-reads. Errors: the store failing (after every write was tried).
    pub async fn flush(&mut self, deps: &Deps) -> Result<(), Error> {
        let writes = self.drain();
        let results: Vec<Result<bool, StoreError>> = stream::iter(writes.clone())
            .map(|w| async move {
                let res = match (&w.old, &w.new) {
                    (Some(o), None) => deps.store.delete_deployed(o).await,
                    (old, Some(n)) => deps.store.put_deployed(n, old.as_ref().map(|o| o.version)).await,
                    (None, None) => return Ok(false),
                };
                match res {
                    Ok(()) => Ok(true),
                    Err(StoreError::VersionConflict { .. }) => {
                        tracing::info!("deployment record changed by a concurrent run; the next run re-reads it");
                        Ok(false)
                    }
                    Err(e) => Err(e),
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        for r in results {
            self.written += usize::from(r?);
        }
        self.settle(&writes);
        Ok(())
    }

    /// Deletes the records of the `gone` devices and writes everything pending; returns how many records the run
    /// wrote (or deleted). Errors: the store failing.
    pub async fn finish(&mut self, deps: &Deps, gone: &BTreeSet<String>) -> Result<usize, Error> {
        for id in gone {
            self.current.remove(id);
            self.deleted.insert(id.to_string());
        }
        self.flush(deps).await?;
        Ok(self.written)
    }

    /// The writes that change something: changed records, and deletions of stored ones.
    fn drain(&mut self) -> Vec<Write> {
        let mut out = Vec::new();
        for (id, mut new) in self.current.drain() {
            let old = self.old.get(&id).cloned();
            if old.as_ref().is_some_and(|o| same(o, &new)) {
                continue;
            }
            new.version = old.as_ref().map_or(1, |o| o.version + 1);
            out.push(Write { old, new: Some(new) });
        }
        for id in self.deleted.drain() {
            if let Some(o) = self.old.get(&id) {
                out.push(Write { old: Some(o.clone()), new: None });
            }
        }
        out
    }

    /// After a write, what is stored becomes the base of further changes.
    fn settle(&mut self, written: &[Write]) {
        for w in written {
            match (&w.old, &w.new) {
                (Some(o), None) => {
                    self.old.remove(&o.device_id);
                }
                (_, Some(n)) => {
                    self.old.insert(n.device_id.clone(), n.clone());
                }
                (None, None) => {}
            }
        }
    }
}
