//! The documents each platform receives through the UEM for management attestation.
//!
//! Inputs are plain data. Secrets (the Okta secret key, a static SCEP challenge) arrive as `&str`: the caller
//! passes the real value for the document sent to the UEM, or a mask such as `********` for a preview.
//! Every builder is deterministic: the same input yields the same bytes, so [`content_hash`] can tell whether
//! a document changed.

use quick_xml::events::BytesText;
use quick_xml::Writer;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Bundle id of Okta Verify for iOS, the app the iOS managed app configuration targets.
pub const OKTA_VERIFY_BUNDLE_ID: &str = "com.okta.mobile";
/// Package name of Okta Verify for Android, the app the Android managed configuration targets.
pub const OKTA_VERIFY_ANDROID_PACKAGE: &str = "com.okta.android.auth";
/// Bundle id of Okta Verify's SSO extension on macOS (Okta help, "Configure Okta Verify SSO extension").
pub const SSO_EXTENSION_ID: &str = "com.okta.mobile.auth-service-extension";
/// Apple team id that signs Okta Verify, required next to the extension id.
pub const SSO_TEAM_ID: &str = "B7F62B65BN";
/// Realm of Okta Verify's Credential-type SSO extension.
pub const SSO_REALM: &str = "Okta Device";

/// Why a document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The plist writer failed.
    #[error("could not write the property list: {0}")]
    Plist(#[from] plist::Error),
    /// The JSON writer failed.
    #[error("could not write the JSON document: {0}")]
    Json(#[from] serde_json::Error),
    /// The XML writer failed.
    #[error("could not write the XML document: {0}")]
    Xml(#[from] std::io::Error),
    /// A writer produced bytes that are not UTF-8.
    #[error("the document is not UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
    /// The Windows node id (carried) is not 1-128 characters of `A-Z a-z 0-9 _ -`.
    #[error("invalid unique id `{0}`: use 1-128 characters of A-Z a-z 0-9 _ -")]
    InvalidUniqueId(String),
}

/// Lower-case hex SHA-256 of `document`'s UTF-8 bytes (64 characters), to tell whether a document changed.
pub fn content_hash(document: &str) -> String {
    hex::encode(Sha256::digest(document.as_bytes()))
}

/// `dict` as an XML property list document.
fn plist_xml(dict: plist::Dictionary) -> Result<String, PayloadError> {
    let mut buf = Vec::new();
    plist::to_writer_xml(&mut buf, &plist::Value::Dictionary(dict))?;
    Ok(String::from_utf8(buf)?)
}

/// The managed app configuration of Okta Verify for iOS, as an XML plist dictionary: `managementHint` = the
/// secret key (or a mask) and `OktaVerify.OrgUrl` = `org_host`, a bare host (`acme.okta.com`, no scheme).
///
/// Source: Okta help, "Managed app configuration for iOS" (`okta/MDM.md` section 1 [H-ios]): keys are
/// case-sensitive; `OktaVerify.OrgUrl` (Okta Verify 7.2.0+) is shown as a bare host, `example.okta.com`. The
/// `https://` form appears only in the macOS Desktop Password Sync page [H-dps], which this product does not
/// configure. Okta names two preference domains (`com.okta.mobile` and `com.okta.mobile.auth-service-extension`);
/// see [`IOS_PREFERENCE_DOMAINS`] for how this document reaches them.
///
/// # Errors
/// [`PayloadError`] if the plist cannot be written.
pub fn ios_app_config(org_host: &str, secret_key: &str) -> Result<String, PayloadError> {
    let mut dict = plist::Dictionary::new();
    dict.insert("managementHint".into(), secret_key.into());
    dict.insert("OktaVerify.OrgUrl".into(), bare_host(org_host).into());
    plist_xml(dict)
}

/// The preference domains Okta asks the same iOS app configuration to reach ([H-ios], `okta/MDM.md` section 1).
/// Only the first is delivered today: the UEM's app configuration is keyed by one store app's bundle id
/// (Hexnode's policy "App Configurations" section; `PolicyPayload::AppConfig { bundle_id }` in the UEM client),
/// and `com.okta.mobile.auth-service-extension` is an app extension, not a store app, so Hexnode's payload
/// section has no place to name it. Reaching it needs a UEM mechanism that names a preference domain (as Jamf
/// and Workspace ONE do); no published Hexnode document shows one. Recorded as a gap in docs/ARCHITECTURE.md
/// ("Conformance").
pub const IOS_PREFERENCE_DOMAINS: [&str; 2] = [OKTA_VERIFY_BUNDLE_ID, SSO_EXTENSION_ID];

/// One property of an Android managed configuration.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManagedProperty<'a> {
    /// Restriction key.
    key: &'a str,
    /// String value.
    value_string: &'a str,
}

/// An Android managed configuration (the `androidenterprise#managedConfiguration` resource).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManagedConfiguration<'a> {
    /// Always `androidenterprise#managedConfiguration`.
    kind: &'a str,
    /// `app:<package name>`.
    product_id: String,
    /// The properties.
    managed_property: Vec<ManagedProperty<'a>>,
}

