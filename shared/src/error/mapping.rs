//! The one mapping from a failure to its HTTP answer. Handlers write `?` on any [`Error`] or source error;
//! this module decides the status, the code, the field and the details. Nothing here returns a secret, and an
//! internal cause is logged, never answered.

use super::{ApiError, Credentials, Error};
use crate::okta::OktaError;
use crate::secrets::SecretsError;
use crate::store::StoreError;
use crate::uem::UemError;
use http::StatusCode;
use serde_json::json;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(StoreError::VersionConflict { current }) => ApiError::version_conflict(current.unwrap_or(0)),
            Error::Store(e) => internal("store", e),
            Error::Secrets(e) => internal("secrets", e),
            Error::Okta { error, credentials } => okta(error, credentials),
            Error::Uem { error, credentials } => uem(error, credentials),
            Error::NotConfigured { code, message } | Error::Conflict { code, message } => {
                ApiError::conflict(code, message)
            }
            Error::ScopeMissing { automation, scope } => ApiError::conflict(
                "okta_scope_not_granted",
                format!(
                    "the Okta app of the device-trust org is not granted {scope}: grant it (Admin Console › \
                     Applications › the app › Okta API Scopes), then rotate the org's credentials so the product \
                     sees the new grant; until then {automation} stays a manual step in Okta"
                ),
            )
            .with_detail("automation", json!(automation))
            .with_detail("missingScope", json!(scope)),
            Error::NotFound(what) => ApiError::not_found(what),
            Error::Invalid { field, message } => ApiError::invalid(field, message),
            Error::BudgetSpent { code, budget, limit, retry_at, message } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message)
                    .with_detail("budget", json!(budget))
                    .with_detail("limit", json!(limit))
                    .with_detail("retryAt", json!(crate::clock::rfc3339(retry_at)))
            }
            Error::Internal { what, cause } => internal(what, cause),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Error::from(e).into()
    }
}

impl From<SecretsError> for ApiError {
    fn from(e: SecretsError) -> Self {
        Error::from(e).into()
    }
}

impl From<OktaError> for ApiError {
    fn from(e: OktaError) -> Self {
        Error::from(e).into()
    }
}

impl From<UemError> for ApiError {
    fn from(e: UemError) -> Self {
        Error::from(e).into()
    }
}

/// A failure no route expects: logged here with its cause, answered as a plain 500 that carries nothing internal.
fn internal(what: &'static str, cause: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %cause, what, "internal failure");
    ApiError::internal()
}

/// How an Okta failure is told. With credentials the admin just entered, a refused client is 400
/// `okta_invalid_client` on `credentials` and an unreachable org is 400 on `domain` (their input to fix); with
/// stored credentials, a refused client is 409 `okta_credentials_rejected` (rotate them). Then, either way:
/// other OAuth refusals 400 `okta_oauth_error`, missing scopes 400 `okta_missing_scopes` (with `missingScopes`),
/// 403 400 `okta_forbidden`, 404 400 `okta_not_found`, 5xx 502 `okta_unavailable`, other Management API errors
/// 400 `okta_error` (all with Okta's `oktaErrorCode`), rate limited past the client's wait 503
/// `okta_rate_limited` with `retryAt`, unreachable 502 `okta_unreachable`, an unreadable answer 502
/// `okta_protocol`, a key that cannot sign 400 on `credentials.privateKey`.
fn okta(e: OktaError, credentials: Credentials) -> ApiError {
    match (e, credentials) {
        (OktaError::OAuth { error, description, .. }, Credentials::Entered) if error == "invalid_client" => {
            ApiError::bad_request("okta_invalid_client", format!("Okta refused the client credentials: {description}"))
                .with_field("credentials")
                .with_detail("oktaError", json!(error))
        }
        (OktaError::OAuth { error, .. }, Credentials::Stored) if error == "invalid_client" => ApiError::conflict(
            "okta_credentials_rejected",
            "Okta no longer accepts this org's stored credentials; rotate them with PUT /okta-orgs/{orgId}/credentials",
        )
        .with_detail("oktaError", json!("invalid_client")),
        (OktaError::Unreachable(why), Credentials::Entered) => {
            ApiError::invalid("domain", format!("the Okta org could not be reached at this domain: {why}"))
        }
        (OktaError::OAuth { error, description, .. }, _) => {
            ApiError::bad_request("okta_oauth_error", format!("Okta refused the token request: {error}: {description}"))
                .with_field("credentials")
                .with_detail("oktaError", json!(error))
        }
        (OktaError::MissingScopes(missing), _) => ApiError::bad_request(
            "okta_missing_scopes",
            format!(
                "grant these Okta API scopes to the app (Admin Console › Applications › the app › Okta API Scopes): {}",
                missing.join(", ")
            ),
        )
        .with_field("credentials")
        .with_detail("oktaError", json!("invalid_scope"))
        .with_detail("missingScopes", json!(missing)),
        (OktaError::Api { status, code, summary }, _) if status == 403 || code == "E0000006" => ApiError::bad_request(
            "okta_forbidden",
            format!(
                "Okta answered {code}: {summary}; give the app an admin role that can read users, groups and devices"
            ),
        )
        .with_field("credentials")
        .with_detail("oktaErrorCode", json!(code)),
        (OktaError::Api { status: 404, code, summary }, _) => {
            ApiError::bad_request("okta_not_found", format!("Okta answered 404 {code}: {summary}"))
                .with_detail("oktaErrorCode", json!(code))
        }
        (OktaError::Api { status, code, summary }, _) if status >= 500 => ApiError::upstream(
            StatusCode::BAD_GATEWAY,
            "okta_unavailable",
            format!("Okta answered {status} {code}: {summary}"),
        )
        .with_detail("oktaErrorCode", json!(code)),
        (OktaError::Api { status, code, summary }, _) => {
            ApiError::bad_request("okta_error", format!("Okta answered {status} {code}: {summary}"))
                .with_detail("oktaErrorCode", json!(code))
        }
        (OktaError::RateLimited { retry_at }, _) => ApiError::upstream(
            StatusCode::SERVICE_UNAVAILABLE,
            "okta_rate_limited",
            "Okta's rate limit is exhausted; try again after the reset time",
        )
        .with_detail("retryAt", json!(crate::clock::rfc3339(retry_at))),
        (OktaError::Unreachable(why), Credentials::Stored) => ApiError::upstream(
            StatusCode::BAD_GATEWAY,
            "okta_unreachable",
            format!("the Okta org could not be reached: {why}"),
        ),
        (OktaError::Protocol(why), _) => {
            ApiError::upstream(StatusCode::BAD_GATEWAY, "okta_protocol", format!("unexpected answer from Okta: {why}"))
        }
        (OktaError::InvalidKey(why), _) => {
            ApiError::invalid("credentials.privateKey", format!("the private key cannot sign: {why}"))
        }
    }
}

