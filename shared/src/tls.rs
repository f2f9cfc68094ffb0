//! The TLS roots every outbound HTTPS client trusts (the AWS SDK's and [`crate::outbound::Outbound`]'s):
//! Mozilla's root set as the `webpki-root-certs` crate compiles it in, so a cold start reads and parses no
//! certificate files. Reading the machine's store (what both stacks do by default) was most of a function's
//! init: 15-25 ms of 20-30 ms on the benchmark machine, once for each stack (BENCHMARKS.md, cold start). Okta
//! orgs, Hexnode portals and AWS endpoints all chain to roots in that set.

use rustls_pki_types::CertificateDer;

/// The trusted roots, DER.
pub fn roots() -> &'static [CertificateDer<'static>] {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
}

/// The trusted roots as one PEM bundle (what the SDK's trust store takes).
pub fn roots_pem() -> String {
    use base64::Engine;
    let mut out = String::with_capacity(roots().len() * 2200);
    for der in roots() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if the PEM bundle lost or changed a root on the way (the SDK would then trust another set).
    #[test]
    fn the_pem_bundle_holds_every_root_unchanged() {
        use rustls_pki_types::pem::PemObject;
        let back: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(roots_pem().as_bytes()).collect::<Result<_, _>>().unwrap();
        assert!(roots().len() > 100, "Mozilla's set");
        assert_eq!(back.as_slice(), roots());
    }
}
