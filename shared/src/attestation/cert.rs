//! The Okta CA certificate an admin pastes in (PEM or base64 DER): checked to be exactly one CA certificate
//! (basicConstraints `CA:true`, RFC 5280 4.2.1.9) within its validity, with the SHA-1 thumbprint Microsoft's
//! `ClientCertificateInstall` CSP expects in `SCEP/{id}/Install/CAThumbprint`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_parser::pem::Pem;

/// PEM armor of a certificate (RFC 7468, section 5).
const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
/// Closing PEM armor of a certificate (RFC 7468, section 5).
const PEM_END: &str = "-----END CERTIFICATE-----";

/// A CA certificate that passed [`parse_ca_certificate`]: what is stored and shown to the admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaCertificate {
    /// The certificate as normalized PEM (RFC 7468): one `CERTIFICATE` block, 64-character lines, final newline.
    pub pem: String,
    /// The subject distinguished name as x509-parser displays it (RFC 4514-like, e.g. `CN=Okta CA, O=Okta`).
    pub subject: String,
    /// The issuer distinguished name, in the same form as `subject`.
    pub issuer: String,
    /// Start of validity (`notBefore`), UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity (`notAfter`), UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// SHA-1 of the DER encoding as 40 upper-case hex characters, the form Microsoft's ClientCertificateInstall
    /// CSP takes in `CAThumbprint`.
    pub sha1_thumbprint: String,
}

impl CaCertificate {
    /// The certificate's DER bytes, decoded from the stored PEM. Errors: [`CertError::Unreadable`] if the stored
    /// PEM no longer decodes.
    pub fn der(&self) -> Result<Vec<u8>, CertError> {
        x509_parser::pem::parse_x509_pem(self.pem.as_bytes())
            .map(|(_, pem)| pem.contents)
            .map_err(|e| CertError::Unreadable(e.to_string()))
    }
}

/// Why a pasted CA certificate was refused. The messages read as the end of a sentence about the
/// certificate ("the CA certificate …") and are returned to the admin.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CertError {
    /// Not PEM, not base64 of DER, or the DER is not an X.509 certificate; the detail says which.
    #[error("is not a readable X.509 certificate (expected PEM or base64 DER): {0}")]
    Unreadable(String),
    /// The certificate has no basicConstraints extension, or it says `CA:false` (RFC 5280 4.2.1.9).
    #[error("is a leaf certificate, not a CA (basicConstraints CA:true is required)")]
    NotCa,
    /// `notBefore` (carried, UTC) is later than now.
    #[error("is not valid yet: its validity starts {}", rfc3339(.0))]
    NotYetValid(OffsetDateTime),
    /// `notAfter` (carried, UTC) is earlier than now.
    #[error("expired {}", rfc3339(.0))]
    Expired(OffsetDateTime),
    /// The input holds more than one certificate (a chain or a bundle).
    #[error("holds more than one certificate; paste exactly the issuing CA certificate")]
    Several,
}

/// `t` as RFC 3339, falling back to the `time` crate's own display if formatting fails.
fn rfc3339(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// Parses and checks one CA certificate given as PEM (`-----BEGIN CERTIFICATE-----`, whitespace around it
/// allowed) or as base64 of its DER (whitespace and line breaks inside allowed), valid at `now`.
///
/// # Errors
/// [`CertError::Unreadable`] for input that is neither form or not X.509 (RFC 5280), [`CertError::Several`] for
/// more than one certificate, and the errors of [`parse_ca_certificate_der`].
pub fn parse_ca_certificate(input: &str, now: OffsetDateTime) -> Result<CaCertificate, CertError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(CertError::Unreadable("the input is empty".to_string()));
    }
    if input.contains("-----BEGIN") {
        // Lines may be indented (pasted from YAML or an email); the PEM reader wants armor at line starts.
        let lines: Vec<&str> = input.lines().map(str::trim).collect();
        let text = lines.join("\n");
        let mut certs = Vec::new();
        for block in Pem::iter_from_buffer(text.as_bytes()) {
            let pem = block.map_err(|e| CertError::Unreadable(format!("bad PEM: {e}")))?;
            if pem.label != "CERTIFICATE" {
                return Err(CertError::Unreadable(format!(
                    "holds a `{}` PEM block, not only `CERTIFICATE`",
                    pem.label
                )));
            }
            certs.push(pem);
        }
        let first = match certs.as_slice() {
            [] => return Err(CertError::Unreadable("no PEM block found".to_string())),
            [one] => one,
            _ => return Err(CertError::Several),
        };
        return parse_ca_certificate_der(&first.contents, now);
    }
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| CertError::Unreadable(format!("neither PEM nor base64 DER ({e})")))?;
    parse_ca_certificate_der(&der, now)
}

