//! The integration function's part of the OpenAPI document, generated from the handlers' annotations and the
//! input and view types, so it cannot drift from the code.

use crate::{custom_domain, device_assurance, device_trust, input, orgs, uem, views};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(
        orgs::list, orgs::connect, orgs::get, orgs::disconnect, orgs::rotate, custom_domain::set, orgs::groups,
        device_trust::overview, device_trust::choose_org, device_trust::delete, device_assurance::get,
        device_assurance::sync, uem::get, uem::connect,
    ),
    components(schemas(
        input::ConnectOrg, input::RotateCredentials, input::SetCustomDomain, input::ChooseOrg, input::CredentialsInput,
        views::OrgView, views::OrgList, views::SecretStatus, views::GroupView, views::GroupList, views::DeviceTrustView,
        device_assurance::AssuranceView, device_assurance::AssuranceSynced, odt_shared::okta_side::assurance::PolicyStatus,
        odt_shared::okta_side::StepOutcome, odt_shared::okta_side::AutomationView, odt_shared::platform::Platform,
        uem::ConnectUem, uem::UemView,
        odt_shared::error::ErrorBody, odt_shared::error::ErrorDetail, odt_shared::error::GatewayMessage,
    )),
    tags(
        (name = "okta-orgs", description = "Connect Okta orgs, rotate credentials, list Okta user groups"),
        (name = "device-trust", description = "Which org device trust uses; delete device trust; the product's device assurance policies in Okta"),
        (name = "uem", description = "The UEM connection (Hexnode portal and API key)"),
    )
)]
pub struct IntegrationApi;
