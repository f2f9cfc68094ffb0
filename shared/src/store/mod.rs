//! The DynamoDB store: one table, keys `pk` (`T#<tenant>`) and `sk` (`ORG#<id>`, `ORGHOST#<host>`,
//! `DEVICETRUST`, …), so every read and write names its tenant. Records are serialized with `serde_dynamo`;
//! every write that can race is conditional on the record's `version`.
//!
//! The store owns every key: each record kind lives in a file of its own with its type, a constructor that sets
//! `pk`/`sk` from the tenant and the record's ids, and typed reads and writes. The generic item operations
//! (`item.rs`, `cursor.rs`) are private to this module. docs/ARCHITECTURE.md's table lists every sort key with its
//! record type and file.

mod access_rules;
mod assurance;
mod checkpoint;
mod counters;
mod cursor;
mod deployed;
mod deployment;
mod device;
mod device_trust;
mod evidence;
mod facts;
mod fleet;
mod hook;
mod inbox;
mod inventory;
mod item;
mod mail;
mod markers;
mod okta_verify;
mod org_trust;
mod orgs;
mod platform_save;
mod platforms;
mod sync_run;
mod technicians;
mod transact;
mod uem;
mod uem_calls;

pub use access_rules::{AccessRuleRecord, AccessRuleState, CreatedRule};
pub use assurance::AssuranceRecord;
pub use checkpoint::CheckpointRecord;
pub use counters::Window;
pub use cursor::PrefixCursor;
pub use deployed::{DeployItem, DeployedRecord, ItemState, ItemStatus};
pub use deployment::DeploymentRecord;
pub use device::DeviceRecord;
pub use device_trust::{DeviceTrustRecord, DeviceTrustState};
pub use evidence::EvidenceRecord;
pub use facts::{Fact, FactKey};
pub use fleet::FleetRecord;
pub use hook::{HookRecord, OktaHook};
pub use inbox::{is_inbox_key, InboxRecord};
pub use inventory::{InventoryRead, INVENTORY_TTL_SECS};
pub use mail::MailTaken;
pub use markers::HOOK_TTL_SECS;
pub use okta_verify::{AppDetails, InstallMethod, OktaVerifyRecord};
pub use orgs::OrgRecord;
pub use platform_save::ClaimRefused;
pub use platforms::{ChallengeKind, PlatformRecord, PlatformSettings};
pub use sync_run::{RunEnd, SyncRunRecord};
pub use technicians::TechniciansRecord;
pub use uem::UemRecord;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

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

/// The [`StoreError::Aws`] of a failed SDK call named `op`.
pub(crate) fn aws_err<E: ProvideErrorMetadata>(op: &'static str) -> impl Fn(E) -> StoreError {
    move |e| StoreError::Aws {
        op,
        message: format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("no message")),
    }
}

/// The partition key of a tenant (`T#<tenant>`).
pub(crate) fn tenant_pk(tenant: &str) -> String {
    format!("T#{tenant}")
}

/// The tenant a partition key names (`T#<tenant>`), `None` for a key that names none.
pub(crate) fn tenant_of_pk(pk: &str) -> Option<&str> {
    pk.strip_prefix("T#").filter(|t| !t.is_empty())
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

    /// The first step of every versioned save: the caller's `given` version (`None`: not sent, last writer
    /// wins) against the `stored` record's (`None`: none stored). Returns the stored version (0 when none), the
    /// new record then carries that plus one and is written with its typed put. Errors:
    /// [`StoreError::VersionConflict`] when the caller read another version (answered 409 `version_conflict`).
    pub fn expect_version(given: Option<u64>, stored: Option<u64>) -> Result<u64, StoreError> {
        let current = stored.unwrap_or(0);
        match given {
            Some(v) if v != current => Err(StoreError::VersionConflict { current: Some(current) }),
            _ => Ok(current),
        }
    }
}

/// A record with a `version` (written conditionally on it).
pub trait Versioned {
    /// The record's version.
    fn version(&self) -> u64;
}

/// Implements [`Versioned`] for record types whose `version` field is their version.
macro_rules! versioned {
    ($($record:ty),+) => {
        $(impl $crate::store::Versioned for $record {
            fn version(&self) -> u64 {
                self.version
            }
        })+
    };
}
use versioned;
