//! The HTTP answer of a failed request: an HTTP status and a JSON body
//! `{"error": {"code", "message", "field"?, ...details}}` that names the field and the reason.

use http::StatusCode;
use serde_json::{json, Map, Value};

/// An API error: status, a stable machine `code`, a human `message`, the request `field` it concerns (a JSON
/// pointer-like dotted path such as `credentials.clientSecret`), and extra details (for example `currentVersion`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub details: Map<String, Value>,
}

impl ApiError {
    /// An error with no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), field: None, details: Map::new() }
    }
    /// 400 `invalid_field` naming `field` and the reason.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_field", message).with_field(field)
    }
    /// 400 with another code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// 401: no caller could be established.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 403: the caller's role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// 404: nothing by that id for this tenant (another tenant's ids answer the same).
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("no such {what}"))
    }
    /// 409: the record changed since the caller read it, or the operation conflicts with current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    /// 409 `version_conflict` carrying the record's current version.
    pub fn version_conflict(current: u64) -> Self {
        Self::conflict("version_conflict", "the record was changed by another request; re-read it and try again")
            .with_detail("currentVersion", json!(current))
    }
    /// 500 without internals: the cause is logged by the caller, never returned.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; see the function's logs")
    }
    /// 502/504 style: a dependency (Okta, the UEM, AWS) failed.
    pub fn upstream(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(status, code, message)
    }
    /// Names the field this error concerns.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    /// Adds a detail to the body.
    pub fn with_detail(mut self, key: &str, value: Value) -> Self {
        self.details.insert(key.to_string(), value);
        self
    }
    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), json!(self.code));
        e.insert("message".into(), json!(self.message));
        if let Some(f) = &self.field {
            e.insert("field".into(), json!(f));
        }
        for (k, v) in &self.details {
            e.insert(k.clone(), v.clone());
        }
        json!({ "error": Value::Object(e) })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// The JSON body of every error the functions answer (for the OpenAPI document).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable `code`, a human `message`, the request `field` it concerns, and details such as
/// `currentVersion` (409), `oktaError` / `oktaErrorCode` (Okta's own code), `missingScopes`, `retryAt`.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(flatten)]
    #[schema(additional_properties)]
    pub details: Map<String, Value>,
}

/// API Gateway's own answers: 401 `{"message":"Unauthorized"}` from the JWT authorizer, 404 `{"message":"Not
/// Found"}` for a path no route serves.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct GatewayMessage {
    pub message: String,
}
