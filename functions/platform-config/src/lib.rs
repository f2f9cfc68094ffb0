//! The platform-config function: what the admin enters on "Configure Management Attestation", validated when
//! it is saved, the enabled switch per platform, and a preview of the exact document each platform receives.
//!
//! Routes (JWT authorizer; admins configure, technicians read): `GET /platforms`,
//! `GET|PUT /platforms/{platform}`, `PUT /platforms/{platform}/enabled`, `GET /platforms/{platform}/payload`.
//! `{platform}` is `ios`, `android`, `macos` or `windows`; anything else answers 404.

pub mod api_doc;
mod configure;
pub mod input;
mod plan;
pub use odt_shared::attestation::render;
mod save;
pub mod views;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::platform::Platform;
use odt_shared::router::{self, Route};
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let (op, params) = router::resolve(ROUTES, &req.method, &req.path())?;
    match op {
        Op::List => configure::list(deps, &req).await,
        Op::Get => configure::get(deps, &req, platform(&params)?).await,
        Op::Save => save::save(deps, &req, platform(&params)?).await,
        Op::Switch => configure::switch(deps, &req, platform(&params)?).await,
        Op::Preview => configure::preview(deps, &req, platform(&params)?).await,
    }
}

/// The route's `{platform}`. Errors: 404 for anything but the four platforms.
fn platform(params: &[&str]) -> Result<Platform, ApiError> {
    params
        .first()
        .and_then(|p| Platform::parse(p))
        .ok_or_else(|| ApiError::not_found("platform (use ios, android, macos or windows)"))
}

/// The operations of this function's routes.
#[derive(Clone, Copy)]
enum Op {
    List,
    Get,
    Save,
    Switch,
    Preview,
}

/// The routes; `{platform}` is the platform (`ios`, `android`, `macos` or `windows`, as sent; any other id answers 404).
const ROUTES: &[Route<Op>] = &[
    (Method::GET, &["platforms"], Op::List),
    (Method::GET, &["platforms", "{platform}"], Op::Get),
    (Method::PUT, &["platforms", "{platform}"], Op::Save),
    (Method::PUT, &["platforms", "{platform}", "enabled"], Op::Switch),
    (Method::GET, &["platforms", "{platform}", "payload"], Op::Preview),
];
