//! The integration function: connect Okta orgs (verify credentials, report granted scopes), list and get them,
//! rotate their credentials, list an org's Okta user groups for fleet selection, choose the org device trust
//! uses, show the device trust overview, delete device trust, and disconnect orgs.
//!
//! Routes (all behind the JWT authorizer; admins configure, technicians read):
//! `GET|POST /okta-orgs`, `GET|DELETE /okta-orgs/{orgId}`, `PUT /okta-orgs/{orgId}/credentials`,
//! `PUT /okta-orgs/{orgId}/custom-domain`,
//! `GET /okta-orgs/{orgId}/groups?q=`, `GET|PUT|DELETE /device-trust`, `GET /device-assurance`,
//! `POST /device-assurance/sync` (the product's device assurance policies in Okta), `GET|PUT /uem`,
//! `GET /uem/device-groups?q=`, `GET /access-policies`, `GET|PUT|DELETE /access-policy-rules`,
//! `POST /access-policy-rules/preview`, `POST /access-policy-rules/activate`; and, without a token, the admin
//! API's OpenAPI document at `GET /openapi.json`.

pub mod access_rules;
pub mod api_doc;
mod custom_domain;
mod device_assurance;
mod device_trust;
mod input;
mod orgs;
pub mod uem;
pub mod uem_groups;
mod verify;
pub mod views;

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

/// The committed OpenAPI document (`openapi.json`, checked against the code by a test), served without a token.
pub const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

async fn route(deps: &Deps, req: lambda_http::Request) -> Result<Response<Body>, ApiError> {
    if req.method() == Method::GET && req.uri().path() == "/openapi.json" {
        return Ok(Response::builder()
            .status(http::StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::Text(OPENAPI_JSON.to_string()))
            .expect("static response parts are valid"));
    }
    let req = ApiRequest::try_from(req)?;
    let (op, params) = router::resolve(ROUTES, &req.method, &req.path())?;
    let org_id = params.first().copied().unwrap_or_default();
    match op {
        Op::ListOrgs => orgs::list(deps, &req).await,
        Op::ConnectOrg => orgs::connect(deps, &req).await,
        Op::GetOrg => orgs::get(deps, &req, org_id).await,
        Op::DisconnectOrg => orgs::disconnect(deps, &req, org_id).await,
        Op::RotateCredentials => orgs::rotate(deps, &req, org_id).await,
        Op::SetCustomDomain => custom_domain::set(deps, &req, org_id).await,
        Op::ListGroups => orgs::groups(deps, &req, org_id).await,
        Op::DeviceTrustOverview => device_trust::overview(deps, &req).await,
        Op::ChooseDeviceTrustOrg => device_trust::choose_org(deps, &req).await,
        Op::DeleteDeviceTrust => device_trust::delete(deps, &req).await,
        Op::GetDeviceAssurance => device_assurance::get(deps, &req).await,
        Op::SyncDeviceAssurance => device_assurance::sync(deps, &req).await,
        Op::GetUem => uem::get(deps, &req).await,
        Op::ConnectUem => uem::connect(deps, &req).await,
        Op::ListUemDeviceGroups => uem_groups::list(deps, &req).await,
        Op::ListAccessPolicies => access_rules::list_policies(deps, &req).await,
        Op::ListAccessRules => access_rules::list_rules(deps, &req).await,
        Op::PreviewAccessRules => access_rules::preview(deps, &req).await,
        Op::CreateAccessRules => access_rules::create_rules(deps, &req).await,
        Op::ActivateAccessRules => access_rules::activate(deps, &req).await,
        Op::RollBackAccessRules => access_rules::rollback(deps, &req).await,
    }
}

/// The operations of this function's routes (`GET /openapi.json` is served before the token is read).
#[derive(Clone, Copy)]
enum Op {
    ListOrgs,
    ConnectOrg,
    GetOrg,
    DisconnectOrg,
    RotateCredentials,
    SetCustomDomain,
    ListGroups,
    DeviceTrustOverview,
    ChooseDeviceTrustOrg,
    DeleteDeviceTrust,
    GetDeviceAssurance,
    SyncDeviceAssurance,
    GetUem,
    ConnectUem,
    ListUemDeviceGroups,
    ListAccessPolicies,
    ListAccessRules,
    PreviewAccessRules,
    CreateAccessRules,
    ActivateAccessRules,
    RollBackAccessRules,
}

/// The routes behind the token check; `{orgId}` is the org id (checked as sent).
const ROUTES: &[Route<Op>] = &[
    (Method::GET, &["okta-orgs"], Op::ListOrgs),
    (Method::POST, &["okta-orgs"], Op::ConnectOrg),
    (Method::GET, &["okta-orgs", "{orgId}"], Op::GetOrg),
    (Method::DELETE, &["okta-orgs", "{orgId}"], Op::DisconnectOrg),
    (Method::PUT, &["okta-orgs", "{orgId}", "credentials"], Op::RotateCredentials),
    (Method::PUT, &["okta-orgs", "{orgId}", "custom-domain"], Op::SetCustomDomain),
    (Method::GET, &["okta-orgs", "{orgId}", "groups"], Op::ListGroups),
    (Method::GET, &["device-trust"], Op::DeviceTrustOverview),
    (Method::PUT, &["device-trust"], Op::ChooseDeviceTrustOrg),
    (Method::DELETE, &["device-trust"], Op::DeleteDeviceTrust),
    (Method::GET, &["device-assurance"], Op::GetDeviceAssurance),
    (Method::POST, &["device-assurance", "sync"], Op::SyncDeviceAssurance),
    (Method::GET, &["uem"], Op::GetUem),
    (Method::PUT, &["uem"], Op::ConnectUem),
    (Method::GET, &["uem", "device-groups"], Op::ListUemDeviceGroups),
    (Method::GET, &["access-policies"], Op::ListAccessPolicies),
    (Method::GET, &["access-policy-rules"], Op::ListAccessRules),
    (Method::PUT, &["access-policy-rules"], Op::CreateAccessRules),
    (Method::DELETE, &["access-policy-rules"], Op::RollBackAccessRules),
    (Method::POST, &["access-policy-rules", "preview"], Op::PreviewAccessRules),
    (Method::POST, &["access-policy-rules", "activate"], Op::ActivateAccessRules),
];
