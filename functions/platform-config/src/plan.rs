//! What a save will change: the settings an admin entered, validated against the device-trust org and what is
//! stored, and the secrets to write. Errors are 400s naming the field.

use crate::input::{ChallengeInput, DesktopSettingsInput, MobileSettingsInput};
use crate::render::{CHALLENGE_PASSWORD, CHALLENGE_USERNAME, SECRET_KEY};
use odt_shared::api::{https_url, public_https_url};
use odt_shared::attestation::cert::{parse_ca_certificate, CaCertificate};
use odt_shared::attestation::freshness;
use odt_shared::attestation::payload::ACCEPTED_KEY_SIZES;
use odt_shared::attestation::{challenge::check_scep_challenge, subject::parse_subject};
use odt_shared::platform::Platform;
use odt_shared::store::{ChallengeKind, OrgRecord, PlatformRecord, PlatformSettings};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};

/// What a save will change: the settings, and the secrets to write (name → value).
pub struct Plan {
    pub settings: PlatformSettings,
    pub new_secrets: Vec<(&'static str, SecretString)>,
    /// Secret names the new settings need (stored or new).
    pub needs: Vec<&'static str>,
}

fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(ApiError::invalid(field, format!("{field} must be 1 to {max} printable characters")));
    }
    Ok(v.to_string())
}

fn secret_text(field: &str, value: &SecretString, max: usize) -> Result<(), ApiError> {
    let v = value.expose_secret();
    if v.is_empty() || v.len() > max || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid(field, format!("{field} must be 1 to {max} characters without spaces")));
    }
    Ok(())
}

/// The plan for iOS or Android, and the version the admin last read.
pub fn plan_mobile(input: MobileSettingsInput) -> Result<(Plan, Option<u64>), ApiError> {
    let mut new_secrets = Vec::new();
    if let Some(k) = input.secret_key {
        secret_text("secretKey", &k, 256)?;
        new_secrets.push((SECRET_KEY, k));
    }
    let enrollment_link = input.enrollment_link.map(|l| https_url("enrollmentLink", &l, None)).transpose()?;
    Ok((
        Plan { settings: PlatformSettings::Mobile { enrollment_link }, new_secrets, needs: vec![SECRET_KEY] },
        input.version,
    ))
}

/// The plan for macOS or Windows (the SCEP URL on `org`'s domain; a CA certificate valid at `now`), and the
/// version the admin last read.
pub fn plan_desktop(
    p: Platform,
    input: DesktopSettingsInput,
    org: &OrgRecord,
    existing: Option<&PlatformRecord>,
    now: time::OffsetDateTime,
) -> Result<(Plan, Option<u64>), ApiError> {
    let scep_url = scep_url(&input.scep_url, org)?;
    let stored = existing.map(|e| &e.settings);
    let mut new_secrets = Vec::new();
    let challenge = challenge(input.challenge, stored, &mut new_secrets)?;
    let (ca, retiring_ca) = ca_certificate(p, input.ca_certificate, stored, now)?;
    let renew_days = renew_days(input.renew_days_before_expiry, stored)?;
    if input.subject.len() > 1024 {
        return Err(ApiError::invalid("subject", "subject is longer than 1024 characters"));
    }
    parse_subject(&input.subject)
        .map_err(|why| ApiError::invalid("subject", format!("the Subject is not valid: {why}")))?;
    let key_size = input.key_size.unwrap_or(2048);
    // Sizes both devices accept and Okta can use (case C21; the choice and its sources: ACCEPTED_KEY_SIZES).
    if !ACCEPTED_KEY_SIZES.contains(&key_size) {
        return Err(ApiError::invalid(
            "keySize",
            "keySize must be 2048 (what Okta asks) or 4096: Apple and Windows accept only 1024, 2048 and 4096 bits",
        )
        .with_detail("accepted", serde_json::json!(ACCEPTED_KEY_SIZES)));
    }
    let settings = PlatformSettings::Desktop {
        scep_url,
        challenge: challenge.kind,
        challenge_url: challenge.url,
        challenge_username: challenge.username,
        ca,
        retiring_ca,
        subject: input.subject.trim().to_string(),
        key_size,
        renew_days,
    };
    let mut needs = vec![challenge.needs];
    if challenge.kind == ChallengeKind::Dynamic {
        needs.push(CHALLENGE_USERNAME);
    }
    Ok((Plan { settings, new_secrets, needs }, input.version))
}

