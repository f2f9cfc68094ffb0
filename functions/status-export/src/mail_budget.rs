//! The mail budget of a tenant: every tenant mails from the one SES sender and spends the one account's sending
//! quota and reputation, so a tenant's shares may send at most [`MAIL_PER_MINUTE`] messages a minute and
//! [`MAIL_PER_DAY`] a UTC day (a message is one recipient). Kept in DynamoDB (the store's `MAIL#` window
//! counters), taken before anything is exported or sent, given back for what SES did not send.

use odt_shared::error::Error;
use odt_shared::store::{MailTaken, Store, Window};
use time::OffsetDateTime;

/// The messages a tenant may send in one minute (also the most addresses one share may name).
pub const MAIL_PER_MINUTE: u64 = 30;

/// The messages a tenant may send in one UTC day.
pub const MAIL_PER_DAY: u64 = 300;

/// Takes `messages` from `tenant`'s budget at `now`, both windows or neither. Errors: [`Error::BudgetSpent`]
/// (429 `mail_budget_spent`) naming the budget it would pass (`perMinute` or `perDay`), its size and when it has
/// room again (the next minute, or the next UTC midnight); the store failing.
pub async fn take(store: &Store, tenant: &str, now: OffsetDateTime, messages: u64) -> Result<MailTaken, Error> {
    match store.take_mail(tenant, now, messages, MAIL_PER_MINUTE, MAIL_PER_DAY).await? {
        Ok(taken) => Ok(taken),
        Err(window) => {
            let (budget, limit, per) = match window {
                Window::Minute(_) => ("perMinute", MAIL_PER_MINUTE, "a minute"),
                Window::Day(_) => ("perDay", MAIL_PER_DAY, "a UTC day"),
            };
            Err(Error::BudgetSpent {
                code: "mail_budget_spent",
                budget,
                limit,
                retry_at: window.ends_at(),
                message: format!(
                    "a tenant's shares may send {limit} messages {per}; {messages} more would pass it, so nothing was sent"
                ),
            })
        }
    }
}
