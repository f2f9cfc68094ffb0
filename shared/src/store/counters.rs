//! Counters per tenant and UTC time window: the one way the store keeps a budget (the UEM calls of
//! `uem_calls.rs`, the mail of `mail.rs`, the platform secret writes of `platforms.rs`). A counter's item is
//! `<KIND>#<YYYY-MM-DD>` for a day and `<KIND>#<YYYY-MM-DD>T<HH:MM>` for a minute, added to with a conditional
//! `ADD` (`item.rs`: one `UpdateItem` for one counter, one transaction for several), and expires on its own
//! (`expiresAt`: a minute's a day after it ends, a day's 4 days after it began).

use super::Item;
use crate::clock::utc_day;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use time::OffsetDateTime;

/// The UTC window a counter counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// A minute, as minutes since the epoch.
    Minute(i64),
    /// A UTC day, as days since the epoch.
    Day(i64),
}

impl Window {
    /// The minute `t` falls in.
    pub fn minute_of(t: OffsetDateTime) -> Window {
        Window::Minute(t.unix_timestamp().div_euclid(60))
    }

    /// The UTC day `t` falls in.
    pub fn day_of(t: OffsetDateTime) -> Window {
        Window::Day(t.unix_timestamp().div_euclid(86_400))
    }

    /// The UTC day named `YYYY-MM-DD` (the epoch's day for text that is no day).
    pub fn day_named(day: &str) -> Window {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let start = time::Date::parse(day, &format).map(|d| d.midnight().assume_utc().unix_timestamp()).unwrap_or(0);
        Window::Day(start.div_euclid(86_400))
    }

    /// The epoch seconds the window starts at.
    fn start(self) -> i64 {
        match self {
            Window::Minute(m) => m * 60,
            Window::Day(d) => d * 86_400,
        }
    }

    /// When the window ends (the next one starts): when a budget it held back has room again.
    pub fn ends_at(self) -> OffsetDateTime {
        let end = match self {
            Window::Minute(_) => self.start() + 60,
            Window::Day(_) => self.start() + 86_400,
        };
        OffsetDateTime::from_unix_timestamp(end).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The sort key of `kind`'s counter in this window: `<kind>#<YYYY-MM-DD>` or `<kind>#<YYYY-MM-DD>T<HH:MM>`.
    pub(super) fn sk(self, kind: &str) -> String {
        let t = OffsetDateTime::from_unix_timestamp(self.start()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        match self {
            Window::Minute(_) => format!("{kind}#{}T{:02}:{:02}", utc_day(t), t.hour(), t.minute()),
            Window::Day(_) => format!("{kind}#{}", utc_day(t)),
        }
    }

    /// When the counter's item expires (epoch seconds, the table's TTL): a day after a minute ends, 4 days after
    /// a day begins.
    pub(super) fn expires_at(self) -> i64 {
        match self {
            Window::Minute(_) => self.start() + 60 + 86_400,
            Window::Day(_) => self.start() + 4 * 86_400,
        }
    }
}

/// One counter to add to: the item (`sk`), its number attribute (`attr`), how much (`amount`), and the most it may
/// hold after the addition (`limit`; `None`: no limit).
#[derive(Debug, Clone)]
pub(super) struct Count {
    pub sk: String,
    pub attr: String,
    pub amount: u64,
    pub limit: Option<u64>,
    pub expires_at: i64,
}

impl Count {
    /// `amount` added to `kind`'s counter `attr` in `window`, up to `limit` in all.
    pub fn new(kind: &str, window: Window, attr: &str, amount: u64, limit: Option<u64>) -> Count {
        Count { sk: window.sk(kind), attr: attr.to_string(), amount, limit, expires_at: window.expires_at() }
    }

    /// Whether the addition can never fit (more than the limit on its own): refused without a write.
    pub fn never_fits(&self) -> bool {
        self.limit.is_some_and(|l| self.amount > l)
    }

    /// The update: its expression (`#c` the counter), its condition (none without a limit: the counter holds at
    /// most `limit - amount` before it) and the values of both.
    pub fn update(&self) -> (&'static str, Option<String>, Item) {
        let mut values = HashMap::from([
            (":n".to_string(), AttributeValue::N(self.amount.to_string())),
            (":exp".to_string(), AttributeValue::N(self.expires_at.to_string())),
        ]);
        let condition = self.limit.map(|l| {
            values.insert(":most".to_string(), AttributeValue::N(l.saturating_sub(self.amount).to_string()));
            "attribute_not_exists(#c) OR #c <= :most".to_string()
        });
        ("ADD #c :n SET expiresAt = :exp", condition, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_utc_day_and_minute() {
        // 2026-12-06 10:07:30 UTC.
        let t = OffsetDateTime::from_unix_timestamp(1_796_551_200 + 7 * 60 + 30).unwrap();
        assert_eq!(Window::minute_of(t).sk("UEMCALLS"), "UEMCALLS#2026-12-06T10:07");
        assert_eq!(Window::day_of(t).sk("MAIL"), "MAIL#2026-12-06");
        assert_eq!(Window::day_named("2026-12-06"), Window::day_of(t));
        assert_eq!(Window::day_named("not a day"), Window::Day(0));
        assert_eq!(Window::minute_of(t).ends_at().unix_timestamp(), 1_796_551_200 + 8 * 60);
        assert_eq!(Window::day_of(t).ends_at().unix_timestamp(), 1_796_515_200 + 86_400);
        assert_eq!(Window::day_of(t).expires_at(), 1_796_515_200 + 4 * 86_400);
        assert_eq!(Window::minute_of(t).expires_at(), 1_796_551_200 + 8 * 60 + 86_400);
    }
}
