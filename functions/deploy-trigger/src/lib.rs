//! The deploy-trigger function: puts Okta Verify, the attestation payloads and the macOS SSO extension on every
//! in-scope device through the UEM, takes them off devices that left, and records every attempt.
//!
//! Work is by group (Hexnode allows about 30 calls a minute): one managed device group per platform holds the
//! in-scope devices, one policy per platform targets it, and scope changes become membership diffs in batches
//! ([`run`]). Three triggers lead to the same run: the DynamoDB stream of device and configuration records
//! ([`stream`], binary `deploy-trigger-stream`), a retry schedule (`deploy-trigger-scheduled`), and the admin's
//! routes (this crate's [`handle`], binary `deploy-trigger`): `GET /okta-verify`, `PUT /okta-verify/{platform}`,
//! `GET /uem/apps`, `GET /deployments`, `POST /deployments/run`, `GET /deployments/devices/{deviceId}`.

pub mod api_doc;
pub mod desired;
pub mod okta_verify;
pub mod policy;
pub mod run;
pub mod stream;
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

fn not_allowed() -> ApiError {
    ApiError::new(http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    match (path.as_slice(), &req.method) {
        (["okta-verify"], &Method::GET) => okta_verify::list(deps, &req).await,
        (["okta-verify", p], &Method::PUT) => {
            let p = Platform::parse(p).ok_or_else(|| ApiError::not_found("platform"))?;
            okta_verify::put(deps, &req, p).await
        }
        (["uem", "apps"], &Method::GET) => okta_verify::apps(deps, &req).await,
        (["deployments"], &Method::GET) => views::overview(deps, &req).await,
        (["deployments", "run"], &Method::POST) => views::run_now(deps, &req).await,
        (["deployments", "devices", id], &Method::GET) => views::device(deps, &req, id).await,
        (["okta-verify"] | ["okta-verify", _] | ["uem", "apps"] | ["deployments"] | ["deployments", "run"], _)
        | (["deployments", "devices", _], _) => Err(not_allowed()),
        _ => Err(ApiError::not_found("route")),
    }
}
