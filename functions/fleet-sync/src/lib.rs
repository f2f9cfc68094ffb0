//! The fleet-sync function: which devices device trust covers, kept true against Okta and the UEM.
//!
//! Routes (JWT authorizer; admins change, technicians read): `GET|PUT /fleet` (the selected Okta user groups
//! and UEM device groups, by id), `POST /fleet/preview` (scope counts by reason and a sample for a proposed
//! selection, nothing written), `POST /fleet/sync` (reconcile now), `GET|PUT /event-hook` (the hook secret);
//! and, authenticated by the hook secret instead of a JWT, `GET|POST /hooks/okta/{tenant}` (Okta event hooks,
//! answered once a delivery is durable; [`inbox::handle_stream`] applies it from the table's stream).

pub mod api_doc;
pub mod facts;
pub mod hooks;
pub mod inbox;
mod routes;
pub mod sync;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let raw_path = req.uri().path().to_string();
    if let Some(tenant) = raw_path.strip_prefix("/hooks/okta/") {
        return hooks::deliver(deps, req, tenant.trim_end_matches('/')).await;
    }
    let req = ApiRequest::try_from(req)?;
    let path = req.path();
    match (path.as_slice(), &req.method) {
        (["fleet"], &Method::GET) => routes::get(deps, &req).await,
        (["fleet"], &Method::PUT) => routes::put(deps, &req).await,
        (["fleet", "preview"], &Method::POST) => routes::preview(deps, &req).await,
        (["fleet", "sync"], &Method::POST) => routes::sync_now(deps, &req).await,
        (["event-hook"], &Method::GET) => hooks::get_config(deps, &req).await,
        (["event-hook"], &Method::PUT) => hooks::put_config(deps, &req).await,
        (["fleet"] | ["fleet", "preview" | "sync"] | ["event-hook"], _) => Err(ApiError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        )),
        _ => Err(ApiError::not_found("route")),
    }
}

pub(crate) use odt_shared::error::store_failure;
