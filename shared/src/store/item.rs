//! The generic item operations every record kind's typed functions are built on: get, query, conditional and
//! unconditional puts and deletes, and all-or-nothing puts of new records. Private to the store: callers outside
//! it name records by tenant and ids through the typed functions, never by key.

use super::counters::Count;
use super::transact::Step;
use super::{aws_err, Item, Store, StoreError, Versioned};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// Serializes a record to an item.
pub(super) fn to_item<T: Serialize>(rec: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(rec).map_err(|e| StoreError::Malformed(e.to_string()))
}

/// Reads an item into a record.
pub(super) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed(e.to_string()))
}

/// Whether a failed conditional write failed on its condition (rather than DynamoDB failing).
fn condition_failed<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: ConditionalCheck,
{
    e.as_service_error().is_some_and(ConditionalCheck::is_condition)
}

/// The service errors of the single-item writes, which all name a failed condition the same way.
trait ConditionalCheck {
    fn is_condition(&self) -> bool;
}

impl ConditionalCheck for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn is_condition(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionalCheck for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn is_condition(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionalCheck for aws_sdk_dynamodb::operation::delete_item::DeleteItemError {
    fn is_condition(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl Store {
    /// The key of an item.
    pub(super) fn key(pk: &str, sk: &str) -> Item {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    /// One item by key (strongly consistent), only the `projection` attributes when given, or `None`.
    pub(super) async fn get_item(
        &self,
        pk: &str,
        sk: &str,
        projection: Option<&str>,
    ) -> Result<Option<Item>, StoreError> {
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
    pub(super) async fn get<T: DeserializeOwned>(&self, pk: &str, sk: &str) -> Result<Option<T>, StoreError> {
        self.get_item(pk, sk, None).await?.map(from_item).transpose()
    }

    /// Whether a record exists (strongly consistent).
    pub(super) async fn exists(&self, pk: &str, sk: &str) -> Result<bool, StoreError> {
        Ok(self.get_item(pk, sk, Some("pk")).await?.is_some())
    }

    /// Every record under `pk` whose `sk` starts with `prefix`, following `LastEvaluatedKey` until none is left
    /// (pages may be empty yet carry a key: case C17).
    pub(super) async fn query_prefix<T: DeserializeOwned>(&self, pk: &str, prefix: &str) -> Result<Vec<T>, StoreError> {
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

    /// Every record under `gsi1pk = key` in the `gsi1` index, following `LastEvaluatedKey` to the end
    /// (eventually consistent, as every GSI read).
    pub(super) async fn query_index<T: DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :k")
            .expression_attribute_values(":k", AttributeValue::S(key.to_string()));
        Self::all_pages(query).await
    }

    /// Runs `query` page after page, following `LastEvaluatedKey` until none is left (an empty page may still
    /// carry one: case C17), and reads every item into `T`.
    async fn all_pages<T: DeserializeOwned>(query: QueryFluentBuilder) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query.clone().set_exclusive_start_key(start.take()).send().await.map_err(aws_err("Query"))?;
            for item in page.items.unwrap_or_default() {
                out.push(from_item(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(out),
            }
        }
    }

    /// Writes a record unconditionally: only for records with a single writer (a reconciliation checkpoint).
    pub(super) async fn put_raw<T: Serialize>(&self, rec: &T) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(rec)?))
            .send()
            .await
            .map_err(aws_err("PutItem"))?;
        Ok(())
    }

    /// Writes `item` if `condition` holds (`values` fill its placeholders). Returns whether it wrote: a failed
    /// condition leaves the stored item as it is.
    pub(super) async fn put_if(
        &self,
        item: Item,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut req =
            self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        for (name, value) in values {
            req = req.expression_attribute_values(*name, value.clone());
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(aws_err("PutItem")(e)),
        }
    }

    /// Writes `item` only if no item has its key yet. Returns whether it wrote (an existing item is left as it
    /// is).
    pub(super) async fn put_new_item(&self, item: Item) -> Result<bool, StoreError> {
        self.put_if(item, "attribute_not_exists(pk)", &[]).await
    }

    /// Adds `c.amount` to the number attribute `c.attr` of the item at `pk`/`c.sk` (made when missing) and sets its
    /// `expiresAt`, if the counter then holds at most `c.limit` (`None`: always). Returns the counter after it, or
    /// `None` when it would pass the limit (nothing written).
    pub(super) async fn count_within(&self, pk: &str, c: &Count) -> Result<Option<u64>, StoreError> {
        if c.never_fits() {
            return Ok(None);
        }
        let (update, condition, values) = c.update();
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, &c.sk)))
            .update_expression(update)
            .set_condition_expression(condition)
            .expression_attribute_names("#c", &c.attr)
            .set_expression_attribute_values(Some(values))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew);
        match req.send().await {
            Ok(out) => Ok(Some(
                out.attributes
                    .and_then(|a| a.get(&c.attr).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()))
                    .unwrap_or(0),
            )),
            Err(e) if condition_failed(&e) => Ok(None),
            Err(e) => Err(aws_err("UpdateItem")(e)),
        }
    }

    /// Adds every count of `counts` as [`Store::count_within`] does, all of them or none: one transaction. Returns
    /// the index of the first count whose limit refused (nothing written), or `None` when every one was added.
    pub(super) async fn count_all_within(&self, pk: &str, counts: &[Count]) -> Result<Option<usize>, StoreError> {
        if let Some(i) = counts.iter().position(Count::never_fits) {
            return Ok(Some(i));
        }
        self.transact(pk, counts.iter().cloned().map(Step::Count).collect()).await
    }

    /// Takes `amount` back off the counter `attr` of the item at `pk`/`sk` (what a count reserved and did not
    /// use), if it holds at least that much (a counter never goes below zero; one that expired stays gone).
    pub(super) async fn uncount(&self, pk: &str, sk: &str, attr: &str, amount: u64) -> Result<(), StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("ADD #c :minus")
            .condition_expression("#c >= :n")
            .expression_attribute_names("#c", attr)
            .expression_attribute_values(":minus", AttributeValue::N(format!("-{amount}")))
            .expression_attribute_values(":n", AttributeValue::N(amount.to_string()));
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(aws_err("UpdateItem")(e)),
        }
    }

    /// Adds 1 to two number attributes of the item at `pk`/`sk` (made when missing), `total` and `part`, and sets
    /// `expiresAt` to `expires_at`, if each is below its limit (`total_limit`, `part_limit`). Returns whether it
    /// wrote (a limit reached writes nothing).
    pub(super) async fn count_pair_if_below(
        &self,
        pk: &str,
        sk: &str,
        (total, total_limit): (&str, u64),
        (part, part_limit): (&str, u64),
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("ADD #t :one, #p :one SET expiresAt = :exp")
            .condition_expression("(attribute_not_exists(#t) OR #t < :tl) AND (attribute_not_exists(#p) OR #p < :pl)")
            .expression_attribute_names("#t", total)
            .expression_attribute_names("#p", part)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":exp", AttributeValue::N(expires_at.to_string()))
            .expression_attribute_values(":tl", AttributeValue::N(total_limit.to_string()))
            .expression_attribute_values(":pl", AttributeValue::N(part_limit.to_string()));
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(aws_err("UpdateItem")(e)),
        }
    }

    /// The number attribute `name` of the item at `pk`/`sk` (strongly consistent), `None` when either is missing.
    pub(super) async fn number(&self, pk: &str, sk: &str, name: &str) -> Result<Option<u64>, StoreError> {
        let item = self.get_item(pk, sk, None).await?;
        Ok(item.and_then(|i| i.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok())))
    }

    /// Sets the number attribute `name` of the item at `pk`/`sk` to `value` (made when missing) unless it holds
    /// that value already (then nothing is written, so no stream record either).
    pub(super) async fn set_number_if_changed(
        &self,
        pk: &str,
        sk: &str,
        name: &str,
        value: u64,
    ) -> Result<(), StoreError> {
        let req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("SET #n = :v")
            .condition_expression("attribute_not_exists(#n) OR #n <> :v")
            .expression_attribute_names("#n", name)
            .expression_attribute_values(":v", AttributeValue::N(value.to_string()));
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if condition_failed(&e) => Ok(()),
            Err(e) => Err(aws_err("UpdateItem")(e)),
        }
    }

    /// Applies `update` (an update expression) to the item at `pk`/`sk` (made when missing) if `condition` holds
    /// (`values` fill the placeholders of both). Returns whether it wrote.
    pub(super) async fn update_if(
        &self,
        pk: &str,
        sk: &str,
        update: &str,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression(update)
            .condition_expression(condition);
        for (name, value) in values {
            req = req.expression_attribute_values(*name, value.clone());
        }
        match req.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(aws_err("UpdateItem")(e)),
        }
    }

    /// Deletes a record by key (a missing one is not an error).
    pub(super) async fn delete_raw(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .send()
            .await
            .map_err(aws_err("DeleteItem"))?;
        Ok(())
    }

    /// Writes a record that carries `version` if the stored one is at `expected` (`None`: none stored).
    /// Errors: [`StoreError::VersionConflict`] with the current version.
    pub(super) async fn put_versioned<T: Serialize + DeserializeOwned + Versioned>(
        &self,
        rec: &T,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        let item = to_item(rec)?;
        let (pk, sk) = match (item.get("pk"), item.get("sk")) {
            (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => (p.clone(), s.clone()),
            _ => return Err(StoreError::Malformed("record without pk/sk".into())),
        };
        let wrote = match expected {
            None => self.put_new_item(item).await?,
            Some(v) => self.put_if(item, "version = :v", &[(":v", AttributeValue::N(v.to_string()))]).await?,
        };
        if wrote {
            return Ok(());
        }
        let current: Option<T> = self.get(&pk, &sk).await?;
        Err(StoreError::VersionConflict { current: current.map(|c| c.version()) })
    }

    /// Deletes a record if it is still at `version`. Errors: [`StoreError::VersionConflict`] when it changed (or
    /// is gone) meanwhile.
    pub(super) async fn delete_versioned(&self, pk: &str, sk: &str, version: u64) -> Result<(), StoreError> {
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
            Err(e) if condition_failed(&e) => Err(StoreError::VersionConflict { current: None }),
            Err(e) => Err(aws_err("DeleteItem")(e)),
        }
    }

    /// Writes every record of `recs` only if none of them exists yet (`attribute_not_exists` on each: one
    /// conditional PutItem for one record, a TransactWriteItems of up to 100 for more, so they land together or
    /// not at all). Returns `false`, writing nothing, when one of them already exists.
    ///
    /// # Errors
    /// [`StoreError::Malformed`] for more than 100 records or one that does not serialize; DynamoDB failures.
    pub(super) async fn put_new_all<T: Serialize>(&self, recs: &[T]) -> Result<bool, StoreError> {
        match recs {
            [] => Ok(true),
            [one] => self.put_new_item(to_item(one)?).await,
            many if many.len() > 100 => Err(StoreError::Malformed("more than 100 records in one transaction".into())),
            many => self.put_new_together(many).await,
        }
    }

    /// [`Store::put_new_all`] for two to 100 records: one transaction ([`Store::transact`]).
    async fn put_new_together<T: Serialize>(&self, recs: &[T]) -> Result<bool, StoreError> {
        let condition = || Some("attribute_not_exists(pk)".to_string());
        let steps = recs
            .iter()
            .map(|r| Ok(Step::Put { item: to_item(r)?, condition: condition(), values: Item::new() }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(self.transact("", steps).await?.is_none())
    }

    /// Maps a failed transaction to the first item whose condition failed.
    pub(super) fn transaction_error(e: aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError>) -> StoreError {
        if let Some(TransactWriteItemsError::TransactionCanceledException(c)) = e.as_service_error() {
            let reasons: &[CancellationReason] = c.cancellation_reasons();
            if let Some(index) = reasons.iter().position(|r| r.code() == Some("ConditionalCheckFailed")) {
                return StoreError::TransactionCondition { index };
            }
        }
        aws_err("TransactWriteItems")(e)
    }
}
