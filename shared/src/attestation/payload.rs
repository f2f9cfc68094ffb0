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
/// secret key (or a mask) and `OktaVerify.OrgUrl` = `org_url` (`https://<org domain>`).
///
/// Source: Okta help, "Managed app configuration for iOS" (keys for Okta Verify iOS 7.2.0 and later).
///
/// # Errors
/// [`PayloadError`] if the plist cannot be written.
pub fn ios_app_config(org_url: &str, secret_key: &str) -> Result<String, PayloadError> {
    let mut dict = plist::Dictionary::new();
    dict.insert("managementHint".into(), secret_key.into());
    dict.insert("OktaVerify.OrgUrl".into(), org_url.into());
    plist_xml(dict)
}

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
/// `Key Usage` 1 (signing only, as Okta's certificate is), a non-extractable key not open to all apps,
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
    // 1 = signing; Okta's management attestation certificate is used for signing only.
    scep_content.insert("Key Usage".into(), 1.into());
    scep_content.insert("KeyIsExtractable".into(), false.into());
    scep_content.insert("AllowAllAppsAccess".into(), false.into());
    scep_content.insert("Retries".into(), 3.into());
    scep_content.insert("RetryDelay".into(), 10.into());
    let mut scep =
        payload_keys(p.profile_id, "scep", "com.apple.security.scep", "Okta Device Trust certificate (SCEP)");
    scep.insert("PayloadContent".into(), plist::Value::Dictionary(scep_content));

    let mut content = vec![plist::Value::Dictionary(scep)];

    if let Some(der) = p.ca_der {
        let mut ca = payload_keys(p.profile_id, "ca", "com.apple.security.pkcs1", "Okta CA certificate");
        ca.insert("PayloadCertificateFileName".into(), "okta-ca.cer".into());
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

/// The inputs of the Windows SCEP enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowsScep<'a> {
    /// The `{UniqueID}` node name: 1-128 characters of `A-Z a-z 0-9 _ -`.
    pub unique_id: &'a str,
    /// The SCEP server URL (Okta's SCEP endpoint).
    pub scep_url: &'a str,
    /// The SCEP challenge: the static secret key, a mask, or the UEM's placeholder for a dynamic challenge.
    pub challenge: &'a str,
    /// The certificate Subject as a string, from the subject module.
    pub subject_name: &'a str,
    /// RSA key length in bits (the CSP accepts 1024, 2048 and 4096).
    pub key_size: u32,
    /// SHA-1 thumbprint of the Okta CA certificate, 40 hex characters.
    pub ca_thumbprint: &'a str,
}

/// Root of every ClientCertificateInstall SCEP node: user scope (case C19), never `./Device/`.
const SCEP_ROOT: &str = "./User/Vendor/MSFT/ClientCertificateInstall/SCEP";

/// SyncML `Meta/Format` of a node value.
#[derive(Clone, Copy)]
enum Format {
    /// `chr`: a string.
    Chr,
    /// `int`: an integer.
    Int,
    /// `node`: an interior node, no value.
    Node,
}

