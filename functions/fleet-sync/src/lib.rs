//! The fleet-sync function: which devices device trust covers, kept true against Okta and the UEM.
//!
//! Routes (JWT authorizer; admins change, technicians read): `GET|PUT /fleet` (the selected Okta user groups
//! and UEM device groups, by id), `POST /fleet/preview` (scope counts by reason and a sample for a proposed
//! selection, nothing written), `POST /fleet/sync` (reconcile now), `GET|PUT /event-hook` (the hook secret),
//! `POST /event-hook/register|rotate` (the hook through Okta's Event Hooks API), `POST /event-hook/redrive` (apply the inbox records the stream consumer gave up on, [`inbox::redrive`]);
//! and, authenticated by the hook secret instead of a JWT, `GET|POST /hooks/okta/{tenant}` (Okta event hooks,
//! answered once a delivery is durable; [`inbox::handle_stream`] applies it from the table's stream). The modules:
//! `routes` (the fleet routes) over [`facts`] (gathering Okta and the UEM) and [`sync`] (reconciliation);
//! [`hooks`] (the hook's settings, door and event model) and [`inbox`] (the hook's stream consumer).

pub mod api_doc;
pub mod facts;
pub mod hooks;
pub mod inbox;
mod routes;
pub mod sync;

use http::Method;
use lambda_http::{Body, Response};
use odt_shared::api::{respond, ApiRequest};
use odt_shared::router::{self, Route};
use odt_shared::ApiError;

pub use odt_shared::deps::Deps;

/// Handles one API Gateway request; never fails (errors become JSON error responses).
pub async fn handle(deps: &Deps, req: lambda_http::Request) -> Response<Body> {
    respond(route(deps, req).await)
}

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    let raw_path = odt_shared::api::raw_path(&req).to_string();
    if let Some(tenant) = raw_path.strip_prefix("/hooks/okta/") {
        return hooks::door::deliver(deps, req, tenant.trim_end_matches('/')).await;
    }
    let req = ApiRequest::try_from(req)?;
    let (op, _) = router::resolve(ROUTES, &req.method, &req.path())?;
    match op {
        Op::GetFleet => routes::get(deps, &req).await,
        Op::PutFleet => routes::put(deps, &req).await,
        Op::Preview => routes::preview(deps, &req).await,
        Op::Sync => routes::sync_now(deps, &req).await,
        Op::GetHook => hooks::settings::get_config(deps, &req).await,
        Op::PutHook => hooks::settings::put_config(deps, &req).await,
        Op::Redrive => inbox::redrive::redrive_route(deps, &req).await,
        Op::RegisterHook => hooks::registration::register(deps, &req).await,
        Op::RotateHook => hooks::registration::rotate(deps, &req).await,
    }
}

/// The operations of this function's admin routes.
#[derive(Clone, Copy)]
enum Op {
    GetFleet,
    PutFleet,
    Preview,
    Sync,
    GetHook,
    PutHook,
    Redrive,
    RegisterHook,
    RotateHook,
}

/// The admin routes (the event hook's own path is matched before the token is read).
const ROUTES: &[Route<Op>] = &[
    (Method::GET, &["fleet"], Op::GetFleet),
    (Method::PUT, &["fleet"], Op::PutFleet),
    (Method::POST, &["fleet", "preview"], Op::Preview),
    (Method::POST, &["fleet", "sync"], Op::Sync),
    (Method::GET, &["event-hook"], Op::GetHook),
    (Method::PUT, &["event-hook"], Op::PutHook),
    (Method::POST, &["event-hook", "redrive"], Op::Redrive),
    (Method::POST, &["event-hook", "register"], Op::RegisterHook),
    (Method::POST, &["event-hook", "rotate"], Op::RotateHook),
];
