//! What the platform routes answer. Secrets appear only as "set, and when it changed".

use odt_shared::attestation::cert::CaCertificate;
use odt_shared::platform::Platform;
use odt_shared::store::{ChallengeKind, PlatformRecord, PlatformSettings};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A platform's management attestation settings and state.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformView {
    pub platform: Platform,
    /// `not_configured`, `configured` (saved, switched off) or `enabled`.
    pub state: String,
    pub enabled: bool,
    /// Settings still missing before the platform can be switched on.
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsView>,
    /// Secret parts by name: set, and when they last changed. Never their values.
    pub secrets: BTreeMap<String, SecretStatus>,
    /// SHA-256 of the payload devices should carry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_hash: Option<String>,
    /// The payload before the last re-configure; devices still carrying it carry the old one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_payload_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconfigured_at: Option<String>,
    /// Set when the platform was switched off: its devices' items are to come off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_requested_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// 0 while not configured.
    pub version: u64,
}

/// That a secret is set, and when it last changed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    pub set: bool,
    pub updated_at: String,
}

/// The non-secret settings; which fields appear depends on the platform.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrollment_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scep_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_type: Option<ChallengeKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<CaView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    /// The CA certificate the current one replaced, still installed beside it until it expires (Okta's CA
    /// renewal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_ca_certificate: Option<CaView>,
    /// Days before a device's certificate's year is up at which its attestation is delivered again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_days_before_expiry: Option<u32>,
}

/// The CA certificate as the admin needs to check it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaView {
    pub subject: String,
    pub issuer: String,
    /// RFC 3339.
    pub not_before: String,
    pub not_after: String,
    /// SHA-1 of the DER, 40 upper-case hex digits (what Windows profiles carry).
    pub sha1_thumbprint: String,
}

impl From<&CaCertificate> for CaView {
    fn from(c: &CaCertificate) -> Self {
        CaView {
            subject: c.subject.clone(),
            issuer: c.issuer.clone(),
            not_before: odt_shared::clock::rfc3339(c.not_before),
            not_after: odt_shared::clock::rfc3339(c.not_after),
            sha1_thumbprint: c.sha1_thumbprint.clone(),
        }
    }
}

/// Every platform.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlatformList {
    pub items: Vec<PlatformView>,
}

/// A payload preview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayloadPreview {
    pub platform: Platform,
    /// `application/x-plist` (iOS managed app config), `application/json` (Android managed configuration),
    /// `application/x-apple-aspen-config` (macOS profile), `application/xml` (Windows SyncML).
    pub media_type: String,
    /// The document as devices receive it, with every secret shown as `********`.
    pub document: String,
    pub payload_hash: String,
}

/// What a platform still needs before it can be switched on.
pub fn missing(rec: &PlatformRecord) -> Vec<String> {
    let mut out = Vec::new();
    let has = |k: &str| rec.secrets.contains_key(k);
    match &rec.settings {
        PlatformSettings::Mobile { .. } => {
            if !has(crate::render::SECRET_KEY) {
                out.push("secretKey".into());
            }
        }
        PlatformSettings::Desktop { challenge, ca, .. } => {
            match challenge {
                ChallengeKind::Static if !has(crate::render::SECRET_KEY) => out.push("challenge.secretKey".into()),
                ChallengeKind::Dynamic if !has(crate::render::CHALLENGE_PASSWORD) => {
                    out.push("challenge.password".into())
                }
                _ => {}
            }
            if rec.platform == Platform::Windows && ca.is_none() {
                out.push("caCertificate".into());
            }
        }
    }
    out
}

impl PlatformView {
    /// The view of a platform that was never configured.
    pub fn not_configured(p: Platform) -> Self {
        let missing = if p.is_mobile() {
            vec!["secretKey".to_string()]
        } else {
            let mut m = vec!["scepUrl".to_string(), "challenge".to_string(), "subject".to_string()];
            if p == Platform::Windows {
                m.push("caCertificate".into());
            }
            m
        };
        PlatformView {
            platform: p,
            state: "not_configured".into(),
            enabled: false,
            missing,
            settings: None,
            secrets: BTreeMap::new(),
            payload_hash: None,
            previous_payload_hash: None,
            reconfigured_at: None,
            removal_requested_at: None,
            updated_at: None,
            version: 0,
        }
    }
}

impl From<&PlatformRecord> for PlatformView {
    fn from(r: &PlatformRecord) -> Self {
        let settings = match &r.settings {
            PlatformSettings::Mobile { enrollment_link } => SettingsView {
                enrollment_link: enrollment_link.clone(),
                scep_url: None,
                challenge_type: None,
                challenge_url: None,
                ca_certificate: None,
                subject: None,
                key_size: None,
                retiring_ca_certificate: None,
                renew_days_before_expiry: None,
            },
            PlatformSettings::Desktop {
                scep_url,
                challenge,
                challenge_url,
                ca,
                retiring_ca,
                subject,
                key_size,
                renew_days,
                ..
            } => SettingsView {
                enrollment_link: None,
                scep_url: Some(scep_url.clone()),
                challenge_type: Some(*challenge),
                challenge_url: challenge_url.clone(),
                ca_certificate: ca.as_deref().map(CaView::from),
                subject: Some(subject.clone()),
                key_size: Some(*key_size),
                retiring_ca_certificate: retiring_ca.as_deref().map(CaView::from),
                renew_days_before_expiry: Some(*renew_days),
            },
        };
        PlatformView {
            platform: r.platform,
            state: if r.enabled { "enabled" } else { "configured" }.into(),
            enabled: r.enabled,
            missing: missing(r),
            settings: Some(settings),
            secrets: r
                .secrets_updated_at
                .iter()
                .filter(|(k, _)| r.secrets.contains_key(*k))
                .map(|(k, at)| (k.clone(), SecretStatus { set: true, updated_at: at.clone() }))
                .collect(),
            payload_hash: Some(r.payload_hash.clone()),
            previous_payload_hash: r.previous_payload_hash.clone(),
            reconfigured_at: r.reconfigured_at.clone(),
            removal_requested_at: r.removal_requested_at.clone(),
            updated_at: Some(r.updated_at.clone()),
            version: r.version,
        }
    }
}
