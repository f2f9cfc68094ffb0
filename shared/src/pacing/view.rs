//! What `GET /uem` and `GET /status` say of a tenant's UEM call budget (see the `pacing` room): the UEM's limits,
//! the product's share of them, today's count and which kinds of calls the day has stopped.

use super::{minute_of, secs_to_next_day, CallClass, Share, UemLimits};
use crate::clock::{rfc3339, utc_day};
use crate::store::{Store, StoreError};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A tenant's UEM call budget now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallBudgetView {
    /// The product's share of the UEM's limits, percent (the tenant's `callSharePercent`, default 50).
    pub share_percent: u8,
    /// The UEM's calls a minute for the whole account (Hexnode: 30).
    pub uem_per_minute: u32,
    /// The product's calls a minute: its share of `uemPerMinute`, kept by every function together.
    pub per_minute: u32,
    /// Calls the product sent to the UEM in the current minute.
    pub used_this_minute: u64,
    /// Devices in the UEM as the last reconciliation read them; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_devices: Option<u64>,
    /// The UEM's calls a day for the whole account (Hexnode: 10 per managed device); absent while the device count
    /// is unknown or zero (then only the per-minute rate holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uem_per_day: Option<u64>,
    /// The product's calls a day: its share of `uemPerDay`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_day: Option<u64>,
    /// Calls the product sent to the UEM today (UTC), every request counted, retries and throttled ones included.
    pub used_today: u64,
    /// The calls a day each kind of call may reach (`deployment` all of `perDay`, `evidence` 85 %, `reread` 70 %).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub class_per_day: Vec<ClassBudget>,
    /// The kinds of calls today's count has stopped until `resetsAt` (`reread`, then `evidence`, then
    /// `deployment`); empty when none.
    pub paused: Vec<CallClass>,
    /// Whether the budget is short: some kind of call is paused.
    pub short: bool,
    /// When the daily count starts again (next UTC midnight, RFC 3339).
    pub resets_at: String,
    /// What the admin should know, when the budget is short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The calls a day one kind of call may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassBudget {
    pub class: CallClass,
    pub calls: u64,
}

impl CallBudgetView {
    /// The budget at `now` of `tenant`, whose UEM connection sets `share_percent` of `limits`. Errors: the store
    /// failing.
    pub async fn read(
        store: &Store,
        limits: UemLimits,
        tenant: &str,
        share_percent: Option<u8>,
        now: OffsetDateTime,
    ) -> Result<Self, StoreError> {
        let share = Share::new(limits, share_percent);
        let today = utc_day(now);
        let (managed, used_today, used_this_minute) = tokio::try_join!(
            store.uem_devices(tenant),
            store.uem_calls_on(tenant, &today),
            store.uem_calls_in_minute(tenant, minute_of(now)),
        )?;
        let class_per_day: Vec<ClassBudget> = CallClass::ALL
            .iter()
            .filter_map(|c| share.class_per_day(managed, *c).map(|calls| ClassBudget { class: *c, calls }))
            .collect();
        let paused: Vec<CallClass> = class_per_day.iter().filter(|b| used_today >= b.calls).map(|b| b.class).collect();
        let resets_at = rfc3339(now + time::Duration::seconds(secs_to_next_day(now) as i64));
        let message = (!paused.is_empty()).then(|| {
            let names: Vec<&str> = paused.iter().map(|c| c.as_str()).collect();
            format!(
                "{used_today} of the product's {} UEM calls today are used: {} paused until {resets_at}; raise \
                 callSharePercent (now {} %) if the account's other integrations leave room",
                share.per_day(managed).unwrap_or_default(),
                names.join(", "),
                share.percent
            )
        });
        Ok(CallBudgetView {
            share_percent: share.percent,
            uem_per_minute: share.limits.per_minute,
            per_minute: share.per_minute(),
            used_this_minute,
            managed_devices: managed,
            uem_per_day: share.uem_per_day(managed),
            per_day: share.per_day(managed),
            used_today,
            class_per_day,
            short: !paused.is_empty(),
            paused,
            resets_at,
            message,
        })
    }
}
