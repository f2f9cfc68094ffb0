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
use odt_shared::router::{self, Route};
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    let (op, params) = router::resolve(ROUTES, &req.method, &path)?;
    match op {
        Op::ListOktaVerify => okta_verify::list(deps, &req).await,
        Op::PutOktaVerify => {
            let p = Platform::parse(params[0]).ok_or_else(|| ApiError::not_found("platform"))?;
            okta_verify::put(deps, &req, p).await
        }
        Op::UemApps => okta_verify::apps(deps, &req).await,
        Op::Overview => views::overview(deps, &req).await,
        Op::RunNow => views::run_now(deps, &req).await,
        Op::Device => views::device(deps, &req, params[0]).await,
    }
}

/// The operations of this function's routes.
#[derive(Clone, Copy)]
enum Op {
    ListOktaVerify,
    PutOktaVerify,
    UemApps,
    Overview,
    RunNow,
    Device,
}

/// The routes (`{platform}`: 404 when it names no platform; `{deviceId}`: the UEM's device id; each checked as sent).
const ROUTES: &[Route<Op>] = &[
    (Method::GET, &["okta-verify"], Op::ListOktaVerify),
    (Method::PUT, &["okta-verify", "{platform}"], Op::PutOktaVerify),
    (Method::GET, &["uem", "apps"], Op::UemApps),
    (Method::GET, &["deployments"], Op::Overview),
    (Method::POST, &["deployments", "run"], Op::RunNow),
    (Method::GET, &["deployments", "devices", "{deviceId}"], Op::Device),
];
