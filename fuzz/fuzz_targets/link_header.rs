//! Okta's `Link` headers: any header values give a next link or none, never a panic; a next link found is a
//! substring of the input (taken as given, never re-encoded).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Several header values, as a response with more than one `Link` header carries them.
    let values: Vec<&str> = text.split('\n').collect();
    if let Some(next) = odt_shared::okta::link::next_link(values.iter().copied()) {
        assert!(values.iter().any(|v| v.contains(next.as_str())), "{next:?} not in the input");
    }
});
