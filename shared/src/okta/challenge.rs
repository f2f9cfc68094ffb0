//! Okta's dynamic SCEP challenge, fetched by the MDM server for one device: `GET <challenge URL>` with HTTP Basic
//! (the username and password Okta showed once when the admin set up the dynamic challenge), answered with a page
//! holding one single-use challenge.
//!
//! Sources: Okta help "Configure Okta CA with dynamic SCEP challenge for macOS (Jamf)" (okta-help
//! `okta-ca-dynamic-scep-macos-jamf.htm`, the challenge URL, username and password; type "Dynamic-Microsoft CA")
//! and "Configure the Okta CA" (`configure-ca-main.htm`: one short-lived, single-use challenge per device). Okta
//! does not publish the answer's shape; [`parse_challenge`] follows third-party MDM servers that talk to it
//! (fleetdm/fleet issues #46990, #47492, #49552; zentralopensource/zentral
//! `zentral/contrib/mdm/scep/microsoft_ca.py`), which read NDES's `mscep_admin` page: `... The enrollment challenge
//! password is: <B> XXXX </B> ...`. UNVERIFIED against Okta: that shape lives in [`parse_challenge`] only, and an
//! answer without it is reported as [`ChallengeError::Unrecognised`] (the real system refusing our reading).

use crate::attestation::challenge::check_scep_challenge;
use crate::outbound::{parse_host, Outbound};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Fetches per device before giving up on challenges Windows would refuse (see [`fetch_printable`]).
pub const MAX_FETCHES: u32 = 3;

/// Why no challenge could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// The stored challenge URL no longer passes the outbound rules.
    #[error("the challenge URL is refused: {0}")]
    Url(String),
    /// Okta refused the username and password (401 or 403).
    #[error("Okta refused the challenge username and password (HTTP {0})")]
    Refused(u16),
    /// Okta answered 429; `retry_after_secs` from `Retry-After` or `X-Rate-Limit-Reset` when given.
    #[error("Okta throttled the challenge URL")]
    Throttled { retry_after_secs: Option<u64> },
    /// Any other status, or no answer.
    #[error("the challenge URL failed: {0}")]
    Unreachable(String),
    /// The answer holds no `challenge password is: <B> … </B>` (the unverified shape, see the module doc).
    #[error(
        "the challenge URL's answer holds no challenge in the expected form (`challenge password is: <B> … </B>`)"
    )]
    Unrecognised,
    /// Every fetch gave a challenge that Windows SCEP enrollment refuses (not an ASN.1 PrintableString).
    #[error("Okta gave {0} challenges in a row that SCEP enrollment would refuse (not ASN.1 PrintableString)")]
    NotPrintable(u32),
}

/// The challenge in a challenge URL answer: the text between `<B>` and `</B>` after `challenge password is:`
/// (case-insensitive), trimmed; `None` when the answer has no such part or it is empty.
///
/// UNVERIFIED: the NDES `mscep_admin` page shape as third-party MDM servers read it (module doc); the one place
/// this product assumes it.
pub fn parse_challenge(answer: &str) -> Option<String> {
    let lower = answer.to_ascii_lowercase();
    let after = lower.find("challenge password is:")? + "challenge password is:".len();
    let open = lower[after..].find("<b>")? + after + 3;
    let close = lower[open..].find("</b>")? + open;
    let c = answer[open..close].trim();
    (!c.is_empty()).then(|| c.to_string())
}

/// One `GET url` with HTTP Basic `username:password`; the challenge in the answer (see [`parse_challenge`]).
/// The URL's host goes through the outbound rules again (it was checked in full when saved); connections reach
/// public addresses only (the [`Outbound`] client). Errors: see [`ChallengeError`].
pub async fn fetch_challenge(
    outbound: &Outbound,
    url: &str,
    username: &str,
    password: &SecretString,
) -> Result<SecretString, ChallengeError> {
    let parsed = url::Url::parse(url).map_err(|e| ChallengeError::Url(e.to_string()))?;
    if parsed.scheme() != "https" || parsed.port().is_some() {
        return Err(ChallengeError::Url("not an https URL on the standard port".into()));
    }
    parse_host(parsed.host_str().unwrap_or_default()).map_err(|e| ChallengeError::Url(e.to_string()))?;
    let target = outbound.route(&parsed).map_err(ChallengeError::Url)?;
    let answer = outbound
        .http()
        .get(target)
        .basic_auth(username, Some(password.expose_secret()))
        .send()
        .await
        .map_err(|e| ChallengeError::Unreachable(e.without_url().to_string()))?;
    let status = answer.status().as_u16();
    match status {
        200 => {}
        401 | 403 => return Err(ChallengeError::Refused(status)),
        429 => {
            // Every value counts, the longest wait binds (case C25): Retry-After, else Okta's latest reset.
            let now = time::OffsetDateTime::now_utc();
            let headers = answer.headers();
            let reset = || crate::rate_headers::latest_reset(headers).map(|r| (r - now).whole_seconds().max(1) as u64);
            let secs = crate::rate_headers::retry_after_secs(headers, now).or_else(reset);
            return Err(ChallengeError::Throttled { retry_after_secs: secs });
        }
        s => return Err(ChallengeError::Unreachable(format!("HTTP {s}"))),
    }
    let text = answer.text().await.map_err(|e| ChallengeError::Unreachable(e.without_url().to_string()))?;
    parse_challenge(&text).map(SecretString::from).ok_or(ChallengeError::Unrecognised)
}

/// A challenge SCEP enrollment accepts (case C01's rule: ASN.1 PrintableString, 1–255 characters): fetched again,
/// at most [`MAX_FETCHES`] times in all, while Okta gives one it would refuse (Okta's challenges may hold `_`,
/// MDM.md §4 [3P]); a refused one is dropped, never delivered. `pause` between fetches. Errors: the fetch's, or
/// [`ChallengeError::NotPrintable`] after [`MAX_FETCHES`] refused ones.
pub async fn fetch_printable(
    outbound: &Outbound,
    url: &str,
    username: &str,
    password: &SecretString,
    pause: Duration,
) -> Result<SecretString, ChallengeError> {
    for n in 0..MAX_FETCHES {
        if n > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let c = fetch_challenge(outbound, url, username, password).await?;
        if check_scep_challenge(c.expose_secret()).is_ok() {
            return Ok(c);
        }
        tracing::info!(attempt = n + 1, "Okta's challenge is not a PrintableString; fetching another");
    }
    Err(ChallengeError::NotPrintable(MAX_FETCHES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_read_from_the_mscep_admin_form() {
        let page = "<HTML><Body>The thumbprint (hash value) for the CA certificate is: <B> 1A2B </B> <P> \
                    The enrollment challenge password is: <B> 8F2C1D0E9A7B6C5D </B> <P> This password can be \
                    used only once</Body></HTML>";
        assert_eq!(parse_challenge(page).as_deref(), Some("8F2C1D0E9A7B6C5D"));
        assert_eq!(parse_challenge("challenge PASSWORD is: <b>Ab-12</b>").as_deref(), Some("Ab-12"));
    }

    #[test]
    fn an_answer_without_the_form_has_no_challenge() {
        assert_eq!(parse_challenge("<B> 1A2B </B>"), None, "a bold part not after the phrase");
        assert_eq!(parse_challenge("challenge password is: <B>  </B>"), None, "empty");
        assert_eq!(parse_challenge("challenge password is: <B> x"), None, "unclosed");
        assert_eq!(parse_challenge("{\"challenge\":\"x\"}"), None);
    }
}
