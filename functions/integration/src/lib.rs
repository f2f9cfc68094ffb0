//! The integration function: connect Okta orgs (verify credentials, report granted scopes), list and get them,
//! rotate their credentials, list an org's Okta user groups for fleet selection, choose the org device trust
//! uses, show the device trust overview, delete device trust, and disconnect orgs.
//!
//! Routes (all behind the JWT authorizer; admins configure, technicians read):
//! `GET|POST /okta-orgs`, `GET|DELETE /okta-orgs/{orgId}`, `PUT /okta-orgs/{orgId}/credentials`,
//! `GET /okta-orgs/{orgId}/groups?q=`, `GET|PUT|DELETE /device-trust`, `GET|PUT /uem`; and, without a token, the admin API's
//! OpenAPI document at `GET /openapi.json`.

pub mod api_doc;
mod device_trust;
mod input;
mod okta_errors;
mod orgs;
pub mod uem;
pub mod views;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

/// The committed OpenAPI document (`openapi.json`, checked against the code by a test), served without a token.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    if req.method() == Method::GET && req.uri().path() == "/openapi.json" {
        return Ok(Response::builder()
            .status(http::StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::Text(OPENAPI_JSON.to_string()))
            .expect("static response parts are valid"));
    }
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    match (path.as_slice(), &req.method) {
        (["okta-orgs"], &Method::GET) => orgs::list(deps, &req).await,
        (["okta-orgs"], &Method::POST) => orgs::connect(deps, &req).await,
        (["okta-orgs", id], &Method::GET) => orgs::get(deps, &req, id).await,
        (["okta-orgs", id], &Method::DELETE) => orgs::disconnect(deps, &req, id).await,
        (["okta-orgs", id, "credentials"], &Method::PUT) => orgs::rotate(deps, &req, id).await,
        (["okta-orgs", id, "groups"], &Method::GET) => orgs::groups(deps, &req, id).await,
        (["device-trust"], &Method::GET) => device_trust::overview(deps, &req).await,
        (["device-trust"], &Method::PUT) => device_trust::choose_org(deps, &req).await,
        (["device-trust"], &Method::DELETE) => device_trust::delete(deps, &req).await,
        (["uem"], &Method::GET) => uem::get(deps, &req).await,
        (["uem"], &Method::PUT) => uem::connect(deps, &req).await,
        (
            ["okta-orgs"] | ["okta-orgs", _] | ["okta-orgs", _, "credentials" | "groups"] | ["device-trust"] | ["uem"],
            _,
        ) => Err(ApiError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )),
        _ => Err(ApiError::not_found("route")),
    }
}

pub(crate) use odt_shared::error::{secrets_failure, store_failure};
