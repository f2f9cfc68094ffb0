//! Connected Okta orgs: one record per org (`ORG#<id>`) and one marker per host (`ORGHOST#<host>`), so a
//! tenant cannot connect the same org twice even under concurrent requests.

use super::{aws_err, build_err, tenant_pk, to_item, Item, Store, StoreError};
use crate::okta::ClientAuth;
use crate::secrets::SecretRef;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A connected Okta org. The credential's secret part lives in Secrets Manager at `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRecord {
    pub pk: String,
    pub sk: String,
    pub org_id: String,
    /// The org host, e.g. `acme.okta.com` (validated by the outbound rules).
    pub domain: String,
    pub client_id: String,
    pub auth_method: ClientAuth,
    pub key_id: Option<String>,
    /// Scopes granted at the last verification.
    pub granted_scopes: Vec<String>,
    pub secret: SecretRef,
    /// RFC 3339.
    pub secret_updated_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl OrgRecord {
    /// The sort key of org `id`.
    pub fn sk_of(org_id: &str) -> String {
        format!("ORG#{org_id}")
    }
    fn host_marker(&self) -> Result<Item, StoreError> {
        #[derive(Serialize)]
        struct Marker<'a> {
            pk: &'a str,
            sk: String,
            org_id: &'a str,
        }
        to_item(&Marker { pk: &self.pk, sk: format!("ORGHOST#{}", self.domain), org_id: &self.org_id })
    }
}

fn keyed(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
    Store::key(pk, sk)
}

impl Store {
    /// Creates an org record and its host marker together. Errors: `TransactionCondition { index: 1 }` when
    /// the tenant already connected this host.
    pub async fn create_org(&self, rec: &OrgRecord) -> Result<(), StoreError> {
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .map_err(build_err)?,
                )
                .build())
        };
        self.client
            .transact_write_items()
            .transact_items(put(to_item(rec)?)?)
            .transact_items(put(rec.host_marker()?)?)
            .send()
            .await
            .map_err(Store::transaction_error)?;
        Ok(())
    }

    /// One org of a tenant.
    pub async fn get_org(&self, tenant: &str, org_id: &str) -> Result<Option<OrgRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &OrgRecord::sk_of(org_id)).await
    }

    /// All orgs of a tenant.
    pub async fn list_orgs(&self, tenant: &str) -> Result<Vec<OrgRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), "ORG#").await
    }

    /// Replaces an org record whose stored version is `expected`; the caller has already set `rec.version` to
    /// `expected + 1`. Errors: [`StoreError::VersionConflict`] with the current version.
    pub async fn update_org(&self, rec: &OrgRecord, expected: u64) -> Result<(), StoreError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(rec)?))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(expected.to_string()))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                let current = self.get_org(rec.pk.trim_start_matches("T#"), &rec.org_id).await?.map(|r| r.version);
                Err(StoreError::VersionConflict { current })
            }
            Err(e) => Err(aws_err("PutItem")(e)),
        }
    }

    /// Deletes an org at version `expected` with its host marker, unless device trust uses it. Errors:
    /// `TransactionCondition { index: 0 }` for a version conflict, `{ index: 2 }` when device trust uses the org.
    pub async fn delete_org(&self, rec: &OrgRecord, expected: u64) -> Result<(), StoreError> {
        let delete_org = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keyed(&rec.pk, &rec.sk)))
            .condition_expression("version = :v")
            .expression_attribute_values(":v", AttributeValue::N(expected.to_string()))
            .build()
            .map_err(build_err)?;
        let delete_marker = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(keyed(&rec.pk, &format!("ORGHOST#{}", rec.domain))))
            .build()
            .map_err(build_err)?;
        let not_in_use = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keyed(&rec.pk, super::device_trust::DEVICE_TRUST_SK)))
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
