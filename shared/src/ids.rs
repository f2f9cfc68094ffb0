//! Identifiers: the product's own ids (prefix + random) and the check every id from a path or body passes
//! before it is used in a key.

/// A new id `"<prefix>_<32 hex>"`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Whether `s` is usable as an id in a key or a secret name: 1..=128 characters of `A-Z a-z 0-9 _ -`
/// (Okta ids such as `00g1emaKYZTWRYYRRTSK` and Hexnode's numeric ids pass; `../x`, `a/b`, `a#b` do not).
pub fn is_safe_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn safe_ids() {
        assert!(is_safe_id("00g1emaKYZTWRYYRRTSK"));
        assert!(is_safe_id(&new_id("org")));
        for bad in ["", "../x", "a/b", "a#b", "a b", "é", &"x".repeat(129)] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }
}
