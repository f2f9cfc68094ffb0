//! The event hook's inbox (`HOOKINBOX#<delivery key>#<part>`, TTL 7 days): each delivery the hook's door
//! accepted, kept durably before Okta gets its answer. The table's stream hands each new inbox record to the
//! hook's consumer (template.yaml filters the `FleetSyncHookFunction`'s stream to `INSERT`s of this prefix), and
//! while a record is there a redelivery of the same delivery is known at the door.

use super::markers::HOOK_TTL_SECS;
use super::{tenant_pk, Store, StoreError};
use crate::clock::rfc3339;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The sort key prefix of inbox records (the hook consumer's stream filter in template.yaml).
const INBOX_PREFIX: &str = "HOOKINBOX#";

/// One part of an accepted delivery. `E` is the event as the hook keeps it (fleet-sync's hook event model).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxRecord<E> {
    pub pk: String,
    /// `HOOKINBOX#<32 hex digits of SHA-256 over the delivery's event uuids>#<part>`.
    pub sk: String,
    /// The events this product acts on, oldest `published` first, with only the targets it reads.
    pub events: Vec<E>,
    /// When the hook accepted the delivery (RFC 3339).
    pub received_at: String,
    /// The table's TTL attribute (epoch seconds).
    #[serde(rename = "expiresAt")]
    pub expires_at: i64,
}

impl<E> InboxRecord<E> {
    /// Part `part` of the delivery `delivery` (its key) of `tenant`, accepted `now`, kept [`HOOK_TTL_SECS`].
    pub fn new(tenant: &str, delivery: &str, part: usize, events: Vec<E>, now: time::OffsetDateTime) -> Self {
        InboxRecord {
            pk: tenant_pk(tenant),
            sk: format!("{INBOX_PREFIX}{delivery}#{part}"),
            events,
            received_at: rfc3339(now),
            expires_at: now.unix_timestamp() + HOOK_TTL_SECS,
        }
    }
}

/// Whether `sk` is the sort key of an inbox record (what the hook consumer applies).
pub fn is_inbox_key(sk: &str) -> bool {
    sk.starts_with(INBOX_PREFIX)
}

impl Store {
    /// Writes every part of a delivery only if none of them is there yet, all or none (one conditional put, or
    /// one transaction of up to 100 parts with a client request token of its own). Returns `false`, writing
    /// nothing, when the delivery is already there (Okta's redelivery). Errors: more than 100 parts
    /// ([`StoreError::Malformed`]); DynamoDB failing.
    pub async fn keep_delivery<E: Serialize>(&self, parts: &[InboxRecord<E>]) -> Result<bool, StoreError> {
        self.put_new_all(parts).await
    }

    /// Every inbox record of a tenant (all pages), in key order.
    pub async fn list_inbox<E: DeserializeOwned>(&self, tenant: &str) -> Result<Vec<InboxRecord<E>>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), INBOX_PREFIX).await
    }
}
