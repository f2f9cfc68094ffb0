//! Every document the product can generate, rendered through the same path deployment uses
//! (`odt_shared::attestation::render::render`): each platform; static and dynamic challenge; with and without
//! the Okta CA certificate; every accepted key size; the Subject forms the parser accepts that change the output;
//! an org with and without a custom URL domain.

use odt_shared::attestation::cert::{parse_ca_certificate, CaCertificate};
use odt_shared::attestation::payload::ACCEPTED_KEY_SIZES;
use odt_shared::attestation::render::{render, OrgHosts, CHALLENGE_PASSWORD, DEVICE_CHALLENGE, SECRET_KEY};
use odt_shared::platform::Platform;
use odt_shared::secrets::SecretRef;
use odt_shared::store::{ChallengeKind, PlatformRecord, PlatformSettings};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::sync::OnceLock;

/// The org host every document is generated for.
pub const ORG: &str = "acme.okta.com";
/// The custom URL domain of case C22.
pub const CUSTOM: &str = "login.acme.example";
/// The secret key the static documents carry.
pub const SECRET: &str = "Ab12-Secret.Key";
/// A device's dynamic challenge, in the form Okta's challenge URL issues one (hex-like, printable).
pub const DEVICE_CHALLENGE_VALUE: &str = "7F3A9C21D4E8B6F0";

/// Subject forms the parser accepts that change the output: variables, an escaped comma, several RDNs, a
/// multi-valued RDN, a dotted OID, a type Apple has no short name for (sent as its OID) and lower-case input.
pub const SUBJECTS: [&str; 5] = [
    "CN={{user.email}} managementAttestation {{device.id}}",
    "CN={{user.login}} managementAttestation {{device.udid}},O=Acme\\, Inc.,C=US",
    "CN={{device.name}}+UID={{user.id}},OU=Devices",
    "cn = {{device.serial}} , 2.5.4.11=Ops, EMAILADDRESS={{user.email}}",
    "CN=x,DC=acme,DC=example,STREET=1 Main St,ST=CA,L=SF,SERIALNUMBER={{device.serial}}",
];

/// One generated document and what it was generated from.
pub struct Generated {
    pub platform: Platform,
    pub challenge: ChallengeKind,
    pub key_size: u32,
    pub subject: &'static str,
    pub custom_domain: Option<&'static str>,
    /// The Okta CA certificate (DER) the settings carry.
    pub ca_der: Option<Vec<u8>>,
    pub ca_sha1: Option<String>,
    pub text: String,
}

impl Generated {
    /// A label for failure messages.
    pub fn label(&self) -> String {
        format!(
            "{} challenge={:?} keySize={} ca={} customDomain={:?} subject={:?}",
            self.platform,
            self.challenge,
            self.key_size,
            self.ca_der.is_some(),
            self.custom_domain,
            self.subject
        )
    }
}

/// A self-signed CA certificate standing in for Okta's.
fn ca() -> &'static CaCertificate {
    static CA: OnceLock<CaCertificate> = OnceLock::new();
    CA.get_or_init(|| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "Organization Intermediate Authority");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
        parse_ca_certificate(&cert.pem(), time::OffsetDateTime::now_utc()).unwrap()
    })
}

fn secret_ref(name: &str) -> SecretRef {
    SecretRef { name: format!("odt/t1/platform/{name}"), version_id: "v1".into() }
}

/// The real secret values, as deployment puts them in: the secret key, and for a dynamic challenge the one Okta
/// issued for the device (deploy-trigger fetches it per device and renders with it under `DEVICE_CHALLENGE`).
fn secret(name: &str) -> String {
    match name {
        SECRET_KEY => SECRET.to_string(),
        DEVICE_CHALLENGE => DEVICE_CHALLENGE_VALUE.to_string(),
        _ => String::new(),
    }
}

fn desktop(p: Platform, challenge: ChallengeKind, ca: bool, key_size: u32, subject: &str) -> PlatformRecord {
    let dynamic = challenge == ChallengeKind::Dynamic;
    let settings = PlatformSettings::Desktop {
        scep_url: format!("https://{ORG}/pki/ca/scep"),
        challenge,
        challenge_url: dynamic.then(|| format!("https://{ORG}/api/v1/challenge")),
        challenge_username: dynamic.then(|| "scep-user".to_string()),
        ca: ca.then(|| Box::new(crate::documents::ca().clone())),
        retiring_ca: None,
        subject: subject.to_string(),
        key_size,
        renew_days: 120,
    };
    let mut rec = PlatformRecord::new("t1", p, settings, "2026-01-01T00:00:00Z");
    let name = if dynamic { CHALLENGE_PASSWORD } else { SECRET_KEY };
    rec.secrets.insert(name.to_string(), secret_ref(name));
    rec
}

/// Every document the product can generate.
pub fn all() -> &'static [Generated] {
    static ALL: OnceLock<Vec<Generated>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        for custom_domain in [None, Some(CUSTOM)] {
            let org = OrgHosts { domain: ORG, custom_domain };
            for p in [Platform::Ios, Platform::Android] {
                let mut rec = PlatformRecord::new("t1", p, PlatformSettings::Mobile { enrollment_link: None }, "x");
                rec.secrets.insert(SECRET_KEY.into(), secret_ref(SECRET_KEY));
                out.push(Generated {
                    platform: p,
                    challenge: ChallengeKind::Static,
                    key_size: 0,
                    subject: "",
                    custom_domain,
                    ca_der: None,
                    ca_sha1: None,
                    text: render("t1", &rec, org, &secret).unwrap().text,
                });
            }
            for p in [Platform::Macos, Platform::Windows] {
                for challenge in [ChallengeKind::Static, ChallengeKind::Dynamic] {
                    // Windows cannot be saved without the CA certificate.
                    for with_ca in [true, false].into_iter().filter(|c| *c || p == Platform::Macos) {
                        for key_size in ACCEPTED_KEY_SIZES {
                            for subject in SUBJECTS {
                                let rec = desktop(p, challenge, with_ca, key_size, subject);
                                out.push(Generated {
                                    platform: p,
                                    challenge,
                                    key_size,
                                    subject,
                                    custom_domain,
                                    ca_der: with_ca.then(|| ca().der().unwrap()),
                                    ca_sha1: with_ca.then(|| ca().sha1_thumbprint.clone()),
                                    text: render("t1", &rec, org, &secret).unwrap().text,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    })
}

/// The generated documents of platform `p`.
pub fn of(p: Platform) -> impl Iterator<Item = &'static Generated> {
    all().iter().filter(move |g| g.platform == p)
}