/// Parses and checks one DER-encoded X.509 certificate (RFC 5280) as a CA valid at `now`.
///
/// # Errors
/// [`CertError::Unreadable`] if `der` is not one X.509 certificate, [`CertError::Several`] if a second
/// certificate follows it, [`CertError::NotCa`] without basicConstraints `CA:true`,
/// [`CertError::NotYetValid`] if `now < notBefore`, [`CertError::Expired`] if `now > notAfter`.
pub fn parse_ca_certificate_der(der: &[u8], now: OffsetDateTime) -> Result<CaCertificate, CertError> {
    let (rest, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| CertError::Unreadable(format!("not X.509: {e}")))?;
    if !rest.is_empty() {
        if x509_parser::parse_x509_certificate(rest).is_ok() {
            return Err(CertError::Several);
        }
        return Err(CertError::Unreadable(format!("{} bytes of trailing data after the certificate", rest.len())));
    }
    let ca = cert
        .basic_constraints()
        .map_err(|e| CertError::Unreadable(format!("bad basicConstraints extension: {e}")))?
        .is_some_and(|bc| bc.value.ca);
    if !ca {
        return Err(CertError::NotCa);
    }
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    if now < not_before {
        return Err(CertError::NotYetValid(not_before));
    }
    if now > not_after {
        return Err(CertError::Expired(not_after));
    }
    Ok(CaCertificate {
        pem: to_pem(der),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before,
        not_after,
        sha1_thumbprint: hex::encode_upper(Sha1::digest(der)),
    })
}

/// `der` as one PEM `CERTIFICATE` block with 64-character lines (RFC 7468, section 2).
fn to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + PEM_BEGIN.len() + PEM_END.len() + 4);
    out.push_str(PEM_BEGIN);
    out.push('\n');
    // Base64 output is ASCII, so splitting its bytes keeps valid UTF-8.
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(PEM_END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, IsCa, KeyPair};

    fn is_upper_hex40(s: &str) -> bool {
        s.len() == 40 && s.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    }

    fn ca_params() -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "Test Okta CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
    }

    #[test]
    fn a_real_ca_from_the_system_bundle() {
        let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap();
        let now = OffsetDateTime::now_utc();
        let mut found = None;
        for block in bundle.split(PEM_END).filter(|b| b.contains(PEM_BEGIN)) {
            let pem = format!("\n  {}\n  {PEM_END}\n\n", block.trim());
            // Expired roots and old v1 roots without basicConstraints are skipped.
            if let Ok(ca) = parse_ca_certificate(&pem, now) {
                found = Some((pem, ca));
                break;
            }
        }
        let (pem, ca) = found.expect("a valid CA in the system bundle");
        assert!(is_upper_hex40(&ca.sha1_thumbprint), "{}", ca.sha1_thumbprint);
        assert!(!ca.subject.is_empty());
        assert!(ca.pem.starts_with(PEM_BEGIN) && ca.pem.ends_with("-----END CERTIFICATE-----\n"));
        // The same certificate as base64 DER, line breaks kept inside.
        let b64: String = pem.lines().filter(|l| !l.contains("-----")).collect::<Vec<_>>().join("\n");
        let again = parse_ca_certificate(&b64, now).unwrap();
        assert_eq!(again.sha1_thumbprint, ca.sha1_thumbprint);
        assert_eq!(again, ca);
        // The normalized PEM parses back to the same thing.
        assert_eq!(parse_ca_certificate(&ca.pem, now).unwrap(), ca);
    }

    #[test]
    fn b_leaf_is_refused() {
        let mut params = CertificateParams::new(vec!["leaf.example".into()]).unwrap();
        params.is_ca = IsCa::NoCa;
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
        assert_eq!(parse_ca_certificate(&cert.pem(), OffsetDateTime::now_utc()), Err(CertError::NotCa));
        assert_eq!(
            CertError::NotCa.to_string(),
            "is a leaf certificate, not a CA (basicConstraints CA:true is required)"
        );
    }

    #[test]
    fn c_expired_ca_is_refused() {
        let mut params = ca_params();
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
        let err = parse_ca_certificate(&cert.pem(), OffsetDateTime::now_utc()).unwrap_err();
        assert_eq!(err, CertError::Expired(date_time_ymd(2021, 1, 1)));
        assert_eq!(err.to_string(), "expired 2021-01-01T00:00:00Z");
        // Before its start it is not yet valid.
        let early = date_time_ymd(2019, 6, 1);
        assert_eq!(parse_ca_certificate(&cert.pem(), early), Err(CertError::NotYetValid(date_time_ymd(2020, 1, 1))));
    }

    #[test]
    fn d_garbage_is_unreadable() {
        let now = OffsetDateTime::now_utc();
        for bad in ["hello, world", "", "   ", "AAAA", "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"] {
            assert!(matches!(parse_ca_certificate(bad, now), Err(CertError::Unreadable(_))), "{bad:?}");
        }
        let key = KeyPair::generate().unwrap().serialize_pem();
        assert!(matches!(parse_ca_certificate(&key, now), Err(CertError::Unreadable(_))));
    }

    #[test]
    fn e_two_blocks_are_several() {
        let a = ca_params().self_signed(&KeyPair::generate().unwrap()).unwrap();
        let b = ca_params().self_signed(&KeyPair::generate().unwrap()).unwrap();
        let now = OffsetDateTime::now_utc();
        assert_eq!(parse_ca_certificate(&format!("{}\n{}", a.pem(), b.pem()), now), Err(CertError::Several));
        let mut der = a.der().to_vec();
        der.extend_from_slice(b.der());
        assert_eq!(parse_ca_certificate(&STANDARD.encode(&der), now), Err(CertError::Several));
    }

    #[test]
    fn f_valid_ca_with_independent_thumbprint() {
        let cert = ca_params().self_signed(&KeyPair::generate().unwrap()).unwrap();
        let ca = parse_ca_certificate(&cert.pem(), OffsetDateTime::now_utc()).unwrap();
        let mut h = Sha1::new();
        h.update(cert.der().as_ref());
        assert_eq!(ca.sha1_thumbprint, hex::encode(h.finalize()).to_uppercase());
        assert!(is_upper_hex40(&ca.sha1_thumbprint));
        assert_eq!(ca.subject, "CN=Test Okta CA");
        assert_eq!(ca.issuer, ca.subject);
        let der = parse_ca_certificate_der(cert.der(), OffsetDateTime::now_utc()).unwrap();
        assert_eq!(der, ca);
        // Serde round trip with RFC 3339 times.
        let json = serde_json::to_string(&ca).unwrap();
        assert_eq!(serde_json::from_str::<CaCertificate>(&json).unwrap(), ca);
    }
}

