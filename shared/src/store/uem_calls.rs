//! The shared UEM call budget of a tenant (read and drawn by the `pacing` room): a counter per UTC day
//! (`UEMCALLS#<YYYY-MM-DD>`, kept 3 days) and per minute (`UEMCALLS#<YYYY-MM-DD>T<HH:MM>`, kept 1 day) that every
//! invocation of every function draws from with a conditional `ADD`, and the number of devices in the UEM
//! (`UEMDEVICES`, written by reconciliation when it changes) that the daily budget is made from.

use super::{tenant_pk, Store, StoreError};
use crate::clock::utc_day;
use time::OffsetDateTime;

/// The counter attribute of the call records.
const CALLS: &str = "calls";

/// The sort key of the device count.
const DEVICES_SK: &str = "UEMDEVICES";

/// The attribute holding the device count.
const DEVICES: &str = "managedDevices";

/// The sort key of `day`'s counter.
fn day_sk(day: &str) -> String {
    format!("UEMCALLS#{day}")
}

/// The sort key of minute `minute`'s counter (minutes since the epoch), named by its UTC day and time.
fn minute_sk(minute: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(minute * 60).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!("UEMCALLS#{}T{:02}:{:02}", utc_day(t), t.hour(), t.minute())
}

/// The epoch seconds at the start of `day` (`YYYY-MM-DD`), 0 for text that is no day.
fn day_start(day: &str) -> i64 {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &format).map(|d| d.midnight().assume_utc().unix_timestamp()).unwrap_or(0)
}

impl Store {
    /// Calls counted on `tenant`'s UTC `day` (`YYYY-MM-DD`).
    pub async fn uem_calls_on(&self, tenant: &str, day: &str) -> Result<u64, StoreError> {
        Ok(self.number(&tenant_pk(tenant), &day_sk(day), CALLS).await?.unwrap_or(0))
    }

    /// Calls taken in `tenant`'s minute `minute` (minutes since the epoch).
    pub async fn uem_calls_in_minute(&self, tenant: &str, minute: i64) -> Result<u64, StoreError> {
        Ok(self.number(&tenant_pk(tenant), &minute_sk(minute), CALLS).await?.unwrap_or(0))
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
        let expires = (minute + 1) * 60 + 86_400;
        let part = format!("{CALLS}_{kind}");
        let (total, part) = ((CALLS, u64::from(limit)), (part.as_str(), u64::from(kind_limit)));
        self.count_pair_if_below(&tenant_pk(tenant), &minute_sk(minute), total, part, expires).await
    }

    /// Counts one call on `tenant`'s UTC `day` if fewer than `limit` were counted (`None`: no limit); the count
    /// after it, or `None` when refused. The counter is kept until 4 days after the day began.
    pub async fn take_uem_day(&self, tenant: &str, day: &str, limit: Option<u64>) -> Result<Option<u64>, StoreError> {
        let expires = day_start(day) + 4 * 86_400;
        self.count_if_below(&tenant_pk(tenant), &day_sk(day), CALLS, limit, expires).await
    }

    /// The number of devices in `tenant`'s UEM as the last reconciliation read them (`None` before the first).
    pub async fn uem_devices(&self, tenant: &str) -> Result<Option<u64>, StoreError> {
        self.number(&tenant_pk(tenant), DEVICES_SK, DEVICES).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_utc_day_and_minute() {
        // 2026-12-06 10:07 UTC.
        let minute = (1_796_551_200 + 7 * 60) / 60;
        assert_eq!(minute_sk(minute), "UEMCALLS#2026-12-06T10:07");
        assert_eq!(day_sk("2026-12-06"), "UEMCALLS#2026-12-06");
        assert_eq!(day_start("2026-12-06"), 1_796_515_200);
        assert_eq!(day_start("not a day"), 0);
    }
}
