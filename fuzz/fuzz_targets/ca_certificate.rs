//! The CA certificate an admin pastes in: any text (PEM, base64 DER, garbage) and any DER bytes give a checked
//! certificate or an error, never a panic; an accepted certificate parses again from its own normalized PEM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use odt_shared::attestation::cert::{parse_ca_certificate, parse_ca_certificate_der};
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    // A fixed instant, so a run is reproducible (2026-01-01T00:00:00Z).
    let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("a valid instant");
    if let Ok(ca) = parse_ca_certificate_der(data, now) {
        assert_eq!(parse_ca_certificate(&ca.pem, now).as_ref(), Ok(&ca));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ca) = parse_ca_certificate(text, now) {
            assert_eq!(parse_ca_certificate(&ca.pem, now).as_ref(), Ok(&ca));
        }
    }
});
