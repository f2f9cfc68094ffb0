//! The DynamoDB store: one table, keys `pk` (`T#<tenant>`) and `sk` (`ORG#<id>`, `ORGHOST#<host>`,
//! `DEVICETRUST`, …), so every read and write names its tenant. Records are serialized with `serde_dynamo`;
//! every write that can race is conditional on the record's `version`.

mod deploy;
mod device_trust;
mod fleet;
mod orgs;
mod platforms;
mod status;
mod uem;

pub use deploy::{
    AppDetails, DeployItem, DeployedRecord, DeploymentRecord, InstallMethod, ItemState, ItemStatus, OktaVerifyRecord,
};
pub use device_trust::{DeviceTrustRecord, DeviceTrustState};
pub use fleet::{DeviceRecord, FleetRecord};
pub use orgs::OrgRecord;
pub use platforms::{ChallengeKind, PlatformRecord, PlatformSettings};
pub use status::{EvidenceRecord, PrefixCursor, TechniciansRecord, TECHNICIANS_SK};
pub use uem::UemRecord;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record's version is not the expected one (or it no longer exists: `current` is `None`).
    #[error("version conflict (current version {current:?})")]
    VersionConflict { current: Option<u64> },
    /// A condition of a transaction failed; `index` names the failing item in the order it was given.
    #[error("condition failed on transaction item {index}")]
    TransactionCondition { index: usize },
    /// A stored item could not be read into its record type.
    #[error("stored item is malformed: {0}")]
    Malformed(String),
    /// DynamoDB failed.
    #[error("DynamoDB {op} failed: {message}")]
    Aws { op: &'static str, message: String },
}

pub(crate) fn aws_err<E: ProvideErrorMetadata>(op: &'static str) -> impl Fn(E) -> StoreError {
    move |e| StoreError::Aws {
        op,
        message: format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("no message")),
    }
}

/// The partition key of a tenant.
pub fn tenant_pk(tenant: &str) -> String {
    format!("T#{tenant}")
}

/// The store: a client (built once per cold start) and the table name.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) client: Client,
    pub(crate) table: String,
}

impl Store {
    /// The store over `client` and `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Store { client, table: table.into() }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    pub(crate) fn key(pk: &str, sk: &str) -> Item {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    /// One item by key (strongly consistent), only the `projection` attributes when given, or `None`.
    async fn get_item(&self, pk: &str, sk: &str, projection: Option<&str>) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .set_projection_expression(projection.map(str::to_string))
            .send()
            .await
            .map_err(aws_err("GetItem"))?;
        Ok(out.item)
    }

    /// One record by key (strongly consistent), or `None`.
    pub async fn get<T: DeserializeOwned>(&self, pk: &str, sk: &str) -> Result<Option<T>, StoreError> {
        self.get_item(pk, sk, None)
            .await?
            .map(|i| serde_dynamo::from_item(i).map_err(|e| StoreError::Malformed(e.to_string())))
            .transpose()
    }

    /// Every record under `pk` whose `sk` starts with `prefix`, following `LastEvaluatedKey` until none is left
    /// (pages may be empty yet carry a key: case C17).
    pub async fn query_prefix<T: DeserializeOwned>(&self, pk: &str, prefix: &str) -> Result<Vec<T>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
            .expression_attribute_values(":p", AttributeValue::S(prefix.to_string()))
            .consistent_read(true);
        Self::all_pages(query).await
    }

    /// Runs `query` page after page, following `LastEvaluatedKey` until none is left (an empty page may still
    /// carry one: case C17), and reads every item into `T`.
    async fn all_pages<T: DeserializeOwned>(
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query.clone().set_exclusive_start_key(start.take()).send().await.map_err(aws_err("Query"))?;
            for item in page.items.unwrap_or_default() {
                out.push(serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(e.to_string()))?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// Writes a record unconditionally: only for records with a single writer (a reconciliation checkpoint).
    pub async fn put_raw<T: serde::Serialize>(&self, rec: &T) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(rec)?))
            .send()
            .await
            .map_err(aws_err("PutItem"))?;
        Ok(())
    }

    /// Deletes a record by key (a missing one is not an error).
    pub async fn delete_raw(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .send()
            .await
            .map_err(aws_err("DeleteItem"))?;
        Ok(())
    }

    /// Every record under `gsi1pk = key` in the `gsi1` index, following `LastEvaluatedKey` to the end
    /// (eventually consistent, as every GSI read).
    pub async fn query_index<T: DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :k")
            .expression_attribute_values(":k", AttributeValue::S(key.to_string()));
        Self::all_pages(query).await
    }

    /// Maps a failed transaction to the first item whose condition failed.
    pub(crate) fn transaction_error(
        e: aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        >,
    ) -> StoreError {
        if let Some(
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c),
        ) = e.as_service_error()
        {
            let reasons: &[CancellationReason] = c.cancellation_reasons();
            if let Some(index) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
                return StoreError::TransactionCondition { index };
            }
        }
        aws_err("TransactWriteItems")(e)
    }
}

/// Serializes a record to an item.
pub(crate) fn to_item<T: serde::Serialize>(rec: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(rec).map_err(|e| StoreError::Malformed(e.to_string()))
}

/// A request that could not be built (a missing required part: a programming error, reported, not panicked).
pub(crate) fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Aws { op: "build", message: e.to_string() }
}

impl Store {
    /// Whether a record exists (strongly consistent).
    pub async fn exists(&self, pk: &str, sk: &str) -> Result<bool, StoreError> {
        Ok(self.get_item(pk, sk, Some("pk")).await?.is_some())
    }