/// Okta's SCEP URL: https, on the org's host or its custom URL domain (case C22), standard port. Errors: 400
/// naming `scepUrl`.
fn scep_url(value: &str, org: &OrgRecord) -> Result<String, ApiError> {
    match (https_url("scepUrl", value, Some(&org.domain)), org.custom_domain.as_deref()) {
        (Err(_), Some(custom)) => https_url("scepUrl", value, Some(custom)).map_err(|_| {
            ApiError::invalid("scepUrl", format!("scepUrl must be on the org's domain {} or {custom}", org.domain))
        }),
        (result, _) => result,
    }
}

/// The SCEP challenge as it will be stored, and the secret it needs.
struct Challenge {
    kind: ChallengeKind,
    url: Option<String>,
    username: Option<String>,
    needs: &'static str,
}

/// Validates the challenge; a secret entered with it is added to `new_secrets`.
fn challenge(
    input: ChallengeInput,
    stored: Option<&PlatformSettings>,
    new_secrets: &mut Vec<(&'static str, SecretString)>,
) -> Result<Challenge, ApiError> {
    match input {
        ChallengeInput::Static { secret_key } => {
            if let Some(k) = secret_key {
                check_scep_challenge(k.expose_secret())
                    .map_err(|why| ApiError::invalid("challenge.secretKey", format!("the SCEP challenge {why}")))?;
                new_secrets.push((SECRET_KEY, k));
            }
            Ok(Challenge { kind: ChallengeKind::Static, url: None, username: None, needs: SECRET_KEY })
        }
        ChallengeInput::Dynamic { challenge_url, username, password } => {
            // The UEM calls it with the password: a public host name on the standard port, never an address.
            let url = public_https_url("challenge.challengeUrl", &challenge_url)?;
            let previous_url = match stored {
                Some(PlatformSettings::Desktop { challenge_url: Some(u), .. }) => Some(u.as_str()),
                _ => None,
            };
            if password.is_none() && previous_url.is_some_and(|u| u != url) {
                return Err(ApiError::invalid(
                    "challenge.password",
                    "challenge.password is required when the challenge URL changes",
                ));
            }
            let user = text("challenge.username", &username, 256)?;
            if user.contains(':') {
                // HTTP Basic (RFC 7617, 2): the user-id cannot hold a colon.
                return Err(ApiError::invalid(
                    "challenge.username",
                    "challenge.username cannot contain `:` (HTTP Basic)",
                ));
            }
            // Okta shows the username once, with the password: a secret too (Secrets Manager, never returned).
            new_secrets.push((CHALLENGE_USERNAME, SecretString::from(user)));
            if let Some(pw) = password {
                secret_text("challenge.password", &pw, 512)?;
                new_secrets.push((CHALLENGE_PASSWORD, pw));
            }
            Ok(Challenge { kind: ChallengeKind::Dynamic, url: Some(url), username: None, needs: CHALLENGE_PASSWORD })
        }
    }
}

/// The renewal lead entered, else the stored one, else [`freshness::DEFAULT_RENEW_DAYS`]. Errors: 400 naming
/// `renewDaysBeforeExpiry` outside [`freshness::RENEW_DAYS`].
fn renew_days(input: Option<u32>, stored: Option<&PlatformSettings>) -> Result<u32, ApiError> {
    let days = match (input, stored) {
        (Some(d), _) => d,
        (None, Some(PlatformSettings::Desktop { renew_days, .. })) => *renew_days,
        (None, _) => freshness::DEFAULT_RENEW_DAYS,
    };
    if !freshness::RENEW_DAYS.contains(&days) {
        let (lo, hi) = (freshness::RENEW_DAYS.start(), freshness::RENEW_DAYS.end());
        return Err(ApiError::invalid(
            "renewDaysBeforeExpiry",
            format!("renewDaysBeforeExpiry must be {lo} to {hi} days (Okta's certificates last 365 days)"),
        ));
    }
    Ok(days)
}

/// A platform's Okta CA certificates: the current one and the one it replaces (see [`ca_certificate`]).
type CaPair = (Option<Box<CaCertificate>>, Option<Box<CaCertificate>>);

/// The CA certificate entered (parsed, valid at `now`) or the stored one (Windows must have one), and the one it
/// replaces while that one is still valid (Okta's CA renewal: MDM.md section 5, both valid meanwhile): the
/// stored CA when a different one is entered, else the stored retiring one.
fn ca_certificate(
    p: Platform,
    pem: Option<String>,
    stored: Option<&PlatformSettings>,
    now: time::OffsetDateTime,
) -> Result<CaPair, ApiError> {
    let (stored_ca, stored_retiring) = match stored {
        Some(PlatformSettings::Desktop { ca, retiring_ca, .. }) => (ca.clone(), retiring_ca.clone()),
        _ => (None, None),
    };
    let (ca, retiring) = match pem {
        Some(pem) => {
            let new = parse_ca_certificate(&pem, now)
                .map_err(|e| ApiError::invalid("caCertificate", format!("the CA certificate {e}")))?;
            match stored_ca {
                Some(old) if old.sha1_thumbprint != new.sha1_thumbprint => (Some(Box::new(new)), Some(old)),
                _ => (Some(Box::new(new)), stored_retiring),
            }
        }
        None => (stored_ca, stored_retiring),
    };
    if p == Platform::Windows && ca.is_none() {
        return Err(ApiError::invalid(
            "caCertificate",
            "Windows needs Okta's CA certificate (its thumbprint goes into the profile)",
        ));
    }
    // A retiring CA past its end, or the same as the current one, is dropped.
    let retiring =
        retiring.filter(|r| r.not_after > now && ca.as_ref().is_none_or(|c| c.sha1_thumbprint != r.sha1_thumbprint));
    Ok((ca, retiring))
}

#[cfg(test)]
mod tests {
    use super::*;
    use odt_shared::okta::{ClientAuth, OktaCredentials};

    fn org(custom: Option<&str>) -> OrgRecord {
        let creds = OktaCredentials::ClientSecret { client_id: "c".into(), client_secret: SecretString::from("s") };
        let secret = odt_shared::secrets::SecretRef { name: "n".into(), version_id: "v".into() };
        let rec = OrgRecord::new("t1", "org_1", "acme.okta.com", &creds, vec![], secret, "2026-01-01T00:00:00Z");
        assert_eq!(rec.auth_method, ClientAuth::ClientSecretBasic);
        OrgRecord { custom_domain: custom.map(str::to_string), ..rec }
    }

    fn input(key_size: Option<u32>, scep_url: &str) -> DesktopSettingsInput {
        DesktopSettingsInput {
            scep_url: scep_url.into(),
            challenge: ChallengeInput::Static { secret_key: Some(SecretString::from("Ab12")) },
            ca_certificate: None,
            subject: "CN={{user.email}} managementAttestation {{device.id}}".into(),
            key_size,
            renew_days_before_expiry: None,
            version: None,
        }
    }

    fn plan(key_size: Option<u32>, scep_url: &str, org: &OrgRecord) -> Result<PlatformSettings, ApiError> {
        plan_desktop(Platform::Macos, input(key_size, scep_url), org, None, time::OffsetDateTime::now_utc())
            .map(|(p, _)| p.settings)
    }

    #[test]
    fn c21_key_sizes_a_device_refuses_are_not_saved() {
        let org = org(None);
        for refused in [3072, 1024, 0, 8192] {
            let e = plan(Some(refused), "https://acme.okta.com/pki/ca/scep", &org).unwrap_err();
            assert_eq!(e.status, http::StatusCode::BAD_REQUEST);
            assert_eq!(e.field.as_deref(), Some("keySize"));
            assert!(e.message.contains("2048") && e.message.contains("4096"), "{}", e.message);
            assert_eq!(e.details["accepted"], serde_json::json!([2048, 4096]));
        }
        for accepted in [None, Some(2048), Some(4096)] {
            let s = plan(accepted, "https://acme.okta.com/pki/ca/scep", &org).unwrap();
            let PlatformSettings::Desktop { key_size, .. } = s else { panic!() };
            assert_eq!(key_size, accepted.unwrap_or(2048));
        }
    }

    #[test]
    fn c22_a_scep_url_on_either_host_is_accepted() {
        let with = org(Some("login.acme.example"));
        assert!(plan(None, "https://acme.okta.com/pki/ca/scep", &with).is_ok());
        assert!(plan(None, "https://login.acme.example/pki/ca/scep", &with).is_ok());
        let e = plan(None, "https://other.example/pki/ca/scep", &with).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("scepUrl"));
        // Without a custom domain only the org host.
        let e = plan(None, "https://login.acme.example/pki/ca/scep", &org(None)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("scepUrl"));
    }
}
