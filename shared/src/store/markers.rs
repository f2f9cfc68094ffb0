//! The markers of applied hook events (`HOOKEVENT#<uuid>`, TTL 7 days): checked before an event is applied and
//! written after, so an event in two deliveries changes nothing the second time (case C06).

use super::{tenant_pk, Store, StoreError};
use aws_sdk_dynamodb::types::AttributeValue;

/// How long hook records are kept (event markers and inbox records: the table's TTL `expiresAt`), in seconds.
/// Okta retries within minutes; 7 days is ample.
pub const HOOK_TTL_SECS: i64 = 7 * 24 * 3600;

/// The sort key of the marker of event `uuid`.
fn marker_sk(uuid: &str) -> String {
    format!("HOOKEVENT#{uuid}")
}

impl Store {
    /// Whether hook event `uuid` of `tenant` was applied (its marker is there; strongly consistent).
    pub async fn event_applied(&self, tenant: &str, uuid: &str) -> Result<bool, StoreError> {
        self.exists(&tenant_pk(tenant), &marker_sk(uuid)).await
    }

    /// Marks hook event `uuid` of `tenant` applied at `now` (epoch seconds), kept [`HOOK_TTL_SECS`]; an existing
    /// marker is left as it is.
    pub async fn mark_event_applied(&self, tenant: &str, uuid: &str, now: i64) -> Result<(), StoreError> {
        let mut item = Store::key(&tenant_pk(tenant), &marker_sk(uuid));
        item.insert("expiresAt".into(), AttributeValue::N((now + HOOK_TTL_SECS).to_string()));
        self.put_new_item(item).await.map(|_| ())
    }
}
