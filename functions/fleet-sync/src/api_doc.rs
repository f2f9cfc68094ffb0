//! The fleet-sync function's part of the OpenAPI document.

use crate::{routes, sync};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::get, routes::put, routes::preview, routes::sync_now),
    components(schemas(
        routes::FleetInput, routes::PreviewInput, routes::FleetView, routes::PreviewView, routes::SampleDevice,
        sync::SyncSummary, odt_shared::scope::Exclusion,
    )),
    tags((name = "fleet", description = "The fleet: selection, scope preview, reconciliation"))
)]
pub struct FleetSyncApi;
