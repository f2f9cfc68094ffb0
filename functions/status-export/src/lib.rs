//! The status-export function: what the admin opens after setup ("View device configuration status") and hands
//! to technicians. Status comes from evidence ([`evidence`]): Okta's device records and the UEM's per-device
//! policy state, joined with what deploy-trigger applied ([`status`], [`join`]); exports go to S3 as CSV or
//! PDF behind a presigned link and may be mailed to the tenant's technicians ([`exports`]).
//!
//! Routes (JWT authorizer; technicians read and export, admins also keep the technician list): `GET /status`,
//! `GET /status/devices`, `POST /status/refresh`, `POST /status/exports`, `POST /status/exports/share`,
//! `GET|PUT /technicians`.

pub mod api_doc;
pub mod evidence;
pub mod exports;
pub mod join;
pub mod routes;
pub mod status;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::ApiError;

pub use exports::ExportDeps;
pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, x: &ExportDeps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, x, req).await)
}

async fn route(deps: &Deps, x: &ExportDeps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    match (path.as_slice(), &req.method) {
        (["status"], &Method::GET) => routes::summary(deps, &req).await,
        (["status", "devices"], &Method::GET) => routes::devices(deps, &req).await,
        (["status", "refresh"], &Method::POST) => routes::refresh(deps, &req).await,
        (["status", "exports"], &Method::POST) => routes::export(deps, x, &req).await,
        (["status", "exports", "share"], &Method::POST) => routes::share(deps, x, &req).await,
        (["technicians"], &Method::GET) => routes::technicians(deps, &req).await,
        (["technicians"], &Method::PUT) => routes::put_technicians(deps, &req).await,
        (
            ["status"]
            | ["status", "devices" | "refresh" | "exports"]
            | ["status", "exports", "share"]
            | ["technicians"],
            _,
        ) => Err(ApiError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )),
        _ => Err(ApiError::not_found("route")),
    }
}
