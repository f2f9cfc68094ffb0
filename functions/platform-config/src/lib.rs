//! The platform-config function: what the admin enters on "Configure Management Attestation", validated when
//! it is saved, the enabled switch per platform, and a preview of the exact document each platform receives.
//!
//! Routes (JWT authorizer; admins configure, technicians read): `GET /platforms`,
//! `GET|PUT /platforms/{platform}`, `PUT /platforms/{platform}/enabled`, `GET /platforms/{platform}/payload`.
//! `{platform}` is `ios`, `android`, `macos` or `windows`; anything else answers 404.

pub mod api_doc;
mod configure;
pub mod input;
pub use odt_shared::attestation::render;
pub mod views;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::platform::Platform;
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

fn platform(s: &str) -> Result<Platform, ApiError> {
    Platform::parse(s).ok_or_else(|| ApiError::not_found("platform (use ios, android, macos or windows)"))
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    match (path.as_slice(), &req.method) {
        (["platforms"], &Method::GET) => configure::list(deps, &req).await,
        (["platforms", p], &Method::GET) => configure::get(deps, &req, platform(p)?).await,
        (["platforms", p], &Method::PUT) => configure::save(deps, &req, platform(p)?).await,
        (["platforms", p, "enabled"], &Method::PUT) => configure::switch(deps, &req, platform(p)?).await,
        (["platforms", p, "payload"], &Method::GET) => configure::preview(deps, &req, platform(p)?).await,
        (["platforms"] | ["platforms", _] | ["platforms", _, "enabled" | "payload"], _) => Err(ApiError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )),
        _ => Err(ApiError::not_found("route")),
    }
}
