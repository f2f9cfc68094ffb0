//! The shared call budget every invocation draws from: the store's counters in production (`UEMCALLS#…`,
//! `UEMDEVICES`: the store's `uem_calls.rs`), [`MemoryBudget`] in unit tests of what paces.

use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;

/// The shared budget every invocation draws from (the store in production, [`MemoryBudget`] in unit tests).
#[async_trait::async_trait]
pub trait CallBudget: Send + Sync {
    /// Takes one call of kind `kind` from `tenant`'s minute `minute` (minutes since the epoch) if fewer than
    /// `limit` calls in all and fewer than `kind_limit` of that kind were taken; `false` when either is spent.
    /// Errors: the store failing.
    async fn take_minute(
        &self,
        tenant: &str,
        minute: i64,
        kind: &str,
        kind_limit: u32,
        limit: u32,
    ) -> Result<bool, StoreError>;
    /// Counts one call on `tenant`'s day `day` (`YYYY-MM-DD`, UTC) if fewer than `limit` were counted (`None`: no
    /// limit); the count after it, or `None` when refused. Errors: the store failing.
    async fn take_day(&self, tenant: &str, day: &str, limit: Option<u64>) -> Result<Option<u64>, StoreError>;
    /// The number of devices in `tenant`'s UEM as the last reconciliation read them (`None` before the first).
    async fn managed_devices(&self, tenant: &str) -> Result<Option<u64>, StoreError>;
}

#[async_trait::async_trait]
impl CallBudget for Store {
    async fn take_minute(
        &self,
        tenant: &str,
        minute: i64,
        kind: &str,
        kind_limit: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        self.take_uem_minute(tenant, minute, kind, kind_limit, limit).await
    }

    async fn take_day(&self, tenant: &str, day: &str, limit: Option<u64>) -> Result<Option<u64>, StoreError> {
        self.take_uem_day(tenant, day, limit).await
    }

    async fn managed_devices(&self, tenant: &str) -> Result<Option<u64>, StoreError> {
        self.uem_devices(tenant).await
    }
}

/// The shared budget in memory, for unit tests of what paces.
#[derive(Debug, Default)]
pub struct MemoryBudget {
    minutes: Mutex<HashMap<(String, i64), u32>>,
    kinds: Mutex<HashMap<(String, i64, String), u32>>,
    days: Mutex<HashMap<(String, String), u64>>,
    /// The managed device count every tenant reports.
    pub managed: Option<u64>,
}

impl MemoryBudget {
    /// An empty budget whose tenants report `managed` devices.
    pub fn with_devices(managed: u64) -> Self {
        MemoryBudget { managed: Some(managed), ..MemoryBudget::default() }
    }

    /// Calls counted on `tenant`'s `day`.
    pub fn day_count(&self, tenant: &str, day: &str) -> u64 {
        self.days.lock().expect("budget lock").get(&(tenant.to_string(), day.to_string())).copied().unwrap_or(0)
    }

    /// Calls taken in each minute of `tenant`, by minute.
    pub fn minutes(&self, tenant: &str) -> Vec<(i64, u32)> {
        let mut v: Vec<(i64, u32)> = self
            .minutes
            .lock()
            .expect("budget lock")
            .iter()
            .filter(|((t, _), _)| t == tenant)
            .map(|((_, m), n)| (*m, *n))
            .collect();
        v.sort();
        v
    }
}

#[async_trait::async_trait]
impl CallBudget for MemoryBudget {
    async fn take_minute(
        &self,
        tenant: &str,
        minute: i64,
        kind: &str,
        kind_limit: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut m = self.minutes.lock().expect("budget lock");
        let mut k = self.kinds.lock().expect("budget lock");
        let n = m.entry((tenant.to_string(), minute)).or_default();
        let c = k.entry((tenant.to_string(), minute, kind.to_string())).or_default();
        if *n >= limit || *c >= kind_limit {
            return Ok(false);
        }
        *n += 1;
        *c += 1;
        Ok(true)
    }

    async fn take_day(&self, tenant: &str, day: &str, limit: Option<u64>) -> Result<Option<u64>, StoreError> {
        let mut d = self.days.lock().expect("budget lock");
        let n = d.entry((tenant.to_string(), day.to_string())).or_default();
        if limit.is_some_and(|l| *n >= l) {
            return Ok(None);
        }
        *n += 1;
        Ok(Some(*n))
    }

    async fn managed_devices(&self, _tenant: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.managed)
    }
}
