//! Management attestation: the per-platform settings' validation rules and the documents each platform receives.
//!
//! - [`challenge`]: SCEP challenge characters (ASN.1 PrintableString; case C01).
//! - [`cert`]: the Okta CA certificate (PEM or DER), checked to be a CA within its validity, with its SHA-1 thumbprint.
//! - [`subject`]: the certificate Subject, a valid X.500 distinguished name with documented variables.
//! - [`payload`]: the documents: iOS managed app config, Android managed configuration, the macOS configuration
//!   profile (SCEP at user scope + Okta Verify SSO extension), the Windows `ClientCertificateInstall` SCEP SyncML.
//! - [`freshness`]: when a SCEP platform's attestation is delivered again (renewal, never managed).
//! - [`render`]: a platform record rendered into its document with real secrets (deployment), masked (previews)
//!   or secret version ids (the content hash).

pub mod cert;
pub mod challenge;
pub mod freshness;
pub mod payload;
pub mod render;
pub mod subject;
