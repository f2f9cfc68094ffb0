//! Request bodies of the platform routes, parsed strictly (unknown fields refused). Secret fields are
//! write-only: omit one to keep the stored value.

use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

/// `PUT /platforms/ios` and `PUT /platforms/android`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"secretKey": "<secret key shown once in Okta>", "enrollmentLink": "https://acme.example/enroll"}))]
pub struct MobileSettingsInput {
    /// The platform's secret key from Okta (Security › Device integrations), the `managementHint`. Required the
    /// first time; omit it to keep the stored one.
    #[schema(value_type = Option<String>, format = Password)]
    pub secret_key: Option<SecretString>,
    /// Optional https link users open to enroll.
    pub enrollment_link: Option<String>,
    /// The version last read; a different stored version answers 409.
    pub version: Option<u64>,
}

/// `PUT /platforms/macos` and `PUT /platforms/windows`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"scepUrl": "https://acme.okta.com/pki/ca/scep", "challenge": {"type": "static", "secretKey": "<secret key>"},
    "caCertificate": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
    "subject": "CN={{user.email}} managementAttestation {{device.id}}", "keySize": 2048}))]
pub struct DesktopSettingsInput {
    /// Okta's SCEP URL: https, on the device-trust org's domain.
    pub scep_url: String,
    pub challenge: ChallengeInput,
    /// Okta's CA certificate, PEM or base64 DER. Required for Windows (its thumbprint goes into the profile),
    /// optional for macOS. Omit to keep the stored one.
    pub ca_certificate: Option<String>,
    /// The certificate Subject: an X.500 distinguished name that may use `{{user.email}}`, `{{user.login}}`,
    /// `{{user.id}}`, `{{device.id}}`, `{{device.serial}}`, `{{device.udid}}`, `{{device.name}}`.
    pub subject: String,
    /// RSA key size in bits: 2048 (default; what Okta asks) or 4096. Devices refuse 3072 (Apple `Keysize`,
    /// Microsoft `KeyLength`: 1024, 2048, 4096 only); 1024 is weaker than Okta asks.
    pub key_size: Option<u32>,
    /// Days before a device's SCEP certificate's year is up at which its attestation is delivered again (30 to
    /// 300; default 120, as Okta's Jamf guide). Omit to keep the stored one.
    pub renew_days_before_expiry: Option<u32>,
    pub version: Option<u64>,
}

/// The SCEP challenge: static (the platform's secret key) or dynamic (fetched per device).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChallengeInput {
    Static {
        /// Only ASN.1 PrintableString characters. Omit to keep the stored one.
        #[serde(rename = "secretKey")]
        #[schema(value_type = Option<String>, format = Password)]
        secret_key: Option<SecretString>,
    },
    Dynamic {
        #[serde(rename = "challengeUrl")]
        challenge_url: String,
        username: String,
        /// Omit to keep the stored one.
        #[schema(value_type = Option<String>, format = Password)]
        password: Option<SecretString>,
    },
}

/// `PUT /platforms/{platform}/enabled`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"enabled": true, "version": 1}))]
pub struct EnabledInput {
    pub enabled: bool,
    pub version: Option<u64>,
}

/// The request body of `PUT /platforms/{platform}`, by platform (for the OpenAPI document): the flat object
/// of one or the other.
#[derive(ToSchema, Deserialize)]
#[serde(untagged)]
pub enum SettingsInput {
    Mobile(MobileSettingsInput),
    Desktop(DesktopSettingsInput),
}
