//! The tenant's device trust record (`DEVICETRUST`): which connected Okta org device trust uses, and whether it
//! is active or being removed from the devices.

use super::orgs::OrgRecord;
use super::{build_err, tenant_pk, to_item, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

pub(crate) const DEVICE_TRUST_SK: &str = "DEVICETRUST";

/// The lifecycle of device trust for a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceTrustState {
    /// Device trust runs for the chosen org.
    Active,
    /// The admin deleted device trust: every deployed item must come off the devices (deploy-trigger carries
    /// it out and then removes the record).
    Removing,
}

/// The device trust record of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceTrustRecord {
    pub pk: String,
    pub sk: String,
    pub okta_org_id: String,
    pub state: DeviceTrustState,
    /// RFC 3339.
    pub enabled_at: String,
    pub removal_requested_at: Option<String>,
    pub updated_at: String,
    pub version: u64,
    /// `DEVICETRUST`: the `gsi1` key under which the scheduled reconciliation finds every tenant.
    #[serde(default = "device_trust_index")]
    pub gsi1pk: String,
    /// The tenant id.
    #[serde(default)]
    pub gsi1sk: String,
}

/// The `gsi1` partition that lists every tenant's device trust record.
pub const DEVICE_TRUST_INDEX: &str = "DEVICETRUST";

fn device_trust_index() -> String {
    DEVICE_TRUST_INDEX.to_string()
}

impl DeviceTrustRecord {
    /// A new record for `tenant` (version 1).
    pub fn new(tenant: &str, okta_org_id: String, now: String) -> Self {
        DeviceTrustRecord {
            pk: tenant_pk(tenant),
            sk: DEVICE_TRUST_SK.to_string(),
            okta_org_id,
            state: DeviceTrustState::Active,
            enabled_at: now.clone(),
            removal_requested_at: None,
            updated_at: now,
            version: 1,
            gsi1pk: DEVICE_TRUST_INDEX.to_string(),
            gsi1sk: tenant.to_string(),
        }
    }
}

impl Store {
    /// Every tenant's device trust record (through `gsi1`, every page): what the schedule reconciles.
    pub async fn list_device_trusts(&self) -> Result<Vec<DeviceTrustRecord>, StoreError> {
        self.query_index(DEVICE_TRUST_INDEX).await
    }

    /// The tenant's device trust record, if any.
    pub async fn get_device_trust(&self, tenant: &str) -> Result<Option<DeviceTrustRecord>, StoreError> {
        self.get(&tenant_pk(tenant), DEVICE_TRUST_SK).await
    }

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
}
