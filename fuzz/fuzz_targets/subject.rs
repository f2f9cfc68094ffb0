//! The certificate Subject an admin types: any text parses or gives a reason, never a panic; an accepted Subject
//! written back in RFC 4514 form parses to the same Subject (unless escaping took it over the
//! 1024-character limit), and renders for Apple and Windows without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use odt_shared::attestation::subject::parse_subject;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(subject) = parse_subject(text) {
        let keep = |name: &str| ["{{", name, "}}"].concat();
        let written = subject.to_rfc4514(keep);
        match parse_subject(&written) {
            Ok(again) => assert_eq!(again, subject, "{text:?} -> {written:?}"),
            // Escaping lengthens (a control character becomes `\XX`): only the length limit may refuse it.
            Err(e) => assert!(written.chars().count() > 1024 && e.contains("at most 1024"), "{written:?}: {e}"),
        }
        let _ = subject.to_apple_subject(|name| format!("%{name}%"));
        let _ = subject.to_windows_subject_name(|name| format!("%{name}%"));
    }
});
