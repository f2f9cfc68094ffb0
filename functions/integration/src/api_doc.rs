//! The integration function's part of the OpenAPI document, generated from the handlers' annotations and the
//! input and view types, so it cannot drift from the code.

use crate::access_rules::{self, views as rule_views};
use crate::{custom_domain, device_assurance, device_trust, input, orgs, uem, uem_groups, views};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(
        orgs::list, orgs::connect, orgs::get, orgs::disconnect, orgs::rotate, custom_domain::set, orgs::groups,
        device_trust::overview, device_trust::choose_org, device_trust::delete, device_assurance::get,
        device_assurance::sync, uem::get, uem::connect, uem_groups::list,
        access_rules::list_policies, access_rules::list_rules, access_rules::preview, access_rules::create_rules,
        access_rules::activate, access_rules::rollback,
    ),
    components(schemas(
        input::ConnectOrg, input::RotateCredentials, input::SetCustomDomain, input::ChooseOrg, input::CredentialsInput,
        views::OrgView, views::OrgList, views::SecretStatus, views::GroupView, views::GroupList, views::DeviceTrustView,
        device_assurance::AssuranceView, device_assurance::AssuranceSynced, odt_shared::okta_side::assurance::PolicyStatus,
        odt_shared::okta_side::StepOutcome, odt_shared::okta_side::AutomationView, odt_shared::platform::Platform,
        uem::ConnectUem, uem::UemView, uem_groups::UemDeviceGroupView, uem_groups::UemDeviceGroupList,
        rule_views::PolicyIdsInput, rule_views::AccessPolicyView, rule_views::AccessPolicyList, rule_views::RulePairView,
        rule_views::RulePairList, rule_views::RemovedView, rule_views::RollbackView, rule_views::RuleRef,
        rule_views::SimulationView, rule_views::PolicyPreview, rule_views::RefusedUser, rule_views::RulePreview,
        access_rules::fleet::CallerVerdict,
        odt_shared::error::ErrorBody, odt_shared::error::ErrorDetail, odt_shared::error::GatewayMessage,
    )),
    tags(
        (name = "okta-orgs", description = "Connect Okta orgs, rotate credentials, list Okta user groups"),
        (name = "device-trust", description = "Which org device trust uses; delete device trust; the product's device assurance policies in Okta"),
        (name = "uem", description = "The UEM connection (Hexnode portal and API key) and its device groups"),
        (name = "access-policy-rules", description = "App sign-on policy rules scoped to the fleet: preview, create (inactive), activate, roll back"),
    )
)]
pub struct IntegrationApi;
