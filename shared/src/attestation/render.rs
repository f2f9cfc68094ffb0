//! The exact document each platform receives, rendered from a platform record, the org domain and a source of
//! secret values: the real values (for deployment), a mask (for previews), or the secrets' version ids (for the
//! content hash, which so changes whenever a secret changes without hashing the secret itself).

use super::payload::{
    android_managed_config, content_hash, ios_app_config, macos_profile, windows_scep_syncml, ChallengeEncoding,
    MacosProfile, WindowsScep, WindowsScope,
};
use super::subject::parse_subject;
use crate::error::Error;
use crate::platform::Platform;
use crate::store::{ChallengeKind, OrgRecord, PlatformRecord, PlatformSettings};

/// The Okta org's hosts a document names: its domain and, when the org has one, its custom URL domain (both
/// bare hosts). From an [`OrgRecord`] (both) or a bare `&str` (the domain only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgHosts<'a> {
    /// The org host, e.g. `acme.okta.com`.
    pub domain: &'a str,
    /// The org's custom URL domain, e.g. `login.acme.example`.
    pub custom_domain: Option<&'a str>,
}

impl<'a> From<&'a str> for OrgHosts<'a> {
    fn from(domain: &'a str) -> Self {
        OrgHosts { domain, custom_domain: None }
    }
}

impl<'a> From<&'a String> for OrgHosts<'a> {
    fn from(domain: &'a String) -> Self {
        OrgHosts { domain, custom_domain: None }
    }
}

impl<'a> From<&'a OrgRecord> for OrgHosts<'a> {
    fn from(org: &'a OrgRecord) -> Self {
        OrgHosts { domain: &org.domain, custom_domain: org.custom_domain.as_deref() }
    }
}

/// The secret names a platform record may hold.
pub const SECRET_KEY: &str = "secretKey";
/// The dynamic SCEP challenge's password.
pub const CHALLENGE_PASSWORD: &str = "challengePassword";
/// The dynamic SCEP challenge's username: Okta shows it once with the password, so it is kept as a secret too
/// (never returned, never in a document; deploy-trigger sends it to the challenge URL).
pub const CHALLENGE_USERNAME: &str = "challengeUsername";
/// Where the per-device challenge goes in a dynamic-challenge document: not a stored secret but the single-use
/// challenge Okta issued for one device (fetched by deploy-trigger, see `okta::challenge`). The `secret` source of
/// [`render`] gives it under this name: the device's challenge when delivering, [`MASK`] in the preview, and
/// nothing in the content hash (so the hash is the platform's, the same for every device).
pub const DEVICE_CHALLENGE: &str = "deviceChallenge";

/// What previews show in place of a secret.
pub const MASK: &str = "********";

/// The node id of the Windows SCEP enrollment (`./User/Vendor/MSFT/ClientCertificateInstall/SCEP/<id>`).
pub const WINDOWS_SCEP_ID: &str = "OktaDeviceTrust";

/// The UEM's placeholder for a per-device value. Hexnode's wildcard names (`%email%`, …) as its console shows
/// them; not in its public API documentation, so unverified. The UEM fills them in on each device.
pub fn uem_placeholder(variable: &str) -> String {
    match variable {
        "user.email" => "%email%",
        "user.login" => "%username%",
        "user.id" => "%userid%",
        "device.id" => "%deviceid%",
        "device.serial" => "%serialnumber%",
        "device.udid" => "%udid%",
        "device.name" => "%devicename%",
        _ => "",
    }
    .to_string()
}

/// A rendered document and how to label it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub media_type: &'static str,
    pub text: String,
}

impl Document {
    /// SHA-256 of the text, lower-case hex.
    pub fn hash(&self) -> String {
        content_hash(&self.text)
    }
}

fn failed(e: impl std::fmt::Display) -> Error {
    Error::internal("payload rendering", e)
}

