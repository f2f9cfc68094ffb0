//! The product's device assurance policies in the device-trust org (`shared::okta_side::assurance`, scope
//! `okta.deviceAssurance.manage`): `GET /device-assurance` shows each platform's policy as the product and Okta
//! see it; `POST /device-assurance/sync` creates, updates and deletes them to match the enabled platforms and the
//! product's OS rule, never touching a policy it did not create or one someone changed in Okta since.

use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::okta_side::assurance::{self, PolicyStatus};
use odt_shared::okta_side::{self, AutomationView, StepOutcome};
use odt_shared::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /device-assurance`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssuranceView {
    /// Whether the device-trust org's granted scopes let the product keep the policies (absent while device
    /// trust has no org).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation: Option<AutomationView>,
    /// One entry per platform.
    pub policies: Vec<PolicyStatus>,
}

/// `POST /device-assurance/sync`: what happened per platform.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssuranceSynced {
    /// One outcome per platform (`item` is the platform).
    pub platforms: Vec<StepOutcome>,
}

/// `GET /device-assurance`: each platform's policy, its OS minimum and its state against Okta.
#[utoipa::path(get, path = "/device-assurance", tag = "device-trust", operation_id = "getDeviceAssurance",
    description = "Roles: admin, technician. The product's device assurance policies (one per enabled platform, OS \
minimum from the product's eligibility rule) as the product recorded them and as Okta has them.",
    security(("bearer" = [])),
    responses((status = 200, description = "The policies", body = AssuranceView), Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let automation =
        deps.device_trust_org(tenant).await.ok().map(|o| okta_side::view(&o, &okta_side::DEVICE_ASSURANCE));
    let policies = assurance::status(deps, tenant).await?;
    Ok(json_response(StatusCode::OK, &AssuranceView { automation, policies }))
}

/// `POST /device-assurance/sync[?recreate=true]`: the policies brought in line with the enabled platforms and
/// the OS rule.
#[utoipa::path(post, path = "/device-assurance/sync", tag = "device-trust", operation_id = "syncDeviceAssurance",
    description = "Role: admin. Needs okta.deviceAssurance.manage on the device-trust org's app. Creates the product's \
policy for each enabled platform, updates one whose rule changed, deletes those of platforms switched off. Changes only \
policies the product created and recorded, and only while unchanged in Okta since its last write; refuses and reports \
otherwise (changed_in_okta, gone). recreate=true makes again a recorded policy deleted in Okta.",
    params(("recreate" = Option<bool>, Query, description = "Make again a recorded policy that is gone from Okta")),
    security(("bearer" = [])),
    responses((status = 200, description = "One outcome per platform", body = AssuranceSynced),
        (status = 400, description = "Invalid recreate", body = ErrorBody),
        (status = 409, description = "okta_scope_not_granted (missingScope), or device trust not configured", body = ErrorBody),
        Unauthorized, Forbidden))]
pub async fn sync(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let recreate = match req.query("recreate") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("recreate", "recreate must be true or false")),
    };
    let platforms = assurance::sync(deps, req.caller.tenant.as_str(), recreate).await?;
    Ok(json_response(StatusCode::OK, &AssuranceSynced { platforms }))
}