/// The managed configuration of Okta Verify for Android as pretty JSON in the Play EMM managed-configuration
/// shape: `managementHint` = the secret key (or a mask), `domainName` = `org_domain` (no scheme).
///
/// Source: Okta help, Android managed app configuration for Okta Verify (`managementHint`, `domainName`).
///
/// # Errors
/// [`PayloadError::Json`] if the JSON cannot be written.
pub fn android_managed_config(org_domain: &str, secret_key: &str) -> Result<String, PayloadError> {
    let config = ManagedConfiguration {
        kind: "androidenterprise#managedConfiguration",
        product_id: format!("app:{OKTA_VERIFY_ANDROID_PACKAGE}"),
        managed_property: vec![
            ManagedProperty { key: "managementHint", value_string: secret_key },
            ManagedProperty { key: "domainName", value_string: org_domain },
        ],
    };
    Ok(serde_json::to_string_pretty(&config)?)
}

/// The inputs of the macOS configuration profile.
#[derive(Debug, Clone, PartialEq)]
pub struct MacosProfile<'a> {
    /// Reverse-DNS identifier of the profile, e.g. `com.odt.<tenant>.macos`; the payloads' identifiers and
    /// UUIDs derive from it.
    pub profile_id: &'a str,
    /// The Okta org's domain, e.g. `acme.okta.com` (a scheme, if given, is dropped).
    pub org_domain: &'a str,
    /// The org's custom domain, if any, e.g. `login.acme.com`.
    pub custom_domain: Option<&'a str>,
    /// The SCEP server URL (Okta's SCEP endpoint).
    pub scep_url: &'a str,
    /// The SCEP challenge: the static secret key, a mask, or the UEM's placeholder for a dynamic challenge.
    pub challenge: &'a str,
    /// The certificate Subject, from [`crate::attestation::subject::Subject::to_apple_subject`].
    pub subject: Vec<Vec<Vec<String>>>,
    /// RSA key size in bits (e.g. 2048).
    pub key_size: u32,
    /// The Okta CA certificate (DER), installed as a pkcs1 payload when given.
    pub ca_der: Option<&'a [u8]>,
    /// The Okta CA certificate being replaced (DER; Okta's CA renewal, MDM.md section 5): installed as a second
    /// pkcs1 payload while certificates it issued are still in use.
    pub retiring_ca_der: Option<&'a [u8]>,
    /// The SCEP payload's `Name` (the CA name the SCEP server understands).
    pub ca_name: &'a str,
}

