//! The fleet-sync function's part of the OpenAPI document.

use crate::{hooks, routes, sync};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::get, routes::put, routes::preview, routes::sync_now, hooks::get_config, hooks::put_config, hooks::verify, hooks::receive),
    components(schemas(
        routes::FleetInput, routes::PreviewInput, routes::FleetView, routes::PreviewView, routes::SampleDevice,
        sync::SyncSummary, odt_shared::scope::Exclusion, hooks::HookSecretInput, hooks::HookView, hooks::HookVerification, hooks::HookDelivery, hooks::HookDeliveryData, hooks::Received,
    )),
    tags(
        (name = "fleet", description = "The fleet: selection, scope preview, reconciliation"),
        (name = "event-hook", description = "The Okta event hook's secret and the path Okta must call"),
    )
)]
pub struct FleetSyncApi;
