//! Per-platform management attestation settings (`PLATFORM#<platform>`): the non-secret settings, references to
//! the secret parts in Secrets Manager, the enabled switch, and the content hash of the payload devices should
//! carry (with the previous one kept after a re-configure until every device carries the new one).

use super::{tenant_pk, Store, StoreError};
use crate::attestation::cert::CaCertificate;
use crate::platform::Platform;
use crate::secrets::SecretRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How macOS and Windows devices get their SCEP challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeKind {
    /// One static challenge: the platform's secret key from Okta.
    Static,
    /// Fetched per device from a challenge URL with a username and password.
    Dynamic,
}

/// The non-secret settings of a platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlatformSettings {
    /// iOS and Android: the secret key is a secret; the enrollment link is optional.
    Mobile { enrollment_link: Option<String> },
    /// macOS and Windows: SCEP.
    Desktop {
        scep_url: String,
        challenge: ChallengeKind,
        challenge_url: Option<String>,
        challenge_username: Option<String>,
        ca: Option<Box<CaCertificate>>,
        /// The CA certificate `ca` replaced (Okta's CA renewal, MDM.md section 5), kept in the document beside the
        /// new one while it is valid, so certificates it issued keep working until devices have new ones.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retiring_ca: Option<Box<CaCertificate>>,
        subject: String,
        /// RSA key size in bits.
        key_size: u32,
        /// Days before a device's certificate's year is up at which its attestation is delivered again
        /// ([`crate::attestation::freshness`]).
        #[serde(default = "default_renew_days")]
        renew_days: u32,
    },
}

fn default_renew_days() -> u32 {
    crate::attestation::freshness::DEFAULT_RENEW_DAYS
}

/// A platform's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformRecord {
    pub pk: String,
    pub sk: String,
    pub platform: Platform,
    pub enabled: bool,
    pub settings: PlatformSettings,
    /// Secret parts by name (`secretKey`, `challengePassword`).
    pub secrets: BTreeMap<String, SecretRef>,
    /// RFC 3339 time each secret last changed.
    pub secrets_updated_at: BTreeMap<String, String>,
    /// SHA-256 (hex) of the payload devices should carry, rendered with secret version ids in place of secrets.
    pub payload_hash: String,
    /// The hash before the last re-configure that changed the payload; devices still carrying it carry the old one.
    pub previous_payload_hash: Option<String>,
    /// The secret versions before that re-configure, kept until the new payload has reached every device.
    pub previous_secrets: BTreeMap<String, SecretRef>,
    pub reconfigured_at: Option<String>,
    /// When the platform was last switched off: its devices' items are to come off.
    pub removal_requested_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

/// The sort key prefix of platform records.
const PLATFORM_PREFIX: &str = "PLATFORM#";

impl PlatformRecord {
    /// A new, switched-off platform `p` of `tenant` with `settings` (version 1, created and updated `now`): no
    /// secrets and no payload hash yet. A re-configure carries over what it keeps with
    /// `PlatformRecord { enabled, secrets, .., ..PlatformRecord::new(..) }`.
    pub fn new(tenant: &str, p: Platform, settings: PlatformSettings, now: &str) -> Self {
        PlatformRecord {
            pk: tenant_pk(tenant),
            sk: Self::sk_of(p),
            platform: p,
            enabled: false,
            settings,
            secrets: BTreeMap::new(),
            secrets_updated_at: BTreeMap::new(),
            payload_hash: String::new(),
            previous_payload_hash: None,
            previous_secrets: BTreeMap::new(),
            reconfigured_at: None,
            removal_requested_at: None,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            version: 1,
        }
    }

    /// The sort key of platform `p`.
    pub(super) fn sk_of(p: Platform) -> String {
        format!("{PLATFORM_PREFIX}{}", p.as_str())
    }
}

impl Store {
    /// One platform's record.
    pub async fn get_platform(&self, tenant: &str, p: Platform) -> Result<Option<PlatformRecord>, StoreError> {
        self.get(&tenant_pk(tenant), &PlatformRecord::sk_of(p)).await
    }

    /// Every configured platform of a tenant.
    pub async fn list_platforms(&self, tenant: &str) -> Result<Vec<PlatformRecord>, StoreError> {
        self.query_prefix(&tenant_pk(tenant), PLATFORM_PREFIX).await
    }

    /// Writes a platform record if the stored one is at `expected` (`None`: none is stored). Errors:
    /// [`StoreError::VersionConflict`] with the current version.
    pub async fn put_platform(&self, rec: &PlatformRecord, expected: Option<u64>) -> Result<(), StoreError> {
        self.put_versioned(rec, expected).await
    }
}

super::versioned!(PlatformRecord);