/// Renders the platform's document for `org` (an [`OrgRecord`], so the macOS SSO extension names the custom
/// URL domain too). `secret(name)` gives the text to put where secret `name` goes.
pub fn render<'a>(
    tenant: &str,
    rec: &PlatformRecord,
    org: impl Into<OrgHosts<'a>>,
    secret: &dyn Fn(&str) -> String,
) -> Result<Document, Error> {
    let org = org.into();
    let org_domain = org.domain;
    match (&rec.settings, rec.platform) {
        (PlatformSettings::Mobile { .. }, Platform::Ios) => Ok(Document {
            media_type: "application/x-plist",
            text: ios_app_config(org_domain, &secret(SECRET_KEY)).map_err(failed)?,
        }),
        (PlatformSettings::Mobile { .. }, Platform::Android) => Ok(Document {
            media_type: "application/json",
            text: android_managed_config(org_domain, &secret(SECRET_KEY)).map_err(failed)?,
        }),
        (PlatformSettings::Desktop { scep_url, challenge, ca, retiring_ca, subject, key_size, .. }, p) => {
            let subject = parse_subject(subject).map_err(failed)?;
            let challenge_text = match challenge {
                ChallengeKind::Static => secret(SECRET_KEY),
                ChallengeKind::Dynamic => secret(DEVICE_CHALLENGE),
            };
            let der = ca.as_ref().map(|c| c.der()).transpose().map_err(failed)?;
            let retiring = retiring_ca.as_ref().map(|c| c.der()).transpose().map_err(failed)?;
            if p == Platform::Macos {
                let profile_id = format!("com.odt.{tenant}.macos");
                let text = macos_profile(&MacosProfile {
                    profile_id: &profile_id,
                    org_domain,
                    custom_domain: org.custom_domain,
                    scep_url,
                    challenge: &challenge_text,
                    subject: subject.to_apple_subject(uem_placeholder),
                    key_size: *key_size,
                    ca_der: der.as_deref(),
                    retiring_ca_der: retiring.as_deref(),
                    ca_name: "Okta Device Trust CA",
                })
                .map_err(failed)?;
                Ok(Document { media_type: "application/x-apple-aspen-config", text })
            } else {
                let thumbprint = ca.as_ref().map(|c| c.sha1_thumbprint.clone()).unwrap_or_default();
                let subject_name = subject.to_windows_subject_name(uem_placeholder);
                let text = windows_scep_syncml(&WindowsScep {
                    unique_id: WINDOWS_SCEP_ID,
                    scep_url,
                    challenge: &challenge_text,
                    subject_name: &subject_name,
                    key_size: *key_size,
                    ca_thumbprint: &thumbprint,
                    ca_der: der.as_deref(),
                    retiring_ca_der: retiring.as_deref(),
                    challenge_encoding: ChallengeEncoding::Verbatim,
                    scope: WindowsScope::User,
                })
                .map_err(failed)?;
                Ok(Document { media_type: "application/xml", text })
            }
        }
        (PlatformSettings::Mobile { .. }, _) => Err(failed("mobile settings stored for a desktop platform")),
    }
}

/// The content hash devices are compared against: the document with each secret's version id in its place.
pub fn payload_hash<'a>(tenant: &str, rec: &PlatformRecord, org: impl Into<OrgHosts<'a>>) -> Result<String, Error> {
    let versions = rec.secrets.clone();
    let by_version =
        move |name: &str| versions.get(name).map(|r| format!("secret-version:{}", r.version_id)).unwrap_or_default();
    Ok(render(tenant, rec, org, &by_version)?.hash())
}

/// The preview: the document with every secret masked.
pub fn preview<'a>(tenant: &str, rec: &PlatformRecord, org: impl Into<OrgHosts<'a>>) -> Result<Document, Error> {
    render(tenant, rec, org, &|_| MASK.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic_macos() -> PlatformRecord {
        let settings = PlatformSettings::Desktop {
            scep_url: "https://acme.okta.com/pki/ca/scep".into(),
            challenge: ChallengeKind::Dynamic,
            challenge_url: Some("https://acme.okta.com/pki/scep/dynamic/challenge".into()),
            challenge_username: None,
            ca: None,
            retiring_ca: None,
            subject: "CN={{user.email}} managementAttestation {{device.id}}".into(),
            key_size: 2048,
            renew_days: 120,
        };
        PlatformRecord::new("t", Platform::Macos, settings, "2026-01-01T00:00:00Z")
    }

    #[test]
    fn c24_a_dynamic_challenge_document_carries_the_devices_challenge_and_the_preview_masks_it() {
        let rec = dynamic_macos();
        let for_device =
            |c: &'static str| move |name: &str| if name == DEVICE_CHALLENGE { c.to_string() } else { String::new() };
        let a = render("t", &rec, "acme.okta.com", &for_device("CHALLENGE0A")).unwrap();
        let b = render("t", &rec, "acme.okta.com", &for_device("CHALLENGE0B")).unwrap();
        assert!(a.text.contains("<string>CHALLENGE0A</string>"), "{}", a.text);
        assert_eq!(a.text.replace("CHALLENGE0A", "CHALLENGE0B"), b.text, "only the challenge differs per device");
        let shown = preview("t", &rec, "acme.okta.com").unwrap();
        assert_eq!(a.text.replace("CHALLENGE0A", MASK), shown.text, "the preview is the device's document, masked");
        assert!(!shown.text.contains("%scepchallenge%"), "no unfilled UEM placeholder for the challenge");
        let h = payload_hash("t", &rec, "acme.okta.com").unwrap();
        assert_eq!(h.len(), 64);
    }
}
