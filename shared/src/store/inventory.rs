//! A read of the UEM inventory that spans invocations (`INVENTORY`, and its pages `INVENTORY#PAGE#<n>`): a fleet
//! whose pages do not fit one invocation (Lambda's 15 minutes at the UEM's pace: 100,000 Hexnode devices are 2,000
//! pages, about 285 minutes at the re-reads' 7 calls a minute) keeps the pages it read and where the read goes on,
//! and the next run resumes there. Written only by the run holding the tenant's reconciliation lease; the
//! progress record is still written conditionally on the page count the writer read. Both expire after
//! [`INVENTORY_TTL_SECS`] when a read is abandoned.

use super::{tenant_pk, Store, StoreError};
use crate::uem::{InventoryCursor, InventoryPage};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

/// The sort key of the progress record.
const READ_SK: &str = "INVENTORY";
/// The sort key prefix of the kept pages (`INVENTORY#PAGE#000042`).
const PAGE_PREFIX: &str = "INVENTORY#PAGE#";
/// How long an abandoned read's records live (seconds).
pub const INVENTORY_TTL_SECS: i64 = 2 * 86_400;
/// The largest page kept (bytes of JSON), below DynamoDB's 400 KB item limit.
const MAX_PAGE_BYTES: usize = 350_000;
/// Writes (and deletes) in flight at once.
const WRITE_CONCURRENCY: usize = 16;

fn page_sk(n: u32) -> String {
    format!("{PAGE_PREFIX}{n:06}")
}

/// Where a kept read stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRead {
    pub pk: String,
    pub sk: String,
    /// Where the read goes on; `None`: the inventory is read to its end (only the decisions are left).
    #[serde(default)]
    pub cursor: Option<InventoryCursor>,
    /// Pages kept (`0..pages`).
    pub pages: u32,
    /// When the read began (epoch seconds).
    pub started_at: i64,
    /// When DynamoDB's TTL removes an abandoned read (epoch seconds).
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
}

/// One kept page: the page as JSON.
#[derive(Serialize, Deserialize)]
struct PageRecord {
    pk: String,
    sk: String,
    page: String,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
}

impl Store {
    /// The tenant's kept inventory read, if one is in progress.
    pub async fn get_inventory_read(&self, tenant: &str) -> Result<Option<InventoryRead>, StoreError> {
        self.get(&tenant_pk(tenant), READ_SK).await
    }

    /// The pages `read` kept, in the order they were read. Errors: a page missing or unreadable
    /// ([`StoreError::Malformed`]), DynamoDB failing.
    pub async fn inventory_pages(&self, tenant: &str, read: &InventoryRead) -> Result<Vec<InventoryPage>, StoreError> {
        let recs: Vec<PageRecord> = self.query_prefix(&tenant_pk(tenant), PAGE_PREFIX).await?;
        let mut pages = Vec::with_capacity(read.pages as usize);
        for (n, rec) in recs.into_iter().take(read.pages as usize).enumerate() {
            if rec.sk != page_sk(n as u32) {
                return Err(StoreError::Malformed(format!("inventory page {n} is missing")));
            }
            pages.push(serde_json::from_str(&rec.page).map_err(|e| StoreError::Malformed(e.to_string()))?);
        }
        if pages.len() != read.pages as usize {
            return Err(StoreError::Malformed(format!("{} of {} inventory pages kept", pages.len(), read.pages)));
        }
        Ok(pages)
    }

    /// Keeps `new` as pages `kept..` of the tenant's read begun at `started_at`, going on at `cursor`; the
    /// progress record is written only if it still says `kept` pages (none stored when `kept` is 0 and it is the
    /// read's start). `now` is epoch seconds. Returns the progress record as written. Errors: [`StoreError::VersionConflict`] when another writer moved
    /// the read; a page over [`MAX_PAGE_BYTES`] ([`StoreError::Malformed`]); DynamoDB failing.
    pub async fn keep_inventory(
        &self,
        tenant: &str,
        kept: u32,
        new: &[InventoryPage],
        cursor: Option<&InventoryCursor>,
        started_at: i64,
        now: i64,
    ) -> Result<InventoryRead, StoreError> {
        let pk = tenant_pk(tenant);
        let expires_at = now + INVENTORY_TTL_SECS;
        let mut recs = Vec::with_capacity(new.len());
        for (i, page) in new.iter().enumerate() {
            let page = serde_json::to_string(page).map_err(|e| StoreError::Malformed(e.to_string()))?;
            if page.len() > MAX_PAGE_BYTES {
                return Err(StoreError::Malformed(format!("an inventory page of {} bytes", page.len())));
            }
            recs.push(PageRecord { pk: pk.clone(), sk: page_sk(kept + i as u32), page, expires_at });
        }
        // The pages first (any order), then the progress record that counts them.
        stream::iter(recs.into_iter().map(|rec| async move { self.put_raw(&rec).await }))
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        let pages = kept + new.len() as u32;
        let read = InventoryRead { pk, sk: READ_SK.into(), cursor: cursor.cloned(), pages, started_at, expires_at };
        let (condition, values) = if kept == 0 {
            ("attribute_not_exists(pk) OR pages = :k", [(":k", AttributeValue::N("0".into()))])
        } else {
            ("pages = :k", [(":k", AttributeValue::N(kept.to_string()))])
        };
        if self.put_if(super::item::to_item(&read)?, condition, &values).await? {
            Ok(read)
        } else {
            Err(StoreError::VersionConflict { current: None })
        }
    }

    /// Removes the tenant's kept read and its pages (the reconciliation it served is complete).
    pub async fn delete_inventory(&self, tenant: &str, read: &InventoryRead) -> Result<(), StoreError> {
        let pk = tenant_pk(tenant);
        self.delete_raw(&pk, READ_SK).await?;
        stream::iter((0..read.pages).map(|n| {
            let pk = pk.clone();
            async move { self.delete_raw(&pk, &page_sk(n)).await }
        }))
        .buffer_unordered(WRITE_CONCURRENCY)
        .try_collect::<()>()
        .await
    }
}
