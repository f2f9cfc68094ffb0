//! "Share with technicians": an export's link mailed through SES, only to addresses on the tenant's technician
//! list (checked by the caller). Every message goes out with the SES configuration set and a `tenant` message
//! tag, so a bounce or complaint names the tenant that sent it.

use crate::exports::{ExportDeps, ExportView};
use odt_shared::error::Error;
use serde::Serialize;
use utoipa::ToSchema;

/// One mail SES accepted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    pub to: String,
    /// SES's message id.
    pub message_id: String,
}

/// One address SES did not take, and why (SES's own words).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotSent {
    pub to: String,
    pub reason: String,
}

/// What one share sent: per address, SES's message id or its refusal.
#[derive(Debug, Default)]
pub struct Mailed {
    pub sent: Vec<SentMail>,
    pub not_sent: Vec<NotSent>,
}

/// The SES message tag that names the tenant a message was sent for (its value the tenant id, which SES's tag
/// rule, ASCII letters, digits, `_` and `-`, admits as every tenant id is one).
pub const TENANT_TAG: &str = "tenant";

/// Mails the link of `export` to each of `to` (already checked against the technician list) through SES, one
/// message per address, each with the configuration set and the [`TENANT_TAG`]; an address SES refuses does not
/// stop the others. Errors: a message that cannot be built (internal).
pub async fn mail(x: &ExportDeps, tenant: &str, export: &ExportView, to: &[String]) -> Result<Mailed, Error> {
    use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
    let text = format!(
        "The device configuration status of {tenant} ({} devices) is ready: {}\n\nThe link works until {}.",
        export.rows, export.url, export.expires_at
    );
    let content = |s: &str| Content::builder().data(s).charset("UTF-8").build();
    let tag =
        MessageTag::builder().name(TENANT_TAG).value(tenant).build().map_err(|e| Error::internal("SES tag", e))?;
    let mut mailed = Mailed::default();
    for addr in to {
        let subject =
            content("Okta Device Trust: device configuration status").map_err(|e| Error::internal("SES message", e))?;
        let body = content(&text).map_err(|e| Error::internal("SES message", e))?;
        let out = x
            .ses
            .send_email()
            .from_email_address(&x.sender)
            .configuration_set_name(&x.configuration_set)
            .email_tags(tag.clone())
            .destination(Destination::builder().to_addresses(addr).build())
            .content(
                EmailContent::builder()
                    .simple(Message::builder().subject(subject).body(Body::builder().text(body).build()).build())
                    .build(),
            )
            .send()
            .await;
        match out {
            Ok(out) => mailed.sent.push(SentMail { to: addr.clone(), message_id: out.message_id.unwrap_or_default() }),
            Err(e) => {
                let reason = aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string();
                tracing::warn!(tenant, reason, "SES refused a share's message");
                mailed.not_sent.push(NotSent { to: addr.clone(), reason });
            }
        }
    }
    Ok(mailed)
}
