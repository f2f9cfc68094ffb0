//! Values are checked in the form they will be used in (issue 19): a path parameter, a host or a URL that would
//! only become a valid id, host or path once decoded is refused, never decoded into one. The one rule for every
//! function's path parameters ([`path_param`]: `router::resolve` and the event hook's door apply it) and for every
//! host and URL a body carries ([`url_text`]: `outbound::parse_host` and `api::https_url` apply it).

use crate::error::ApiError;
use crate::ids::is_safe_id;

/// A path parameter named `name` as the function received it. Ids are `[A-Za-z0-9_-]{1,128}`
/// ([`is_safe_id`]), so none ever needs encoding: a `%` means the value was encoded (API Gateway hands a function
/// the path decoded once, so there it was encoded twice; the local front hands it on as sent), and such a value is
/// refused, not decoded (`%2F`, `%2E%2E`, `%69os`, `%2569os`). Errors: 400 `invalid_field` naming `name`, for an
/// encoded value and for one that is not an id.
pub fn path_param<'a>(name: &str, raw: &'a str) -> Result<&'a str, ApiError> {
    if raw.contains('%') {
        return Err(ApiError::invalid(
            name,
            format!("{name} is used as sent: a percent-encoded character is refused, not decoded"),
        ));
    }
    if !is_safe_id(raw) {
        return Err(ApiError::invalid(name, format!("{name} must be 1 to 128 of A-Z, a-z, 0-9, _ and -")));
    }
    Ok(raw)
}

/// The escapes that turn into path structure or a second round of decoding where a server decodes a path:
/// `.` (a dot segment), `/`, `\` and `%` itself.
const STRUCTURAL_ESCAPES: [&str; 4] = ["%2e", "%2f", "%5c", "%25"];

/// Whether a host or URL text (trimmed; with or without `https://`) is already in the form it will be used in:
/// its host is plain ASCII without a `%` (a URL parser decodes `acme%2Eokta.com` into `acme.okta.com` and maps
/// full-width or other non-ASCII letters onto other names), nothing in it is whitespace, a control character or a
/// backslash (a URL parser drops the first two and reads the last as `/`), and its path and query carry no escape
/// of `.`, `/`, `\` or `%` ([`STRUCTURAL_ESCAPES`]). Errors: the reason, to follow the field's name.
pub fn url_text(value: &str) -> Result<(), &'static str> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err("holds whitespace, a control character or a backslash, which a URL parser drops or reads as /");
    }
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let (authority, tail) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    if authority.contains('%') || !authority.is_ascii() {
        return Err("must name its host as it is used: no percent-encoded or non-ASCII characters (an international name in its xn-- form)");
    }
    let tail = tail.to_ascii_lowercase();
    if STRUCTURAL_ESCAPES.iter().any(|e| tail.contains(e)) {
        return Err("carries an encoded dot, slash, backslash or percent sign, which decodes into another path");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_taken_as_sent() {
        assert_eq!(path_param("orgId", "org_0123abc-X").unwrap(), "org_0123abc-X");
        for raw in ["%69os", "%2569os", "a%2Fb", "%2E%2E", "..", "a.b", "", "é"] {
            let e = path_param("platform", raw).unwrap_err();
            assert_eq!((e.status.as_u16(), e.field.as_deref()), (400, Some("platform")), "{raw}");
        }
    }

    #[test]
    fn hosts_and_urls_are_taken_as_written() {
        for ok in [
            "acme.okta.com",
            "https://ACME.okta.com/",
            "https://cdn.acme.com/okta/Okta%20Verify.pkg?x=1",
            "https://acme.hexnodemdm.com:443",
        ] {
            assert_eq!(url_text(ok), Ok(()), "{ok}");
        }
        for bad in [
            "acme%2Eokta.com",
            "https://acme%2eokta.com/",
            "https://ａcme.okta.com",
            "https://cdn.acme.com/a/%2E%2E/admin",
            "https://cdn.acme.com/a%2Fb",
            "https://cdn.acme.com/a%252Fb",
            "https://cdn.acme.com\\@evil.com/",
            "https://acme.okta\t.com",
            "https://cdn.acme.com/x?next=%2f%2fevil.com",
        ] {
            assert!(url_text(bad).is_err(), "{bad}");
        }
    }
}
