//! The platform-config function's part of the OpenAPI document.

use crate::{configure, input, save, views};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(configure::list, configure::get, save::save, configure::switch, configure::preview),
    components(schemas(
        input::MobileSettingsInput, input::DesktopSettingsInput, input::ChallengeInput, input::EnabledInput,
        views::PlatformView, views::PlatformList, views::SettingsView, views::CaView, views::SecretStatus,
        views::PayloadPreview, odt_shared::platform::Platform, odt_shared::store::ChallengeKind,
    )),
    tags((name = "platforms", description = "Management attestation per platform: settings, switch, payload preview"))
)]
pub struct PlatformConfigApi;
