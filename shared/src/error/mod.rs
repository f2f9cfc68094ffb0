//! Errors, in two layers.
//!
//! - [`Error`]: what domain code (reconciliation, deployment runs, the hook consumer, [`crate::deps::Deps`])
//!   returns: a store, Secrets Manager, Okta or UEM failure, or a rule of the product that refused (not
//!   configured, not found, a conflict, an invalid value). Each source error converts into it with `From`, so
//!   domain code writes `?`.
//! - [`ApiError`]: the HTTP answer (status and JSON body). Handlers answer with it; every [`Error`] (and each
//!   source error) becomes one through `From` in [`mapping`], the one place that decides how a failure is told.

mod answer;
mod mapping;
pub mod responses;

pub use answer::{ApiError, ErrorBody, ErrorDetail, GatewayMessage};

use crate::okta::OktaError;
use crate::secrets::SecretsError;
use crate::store::StoreError;
use crate::uem::UemError;

/// Where the credentials of a failed Okta or UEM call came from: how the failure is told depends on it (a
/// refused secret the admin just entered is their input to fix, 400; a refused stored one needs rotating, 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Entered in this request (connect, rotate, `PUT /uem`).
    Entered,
    /// Read from the store (every other call).
    Stored,
}

/// A failure of domain code. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// DynamoDB failed, or a conditional write lost (`StoreError::VersionConflict` answers 409).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Secrets Manager failed.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// An Okta call failed; `credentials` says whose credentials it used.
    #[error("{error}")]
    Okta { error: OktaError, credentials: Credentials },
    /// A UEM call failed; `credentials` says whose API key it used.
    #[error("{error}")]
    Uem { error: UemError, credentials: Credentials },
    /// Something the operation needs is not set up yet (`code`: `device_trust_not_configured`,
    /// `uem_not_connected`, …): 409 with that code.
    #[error("{message}")]
    NotConfigured { code: &'static str, message: String },
    /// The operation conflicts with the current state (`code` names how): 409.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The device-trust org's app was not granted the OAuth scope an automation of Okta's side needs: 409
    /// `okta_scope_not_granted` with `automation` and `missingScope` (the manual way stays open).
    #[error("the Okta app is not granted {scope}, which {automation} needs")]
    ScopeMissing { automation: &'static str, scope: &'static str },
    /// No such `what` for this tenant: 404.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A value the caller gave is not acceptable: 400 naming `field`.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A per-tenant budget of the product is used up until `retry_at` (`budget` names it, `limit` its size): 429
    /// with `code`, `budget`, `limit` and `retryAt`.
    #[error("{message}")]
    BudgetSpent {
        code: &'static str,
        budget: &'static str,
        limit: u64,
        retry_at: time::OffsetDateTime,
        message: String,
    },
    /// A stored value or an internal step that should never fail did (`what` names it): 500, logged.
    #[error("{what}: {cause}")]
    Internal { what: &'static str, cause: String },
}

impl Error {
    /// The UEM is not connected for this tenant (409 `uem_not_connected`).
    pub fn uem_not_connected() -> Self {
        Error::NotConfigured { code: "uem_not_connected", message: "connect the UEM first (PUT /uem)".into() }
    }

    /// Device trust has no active org (409 `device_trust_not_configured`).
    pub fn device_trust_not_configured(message: impl Into<String>) -> Self {
        Error::NotConfigured { code: "device_trust_not_configured", message: message.into() }
    }

    /// An internal failure of `what` with its cause (logged when answered, never returned).
    pub fn internal(what: &'static str, cause: impl std::fmt::Display) -> Self {
        Error::Internal { what, cause: cause.to_string() }
    }

    /// An Okta failure with credentials the admin entered in this request.
    pub fn okta_entered(error: OktaError) -> Self {
        Error::Okta { error, credentials: Credentials::Entered }
    }

    /// A UEM failure with an API key the admin entered in this request.
    pub fn uem_entered(error: UemError) -> Self {
        Error::Uem { error, credentials: Credentials::Entered }
    }

    /// The Okta error, when this is one.
    pub fn as_okta(&self) -> Option<&OktaError> {
        match self {
            Error::Okta { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The UEM error, when this is one.
    pub fn as_uem(&self) -> Option<&UemError> {
        match self {
            Error::Uem { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// An Okta failure with stored credentials (the usual case; see [`Error::okta_entered`]).
impl From<OktaError> for Error {
    fn from(error: OktaError) -> Self {
        Error::Okta { error, credentials: Credentials::Stored }
    }
}

/// A UEM failure with the stored API key (the usual case; see [`Error::uem_entered`]).
impl From<UemError> for Error {
    fn from(error: UemError) -> Self {
        Error::Uem { error, credentials: Credentials::Stored }
    }
}
