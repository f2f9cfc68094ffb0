//! The fleet-sync function's part of the OpenAPI document.

use crate::hooks::{door, registration, settings};
use crate::{routes, sync};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(routes::get, routes::put, routes::preview, routes::sync_now, settings::get_config, settings::put_config, crate::inbox::redrive::redrive_route, registration::register, registration::rotate, door::verify, door::receive),
    components(schemas(
        routes::FleetInput, routes::PreviewInput, routes::FleetView, crate::sync::ReconciliationView, routes::PreviewView, routes::SampleDevice,
        sync::SyncSummary, odt_shared::scope::Exclusion, settings::HookSecretInput, settings::HookView, settings::OktaHookView, odt_shared::okta_side::AutomationView, door::HookVerification, door::HookDelivery, door::HookDeliveryData, door::Received,
        crate::inbox::redrive::Redriven,
    )),
    tags(
        (name = "fleet", description = "The fleet: selection, scope preview, reconciliation"),
        (name = "event-hook", description = "The Okta event hook: its secret and the path Okta must call, or registered and re-keyed through Okta's Event Hooks API"),
    )
)]
pub struct FleetSyncApi;