    /// Writes a marker that expires at `expires_at` (epoch seconds, the table's TTL attribute `expiresAt`),
    /// once: an existing marker is left as it is.
    pub async fn put_marker(&self, pk: &str, sk: &str, expires_at: i64) -> Result<(), StoreError> {
        let mut item = Self::key(pk, sk);
        item.insert("expiresAt".into(), AttributeValue::N(expires_at.to_string()));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(aws_err("PutItem")(e)),
        }
    }

    /// Writes `value` under a key unless a write with a later `published` (a sortable text) is already there.
    /// Returns whether it wrote: an older event never overwrites a newer one, while the same event again (equal
    /// `published`: a redelivery after a failed first attempt) writes again, so its effects can be re-applied.
    pub async fn put_if_newer(&self, pk: &str, sk: &str, published: &str, value: String) -> Result<bool, StoreError> {
        let mut item = Self::key(pk, sk);
        item.insert("published".into(), AttributeValue::N(published.to_string()));
        item.insert("value".into(), AttributeValue::S(value));
        match self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR published <= :p")
            .expression_attribute_values(":p", AttributeValue::N(published.to_string()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(aws_err("PutItem")(e)),
        }
    }

    /// The newest value written by [`Store::put_if_newer`] under a key, with its `published` text (strongly
    /// consistent), if any.
    pub async fn fact(&self, pk: &str, sk: &str) -> Result<Option<Fact>, StoreError> {
        let Some(item) = self.get_item(pk, sk, None).await? else { return Ok(None) };
        match (item.get("value"), item.get("published")) {
            (Some(AttributeValue::S(value)), Some(AttributeValue::N(published))) => {
                Ok(Some(Fact { value: value.clone(), published: published.clone() }))
            }
            _ => Err(StoreError::Malformed(format!("fact {sk} without value or published"))),
        }
    }

    /// The first step of every versioned save: the caller's `given` version (`None`: not sent, last writer
    /// wins) against the `stored` record's (`None`: none stored). Returns the stored version (0 when none), the
    /// new record then carries that plus one and is written with [`Store::put_versioned`]. Errors:
    /// [`StoreError::VersionConflict`] when the caller read another version (answered 409 `version_conflict`).
    pub fn expect_version(given: Option<u64>, stored: Option<u64>) -> Result<u64, StoreError> {
        let current = stored.unwrap_or(0);
        match given {
            Some(v) if v != current => Err(StoreError::VersionConflict { current: Some(current) }),
            _ => Ok(current),
        }
    }

    /// Writes a record that carries `version` if the stored one is at `expected` (`None`: none stored).
    /// Errors: [`StoreError::VersionConflict`] with the current version.
    pub async fn put_versioned<T: serde::Serialize + DeserializeOwned + Versioned>(
        &self,
        rec: &T,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let item = to_item(rec)?;
        let (pk, sk) = match (item.get("pk"), item.get("sk")) {
            (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => (p.clone(), s.clone()),
            _ => return Err(StoreError::Malformed("record without pk/sk".into())),
        };
        let mut req = self.client.put_item().table_name(&self.table).set_item(Some(item));
        req = match expected {
            None => req.condition_expression("attribute_not_exists(pk)"),
            Some(v) => req
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                let current: Option<T> = self.get(&pk, &sk).await?;
                Err(StoreError::VersionConflict { current: current.map(|c| c.version()) })
            }
            Err(e) => Err(aws_err("PutItem")(e)),
        }
    }
}

impl Store {
    /// Deletes a record if it is still at `version`. Errors: [`StoreError::VersionConflict`] when it changed (or
    /// is gone) meanwhile.
    pub async fn delete_versioned(&self, pk: &str, sk: &str, version: u64) -> Result<(), StoreError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                Err(StoreError::VersionConflict { current: None })
            }
            Err(e) => Err(aws_err("DeleteItem")(e)),
        }
    }
}

/// A fact kept by [`Store::put_if_newer`]: its value and the `published` text of the event that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub value: String,
    pub published: String,
}

/// A record with a `version` (for [`Store::put_versioned`]).
pub trait Versioned {
    /// The record's version.
    fn version(&self) -> u64;
}

impl Store {
    /// Writes every record of `recs` only if none of them exists yet (`attribute_not_exists` on each: one
    /// conditional PutItem for one record, a TransactWriteItems of up to 100 for more, so they land together or
    /// not at all). Returns `false`, writing nothing, when one of them already exists. The transaction carries a
    /// client request token of its own, so the SDK retrying one that committed is not taken for a conflict.
    ///
    /// # Errors
    /// [`StoreError::Malformed`] for more than 100 records or one that does not serialize; DynamoDB failures.
    pub async fn put_new_all<T: serde::Serialize>(&self, recs: &[T]) -> Result<bool, StoreError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        match recs {
            [] => Ok(true),
            [one] => match self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(one)?))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => Ok(false),
                Err(e) => Err(aws_err("PutItem")(e)),
            },
            many if many.len() > 100 => Err(StoreError::Malformed("more than 100 records in one transaction".into())),
            many => {
                // One token per call: the SDK's retries of this call are idempotent (a retry of one that
                // committed is not taken for a conflict), while another call with the same records is not.
                let token = uuid::Uuid::new_v4().simple().to_string();
                let mut tx = self.client.transact_write_items().client_request_token(token);
                for rec in many {
                    let put = Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_item(rec)?))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(build_err)?;
                    tx = tx.transact_items(TransactWriteItem::builder().put(put).build());
                }
                match tx.send().await.map_err(Self::transaction_error) {
                    Ok(_) => Ok(true),
                    Err(StoreError::TransactionCondition { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        }
    }
}
