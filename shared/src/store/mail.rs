//! The mail a tenant's shares sent through SES, counted per message (one a recipient) in two window counters
//! (`counters.rs`): `MAIL#<YYYY-MM-DD>T<HH:MM>` for the minute and `MAIL#<YYYY-MM-DD>` for the UTC day. A share
//! takes its messages from both in one conditional transaction before anything is sent, and gives back what SES
//! did not send.

use super::counters::{Count, Window};
use super::{tenant_pk, Store, StoreError};
use time::OffsetDateTime;

/// The kind of the mail counters.
const KIND: &str = "MAIL";

/// The counter attribute: messages.
const MESSAGES: &str = "messages";

/// Messages taken from a tenant's mail budget at one time: what [`Store::give_back_mail`] returns them to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTaken {
    pub minute: Window,
    pub day: Window,
    pub messages: u64,
}

impl Store {
    /// Takes `messages` from `tenant`'s mail counters of the minute and the UTC day of `now`, if the minute's then
    /// holds at most `per_minute` and the day's at most `per_day`: both or neither (one transaction). Returns what
    /// was taken, or the window whose limit refused (nothing taken). Errors: DynamoDB failing.
    pub async fn take_mail(
        &self,
        tenant: &str,
        now: OffsetDateTime,
        messages: u64,
        per_minute: u64,
        per_day: u64,
    ) -> Result<Result<MailTaken, Window>, StoreError> {
        let (minute, day) = (Window::minute_of(now), Window::day_of(now));
        let counts = [
            Count::new(KIND, minute, MESSAGES, messages, Some(per_minute)),
            Count::new(KIND, day, MESSAGES, messages, Some(per_day)),
        ];
        Ok(match self.count_all_within(&tenant_pk(tenant), &counts).await? {
            None => Ok(MailTaken { minute, day, messages }),
            Some(0) => Err(minute),
            Some(_) => Err(day),
        })
    }

    /// Gives `unsent` of the messages `taken` back to both of its windows (SES did not send them). Errors:
    /// DynamoDB failing.
    pub async fn give_back_mail(&self, tenant: &str, taken: &MailTaken, unsent: u64) -> Result<(), StoreError> {
        let unsent = unsent.min(taken.messages);
        if unsent == 0 {
            return Ok(());
        }
        for window in [taken.minute, taken.day] {
            self.uncount(&tenant_pk(tenant), &window.sk(KIND), MESSAGES, unsent).await?;
        }
        Ok(())
    }

    /// The messages counted in `tenant`'s `window`.
    pub async fn mail_counted(&self, tenant: &str, window: Window) -> Result<u64, StoreError> {
        Ok(self.number(&tenant_pk(tenant), &window.sk(KIND), MESSAGES).await?.unwrap_or(0))
    }
}
