//! What status-export keeps: per device the evidence read from Okta and the UEM (`EVIDENCE#<uem device id>`),
//! the tenant's technician list (`TECHNICIANS`), and a cursor that reads a prefix page by page so an export of
//! 100,000 devices never holds them all.

use super::{aws_err, tenant_pk, Item, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What Okta and the UEM say about one device, as of `checked_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub pk: String,
    pub sk: String,
    pub device_id: String,
    /// Okta's device id, when an Okta device matched this one (by serial number or UDID).
    pub okta_device_id: Option<String>,
    /// The device user link's `managementStatus` for the device's owner (`MANAGED` / `NOT_MANAGED`), `None`
    /// when Okta has no device for it (Okta Verify not registered).
    pub management_status: Option<String>,
    /// The UEM's state of the platform policy's payload on the device (`applied`, `pending`, `failed`,
    /// `unknown`), `None` when the device is in no policy.
    pub payload_state: Option<String>,
    /// The UEM's error for the payload, if any.
    pub payload_error: Option<String>,
    /// Whether the UEM reports Okta Verify installed, `None` when unknown.
    pub okta_verify_installed: Option<bool>,
    /// RFC 3339.
    pub checked_at: String,
    pub version: u64,
}

impl EvidenceRecord {
    /// The sort key of device `id`.
    pub fn sk_of(id: &str) -> String {
        format!("EVIDENCE#{id}")
    }

    /// Whether two records say the same (ignoring when they were checked and the version).
    pub fn same(&self, other: &EvidenceRecord) -> bool {
        (
            &self.okta_device_id,
            &self.management_status,
            &self.payload_state,
            &self.payload_error,
            self.okta_verify_installed,
        ) == (
            &other.okta_device_id,
            &other.management_status,
            &other.payload_state,
            &other.payload_error,
            other.okta_verify_installed,
        )
    }
}

/// The addresses exports may be mailed to (admins keep the list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechniciansRecord {
    pub pk: String,
    pub sk: String,
    /// Lower-case email addresses.
    pub emails: Vec<String>,
    pub updated_at: String,
    pub version: u64,
}

/// The sort key of the technician list.
pub const TECHNICIANS_SK: &str = "TECHNICIANS";

/// Reads every record under `pk` whose `sk` starts with a prefix, one DynamoDB page (≤ 1 MB) at a time, in key
/// order; empty pages that carry a `LastEvaluatedKey` are followed (case C17). The next page is read (and its
/// records parsed) in a task of its own as soon as the page before it arrives, so the reader works through one
/// page while the next is on its way, and cursors walked side by side (`status_export::join`) wait at once.
/// At most two pages are held.
pub struct PrefixCursor<T> {
    store: Store,
    pk: String,
    prefix: String,
    done: bool,
    pending: Option<tokio::task::JoinHandle<Result<Page<T>, StoreError>>>,
    buffer: std::collections::VecDeque<T>,
}

/// One page's records and where the next page starts (`None`: the last page).
type Page<T> = (Vec<T>, Option<Item>);

impl<T: DeserializeOwned + Send + 'static> PrefixCursor<T> {
    /// The next record, or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<T>, StoreError> {
        loop {
            if let Some(v) = self.buffer.pop_front() {
                return Ok(Some(v));
            }
            if self.done {
                return Ok(None);
            }
            let read = match self.pending.take() {
                Some(read) => read,
                None => self.read(None),
            };
            let (items, next) = read.await.map_err(|e| StoreError::Malformed(format!("page read stopped: {e}")))??;
            self.buffer.extend(items);
            match next {
                Some(start) => self.pending = Some(self.read(Some(start))),
                None => self.done = true,
            }
        }
    }

    /// Reads the page starting after `start` (the first page for `None`) in a task of its own.
    fn read(&self, start: Option<Item>) -> tokio::task::JoinHandle<Result<Page<T>, StoreError>> {
        let (store, pk, prefix) = (self.store.clone(), self.pk.clone(), self.prefix.clone());
        tokio::spawn(async move {
            let page = store
                .client
                .query()
                .table_name(&store.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .expression_attribute_values(":p", AttributeValue::S(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(aws_err("Query"))?;
            let items = page
                .items
                .unwrap_or_default()
                .into_iter()
                .map(|item| serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(e.to_string())))
                .collect::<Result<Vec<T>, _>>()?;
            Ok((items, page.last_evaluated_key.filter(|k| !k.is_empty())))
        })
    }
}

impl<T> Drop for PrefixCursor<T> {
    fn drop(&mut self) {
        if let Some(read) = self.pending.take() {
            read.abort();
        }
    }
}

impl Store {
    /// A cursor over the records of `tenant` whose sort key starts with `prefix`.
    pub fn cursor<T: DeserializeOwned>(&self, tenant: &str, prefix: &str) -> PrefixCursor<T> {
        PrefixCursor {
            store: self.clone(),
            pk: tenant_pk(tenant),
            prefix: prefix.to_string(),
            done: false,
            pending: None,
            buffer: Default::default(),
        }
    }

    /// Writes a device's evidence at `expected` (`None`: none stored). Errors: [`StoreError::VersionConflict`].
    pub async fn put_evidence(&self, rec: &EvidenceRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }

    /// The technician list, if any.
    pub async fn get_technicians(&self, tenant: &str) -> Result<Option<TechniciansRecord>, StoreError> {
        self.get(&tenant_pk(tenant), TECHNICIANS_SK).await
    }

    /// Writes the technician list at `expected` (`None`: none stored). Errors: [`StoreError::VersionConflict`].
    pub async fn put_technicians(&self, rec: &TechniciansRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

impl super::Versioned for EvidenceRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

impl super::Versioned for TechniciansRecord {
    fn version(&self) -> u64 {
        self.version
    }
}
