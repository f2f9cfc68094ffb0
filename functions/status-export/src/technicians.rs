//! The technician list: the addresses exports may be mailed to.

use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Forbidden, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::store::{Store, TechniciansRecord};
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most technicians a tenant may list.
pub const MAX_TECHNICIANS: usize = 200;

/// How a technician's address must read: RFC 5321/5322 as the `email_address` crate parses it, and none of the
/// forms an SES recipient should never take: a domain literal (`x@[127.0.0.1]`), a display name or comment, a quoted
/// local part, a domain without a dot.
const ADDRESS_RULES: email_address::Options = email_address::Options {
    minimum_sub_domains: 2,
    allow_domain_literal: false,
    allow_display_text: false,
    allow_long_local_parts: false,
};

/// `e` trimmed and lower-cased. Errors: 400 naming `field` when it is not a plain email address by
/// [`ADDRESS_RULES`] (`victim@evil.com@tena.example.com`, `x@evil.com(tech@…)` and the like among them).
fn normalize_email(field: &str, e: &str) -> Result<String, ApiError> {
    let e = e.trim().to_ascii_lowercase();
    let parsed = email_address::EmailAddress::parse_with_options(&e, ADDRESS_RULES);
    let plain = parsed.as_ref().is_ok_and(|a| !a.local_part().starts_with('"') && a.email() == e);
    if e.len() <= 254 && plain {
        Ok(e)
    } else {
        let why = parsed.err().map(|x| format!(" ({x})")).unwrap_or_default();
        Err(ApiError::invalid(
            field,
            format!("`{}` is not a plain email address{why}", e.chars().take(64).collect::<String>()),
        ))
    }
}

/// The addresses normalized, each once, in their order. Errors: 400 naming `emails` for one that is not an
/// email address.
pub fn normalize_emails(emails: &[String]) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for e in emails {
        let e = normalize_email("emails", e)?;
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// The technician list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TechniciansView {
    pub emails: Vec<String>,
    /// 0 while none is stored.
    pub version: u64,
}

/// `PUT /technicians`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"emails": ["tech@acme.com"], "version": 0}))]
pub struct TechniciansInput {
    pub emails: Vec<String>,
    pub version: Option<u64>,
}

/// `GET /technicians`.
#[utoipa::path(get, path = "/technicians", tag = "status", operation_id = "getTechnicians",
    description = "Roles: admin, technician. The addresses exports may be mailed to.", security(("bearer" = [])),
    responses((status = 200, description = "The list", body = TechniciansView),
        Unauthorized))]
pub async fn get(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let t = deps.store.get_technicians(req.caller.tenant.as_str()).await?;
    let view = t.map_or(TechniciansView { emails: vec![], version: 0 }, |t| TechniciansView {
        emails: t.emails,
        version: t.version,
    });
    Ok(json_response(StatusCode::OK, &view))
}

/// `PUT /technicians`: replaces the list (conditional on the version).
#[utoipa::path(put, path = "/technicians", tag = "status", operation_id = "putTechnicians",
    description = "Role: admin.", request_body = TechniciansInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved", body = TechniciansView),
        (status = 400, description = "An address that is not valid, or too many", body = ErrorBody),
        (status = 409, description = "Changed meanwhile (currentVersion)", body = ErrorBody),
        Unauthorized, Forbidden, BodyRefused))]
pub async fn put(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    req.caller.require_admin()?;
    let tenant = req.caller.tenant.as_str();
    let input: TechniciansInput = req.json()?;
    if input.emails.len() > MAX_TECHNICIANS {
        return Err(ApiError::invalid("emails", format!("at most {MAX_TECHNICIANS} addresses")));
    }
    let emails = normalize_emails(&input.emails)?;
    let existing = deps.store.get_technicians(tenant).await?.map(|t| t.version);
    let current = Store::expect_version(input.version, existing)?;
    let rec = TechniciansRecord::new(tenant, emails, rfc3339(deps.clock.now()), current + 1);
    deps.store.put_technicians(&rec, existing).await?;
    Ok(json_response(StatusCode::OK, &TechniciansView { emails: rec.emails, version: rec.version }))
}
