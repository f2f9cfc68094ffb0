//! The error answers every route shares, declared once for the OpenAPI document: use them in a handler's
//! `#[utoipa::path(responses(...))]` list beside its own tuples, e.g. `responses((status = 200, ...),
//! Unauthorized, Forbidden, BodyRefused)`.

use super::{ErrorBody, GatewayMessage};

/// 401 from API Gateway's JWT authorizer (every route but the event hook and `/openapi.json`).
#[derive(utoipa::IntoResponses)]
#[response(status = 401, description = "No valid token (API Gateway JWT authorizer)")]
pub struct Unauthorized(#[allow(dead_code)] GatewayMessage);

/// 403 for a technician on an admin route.
#[derive(utoipa::IntoResponses)]
#[response(status = 403, description = "The caller is not an admin")]
pub struct Forbidden(#[allow(dead_code)] ErrorBody);

/// 413 and 415: a JSON body over 1 MiB, or one that is not `application/json`.
#[derive(utoipa::IntoResponses)]
pub enum BodyRefused {
    #[response(status = 413, description = "Body over 1 MiB")]
    TooLarge(#[allow(dead_code)] ErrorBody),
    #[response(status = 415, description = "Body is not application/json")]
    NotJson(#[allow(dead_code)] ErrorBody),
}

/// 400 for a path parameter that is not an id as sent (`as_sent::path_param`): percent-encoded, or not
/// `[A-Za-z0-9_-]{1,128}`; the field names it.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "A path parameter that is not an id as sent: percent-encoded, or not [A-Za-z0-9_-]{1,128} (field names it)"
)]
pub struct PathRefused(#[allow(dead_code)] ErrorBody);