/// A UUID-formatted id derived from `profile_id` and `payload_type`: the first 16 bytes of
/// SHA-256(`profile_id + "/" + payload_type`) with the RFC 9562 version 8 and variant bits set, upper-case
/// 8-4-4-4-12 hex. The same input always yields the same id, so re-generated profiles replace the old ones.
fn payload_uuid(profile_id: &str, payload_type: &str) -> String {
    let digest = Sha256::digest(format!("{profile_id}/{payload_type}").as_bytes());
    let mut bytes = [0u8; 16];
    for (dst, src) in bytes.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    format!("{:X}", uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// `host` without a scheme, path or trailing dot/slash (`https://acme.okta.com/` → `acme.okta.com`).
fn bare_host(host: &str) -> String {
    let host = host.trim();
    let host = host.split_once("://").map_or(host, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or(host);
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The keys every payload carries (Apple Device Management, "Profile-Specific Payload Keys").
fn payload_keys(profile_id: &str, suffix: &str, payload_type: &str, display_name: &str) -> plist::Dictionary {
    let mut d = plist::Dictionary::new();
    d.insert("PayloadType".into(), payload_type.into());
    d.insert("PayloadIdentifier".into(), format!("{profile_id}.{suffix}").into());
    d.insert("PayloadUUID".into(), payload_uuid(profile_id, payload_type).into());
    d.insert("PayloadVersion".into(), 1.into());
    d.insert("PayloadDisplayName".into(), display_name.into());
    d
}

/// The macOS configuration profile (`.mobileconfig`, XML plist) at user scope: a SCEP payload for the
/// management attestation certificate, the Okta CA (when `ca_der` is given) and Okta Verify's SSO extension.
///
/// SCEP: `com.apple.security.scep` with `URL`, `Name`, `Subject`, `Challenge`, `Keysize`, `Key Type` RSA,
/// `Key Usage` 1 (signing only), `KeyIsExtractable` false and `AllowAllAppsAccess` true (as Okta asks),
/// `Retries` 3, `RetryDelay` 10 (seconds). CA: `com.apple.security.pkcs1` (`okta-ca.cer`). SSO:
/// `com.apple.extensiblesso`, Credential type, realm [`SSO_REALM`], `Hosts` = the org domain and the custom
/// domain. Payload UUIDs are derived from `profile_id`, so the document is deterministic.
///
/// Sources: Apple Device Management, "SCEP", "Certificate PKCS1" and "ExtensibleSingleSignOn" payloads;
/// Okta help, "Configure Okta Verify SSO extension for macOS".
///
/// # Errors
/// [`PayloadError`] if the plist cannot be written.
pub fn macos_profile(p: &MacosProfile) -> Result<String, PayloadError> {
    let mut scep_content = plist::Dictionary::new();
    scep_content.insert("URL".into(), p.scep_url.into());
    scep_content.insert("Name".into(), p.ca_name.into());
    let subject: Vec<plist::Value> = p
        .subject
        .iter()
        .map(|rdn| {
            plist::Value::Array(
                rdn.iter()
                    .map(|pair| plist::Value::Array(pair.iter().map(|s| plist::Value::String(s.clone())).collect()))
                    .collect(),
            )
        })
        .collect();
    scep_content.insert("Subject".into(), plist::Value::Array(subject));
    scep_content.insert("Challenge".into(), p.challenge.into());
    scep_content.insert("Keysize".into(), p.key_size.into());
    scep_content.insert("Key Type".into(), "RSA".into());
    // Okta (okta/MDM.md section 3 [H-js][H-jd]): digital signature on = Apple `Key Usage` 1 (signing); export
    // from the keychain off = `KeyIsExtractable` false (Apple's default is true); "Allow all apps access" on =
    // `AllowAllAppsAccess` true (Apple's default is false), so Okta Verify can use the key.
    scep_content.insert("Key Usage".into(), 1.into());
    scep_content.insert("KeyIsExtractable".into(), false.into());
    scep_content.insert("AllowAllAppsAccess".into(), true.into());
    scep_content.insert("Retries".into(), 3.into());
    scep_content.insert("RetryDelay".into(), 10.into());
    let mut scep =
        payload_keys(p.profile_id, "scep", "com.apple.security.scep", "Okta Device Trust certificate (SCEP)");
    scep.insert("PayloadContent".into(), plist::Value::Dictionary(scep_content));

    let mut content = vec![plist::Value::Dictionary(scep)];

    let cas = [(p.ca_der, "ca", "Okta CA certificate", "okta-ca.cer")];
    let retiring = [(p.retiring_ca_der, "ca-retiring", "Okta CA certificate (being replaced)", "okta-ca-retiring.cer")];
    for (der, key, name, file) in cas.into_iter().chain(retiring) {
        let Some(der) = der else { continue };
        let mut ca = payload_keys(p.profile_id, key, "com.apple.security.pkcs1", name);
        ca.insert("PayloadCertificateFileName".into(), file.into());
        ca.insert("PayloadContent".into(), plist::Value::Data(der.to_vec()));
        content.push(plist::Value::Dictionary(ca));
    }

    let mut hosts = vec![bare_host(p.org_domain)];
    if let Some(custom) = p.custom_domain.map(bare_host).filter(|h| !h.is_empty() && !hosts.contains(h)) {
        hosts.push(custom);
    }
    let mut sso = payload_keys(p.profile_id, "sso", "com.apple.extensiblesso", "Okta Verify SSO extension");
    sso.insert("ExtensionIdentifier".into(), SSO_EXTENSION_ID.into());
    sso.insert("TeamIdentifier".into(), SSO_TEAM_ID.into());
    sso.insert("Type".into(), "Credential".into());
    sso.insert("Realm".into(), SSO_REALM.into());
    sso.insert("Hosts".into(), plist::Value::Array(hosts.into_iter().map(plist::Value::String).collect()));
    content.push(plist::Value::Dictionary(sso));

    let mut top = plist::Dictionary::new();
    top.insert("PayloadType".into(), "Configuration".into());
    top.insert("PayloadScope".into(), "User".into());
    top.insert("PayloadIdentifier".into(), p.profile_id.into());
    top.insert("PayloadUUID".into(), payload_uuid(p.profile_id, "Configuration").into());
    top.insert("PayloadVersion".into(), 1.into());
    top.insert("PayloadDisplayName".into(), "Okta Device Trust".into());
    top.insert("PayloadContent".into(), plist::Value::Array(content));
    plist_xml(top)
}

/// RSA key sizes a save accepts, in bits. Devices accept 1024, 2048 and 4096 (Apple `Keysize` `rangelist`,
/// `com.apple.security.scep.yaml`; Microsoft ClientCertificateInstall `KeyLength`, `okta/MDM.md` section 6);
/// Okta asks 2048 (`okta/MDM.md` sections 3 and 4). 1024 is refused as weaker than what Okta asks; 4096 stays
/// for admins who chose a stronger key (both device families accept it); 3072 is refused by both devices.
pub const ACCEPTED_KEY_SIZES: [u32; 2] = [2048, 4096];

/// Where the Windows nodes live. The client certificate belongs in the user's Personal store (Okta's live FAQ
/// and [H-ws1]/[H-wi]: "not the machine store"; case C19), so [`WindowsScope::User`] is what the product sends.
/// Okta's two Windows guides put the CA certificate in the *computer* Intermediate store; Microsoft's
/// RootCATrustedCertificates CSP has a user-scope `CA` store too ([MS-root]; its `Root` store has no `./User`), so
/// the CA goes to `./User/.../CA` with the client certificate and the whole document stays under `./User` as C19
/// requires. [`WindowsScope::Device`] is the
/// other choice, one setting away, for an admin whose PCs need the machine stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowsScope {
    /// `./User/Vendor/MSFT/...` (the default; case C19).
    #[default]
    User,
    /// `./Device/Vendor/MSFT/...`.
    Device,
}

impl WindowsScope {
    /// The OMA-DM root, `./User` or `./Device`.
    pub fn root(self) -> &'static str {
        match self {
            WindowsScope::User => "./User",
            WindowsScope::Device => "./Device",
        }
    }
}

/// How the SCEP challenge is written into the `Challenge` node. Microsoft's CSP page says "B64 encoded"
/// ([MS-cci]); third parties who deploy Okta's challenge report that the raw value works and is used verbatim
/// (fleetdm/fleet #46990, #47492; zentral `microsoft_ca.py`), and Okta's guides paste the raw value. The product
/// sends it [`ChallengeEncoding::Verbatim`], the form reported working against Okta; [`ChallengeEncoding::Base64`]
/// is the literal reading of Microsoft's text, one setting away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChallengeEncoding {
    /// The challenge as Okta issued it (the default).
    #[default]
    Verbatim,
    /// Standard base64 of the challenge's UTF-8 bytes.
    Base64,
}

/// The inputs of the Windows SCEP enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsScep<'a> {
    /// The `{UniqueID}` node name: 1-128 characters of `A-Z a-z 0-9 _ -`.
    pub unique_id: &'a str,
    /// The SCEP server URL (Okta's SCEP endpoint).
    pub scep_url: &'a str,
    /// The SCEP challenge: the static secret key, a mask, or the UEM's placeholder for a dynamic challenge.
    pub challenge: &'a str,
    /// How `challenge` is written into the `Challenge` node.
    pub challenge_encoding: ChallengeEncoding,
    /// The certificate Subject as a string, from the subject module.
    pub subject_name: &'a str,
    /// RSA key length in bits (the CSP accepts 1024, 2048 and 4096).
    pub key_size: u32,
    /// SHA-1 thumbprint of the Okta CA certificate, 40 hex characters.
    pub ca_thumbprint: &'a str,
    /// The Okta CA certificate (DER): installed by the document under `RootCATrustedCertificates/CA/{SHA-1}`
    /// (case C23) when given.
    pub ca_der: Option<&'a [u8]>,
    /// The Okta CA certificate being replaced (DER; Okta's CA renewal, MDM.md section 5): installed the same way,
    /// under its own thumbprint, while certificates it issued are still in use.
    pub retiring_ca_der: Option<&'a [u8]>,
    /// The OMA-DM scope of every node.
    pub scope: WindowsScope,
}

