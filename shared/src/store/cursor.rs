//! A cursor that reads a tenant's records of one kind page by page, so an export of 100,000 devices never holds
//! them all. Opened through the typed `*_cursor` functions of each record kind.

use super::item::from_item;
use super::{aws_err, tenant_pk, Item, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

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
    /// The next record, or `None` at the end. Errors: DynamoDB failing, or a record that does not read.
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
            let items = page.items.unwrap_or_default().into_iter().map(from_item).collect::<Result<Vec<T>, _>>()?;
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
    pub(super) fn cursor<T: DeserializeOwned>(&self, tenant: &str, prefix: &str) -> PrefixCursor<T> {
        PrefixCursor {
            store: self.clone(),
            pk: tenant_pk(tenant),
            prefix: prefix.to_string(),
            done: false,
            pending: None,
            buffer: Default::default(),
        }
    }
}