impl Format {
    /// The `Format` element text.
    fn as_str(self) -> &'static str {
        match self {
            Format::Chr => "chr",
            Format::Int => "int",
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

/// The SyncML body that enrolls the management attestation certificate on Windows through the
/// ClientCertificateInstall CSP at user scope (case C19: every LocURI starts with `./User/`).
///
/// Inside one `<Atomic>` (the CSP requires SCEP settings to be atomic, with Enroll last): an `<Add>` of the
/// `SCEP/{unique_id}` node, one `<Add>` per `Install` setting (ServerURL, Challenge, SubjectName, KeyLength,
/// KeyUsage 128 = 0x80 digital signature, HashAlgorithm `SHA-2`, EKUMapping client authentication
/// 1.3.6.1.5.5.7.3.2, CAThumbprint, KeyProtection 1 = TPM, RetryCount 3, RetryDelay 5 minutes), then an
/// `<Exec>` of `Install/Enroll`. `CmdID`s count from 1. Values are XML-escaped by quick-xml.
///
/// Source: Microsoft, "ClientCertificateInstall CSP" (node reference and SCEP example).
///
/// # Errors
/// [`PayloadError::InvalidUniqueId`] for a bad `unique_id`; [`PayloadError`] if the XML cannot be written.
pub fn windows_scep_syncml(p: &WindowsScep) -> Result<String, PayloadError> {
    if !crate::ids::is_safe_id(p.unique_id) {
        return Err(PayloadError::InvalidUniqueId(p.unique_id.to_string()));
    }
    let node = format!("{SCEP_ROOT}/{}", p.unique_id);
    let key_size = p.key_size.to_string();
    let settings: [(&str, Format, &str); 11] = [
        ("ServerURL", Format::Chr, p.scep_url),
        ("Challenge", Format::Chr, p.challenge),
        ("SubjectName", Format::Chr, p.subject_name),
        ("KeyLength", Format::Int, &key_size),
        // 0x80: digital signature only.
        ("KeyUsage", Format::Int, "128"),
        // The CSP takes a hash algorithm family: SHA-1, SHA-2 or SHA-3 (SHA-2 covers SHA-256).
        ("HashAlgorithm", Format::Chr, "SHA-2"),
        // Client authentication (RFC 5280 id-kp-clientAuth).
        ("EKUMapping", Format::Chr, "1.3.6.1.5.5.7.3.2"),
        ("CAThumbprint", Format::Chr, p.ca_thumbprint),
        // 1: private key protected by the TPM (2 is the Windows Phone "TPM if supported" value; 3, the
        // default, keeps the key in the software KSP).
        ("KeyProtection", Format::Int, "1"),
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
        let doc = ios_app_config("https://acme.okta.com", "s3cr&t<key>").unwrap();
        let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
        let d = dict(&v);
        assert_eq!(d.len(), 2);
        assert_eq!(s(d, "managementHint"), "s3cr&t<key>");
        assert_eq!(s(d, "OktaVerify.OrgUrl"), "https://acme.okta.com");
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
        assert_eq!(sc.get("AllowAllAppsAccess").and_then(plist::Value::as_boolean), Some(false));
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
        assert_eq!(
            ios_app_config("https://a.okta.com", "k").unwrap(),
            ios_app_config("https://a.okta.com", "k").unwrap()
        );
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

    fn windows(challenge: &str, subject: &str) -> String {
        windows_scep_syncml(&WindowsScep {
            unique_id: "OktaDeviceTrust_1",
            scep_url: "https://acme.okta.com/scep/abc?x=1&y=2",
            challenge,
            subject_name: subject,
            key_size: 2048,
            ca_thumbprint: THUMB,
        })
        .unwrap()
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
        assert_eq!(all.len(), 13);
        for Item { loc, .. } in &all {
            assert!(loc.starts_with("./User/Vendor/MSFT/ClientCertificateInstall/SCEP/"), "{loc}");
            assert!(!loc.contains("./Device/"), "{loc}");
        }
        assert!(!doc.contains("./Device/"));
        // Commands: the Atomic is 1, then Add 2..=13 and the Exec last.
        let cmds: Vec<&str> = all.iter().map(|i| i.cmd.as_str()).collect();
        assert_eq!(cmds.first(), Some(&"Add#2"));
        assert_eq!(cmds.last(), Some(&"Exec#14"));
        assert_eq!(all[0].loc, "./User/Vendor/MSFT/ClientCertificateInstall/SCEP/OktaDeviceTrust_1");
        assert_eq!(all[0].format.as_deref(), Some("node"));
        assert_eq!(all[0].data, None);
        assert_eq!(all[12].format, None);
        assert_eq!(all[12].loc, "./User/Vendor/MSFT/ClientCertificateInstall/SCEP/OktaDeviceTrust_1/Install/Enroll");
        let xml = roxmltree::Document::parse(&doc).unwrap();
        let atomic_id = xml
            .descendants()
            .find(|n| n.has_tag_name("Atomic"))
            .and_then(|a| a.children().find(|n| n.has_tag_name("CmdID")))
            .and_then(|n| n.text());
        assert_eq!(atomic_id, Some("1"));
        let formats = xml.descendants().filter(|n| n.has_tag_name("Format"));
        assert!(
            formats.clone().count() == 12 && formats.clone().all(|f| f.tag_name().namespace() == Some("syncml:metinf"))
        );

        assert_eq!(data_of(&doc, "CAThumbprint"), THUMB);
        assert_eq!(data_of(&doc, "ServerURL"), "https://acme.okta.com/scep/abc?x=1&y=2");
        assert_eq!(data_of(&doc, "Challenge"), SAMPLE_CHALLENGE);
        assert_eq!(data_of(&doc, "SubjectName"), "CN=x");
        assert_eq!(data_of(&doc, "KeyLength"), "2048");
        assert_eq!(data_of(&doc, "KeyUsage"), "128");
        assert_eq!(data_of(&doc, "EKUMapping"), "1.3.6.1.5.5.7.3.2");
        assert_eq!(data_of(&doc, "KeyProtection"), "1");
        assert_eq!(data_of(&doc, "RetryCount"), "3");
        assert_eq!(data_of(&doc, "RetryDelay"), "5");
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
                subject_name: "CN=x",
                key_size: 2048,
                ca_thumbprint: THUMB,
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