/// SyncML `Meta/Format` of a node value.
#[derive(Clone, Copy)]
enum Format {
    /// `chr`: a string.
    Chr,
    /// `int`: an integer.
    Int,
    /// `b64`: base64 data.
    B64,
    /// `node`: an interior node, no value.
    Node,
}

impl Format {
    /// The `Format` element text.
    fn as_str(self) -> &'static str {
        match self {
            Format::Chr => "chr",
            Format::Int => "int",
            Format::B64 => "b64",
            Format::Node => "node",
        }
    }
}

/// Writes one SyncML `<Item>` with `loc` as target and, when given, its format and data.
fn write_item<W: std::io::Write>(w: &mut Writer<W>, loc: &str, value: Option<(Format, &str)>) -> std::io::Result<()> {
    w.create_element("Item").write_inner_content(|w| {
        w.create_element("Target")
            .write_inner_content(|w| w.create_element("LocURI").write_text_content(BytesText::new(loc)).map(|_| ()))?;
        if let Some((format, data)) = value {
            w.create_element("Meta").write_inner_content(|w| {
                w.create_element("Format")
                    .with_attribute(("xmlns", "syncml:metinf"))
                    .write_text_content(BytesText::new(format.as_str()))
                    .map(|_| ())
            })?;
            if !matches!(format, Format::Node) {
                w.create_element("Data").write_text_content(BytesText::new(data))?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// The SyncML body that installs the Okta CA and enrolls the management attestation certificate on Windows
/// through the RootCATrustedCertificates and ClientCertificateInstall CSPs at `p.scope` (the product sends
/// [`WindowsScope::User`]: case C19, every LocURI starts with `./User/`).
///
/// Inside one `<Atomic>`: when `ca_der` is given, an `<Add>` of `RootCATrustedCertificates/CA/{SHA-1}/
/// EncodedCertificate` (`b64`, the DER on one line; case C23); an `<Add>` of the `SCEP/{unique_id}` node; one
/// `<Add>` per `Install` setting (ServerURL, Challenge, SubjectName, KeyLength, KeyUsage 128 = 0x80 digital
/// signature, HashAlgorithm `SHA-2`, EKUMapping client authentication 1.3.6.1.5.5.7.3.2, CAThumbprint,
/// KeyProtection 2 = TPM if present else software, RetryCount 3, RetryDelay 5 minutes), then an `<Exec>` of
/// `Install/Enroll` last. `CmdID`s count from 1. Values are XML-escaped by quick-xml.
///
/// Sources: Microsoft, "ClientCertificateInstall CSP" and "RootCATrustedCertificates CSP" (`okta/MDM.md`
/// section 6); Okta's Windows guides (`okta/MDM.md` section 4).
///
/// # Errors
/// [`PayloadError::InvalidUniqueId`] for a bad `unique_id`; [`PayloadError`] if the XML cannot be written.
pub fn windows_scep_syncml(p: &WindowsScep) -> Result<String, PayloadError> {
    use base64::Engine as _;
    if !crate::ids::is_safe_id(p.unique_id) {
        return Err(PayloadError::InvalidUniqueId(p.unique_id.to_string()));
    }
    let root = p.scope.root();
    let node = format!("{root}/Vendor/MSFT/ClientCertificateInstall/SCEP/{}", p.unique_id);
    let key_size = p.key_size.to_string();
    let challenge = match p.challenge_encoding {
        ChallengeEncoding::Verbatim => p.challenge.to_string(),
        ChallengeEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(p.challenge.as_bytes()),
    };
    let cas: Vec<(String, String)> = [p.ca_der, p.retiring_ca_der]
        .into_iter()
        .flatten()
        .map(|der| {
            // The node is named by the certificate's SHA-1 thumbprint, the same value CAThumbprint carries.
            let sha1 = hex::encode_upper(<sha1::Sha1 as sha1::Digest>::digest(der));
            let loc = format!("{root}/Vendor/MSFT/RootCATrustedCertificates/CA/{sha1}/EncodedCertificate");
            (loc, base64::engine::general_purpose::STANDARD.encode(der))
        })
        .collect();
    let settings: [(&str, Format, &str); 11] = [
        ("ServerURL", Format::Chr, p.scep_url),
        ("Challenge", Format::Chr, &challenge),
        ("SubjectName", Format::Chr, p.subject_name),
        ("KeyLength", Format::Int, &key_size),
        // 0x80: digital signature only (Okta: "Digital signature only, no encryption"; 160 adds encipherment).
        ("KeyUsage", Format::Int, "128"),
        // The CSP takes a hash algorithm family: SHA-1, SHA-2 or SHA-3 (Okta asks SHA-2).
        ("HashAlgorithm", Format::Chr, "SHA-2"),
        // Client authentication (RFC 5280 id-kp-clientAuth).
        ("EKUMapping", Format::Chr, "1.3.6.1.5.5.7.3.2"),
        ("CAThumbprint", Format::Chr, p.ca_thumbprint),
        // Okta asks "TPM if present, else software" (okta/MDM.md section 4). Microsoft's values: 1 TPM only (a PC
        // without a TPM fails to enroll), 2 "TPM if the device supports TPM" (Microsoft words it for phones), 3
        // software only (the default, never the TPM), 4 Windows Hello. 2 is the only value whose text covers both
        // PCs with and without a TPM (case C23); our reading, recorded in docs/ARCHITECTURE.md ("Conformance").
        ("KeyProtection", Format::Int, "2"),
        ("RetryCount", Format::Int, "3"),
        // Minutes between retries while the SCEP server answers "pending".
        ("RetryDelay", Format::Int, "5"),
    ];

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.create_element("SyncBody").write_inner_content(|w| {
        w.create_element("Atomic").write_inner_content(|w| {
            let mut cmd_id = 1u32;
            w.create_element("CmdID").write_text_content(BytesText::new(&cmd_id.to_string()))?;
            let mut add = |w: &mut Writer<Vec<u8>>, loc: &str, value: Option<(Format, &str)>| {
                cmd_id += 1;
                let id = cmd_id.to_string();
                w.create_element("Add").write_inner_content(|w| {
                    w.create_element("CmdID").write_text_content(BytesText::new(&id))?;
                    write_item(w, loc, value)
                })?;
                std::io::Result::Ok(())
            };
            for (loc, b64) in &cas {
                add(w, loc, Some((Format::B64, b64)))?;
            }
            add(w, &node, Some((Format::Node, "")))?;
            for (name, format, data) in settings {
                add(w, &format!("{node}/Install/{name}"), Some((format, data)))?;
            }
            let exec_id = (cmd_id + 1).to_string();
            w.create_element("Exec").write_inner_content(|w| {
                w.create_element("CmdID").write_text_content(BytesText::new(&exec_id))?;
                write_item(w, &format!("{node}/Install/Enroll"), None)
            })?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(String::from_utf8(w.into_inner())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attestation::subject::parse_subject;

    fn dict(v: &plist::Value) -> &plist::Dictionary {
        v.as_dictionary().unwrap()
    }

    fn s<'a>(d: &'a plist::Dictionary, k: &str) -> &'a str {
        d.get(k).and_then(plist::Value::as_string).unwrap_or_else(|| panic!("string {k}"))
    }

    fn int(d: &plist::Dictionary, k: &str) -> i64 {
        d.get(k).and_then(plist::Value::as_signed_integer).unwrap_or_else(|| panic!("integer {k}"))
    }

    #[test]
    fn ios_plist_keys_and_values() {
        let doc = ios_app_config("acme.okta.com", "s3cr&t<key>").unwrap();
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let d = dict(&v);
        assert_eq!(d.len(), 2);
        assert_eq!(s(d, "managementHint"), "s3cr&t<key>");
        // Okta's example is a bare host (okta/MDM.md section 1); a scheme given is dropped.
        assert_eq!(s(d, "OktaVerify.OrgUrl"), "acme.okta.com");
        let with_scheme = ios_app_config("https://acme.okta.com/", "k").unwrap();
        assert_eq!(
            s(dict(&plist::Value::from_reader_xml(with_scheme.as_bytes()).unwrap()), "OktaVerify.OrgUrl"),
            "acme.okta.com"
        );
        let masked = ios_app_config("https://acme.okta.com", "********").unwrap();
        assert!(!masked.contains("s3cr"));
        assert_eq!(s(dict(&plist::Value::from_reader_xml(masked.as_bytes()).unwrap()), "managementHint"), "********");
    }

    #[test]
    fn android_json_shape() {
        let doc = android_managed_config("acme.okta.com", "k\"ey").unwrap();
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "kind": "androidenterprise#managedConfiguration",
                "productId": "app:com.okta.android.auth",
                "managedProperty": [
                    {"key": "managementHint", "valueString": "k\"ey"},
                    {"key": "domainName", "valueString": "acme.okta.com"}
                ]
            })
        );
    }

    fn macos(ca: Option<&[u8]>, custom: Option<&'static str>) -> String {
        let subject = parse_subject("CN={{user.email}} managementAttestation {{device.id}},O=Acme\\, Inc.")
            .unwrap()
            .to_apple_subject(|v| format!("%{v}%"));
        macos_profile(&MacosProfile {
            profile_id: "com.odt.t1.macos",
            org_domain: "acme.okta.com",
            custom_domain: custom,
            scep_url: "https://acme.okta.com/scep/abc",
            challenge: "chal&<>\"'",
            subject,
            key_size: 2048,
            ca_der: ca,
            retiring_ca_der: None,
            ca_name: "Okta CA",
        })
        .unwrap()
    }

    #[test]
    fn macos_profile_with_ca() {
        let der = [0x30u8, 0x03, 0x02, 0x01, 0x05];
        let doc = macos(Some(&der), Some("https://login.acme.com/"));
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let top = dict(&v);
        assert_eq!(s(top, "PayloadType"), "Configuration");
        assert_eq!(s(top, "PayloadScope"), "User");
        assert_eq!(s(top, "PayloadIdentifier"), "com.odt.t1.macos");
        assert_eq!(s(top, "PayloadDisplayName"), "Okta Device Trust");
        assert_eq!(int(top, "PayloadVersion"), 1);
        let uuid = s(top, "PayloadUUID");
        assert_eq!(uuid.len(), 36);
        assert!(uuid::Uuid::parse_str(uuid).is_ok());
        assert_eq!(uuid, uuid.to_uppercase());
        let content = top.get("PayloadContent").and_then(plist::Value::as_array).unwrap();
        let types: Vec<&str> = content.iter().map(|p| s(dict(p), "PayloadType")).collect();
        assert_eq!(types, ["com.apple.security.scep", "com.apple.security.pkcs1", "com.apple.extensiblesso"]);
        let uuids: Vec<&str> = content.iter().map(|p| s(dict(p), "PayloadUUID")).collect();
        assert!(uuids.iter().all(|u| *u != uuid) && uuids[0] != uuids[1] && uuids[1] != uuids[2]);

        let scep = dict(&content[0]);
        assert_eq!(s(scep, "PayloadIdentifier"), "com.odt.t1.macos.scep");
        let sc = dict(scep.get("PayloadContent").unwrap());
        assert_eq!(s(sc, "URL"), "https://acme.okta.com/scep/abc");
        assert_eq!(s(sc, "Name"), "Okta CA");
        assert_eq!(s(sc, "Challenge"), "chal&<>\"'");
        assert_eq!(int(sc, "Keysize"), 2048);
        assert_eq!(s(sc, "Key Type"), "RSA");
        assert_eq!(int(sc, "Key Usage"), 1);
        assert_eq!(sc.get("KeyIsExtractable").and_then(plist::Value::as_boolean), Some(false));
        assert_eq!(sc.get("AllowAllAppsAccess").and_then(plist::Value::as_boolean), Some(true));
        assert_eq!(int(sc, "Retries"), 3);
        assert_eq!(int(sc, "RetryDelay"), 10);
        let subject: Vec<Vec<Vec<String>>> = plist::from_value(sc.get("Subject").unwrap()).unwrap();
        assert_eq!(
            subject,
            vec![
                vec![vec!["CN".to_string(), "%user.email% managementAttestation %device.id%".to_string()]],
                vec![vec!["O".to_string(), "Acme, Inc.".to_string()]],
            ]
        );

        let ca = dict(&content[1]);
        assert_eq!(ca.get("PayloadContent").and_then(plist::Value::as_data), Some(&der[..]));
        assert_eq!(s(ca, "PayloadCertificateFileName"), "okta-ca.cer");

        let sso = dict(&content[2]);
        assert_eq!(s(sso, "ExtensionIdentifier"), "com.okta.mobile.auth-service-extension");
        assert_eq!(s(sso, "TeamIdentifier"), "B7F62B65BN");
        assert_eq!(s(sso, "Type"), "Credential");
        assert_eq!(s(sso, "Realm"), "Okta Device");
        assert_eq!(s(sso, "PayloadIdentifier"), "com.odt.t1.macos.sso");
        assert_eq!(int(sso, "PayloadVersion"), 1);
        let hosts: Vec<&str> =
            sso.get("Hosts").and_then(plist::Value::as_array).unwrap().iter().filter_map(|h| h.as_string()).collect();
        assert_eq!(hosts, ["acme.okta.com", "login.acme.com"]);
    }

    fn scep_content(doc: &str) -> plist::Dictionary {
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let content = dict(&v).get("PayloadContent").and_then(plist::Value::as_array).unwrap().clone();
        let scep = content.iter().find(|p| s(dict(p), "PayloadType") == "com.apple.security.scep").unwrap();
        dict(dict(scep).get("PayloadContent").unwrap()).clone()
    }

    #[test]
    fn c21_macos_scep_key_is_usable_by_okta_verify_kept_in_keychain_and_for_signing() {
        let sc = scep_content(&macos(None, None));
        assert_eq!(sc.get("AllowAllAppsAccess").and_then(plist::Value::as_boolean), Some(true));
        assert_eq!(sc.get("KeyIsExtractable").and_then(plist::Value::as_boolean), Some(false));
        assert_eq!(int(&sc, "Key Usage"), 1);
        assert_eq!(int(&sc, "Keysize"), 2048);
        assert_eq!(ACCEPTED_KEY_SIZES, [2048, 4096]);
        assert!(!ACCEPTED_KEY_SIZES.contains(&3072));
    }

    #[test]
    fn c22_sso_hosts_are_the_org_host_and_the_custom_domain_without_scheme() {
        let doc = macos(None, Some("login.acme.example"));
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let content = dict(&v).get("PayloadContent").and_then(plist::Value::as_array).unwrap();
        let sso = content.iter().map(dict).find(|p| s(p, "PayloadType") == "com.apple.extensiblesso").unwrap();
        let hosts: Vec<&str> =
            sso.get("Hosts").and_then(plist::Value::as_array).unwrap().iter().filter_map(|h| h.as_string()).collect();
        assert_eq!(hosts, ["acme.okta.com", "login.acme.example"]);
    }

    #[test]
    fn macos_profile_without_ca_and_custom_domain() {
        let doc = macos(None, None);
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let content = dict(&v).get("PayloadContent").and_then(plist::Value::as_array).unwrap();
        let types: Vec<&str> = content.iter().map(|p| s(dict(p), "PayloadType")).collect();
        assert_eq!(types, ["com.apple.security.scep", "com.apple.extensiblesso"]);
        let hosts = dict(&content[1]).get("Hosts").and_then(plist::Value::as_array).unwrap();
        assert_eq!(hosts, &vec![plist::Value::String("acme.okta.com".into())]);
    }

    #[test]
    fn documents_are_deterministic() {
        let der = [1u8, 2, 3];
        assert_eq!(macos(Some(&der), Some("login.acme.com")), macos(Some(&der), Some("login.acme.com")));
        assert_eq!(ios_app_config("a.okta.com", "k").unwrap(), ios_app_config("a.okta.com", "k").unwrap());
        assert_eq!(android_managed_config("a", "k").unwrap(), android_managed_config("a", "k").unwrap());
        let w = windows(SAMPLE_CHALLENGE, "CN=x");
        assert_eq!(w, windows(SAMPLE_CHALLENGE, "CN=x"));
        assert_eq!(content_hash(&w), content_hash(&w));
        assert_ne!(content_hash(&w), content_hash(&windows("other", "CN=x")));
        assert_ne!(payload_uuid("a", "b"), payload_uuid("a", "c"));
    }

    #[test]
    fn content_hash_is_sha256_hex() {
        assert_eq!(content_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(content_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    const SAMPLE_CHALLENGE: &str = "Ab12-xy.Q";
    const THUMB: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

    const CA_DER: [u8; 5] = [0x30, 0x03, 0x02, 0x01, 0x05];
    /// SHA-1 of [`CA_DER`], upper-case hex.
    fn ca_sha1() -> String {
        hex::encode_upper(<sha1::Sha1 as sha1::Digest>::digest(CA_DER))
    }

    fn windows_with(challenge: &str, subject: &str, ca_der: Option<&[u8]>, thumb: &str) -> String {
        windows_scep_syncml(&WindowsScep {
            unique_id: "OktaDeviceTrust_1",
            scep_url: "https://acme.okta.com/scep/abc?x=1&y=2",
            challenge,
            challenge_encoding: ChallengeEncoding::Verbatim,
            subject_name: subject,
            key_size: 2048,
            ca_thumbprint: thumb,
            ca_der,
            retiring_ca_der: None,
            scope: WindowsScope::User,
        })
        .unwrap()
    }

    fn windows(challenge: &str, subject: &str) -> String {
        windows_with(challenge, subject, Some(&CA_DER), &ca_sha1())
    }

    /// One `<Item>` of the SyncML: its command as `Name#CmdID`, LocURI, Format and Data.
    struct Item {
        cmd: String,
        loc: String,
        format: Option<String>,
        data: Option<String>,
    }

    fn items(doc: &str) -> Vec<Item> {
        let xml = roxmltree::Document::parse(doc).unwrap();
        assert_eq!(xml.root_element().tag_name().name(), "SyncBody");
        xml.descendants()
            .filter(|n| n.has_tag_name("Item"))
            .map(|item| {
                let cmd = item.parent_element().unwrap();
                let child = |tag: &str| item.descendants().find(|n| n.has_tag_name(tag));
                let cmd_id = cmd.children().find(|n| n.has_tag_name("CmdID")).and_then(|n| n.text()).unwrap();
                Item {
                    cmd: format!("{}#{cmd_id}", cmd.tag_name().name()),
                    loc: child("LocURI").and_then(|n| n.text()).unwrap().to_string(),
                    format: child("Format").and_then(|n| n.text()).map(String::from),
                    data: child("Data").map(|n| n.text().unwrap_or("").to_string()),
                }
            })
            .collect()
    }

    fn data_of(doc: &str, node: &str) -> String {
        items(doc)
            .into_iter()
            .find(|i| i.loc.ends_with(&format!("/Install/{node}")))
            .and_then(|i| i.data)
            .unwrap_or_else(|| panic!("no {node}"))
    }

    #[test]
    fn c19_windows_scep_nodes_are_user_scoped() {
        let doc = windows(SAMPLE_CHALLENGE, "CN=x");
        let all = items(&doc);
        // The CA certificate (C23), the SCEP node, 11 settings and the Exec.
        assert_eq!(all.len(), 14);
        for Item { loc, .. } in &all {
            assert!(loc.starts_with("./User/Vendor/MSFT/"), "{loc}");
            assert!(!loc.contains("./Device/"), "{loc}");
        }
        assert!(!doc.contains("./Device/"));
        assert!(all[1..].iter().all(|i| i.loc.starts_with("./User/Vendor/MSFT/ClientCertificateInstall/SCEP/")));
        // Commands: the Atomic is 1, then Add 2..=14 and the Exec last.
        let cmds: Vec<&str> = all.iter().map(|i| i.cmd.as_str()).collect();
        assert_eq!(cmds.first(), Some(&"Add#2"));
        assert_eq!(cmds.last(), Some(&"Exec#15"));
        assert_eq!(all[1].loc, "./User/Vendor/MSFT/ClientCertificateInstall/SCEP/OktaDeviceTrust_1");
        assert_eq!(all[1].format.as_deref(), Some("node"));
        assert_eq!(all[1].data, None);
        assert_eq!(all[13].format, None);
        assert_eq!(all[13].loc, "./User/Vendor/MSFT/ClientCertificateInstall/SCEP/OktaDeviceTrust_1/Install/Enroll");
        let xml = roxmltree::Document::parse(&doc).unwrap();
        let atomic_id = xml
            .descendants()
            .find(|n| n.has_tag_name("Atomic"))
            .and_then(|a| a.children().find(|n| n.has_tag_name("CmdID")))
            .and_then(|n| n.text());
        assert_eq!(atomic_id, Some("1"));
        let formats = xml.descendants().filter(|n| n.has_tag_name("Format"));
        assert!(
            formats.clone().count() == 13 && formats.clone().all(|f| f.tag_name().namespace() == Some("syncml:metinf"))
        );

        assert_eq!(data_of(&doc, "CAThumbprint"), ca_sha1());
        assert_eq!(data_of(&doc, "ServerURL"), "https://acme.okta.com/scep/abc?x=1&y=2");
        assert_eq!(data_of(&doc, "Challenge"), SAMPLE_CHALLENGE);
        assert_eq!(data_of(&doc, "SubjectName"), "CN=x");
        assert_eq!(data_of(&doc, "KeyLength"), "2048");
        assert_eq!(data_of(&doc, "KeyUsage"), "128");
        assert_eq!(data_of(&doc, "EKUMapping"), "1.3.6.1.5.5.7.3.2");
        assert_eq!(data_of(&doc, "RetryCount"), "3");
        assert_eq!(data_of(&doc, "RetryDelay"), "5");
    }

    #[test]
    fn c23_windows_enrolls_without_a_tpm_and_installs_the_okta_ca() {
        let doc = windows(SAMPLE_CHALLENGE, "CN=x");
        // 2: the TPM when present, the software KSP otherwise (1 would fail on a PC with no TPM).
        assert_eq!(data_of(&doc, "KeyProtection"), "2");
        let all = items(&doc);
        let ca = &all[0];
        let sha1 = ca_sha1();
        assert_eq!(ca.cmd, "Add#2");
        assert_eq!(ca.loc, format!("./User/Vendor/MSFT/RootCATrustedCertificates/CA/{sha1}/EncodedCertificate"));
        assert_eq!(ca.format.as_deref(), Some("b64"));
        use base64::Engine as _;
        let b64 = ca.data.as_deref().unwrap();
        assert!(!b64.contains('\n') && !b64.contains('\r'));
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), CA_DER);
        assert_eq!(data_of(&doc, "CAThumbprint"), sha1);
        // Without a certificate the document carries no CA node.
        let none = windows_with(SAMPLE_CHALLENGE, "CN=x", None, THUMB);
        assert!(!none.contains("RootCATrustedCertificates"));
    }

    #[test]
    fn windows_other_choices_are_one_setting_away() {
        let p = WindowsScep {
            unique_id: "OktaDeviceTrust",
            scep_url: "https://acme.okta.com/scep",
            challenge: "Ab12",
            challenge_encoding: ChallengeEncoding::Base64,
            subject_name: "CN=x",
            key_size: 2048,
            ca_thumbprint: THUMB,
            ca_der: Some(&CA_DER),
            retiring_ca_der: None,
            scope: WindowsScope::Device,
        };
        let doc = windows_scep_syncml(&p).unwrap();
        assert_eq!(data_of(&doc, "Challenge"), "QWIxMg==");
        assert!(items(&doc).iter().all(|i| i.loc.starts_with("./Device/Vendor/MSFT/")));
    }

    #[test]
    fn windows_xml_special_characters_round_trip() {
        let challenge = "a&b<c>d\"e'f";
        let subject = parse_subject(r#"CN=J & J \<x\> \"q\" 'a',O=Acme\, Inc."#).unwrap().to_rfc4514(|v| v.to_string());
        let doc = windows(challenge, &subject);
        assert!(!doc.contains("a&b<c>"));
        assert!(doc.contains("a&amp;b&lt;c&gt;"));
        assert_eq!(data_of(&doc, "Challenge"), challenge);
        assert_eq!(data_of(&doc, "SubjectName"), subject);
        assert_eq!(parse_subject(&data_of(&doc, "SubjectName")).unwrap(), parse_subject(&subject).unwrap());
    }

    #[test]
    fn windows_refuses_bad_unique_id() {
        for bad in ["", "a/b", "../x", "a b", "<x>"] {
            let p = WindowsScep {
                unique_id: bad,
                scep_url: "u",
                challenge: "c",
                challenge_encoding: ChallengeEncoding::Verbatim,
                subject_name: "CN=x",
                key_size: 2048,
                ca_thumbprint: THUMB,
                ca_der: None,
                retiring_ca_der: None,
                scope: WindowsScope::User,
            };
            assert!(matches!(windows_scep_syncml(&p), Err(PayloadError::InvalidUniqueId(_))), "{bad:?}");
        }
    }

    #[test]
    fn bare_hosts() {
        assert_eq!(bare_host("https://Acme.okta.com/"), "acme.okta.com");
        assert_eq!(bare_host("login.acme.com."), "login.acme.com");
        assert_eq!(bare_host("acme.okta.com"), "acme.okta.com");
    }
}