/// Properties of the CA certificate parser (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, IsCa, KeyPair};

    /// A CA certificate with a generated common name and validity, with `now` inside the validity.
    fn ca() -> impl Strategy<Value = (Vec<u8>, String, OffsetDateTime)> {
        ("[A-Za-z0-9 .,'=+-]{1,40}", 2000i32..2040, 1i32..30, 0u8..12).prop_map(|(cn, from, years, month)| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(rcgen::DnType::CommonName, cn);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.not_before = date_time_ymd(from, 1, 1);
            params.not_after = date_time_ymd(from + years, 1, 1);
            let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
            let now = date_time_ymd(from, month + 1, 15);
            (cert.der().to_vec(), cert.pem(), now)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Fails if the normalized PEM, the base64 form (any line width, indented) or the DER gave a different
        /// certificate, or if the thumbprint were not the SHA-1 of the DER.
        #[test]
        fn accepts_what_it_renders((der, pem, now) in ca(), width in 1usize..120, indent in "[ \t]{0,4}") {
            let ca = parse_ca_certificate(&pem, now).unwrap();
            prop_assert_eq!(&ca.sha1_thumbprint, &hex::encode_upper(Sha1::digest(&der)));
            prop_assert_eq!(parse_ca_certificate(&ca.pem, now), Ok(ca.clone()));
            prop_assert_eq!(parse_ca_certificate_der(&der, now), Ok(ca.clone()));
            let b64 = STANDARD.encode(&der);
            let wrapped: Vec<String> =
                b64.as_bytes().chunks(width).map(|c| format!("{indent}{}", String::from_utf8_lossy(c))).collect();
            prop_assert_eq!(parse_ca_certificate(&wrapped.join("\n"), now), Ok(ca.clone()));
            let indented: Vec<String> = ca.pem.lines().map(|l| format!("{indent}{l}")).collect();
            prop_assert_eq!(parse_ca_certificate(&indented.join("\n"), now), Ok(ca.clone()));
        }

        /// Fails on a panic for a corrupted certificate (a byte changed, cut short, bytes appended).
        #[test]
        fn never_panics_on_damaged_der((der, _pem, now) in ca(), at in any::<prop::sample::Index>(), byte in any::<u8>(),
            cut in any::<prop::sample::Index>(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
            let mut bad = der.clone();
            let i = at.index(bad.len());
            bad[i] = byte;
            let _ = parse_ca_certificate_der(&bad, now);
            let _ = parse_ca_certificate(&STANDARD.encode(&bad), now);
            let _ = parse_ca_certificate_der(&der[..cut.index(der.len())], now);
            let mut longer = der.clone();
            longer.extend(tail);
            let _ = parse_ca_certificate_der(&longer, now);
        }

        /// Fails on a panic for any text or bytes (PEM armor around garbage, stray labels, invalid base64).
        #[test]
        fn never_panics_on_any_input(text in prop_oneof![any::<String>(),
            "(-----BEGIN [A-Z ]{0,12}-----\n)?[A-Za-z0-9+/= \n]{0,80}(\n-----END CERTIFICATE-----)?"],
            bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let now = OffsetDateTime::now_utc();
            let _ = parse_ca_certificate(&text, now);
            let _ = parse_ca_certificate_der(&bytes, now);
        }
    }
}
