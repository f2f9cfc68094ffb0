//! The SCEP challenge's character rule (case C01).
//!
//! Windows puts the challenge in the certificate request's `challengePassword` attribute as an ASN.1
//! PrintableString, so any other character makes the enrollment fail on the device. PrintableString is
//! `A-Z a-z 0-9`, space and `' ( ) + , - . / : = ?` (ITU-T X.680, 41.4, table 10).

/// Longest challenge accepted, in characters.
const MAX_LEN: usize = 255;

/// Whether `c` is an ASN.1 PrintableString character (ITU-T X.680, table 10).
fn is_printable(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '\'' | '(' | ')' | '+' | ',' | '-' | '.' | '/' | ':' | '=' | '?')
}

/// The distinct characters of `s`, in first-seen order, that are not ASN.1 PrintableString characters
/// (`A-Z a-z 0-9`, space and `' ( ) + , - . / : = ?`, ITU-T X.680). Empty when `s` is all printable.
pub fn non_printable_chars(s: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in s.chars() {
        if !is_printable(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Checks a static SCEP challenge for Windows enrollment (case C01).
///
/// # Errors
/// A human-readable reason when `s` is empty, longer than 255 characters, or holds characters outside
/// ASN.1 PrintableString (each offending character is named once, in first-seen order).
pub fn check_scep_challenge(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".to_string());
    }
    let len = s.chars().count();
    if len > MAX_LEN {
        return Err(format!("is {len} characters long; at most {MAX_LEN} are allowed"));
    }
    let bad = non_printable_chars(s);
    if bad.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = bad.iter().map(|c| format!("`{c}`")).collect();
    Err(format!(
        "contains characters Windows SCEP enrollment refuses: {} (only A-Z a-z 0-9, space and ' ( ) + , - . / : = ? are allowed)",
        named.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c01_windows_static_scep_challenge() {
        let err = check_scep_challenge("Ab_12!xy").unwrap_err();
        assert!(err.contains("`_`"), "{err}");
        assert!(err.contains("`!`"), "{err}");
        assert_eq!(
            err,
            "contains characters Windows SCEP enrollment refuses: `_`, `!` (only A-Z a-z 0-9, space and ' ( ) + , - . / : = ? are allowed)"
        );
        assert_eq!(check_scep_challenge("Ab12-xy.Q"), Ok(()));
    }

    #[test]
    fn every_allowed_punctuation_is_accepted() {
        assert_eq!(check_scep_challenge("a b'c(d)e+f,g-h.i/j:k=l?m"), Ok(()));
        for c in [' ', '\'', '(', ')', '+', ',', '-', '.', '/', ':', '=', '?'] {
            assert_eq!(check_scep_challenge(&format!("x{c}y")), Ok(()), "{c:?}");
        }
        assert_eq!(check_scep_challenge("ABCXYZabcxyz0189"), Ok(()));
    }

    #[test]
    fn non_ascii_and_other_symbols_are_refused() {
        let err = check_scep_challenge("caf\u{e9}").unwrap_err();
        assert!(err.contains("`\u{e9}`"), "{err}");
        for c in ['_', '!', '@', '#', '$', '%', '&', '*', '"', ';', '<', '>', '\\', '\t', '~'] {
            assert!(check_scep_challenge(&format!("x{c}y")).is_err(), "{c:?}");
        }
    }

    #[test]
    fn distinct_in_first_seen_order() {
        assert_eq!(non_printable_chars("a!_!b_@"), vec!['!', '_', '@']);
        assert!(non_printable_chars("Ab12-xy.Q").is_empty());
    }

    #[test]
    fn empty_and_too_long_are_refused() {
        assert!(check_scep_challenge("").is_err());
        assert_eq!(check_scep_challenge(&"a".repeat(255)), Ok(()));
        assert!(check_scep_challenge(&"a".repeat(256)).is_err());
    }
}
