//! The deploy-trigger function's part of the OpenAPI document, generated from the handlers' annotations.

use crate::{okta_verify, run, views};
use utoipa::OpenApi;

/// This function's routes and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(okta_verify::list, okta_verify::put, okta_verify::apps, views::overview, views::run_now, views::device),
    components(schemas(
        okta_verify::OktaVerifyInput, okta_verify::OktaVerifyView, okta_verify::OktaVerifyList,
        okta_verify::PlatformMethods, okta_verify::MethodName, okta_verify::AppView, okta_verify::AppList,
        views::Overview, views::PlatformOverview, views::Licenses, views::DeviceDeployment, views::ItemView,
        run::RunReport, run::PlatformRun,
        odt_shared::error::ErrorBody, odt_shared::error::ErrorDetail, odt_shared::error::GatewayMessage,
    )),
    tags((name = "deployment", description = "Okta Verify installation methods, deployment to devices, retry"))
)]
pub struct DeployTriggerApi;
