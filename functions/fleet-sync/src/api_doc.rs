//! The fleet-sync function's part of the OpenAPI document.

use crate::hooks::{door, settings};
use crate::{routes, sync};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::get, routes::put, routes::preview, routes::sync_now, settings::get_config, settings::put_config, crate::inbox::redrive::redrive_route, door::verify, door::receive),
    components(schemas(
        routes::FleetInput, routes::PreviewInput, routes::FleetView, crate::sync::ReconciliationView, routes::PreviewView, routes::SampleDevice,
        sync::SyncSummary, odt_shared::scope::Exclusion, settings::HookSecretInput, settings::HookView, door::HookVerification, door::HookDelivery, door::HookDeliveryData, door::Received,
        crate::inbox::redrive::Redriven,
    )),
    tags(
        (name = "fleet", description = "The fleet: selection, scope preview, reconciliation"),
        (name = "event-hook", description = "The Okta event hook's secret and the path Okta must call"),
    )
)]
pub struct FleetSyncApi;
