//! Conditional transactions over the items of one partition: the one way the store writes several items all
//! together or not at all (a budget's counters, a claimed save and its record), each step with its own condition,
//! and the failed step named by its index.

use super::counters::Count;
use super::{Item, Store, StoreError};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};

/// A request that could not be built (a missing required part: a programming error, reported, not panicked).
pub(super) fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Aws { op: "build", message: e.to_string() }
}

/// One step of a transaction (`values` fill the placeholders of its condition).
#[derive(Debug, Clone)]
pub(super) enum Step {
    /// The item at `sk` must meet `condition`; nothing is written.
    Check { sk: String, condition: String, values: Item },
    /// Writes `item` (which carries its key) if `condition` holds (`None`: always).
    Put { item: Item, condition: Option<String>, values: Item },
    /// Adds a count within its limit ([`Count::update`]).
    Count(Count),
    /// Deletes the item at `sk` if `condition` holds.
    Delete { sk: String, condition: String, values: Item },
}

/// `values`, or none at all (DynamoDB refuses an empty map).
fn some(values: Item) -> Option<Item> {
    (!values.is_empty()).then_some(values)
}

impl Step {
    /// The step as one item of a `TransactWriteItems` on `table`, partition `pk`.
    fn build(self, store: &Store, pk: &str) -> Result<TransactWriteItem, StoreError> {
        let t = &store.table;
        let item = match self {
            Step::Check { sk, condition, values } => {
                let c = ConditionCheck::builder().table_name(t).set_key(Some(Store::key(pk, &sk)));
                let c = c.condition_expression(condition).set_expression_attribute_values(some(values));
                TransactWriteItem::builder().condition_check(c.build().map_err(build_err)?)
            }
            Step::Put { item, condition, values } => {
                let p = Put::builder().table_name(t).set_item(Some(item)).set_condition_expression(condition);
                TransactWriteItem::builder()
                    .put(p.set_expression_attribute_values(some(values)).build().map_err(build_err)?)
            }
            Step::Count(c) => {
                let (update, condition, values) = c.update();
                let u = Update::builder().table_name(t).set_key(Some(Store::key(pk, &c.sk))).update_expression(update);
                let u = u.set_condition_expression(condition).expression_attribute_names("#c", &c.attr);
                TransactWriteItem::builder()
                    .update(u.set_expression_attribute_values(some(values)).build().map_err(build_err)?)
            }
            Step::Delete { sk, condition, values } => {
                let d = Delete::builder().table_name(t).set_key(Some(Store::key(pk, &sk)));
                let d = d.condition_expression(condition).set_expression_attribute_values(some(values));
                TransactWriteItem::builder().delete(d.build().map_err(build_err)?)
            }
        };
        Ok(item.build())
    }
}

impl Store {
    /// Runs `steps` on the items of `pk` as one transaction: every write or none. Returns the index of the first
    /// step whose condition failed (nothing written), or `None` when all were applied. The transaction carries a
    /// client request token of its own, so the SDK retrying one that committed is not taken for a failed
    /// condition, while another call with the same steps is. Errors: DynamoDB failing.
    pub(super) async fn transact(&self, pk: &str, steps: Vec<Step>) -> Result<Option<usize>, StoreError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut tx = self.client.transact_write_items().client_request_token(token);
        for step in steps {
            tx = tx.transact_items(step.build(self, pk)?);
        }
        match tx.send().await.map_err(Self::transaction_error) {
            Ok(_) => Ok(None),
            Err(StoreError::TransactionCondition { index }) => Ok(Some(index)),
            Err(e) => Err(e),
        }
    }
}
