//! The status-export function: what the admin opens after setup ("View device configuration status") and hands
//! to technicians. Status comes from evidence ([`evidence`]): Okta's device records and the UEM's per-device
//! policy state, joined with what deploy-trigger applied ([`status`], [`join`]; counted in [`summary`],
//! chosen by [`filter`]; the states and each one's next step for the admin in [`state`]); exports go to S3 as CSV
//! or PDF behind a presigned link ([`exports`]) and may be mailed to the tenant's technicians ([`mail`], within
//! the tenant's [`mail_budget`]; [`technicians`]). Handlers: [`routes`], [`export_routes`],
//! [`technicians`].
//!
//! Routes (JWT authorizer; technicians read and export, admins also keep the technician list): `GET /status`,
//! `GET /status/devices`, `POST /status/refresh`, `POST /status/exports`, `POST /status/exports/share`,
//! `GET|PUT /technicians`.

pub mod api_doc;
pub mod evidence;
pub mod export_routes;
pub mod exports;
pub mod filter;
pub mod join;
pub mod mail;
pub mod mail_budget;
pub mod renewals;
pub mod report;
pub mod routes;
pub mod state;
pub mod status;
pub mod summary;
pub mod technicians;
mod upload;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::router::{self, Route};
use odt_shared::ApiError;

pub use exports::ExportDeps;
pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, x: &ExportDeps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, x, req).await)
}

async fn route(deps: &Deps, x: &ExportDeps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let (op, _) = router::resolve(ROUTES, &req.method, &req.path())?;
    match op {
        Op::Summary => routes::summary(deps, &req).await,
        Op::Devices => routes::devices(deps, &req).await,
        Op::Refresh => routes::refresh(deps, &req).await,
        Op::Export => export_routes::export(deps, x, &req).await,
        Op::Share => export_routes::share(deps, x, &req).await,
        Op::GetTechnicians => technicians::get(deps, &req).await,
        Op::PutTechnicians => technicians::put(deps, &req).await,
    }
}

/// The operations of this function's routes.
#[derive(Clone, Copy)]
enum Op {
    Summary,
    Devices,
    Refresh,
    Export,
    Share,
    GetTechnicians,
    PutTechnicians,
}

/// The routes.
const ROUTES: &[Route<Op>] = &[
    (Method::GET, &["status"], Op::Summary),
    (Method::GET, &["status", "devices"], Op::Devices),
    (Method::POST, &["status", "refresh"], Op::Refresh),
    (Method::POST, &["status", "exports"], Op::Export),
    (Method::POST, &["status", "exports", "share"], Op::Share),
    (Method::GET, &["technicians"], Op::GetTechnicians),
    (Method::PUT, &["technicians"], Op::PutTechnicians),
];