/// How a UEM failure is told. With an API key the admin just entered, a refused key is 400 on `apiKey` and an
/// unreachable portal or one with no API at that address 400 on `portalUrl`; with the stored key, a refused key
/// is 409 `uem_credentials_rejected` (connect again with a new key). Then, either way: throttled past the
/// client's wait 503 `uem_throttled` with `retryAfterSeconds`, the product's daily share of the UEM's calls used
/// up for this kind of call 503 `uem_budget_spent` (`retryAfterSeconds`, `callClass`, `allowedCalls`), the call
/// budget unreadable 503 `uem_budget_unavailable`, a call the portal does not support (an
/// undocumented one it refused) 409 `uem_unsupported` with `manualStep`, anything else 502 `uem_error`. Never
/// carries the API key.
fn uem(e: UemError, credentials: Credentials) -> ApiError {
    match (e, credentials) {
        (UemError::Unauthorized(status), Credentials::Entered) => {
            ApiError::invalid("apiKey", format!("the UEM refused the API key ({status})"))
        }
        (UemError::Unreachable(why), Credentials::Entered) => {
            ApiError::invalid("portalUrl", format!("the UEM portal could not be reached: {why}"))
        }
        (UemError::NotFound(what), Credentials::Entered) => {
            ApiError::invalid("portalUrl", format!("the portal has no API at this address ({what})"))
        }
        (e @ UemError::Unauthorized(_), Credentials::Stored) => {
            ApiError::conflict("uem_credentials_rejected", e.to_string())
        }
        (UemError::Throttled { retry_after_secs }, _) => ApiError::upstream(
            StatusCode::SERVICE_UNAVAILABLE,
            "uem_throttled",
            format!("the UEM is throttling; try again in {retry_after_secs} s"),
        )
        .with_detail("retryAfterSeconds", json!(retry_after_secs)),
        (UemError::BudgetSpent { class, allowed, retry_after_secs }, _) => {
            let text = UemError::BudgetSpent { class: class.clone(), allowed, retry_after_secs }.to_string();
            ApiError::upstream(StatusCode::SERVICE_UNAVAILABLE, "uem_budget_spent", text)
                .with_detail("retryAfterSeconds", json!(retry_after_secs))
                .with_detail("callClass", json!(class))
                .with_detail("allowedCalls", json!(allowed))
        }
        (e @ UemError::BudgetUnavailable(_), _) => {
            ApiError::upstream(StatusCode::SERVICE_UNAVAILABLE, "uem_budget_unavailable", e.to_string())
        }
        (UemError::Unsupported { call, status, manual_step }, _) => {
            let e = UemError::Unsupported { call, status, manual_step: manual_step.clone() };
            ApiError::conflict("uem_unsupported", e.to_string()).with_detail("manualStep", json!(manual_step))
        }
        (e, _) => ApiError::upstream(StatusCode::BAD_GATEWAY, "uem_error", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_client_is_the_admins_input_when_entered_and_a_rotation_when_stored() {
        let refused = || OktaError::OAuth { status: 401, error: "invalid_client".into(), description: "no".into() };
        let entered = ApiError::from(Error::okta_entered(refused()));
        assert_eq!((entered.status.as_u16(), entered.code), (400, "okta_invalid_client"));
        assert_eq!(entered.field.as_deref(), Some("credentials"));
        let stored = ApiError::from(refused());
        assert_eq!((stored.status.as_u16(), stored.code), (409, "okta_credentials_rejected"));
    }

    #[test]
    fn a_lost_conditional_write_is_a_version_conflict_not_a_500() {
        let e = ApiError::from(StoreError::VersionConflict { current: Some(7) });
        assert_eq!((e.status.as_u16(), e.code), (409, "version_conflict"));
        assert_eq!(e.details.get("currentVersion"), Some(&json!(7)));
    }

    #[test]
    fn a_refused_stored_uem_key_asks_for_a_new_one() {
        let e = ApiError::from(UemError::Unauthorized(401));
        assert_eq!((e.status.as_u16(), e.code), (409, "uem_credentials_rejected"));
        let e = ApiError::from(Error::uem_entered(UemError::Unauthorized(401)));
        assert_eq!((e.status.as_u16(), e.field.as_deref()), (400, Some("apiKey")));
    }
}
