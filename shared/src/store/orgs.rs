//! Connected Okta orgs: one record per org (`ORG#<id>`) and one marker per host (`ORGHOST#<host>`), so a
//! tenant cannot connect the same org twice even under concurrent requests. Deleting an org is a transaction
//! with device trust (`org_trust.rs`).

use super::item::to_item;
use super::transact::build_err;
use super::{tenant_pk, Item, Store, StoreError};
use crate::okta::{ClientAuth, OktaCredentials};
use crate::secrets::SecretRef;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

/// The sort key prefix of org records.
const ORG_PREFIX: &str = "ORG#";

/// A connected Okta org. The credential's secret part lives in Secrets Manager at `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgRecord {
    pub pk: String,
    pub sk: String,
    pub org_id: String,
    /// The org host, e.g. `acme.okta.com` (validated by the outbound rules).
    pub domain: String,
    /// The org's custom URL domain, a bare host (e.g. `login.acme.example`), when the org has one: the macOS
    /// SSO extension lists it next to `domain` and a SCEP URL may use it (Okta help [H-ssom], `okta/MDM.md`
    /// section 3). Records stored before it existed read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
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
    /// Org `org_id` of `tenant` at `domain`, connected `now` (version 1) with `creds` (their client id, method
    /// and key id; the secret part is stored at `secret`) and the scopes Okta granted.
    pub fn new(
        tenant: &str,
        org_id: &str,
        domain: &str,
        creds: &OktaCredentials,
        granted_scopes: Vec<String>,
        secret: SecretRef,
        now: &str,
    ) -> Self {
        OrgRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(org_id),
            org_id: org_id.to_string(),
            domain: domain.to_string(),
            custom_domain: None,
            client_id: creds.client_id().to_string(),
            auth_method: creds.method(),
            key_id: creds.key_id().map(str::to_string),
            granted_scopes,
            secret,
            secret_updated_at: now.to_string(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
            version: 1,
        }
    }

    /// The sort key of org `id`.
    fn sk_of(org_id: &str) -> String {
        format!("{ORG_PREFIX}{org_id}")
    }

    /// The sort key of the org's host marker.
    pub(super) fn host_sk(&self) -> String {
        format!("ORGHOST#{}", self.domain)
    }

    fn host_marker(&self) -> Result<Item, StoreError> {
        #[derive(Serialize)]
        struct Marker<'a> {
            pk: &'a str,
            sk: String,
            org_id: &'a str,
        }
        to_item(&Marker { pk: &self.pk, sk: self.host_sk(), org_id: &self.org_id })
    }
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
        self.query_prefix(&tenant_pk(tenant), ORG_PREFIX).await
    }

    /// Replaces an org record whose stored version is `expected`; the caller has already set `rec.version` to
    /// `expected + 1`. Errors: [`StoreError::VersionConflict`] with the current version.
    pub async fn update_org(&self, rec: &OrgRecord, expected: u64) -> Result<(), StoreError> {
        self.put_versioned(rec, Some(expected)).await
    }
}

super::versioned!(OrgRecord);
