//! Step 7: management attestation for the four platforms, saved and switched on, with what the API refuses and
//! what it shows of a payload.

use super::api::{check, step};
use super::Walk;
use reqwest::Method;
use serde_json::{json, Value};

/// The Subject of the SCEP-issued certificates (Okta's documented template).
const SUBJECT: &str = "CN={{user.email}} managementAttestation {{device.id}}";

/// A self-signed CA standing in for Okta's intermediate CA (Security › Device integrations › Certificate
/// authority), made fresh for the run.
fn stand_in_ca() -> anyhow::Result<String> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Okta Device Trust Intermediate CA (local stand-in)");
    let key = rcgen::KeyPair::generate()?;
    Ok(params.self_signed(&key)?.pem())
}

/// The username of the dynamic SCEP challenge Okta generates for the walkthrough's macOS (a stand-in).
pub(super) const CHALLENGE_USER: &str = "scep-walkthrough";

/// The settings of each platform, in the order the walkthrough shows them, with fresh secret keys and challenges
/// (Windows with the stand-in CA `ca_pem`); macOS uses Okta's dynamic challenge: `challenge_url` with
/// [`CHALLENGE_USER`] and `challenge_password`.
fn platform_settings(
    scep_url: &str,
    ca_pem: &str,
    challenge_url: &str,
    challenge_password: &str,
) -> [(&'static str, Value); 4] {
    let secret = |p: &str| format!("okta-{p}-{}", uuid::Uuid::new_v4().simple());
    [
        ("ios", json!({"secretKey": secret("ios")})),
        ("android", json!({"secretKey": secret("android")})),
        (
            "macos",
            json!({"scepUrl": scep_url, "challenge": {"type": "dynamic", "challengeUrl": challenge_url,
            "username": CHALLENGE_USER, "password": challenge_password}, "subject": SUBJECT}),
        ),
        (
            "windows",
            json!({"scepUrl": scep_url, "challenge": {"type": "static", "secretKey": secret("windows")},
            "caCertificate": ca_pem, "subject": SUBJECT, "keySize": 2048}),
        ),
    ]
}

impl Walk<'_> {
    /// Step 7: saves and switches on each platform (keeping the payload hashes), then shows a SCEP challenge
    /// Windows would refuse being refused at save, and the Windows payload as a technician previews it.
    pub(super) async fn configure_platforms(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[7] Configure management attestation for iOS, Android, macOS and Windows, then switch each on"
        )?;
        let ca_pem = check(self.out, 7, "make a stand-in Okta CA", stand_in_ca())?;
        let scep_url = format!("https://{}/pki/ca/scep", self.org.domain);
        // Okta generates the dynamic challenge's URL, username and password together (shown once).
        let challenge_password = format!("okta-scep-{}", uuid::Uuid::new_v4().simple());
        self.stack.okta.set_challenge_credentials(CHALLENGE_USER, &challenge_password);
        let challenge_url = self.stack.okta.challenge_url();
        for (p, body) in platform_settings(&scep_url, &ca_pem, &challenge_url, &challenge_password) {
            self.switch_on(p, body).await?;
        }
        writeln!(
            self.out,
            "    macOS uses Okta's dynamic SCEP challenge: one single-use challenge per device, fetched from {challenge_url}"
        )?;
        let bad =
            json!({"scepUrl": scep_url, "challenge": {"type": "static", "secretKey": "Ab_12!xy"}, "subject": SUBJECT});
        let bad = step(
            self.out,
            7,
            "refuse a bad SCEP challenge",
            self.admin.expect(Method::PUT, "/platforms/windows", Some(bad), 400),
        )
        .await?;
        writeln!(
            self.out,
            "    a Windows challenge `Ab_12!xy` is refused at save: {}",
            bad["error"]["message"].as_str().unwrap_or("")
        )?;
        let win = step(
            self.out,
            7,
            "preview the Windows payload",
            self.tech.expect(Method::GET, "/platforms/windows/payload", None, 200),
        )
        .await?;
        let doc = win["document"].as_str().unwrap_or_default();
        let nodes = doc.matches("<LocURI>./User/").count();
        writeln!(
            self.out,
            "    Windows SyncML: {nodes} nodes, all under ./User/ (none under ./Device/: {}); secrets shown as ********",
            !doc.contains("./Device/")
        )?;
        Ok(())
    }

    /// Saves platform `p`'s settings and switches it on; notes its payload hash.
    async fn switch_on(&mut self, p: &str, settings: Value) -> anyhow::Result<()> {
        let path = format!("/platforms/{p}");
        let saved =
            step(self.out, 7, format!("configure {p}"), self.admin.expect(Method::PUT, &path, Some(settings), 200))
                .await?;
        let on = Some(json!({"enabled": true}));
        let path = format!("/platforms/{p}/enabled");
        step(self.out, 7, format!("switch {p} on"), self.admin.expect(Method::PUT, &path, on, 200)).await?;
        let hash = saved["payloadHash"].as_str().unwrap_or_default().to_string();
        let ca = &saved["settings"]["caCertificate"];
        let extra = if ca.is_object() {
            format!("; CA thumbprint {}", ca["sha1Thumbprint"].as_str().unwrap_or(""))
        } else {
            String::new()
        };
        writeln!(self.out, "    {p:<8} enabled; payload {}…{extra}", &hash[..hash.len().min(12)])?;
        self.outcome.platforms.push((p.to_string(), hash));
        Ok(())
    }
}
