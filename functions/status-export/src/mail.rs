//! "Share with technicians": an export's link mailed through SES, only to addresses on the tenant's technician
//! list (checked by the caller).

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

/// Mails the link of `export` to each of `to` (already checked against the technician list) through SES and
/// returns SES's message id for each. Errors: SES failing (internal).
pub async fn mail(x: &ExportDeps, tenant: &str, export: &ExportView, to: &[String]) -> Result<Vec<SentMail>, Error> {
    use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
    let text = format!(
        "The device configuration status of {tenant} ({} devices) is ready: {}\n\nThe link works until {}.",
        export.rows, export.url, export.expires_at
    );
    let content = |s: &str| Content::builder().data(s).charset("UTF-8").build();
    let mut sent = Vec::new();
    for addr in to {
        let subject =
            content("Okta Device Trust: device configuration status").map_err(|e| Error::internal("SES message", e))?;
        let body = content(&text).map_err(|e| Error::internal("SES message", e))?;
        let out = x
            .ses
            .send_email()
            .from_email_address(&x.sender)
            .destination(Destination::builder().to_addresses(addr).build())
            .content(
                EmailContent::builder()
                    .simple(Message::builder().subject(subject).body(Body::builder().text(body).build()).build())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| Error::internal("SES SendEmail", aws_sdk_sesv2::error::DisplayErrorContext(e)))?;
        sent.push(SentMail { to: addr.clone(), message_id: out.message_id.unwrap_or_default() });
    }
    Ok(sent)
}
