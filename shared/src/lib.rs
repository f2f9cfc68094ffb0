//! The common crate of the Okta Device Trust functions: the API edge (requests, callers, errors), the outbound
//! rules, the Okta client, the DynamoDB store and the Secrets Manager adapter. Functions wire these once per
//! cold start and pass them to their handlers.

pub mod api;
pub mod as_sent;
pub mod attestation;
pub mod auth;
pub mod aws;
pub mod clock;
pub mod deps;
pub mod error;
pub mod ids;
pub mod okta;
pub mod okta_side;
pub mod outbound;
pub mod pacing;
pub mod platform;
pub mod rate_headers;
pub mod router;
pub mod scope;
pub mod secrets;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod tls;
pub mod uem;
pub mod warm;

pub use error::ApiError;
