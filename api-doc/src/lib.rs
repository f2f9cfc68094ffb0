//! The OpenAPI 3.1 document of the admin API: every function's routes and schemas, the bearer (JWT) security
//! scheme, and API Gateway's own answers. `cargo run -p odt-api-doc` writes it to `openapi.json`; a test fails when
//! the committed file differs from what the code generates.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = integration::api_doc::IntegrationApi::openapi();
    doc.merge(platform_config::api_doc::PlatformConfigApi::openapi());
    doc.merge(fleet_sync::api_doc::FleetSyncApi::openapi());
    doc.merge(deploy_trigger::api_doc::DeployTriggerApi::openapi());
    doc.merge(status_export::api_doc::StatusExportApi::openapi());
    doc.info.title = "Okta Device Trust automation: admin API".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description = Some(
        "Admin API of the Okta Device Trust functions. Every route except /openapi.json needs a bearer JWT whose \
         claims carry `tenant_id` and `role` (`admin` configures; `technician` reads). Errors answer \
         `{\"error\": {\"code\", \"message\", \"field\"?}}`; API Gateway itself answers 401 and unknown routes \
         with `{\"message\"}`."
            .into(),
    );
    doc.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    let components = doc.components.get_or_insert_with(Default::default);
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.bearer_format = Some("JWT".into());
    components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    components.add_security_scheme(
        "hookSecret",
        SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
            utoipa::openapi::security::ApiKeyValue::with_description(
                "Authorization",
                "The tenant's event hook secret, as set with PUT /event-hook and in Okta's hook settings",
            ),
        )),
    );
    doc
}

/// The document as committed: pretty JSON with a final newline.
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&document()).expect("the document serializes");
    s.push('\n');
    s
}
