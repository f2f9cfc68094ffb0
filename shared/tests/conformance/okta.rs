//! Okta's documented keys and values per platform, read from `tests/fixtures/okta-device-trust/device-trust.yaml`
//! (a transcription of `okta/MDM.md` sections 1-4, each entry naming its Okta help page).

use serde_yaml::Value;
use std::path::PathBuf;

/// The fixture, parsed.
pub fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/okta-device-trust/device-trust.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `okta[platform][section]` as a map of key → value.
pub fn section<'a>(okta: &'a Value, platform: &str, section: &str) -> Vec<(&'a str, &'a Value)> {
    okta[platform][section]
        .as_mapping()
        .unwrap_or_else(|| panic!("{platform}.{section} missing from the fixture"))
        .iter()
        .map(|(k, v)| (k.as_str().unwrap(), v))
        .collect()
}

/// Whether `s` is a bare host: no scheme, path, port or upper case.
pub fn is_bare_host(s: &str) -> bool {
    !s.is_empty()
        && !s.contains("://")
        && !s.contains('/')
        && !s.contains(':')
        && s == s.to_ascii_lowercase()
        && s.split('.').count() >= 2
}

/// Whether plist value `v` equals the fixture's `want` (string, integer or boolean).
pub fn plist_eq(v: Option<&plist::Value>, want: &Value) -> bool {
    match (v, want) {
        (Some(plist::Value::String(s)), Value::String(w)) => s == w,
        (Some(plist::Value::Integer(i)), Value::Number(n)) => i.as_signed() == n.as_i64(),
        (Some(plist::Value::Boolean(b)), Value::Bool(w)) => b == w,
        _ => false,
    }
}
