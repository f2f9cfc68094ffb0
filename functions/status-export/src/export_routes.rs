//! The export routes: the device status as a file behind a presigned link, and the same mailed to technicians
//! on the tenant's list.

use crate::exports::{export as write_export, ExportDeps, ExportView, Format};
use crate::filter::Filter;
use crate::mail::{mail, NotSent, SentMail};
use crate::mail_budget::{self, MAIL_PER_MINUTE};
use crate::technicians::{normalize_emails, MAX_TECHNICIANS};
use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::{BodyRefused, Unauthorized};
use odt_shared::error::ErrorBody;
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /status/exports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"format": "csv", "platform": "macos"}))]
pub struct ExportInput {
    pub format: Format,
    pub platform: Option<String>,
    pub state: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
}

/// `POST /status/exports`: the device status (with the filters) as CSV or PDF in S3, behind a presigned link.
#[utoipa::path(post, path = "/status/exports", tag = "status", operation_id = "exportStatus",
    description = "Roles: admin, technician. CSV: UTF-8 with BOM, RFC 4180, formula-looking text neutralized, stable column ids in the first row. PDF: title, tenant, time, summary, the device table with its header on every page and page numbers. Small exports also come back inline.",
    request_body = ExportInput, security(("bearer" = [])),
    responses((status = 200, description = "The export", body = ExportView),
        (status = 400, description = "A format or filter that is not valid", body = ErrorBody),
        Unauthorized, BodyRefused))]
pub async fn export(deps: &Deps, x: &ExportDeps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let input: ExportInput = req.json()?;
    let filter = Filter::parse(input.platform, input.state, input.group, input.q)?;
    let view = write_export(deps, x, req.caller.tenant.as_str(), input.format, &filter).await?;
    Ok(json_response(StatusCode::OK, &view))
}

/// `POST /status/exports/share`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"format": "pdf", "emails": ["tech@acme.com"]}))]
pub struct ShareInput {
    pub format: Format,
    /// Addresses on the tenant's technician list (`GET /technicians`); any other is refused.
    pub emails: Vec<String>,
    pub platform: Option<String>,
    pub state: Option<String>,
    pub group: Option<String>,
    pub q: Option<String>,
}

/// What was shared.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShareView {
    pub export: ExportView,
    /// The addresses SES accepted a message for.
    pub sent_to: Vec<String>,
    /// What SES accepted, per address.
    pub messages: Vec<SentMail>,
    /// The addresses SES refused, each with SES's reason (the others were sent all the same).
    pub not_sent: Vec<NotSent>,
}

/// `POST /status/exports/share`: export, then mail the link to technicians on the tenant's list, within the
/// tenant's mail budget ([`crate::mail_budget`]: taken before anything is exported or sent, what SES did not send
/// given back).
#[utoipa::path(post, path = "/status/exports/share", tag = "status", operation_id = "shareStatus",
    description = "Roles: admin, technician. Only addresses on the technician list are accepted; any other is refused with 400 naming it, and nothing is sent. Each address is one message of the tenant's mail budget: 30 a minute and 300 a UTC day (so at most 30 addresses a share); a share that would pass either is refused whole with 429 `mail_budget_spent` naming the budget (`perMinute`, `perDay`) with `limit` and `retryAt`, and nothing is exported or sent.",
    request_body = ShareInput, security(("bearer" = [])),
    responses((status = 200, description = "Exported and mailed to at least one address; `notSent` lists any SES refused", body = ShareView),
        (status = 502, description = "SES sent none of the messages (mail_not_sent, with `notSent`)", body = ErrorBody),
        (status = 400, description = "An address not on the technician list, more addresses than a minute's mail budget, or an invalid format or filter", body = ErrorBody),
        (status = 429, description = "The tenant's mail budget would be passed (mail_budget_spent: `budget`, `limit`, `retryAt`); nothing was sent", body = ErrorBody),
        Unauthorized, BodyRefused))]
pub async fn share(deps: &Deps, x: &ExportDeps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let tenant = req.caller.tenant.as_str();
    let input: ShareInput = req.json()?;
    let most = MAIL_PER_MINUTE as usize;
    if input.emails.is_empty() || input.emails.len() > MAX_TECHNICIANS {
        return Err(ApiError::invalid("emails", format!("1 to {most} addresses (a minute's mail budget)")));
    }
    let to = normalize_emails(&input.emails)?;
    if to.len() > most {
        return Err(ApiError::invalid("emails", format!("1 to {most} addresses (a minute's mail budget)")));
    }
    let allowed = deps.store.get_technicians(tenant).await?.map(|t| t.emails).unwrap_or_default();
    let refused: Vec<&String> = to.iter().filter(|e| !allowed.contains(e)).collect();
    if !refused.is_empty() {
        return Err(ApiError::invalid(
            "emails",
            "exports are mailed only to the tenant's technicians (PUT /technicians)",
        )
        .with_detail("refused", serde_json::json!(refused)));
    }
    let filter = Filter::parse(input.platform, input.state, input.group, input.q)?;
    let taken = mail_budget::take(&deps.store, tenant, deps.clock.now(), to.len() as u64).await?;
    let mailed = match write_export(deps, x, tenant, input.format, &filter).await {
        Ok(export) => mail(x, tenant, &export, &to).await.map(|m| (export, m)),
        Err(e) => Err(e),
    };
    let unsent = mailed.as_ref().map_or(taken.messages, |(_, m)| m.not_sent.len() as u64);
    if let Err(e) = deps.store.give_back_mail(tenant, &taken, unsent).await {
        tracing::warn!(tenant, error = %e, unsent, "the mail budget keeps messages SES did not send");
    }
    let (export, mailed) = mailed?;
    if mailed.sent.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_GATEWAY, "mail_not_sent", "SES sent none of the messages")
            .with_detail("notSent", serde_json::json!(mailed.not_sent)));
    }
    let sent_to = mailed.sent.iter().map(|m| m.to.clone()).collect();
    Ok(json_response(StatusCode::OK, &ShareView { export, sent_to, messages: mailed.sent, not_sent: mailed.not_sent }))
}
