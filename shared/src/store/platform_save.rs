//! A claimed save of a platform's settings (`PLATFORMSAVE#<platform>`). A save that writes secret versions first
//! claims the platform, in one transaction with the record's version check and the day's count of such saves
//! (`PLATFORMSECRETS#<platform>#<YYYY-MM-DD>`, a window counter): so only a save whose record write can succeed
//! writes secrets, one at a time per platform, and at most a day's number of them. It writes the record while it
//! still holds the claim (one transaction again), moves the secrets' current label, and gives the claim back.

use super::counters::{Count, Window};
use super::item::to_item;
use super::transact::Step;
use super::{tenant_pk, Item, PlatformRecord, Store, StoreError};
use crate::platform::Platform;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use time::OffsetDateTime;

/// The sort key prefix of a platform's save claim.
const CLAIM_PREFIX: &str = "PLATFORMSAVE#";

/// The counter attribute of the day's saves that wrote secrets.
const SAVES: &str = "saves";

/// Why a claim was refused (nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefused {
    /// The record is no longer at the version the save read.
    Changed,
    /// Another save holds the platform.
    Held,
    /// The platform's saves that write secrets are used up for the UTC day; room again at `retry_at`.
    Spent { retry_at: OffsetDateTime },
}

/// The values of a condition, from `(placeholder, value)` pairs.
fn values(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<HashMap<_, _>>()
}

/// The condition that the record is at `expected` (`None`: none stored), with its values.
fn at_version(expected: Option<u64>) -> (String, Item) {
    match expected {
        None => ("attribute_not_exists(pk)".into(), Item::new()),
        Some(v) => ("version = :v".into(), values(&[(":v", AttributeValue::N(v.to_string()))])),
    }
}

/// The kind of platform `p`'s counter of saves that wrote secrets.
fn saves_kind(p: Platform) -> String {
    format!("PLATFORMSECRETS#{}", p.as_str())
}

impl Store {
    /// Claims the save of `tenant`'s platform `p` for `holder` until `until`, if the record is at `expected`
    /// (`None`: none stored), no other save holds an unexpired claim at `now`, and fewer than `per_day` saves of
    /// `p` wrote secrets that UTC day (this one counted): one transaction. Errors: DynamoDB failing.
    pub async fn claim_platform_save(
        &self,
        tenant: &str,
        p: Platform,
        expected: Option<u64>,
        holder: &str,
        (now, until): (OffsetDateTime, OffsetDateTime),
        per_day: u64,
    ) -> Result<Result<(), ClaimRefused>, StoreError> {
        let pk = tenant_pk(tenant);
        let (condition, v) = at_version(expected);
        let record = Step::Check { sk: PlatformRecord::sk_of(p), condition, values: v };
        let claim = values(&[
            ("pk", AttributeValue::S(pk.clone())),
            ("sk", AttributeValue::S(format!("{CLAIM_PREFIX}{}", p.as_str()))),
            ("holder", AttributeValue::S(holder.to_string())),
            ("lease_until", AttributeValue::N(until.unix_timestamp().to_string())),
            ("expiresAt", AttributeValue::N((until.unix_timestamp() + 86_400).to_string())),
        ]);
        let free = "attribute_not_exists(pk) OR lease_until < :now".to_string();
        let now_value = values(&[(":now", AttributeValue::N(now.unix_timestamp().to_string()))]);
        let claim = Step::Put { item: claim, condition: Some(free), values: now_value };
        let day = Window::day_of(now);
        let count = Step::Count(Count::new(&saves_kind(p), day, SAVES, 1, Some(per_day)));
        Ok(match self.transact(&pk, vec![record, claim, count]).await? {
            None => Ok(()),
            Some(0) => Err(ClaimRefused::Changed),
            Some(1) => Err(ClaimRefused::Held),
            Some(_) => Err(ClaimRefused::Spent { retry_at: day.ends_at() }),
        })
    }

    /// Writes `rec` if the stored record is at `expected` (`None`: none stored) and `holder` still holds the
    /// platform's claim: one transaction. Errors: [`StoreError::VersionConflict`] with the current version when
    /// either no longer holds; DynamoDB failing.
    pub async fn put_platform_claimed(
        &self,
        rec: &PlatformRecord,
        expected: Option<u64>,
        holder: &str,
    ) -> Result<(), StoreError> {
        let (condition, v) = at_version(expected);
        let put = Step::Put { item: to_item(rec)?, condition: Some(condition), values: v };
        let held = values(&[(":h", AttributeValue::S(holder.to_string()))]);
        let claim_sk = format!("{CLAIM_PREFIX}{}", rec.platform.as_str());
        let held = Step::Check { sk: claim_sk, condition: "holder = :h".into(), values: held };
        if self.transact(&rec.pk, vec![put, held]).await?.is_none() {
            return Ok(());
        }
        let current: Option<PlatformRecord> = self.get(&rec.pk, &rec.sk).await?;
        Err(StoreError::VersionConflict { current: current.map(|c| c.version) })
    }

    /// Gives `holder`'s claim on `tenant`'s platform `p` back (nothing when it is no longer theirs). Errors:
    /// DynamoDB failing.
    pub async fn release_platform_save(&self, tenant: &str, p: Platform, holder: &str) -> Result<(), StoreError> {
        let held = values(&[(":h", AttributeValue::S(holder.to_string()))]);
        let sk = format!("{CLAIM_PREFIX}{}", p.as_str());
        let release = Step::Delete { sk, condition: "holder = :h".into(), values: held };
        self.transact(&tenant_pk(tenant), vec![release]).await?;
        Ok(())
    }
}
