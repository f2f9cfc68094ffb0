//! How an Okta failure is told to the admin: Okta's own error code, the field to fix, and no secrets.

use http::StatusCode;
use odt_shared::okta::OktaError;
use odt_shared::ApiError;
use serde_json::json;

/// Maps an [`OktaError`] met while verifying the credentials an admin entered: an org that cannot be reached is
/// then the admin's input to fix (400 naming `domain`), not an outage.
pub fn to_api_at_connect(e: OktaError) -> ApiError {
    match e {
        OktaError::OAuth { error, description, .. } if error == "invalid_client" => {
            ApiError::bad_request("okta_invalid_client", format!("Okta refused the client credentials: {description}"))
                .with_field("credentials")
                .with_detail("oktaError", json!(error))
        }
        OktaError::Unreachable(why) => {
            ApiError::invalid("domain", format!("the Okta org could not be reached at this domain: {why}"))
        }
        e => to_api(e),
    }
}

/// Maps an [`OktaError`] met while using an org's stored credentials.
pub fn to_api(e: OktaError) -> ApiError {
    match e {
        e if e.rejects_credentials() => e.stored_credentials_rejected(),
        OktaError::OAuth { error, description, .. } if error == "invalid_client" => {
            ApiError::bad_request("okta_invalid_client", format!("Okta refused the client credentials: {description}"))
                .with_field("credentials")
                .with_detail("oktaError", json!(error))
        }
        OktaError::OAuth { error, description, .. } => {
            ApiError::bad_request("okta_oauth_error", format!("Okta refused the token request: {error}: {description}"))
                .with_field("credentials")
                .with_detail("oktaError", json!(error))
        }
        OktaError::MissingScopes(missing) => ApiError::bad_request(
            "okta_missing_scopes",
            format!(
                "grant these Okta API scopes to the app (Admin Console › Applications › the app › Okta API Scopes): {}",
                missing.join(", ")
            ),
        )
        .with_field("credentials")
        .with_detail("oktaError", json!("invalid_scope"))
        .with_detail("missingScopes", json!(missing)),
        OktaError::Api { status, code, summary } if status == 403 || code == "E0000006" => ApiError::bad_request(
            "okta_forbidden",
            format!(
                "Okta answered {code}: {summary}; give the app an admin role that can read users, groups and devices"
            ),
        )
        .with_field("credentials")
        .with_detail("oktaErrorCode", json!(code)),
        OktaError::Api { status, code, summary } if status >= 500 => ApiError::upstream(
            StatusCode::BAD_GATEWAY,
            "okta_unavailable",
            format!("Okta answered {status} {code}: {summary}"),
        )
        .with_detail("oktaErrorCode", json!(code)),
        OktaError::Api { status, code, summary } => {
            ApiError::bad_request("okta_error", format!("Okta answered {status} {code}: {summary}"))
                .with_detail("oktaErrorCode", json!(code))
        }
        OktaError::RateLimited { retry_at } => ApiError::upstream(
            StatusCode::SERVICE_UNAVAILABLE,
            "okta_rate_limited",
            "Okta's rate limit is exhausted; try again after the reset time",
        )
        .with_detail("retryAt", json!(odt_shared::clock::rfc3339(retry_at))),
        OktaError::Unreachable(why) => ApiError::upstream(
            StatusCode::BAD_GATEWAY,
            "okta_unreachable",
            format!("the Okta org could not be reached: {why}"),
        )
        .with_field("domain"),
        OktaError::Protocol(why) => {
            ApiError::upstream(StatusCode::BAD_GATEWAY, "okta_protocol", format!("unexpected answer from Okta: {why}"))
        }
        OktaError::InvalidKey(why) => {
            ApiError::invalid("credentials.privateKey", format!("the private key cannot sign: {why}"))
        }
    }
}
