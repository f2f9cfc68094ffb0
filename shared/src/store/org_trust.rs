//! The two transactions that tie device trust to a connected org: choosing the org checks it is still there at
//! the version read, and deleting an org checks device trust does not use it, so neither can slip past the
//! other (docs/ARCHITECTURE.md, "Races"). Here, not in `orgs.rs` or `device_trust.rs`, so neither of those
//! depends on the other.

use super::device_trust::{DeviceTrustRecord, DEVICE_TRUST_SK};
use super::item::to_item;
use super::orgs::OrgRecord;
use super::transact::build_err;
use super::{Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};

impl Store {
    /// Writes the device trust record if the stored one is at version `expected` (`None`: none is stored) and,
    /// when `org` is given, that org still exists at its version. Errors: `TransactionCondition { index: 0 }`
    /// for a version conflict, `{ index: 1 }` when the org changed or was disconnected meanwhile.
    pub async fn put_device_trust(
        &self,
        rec: &DeviceTrustRecord,
        expected: Option<u64>,
        org: Option<&OrgRecord>,
    ) -> Result<(), StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(to_item(rec)?));
        put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(v.to_string())),
        };
        let mut tx = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put.build().map_err(build_err)?).build());
        if let Some(org) = org {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(Store::key(&org.pk, &org.sk)))
                .condition_expression("version = :ov")
                .expression_attribute_values(":ov", AttributeValue::N(org.version.to_string()))
                .build()
                .map_err(build_err)?;
            tx = tx.transact_items(TransactWriteItem::builder().condition_check(check).build());
        }
        tx.send().await.map_err(Store::transaction_error)?;
        Ok(())
    }

    /// Deletes an org at version `expected` with its host marker, unless device trust uses it. Errors:
    /// `TransactionCondition { index: 0 }` for a version conflict, `{ index: 2 }` when device trust uses the org.
    pub async fn delete_org(&self, rec: &OrgRecord, expected: u64) -> Result<(), StoreError> {
        let delete_org = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Store::key(&rec.pk, &rec.sk)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(expected.to_string()))
            .build()
            .map_err(build_err)?;
        let delete_marker = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(Store::key(&rec.pk, &rec.host_sk())))
            .build()
            .map_err(build_err)?;
        let not_in_use = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(Store::key(&rec.pk, DEVICE_TRUST_SK)))
            .condition_expression("attribute_not_exists(pk) OR okta_org_id <> :org")
            .expression_attribute_values(":org", AttributeValue::S(rec.org_id.clone()))
            .build()
            .map_err(build_err)?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete_org).build())
            .transact_items(TransactWriteItem::builder().delete(delete_marker).build())
            .transact_items(TransactWriteItem::builder().condition_check(not_in_use).build())
            .send()
            .await
            .map_err(Store::transaction_error)?;
        Ok(())
    }
}
