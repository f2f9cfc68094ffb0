//! Errors of the Okta client, typed by what the caller must do about them.

use time::OffsetDateTime;

/// An Okta call that did not succeed. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OktaError {
    /// The token endpoint refused (RFC 6749 §5.2): `invalid_client`, `invalid_scope`, `invalid_request`, ….
    #[error("Okta refused the token request: {error} ({description})")]
    OAuth { status: u16, error: String, description: String },
    /// The app lacks scopes the product needs (found by asking for each one alone).
    #[error("the Okta app is not granted these scopes: {}", .0.join(", "))]
    MissingScopes(Vec<String>),
    /// A Management API error, by Okta's `errorCode` (E0000006 forbidden, E0000007 not found, …).
    #[error("Okta answered {status} {code}: {summary}")]
    Api { status: u16, code: String, summary: String },
    /// Still rate limited after waiting as long as allowed; `retry_at` is Okta's reset time.
    #[error("Okta rate limit: try again after {retry_at}")]
    RateLimited { retry_at: OffsetDateTime },
    /// Okta could not be reached (DNS, connect, TLS, timeout), after bounded retries.
    #[error("Okta could not be reached: {0}")]
    Unreachable(String),
    /// Okta answered something the client cannot read (truncated page, foreign `next` link, …).
    #[error("unexpected answer from Okta: {0}")]
    Protocol(String),
    /// The private key could not be used to sign a client assertion.
    #[error("the private key cannot sign: {0}")]
    InvalidKey(String),
}

impl OktaError {
    /// Okta's `errorCode` (Management API) or OAuth `error`, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            OktaError::OAuth { error, .. } => Some(error),
            OktaError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
