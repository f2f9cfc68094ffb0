//! The shared UEM call budget of a tenant (read and drawn by the `pacing` room): a counter per UTC day
//! (`UEMCALLS#<YYYY-MM-DD>`) and per minute (`UEMCALLS#<YYYY-MM-DD>T<HH:MM>`), the store's window counters
//! (`counters.rs`) that every invocation of every function draws from with a conditional `ADD`, and the number of devices in the UEM
//! (`UEMDEVICES`, written by reconciliation when it changes) that the daily budget is made from.

use super::counters::{Count, Window};
use super::{tenant_pk, Store, StoreError};

/// The kind of the call counters (`UEMCALLS#<day>`, `UEMCALLS#<day>T<HH:MM>`).
const KIND: &str = "UEMCALLS";

/// The counter attribute of the call records.
const CALLS: &str = "calls";

/// The sort key of the device count.
const DEVICES_SK: &str = "UEMDEVICES";

/// The attribute holding the device count.
const DEVICES: &str = "managedDevices";

impl Store {
    /// Calls counted on `tenant`'s UTC `day` (`YYYY-MM-DD`).
    pub async fn uem_calls_on(&self, tenant: &str, day: &str) -> Result<u64, StoreError> {
        Ok(self.number(&tenant_pk(tenant), &Window::day_named(day).sk(KIND), CALLS).await?.unwrap_or(0))
    }

    /// Calls taken in `tenant`'s minute `minute` (minutes since the epoch).
    pub async fn uem_calls_in_minute(&self, tenant: &str, minute: i64) -> Result<u64, StoreError> {
        Ok(self.number(&tenant_pk(tenant), &Window::Minute(minute).sk(KIND), CALLS).await?.unwrap_or(0))
    }

    /// Records that `tenant`'s UEM holds `count` devices (written only when the number changes).
    pub async fn note_uem_devices(&self, tenant: &str, count: u64) -> Result<(), StoreError> {
        self.set_number_if_changed(&tenant_pk(tenant), DEVICES_SK, DEVICES, count).await
    }
}

impl Store {
    /// Takes one call of kind `kind` (`deployment`, `evidence`, `reread`) from `tenant`'s minute `minute`
    /// (minutes since the epoch) if fewer than `limit` calls in all and fewer than `kind_limit` of that kind were
    /// taken; `false` when either is spent. One conditional update of the minute's item (`calls` and
    /// `calls_<kind>`), kept a day.
    pub async fn take_uem_minute(
        &self,
        tenant: &str,
        minute: i64,
        kind: &str,
        kind_limit: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let window = Window::Minute(minute);
        let part = format!("{CALLS}_{kind}");
        let (total, part) = ((CALLS, u64::from(limit)), (part.as_str(), u64::from(kind_limit)));
        self.count_pair_if_below(&tenant_pk(tenant), &window.sk(KIND), total, part, window.expires_at()).await
    }

    /// Counts one call on `tenant`'s UTC `day` if fewer than `limit` were counted (`None`: no limit); the count
    /// after it, or `None` when refused. The counter is kept until 4 days after the day began.
    pub async fn take_uem_day(&self, tenant: &str, day: &str, limit: Option<u64>) -> Result<Option<u64>, StoreError> {
        self.count_within(&tenant_pk(tenant), &Count::new(KIND, Window::day_named(day), CALLS, 1, limit)).await
    }

    /// The number of devices in `tenant`'s UEM as the last reconciliation read them (`None` before the first).
    pub async fn uem_devices(&self, tenant: &str) -> Result<Option<u64>, StoreError> {
        self.number(&tenant_pk(tenant), DEVICES_SK, DEVICES).await
    }
}
