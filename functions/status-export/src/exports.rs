//! Exports: the device status as CSV (streamed: rows are written as the walk reads them, and uploaded to S3 in
//! multipart parts of 8 MiB, so memory stays bounded whatever the fleet size) or PDF (rendered, then uploaded
//! in parts), returned as a presigned URL that expires, inline as well when small; and "share with
//! technicians": the link mailed through SES, only to addresses on the tenant's technician list.

use crate::join::StatusWalk;
use crate::status::{Filter, Summary, COLUMNS};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use odt_exports::{CsvExport, PdfMeta, PdfReport};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::ApiError;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use utoipa::ToSchema;

/// Bytes per multipart part (S3's minimum is 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// How long a presigned link works (seconds).
pub const LINK_TTL: Duration = Duration::from_secs(3600);
/// Exports up to this size also come back inline (bytes).
pub const INLINE_MAX: usize = 256 * 1024;

/// What status-export needs besides the common dependencies: S3 for the files, SES for the mail.
#[derive(Clone)]
pub struct ExportDeps {
    pub s3: aws_sdk_s3::Client,
    pub ses: aws_sdk_sesv2::Client,
    /// The exports bucket (`EXPORTS_BUCKET`).
    pub bucket: String,
    /// The verified SES sender (`SENDER_EMAIL`).
    pub sender: String,
}

impl ExportDeps {
    /// From the environment (`EXPORTS_BUCKET`, `SENDER_EMAIL`) over an SDK configuration. Errors: a missing
    /// variable.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let bucket = std::env::var("EXPORTS_BUCKET").map_err(|_| "EXPORTS_BUCKET is not set".to_string())?;
        let sender = std::env::var("SENDER_EMAIL").map_err(|_| "SENDER_EMAIL is not set".to_string())?;
        Ok(Self::new(sdk, bucket, sender))
    }

    /// Over an SDK configuration and explicit names (tests and the local stack). S3 uses path-style addresses,
    /// which both AWS and the local emulator serve.
    pub fn new(sdk: &aws_config::SdkConfig, bucket: String, sender: String) -> Self {
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
        ExportDeps { s3, ses: aws_sdk_sesv2::Client::new(sdk), bucket, sender }
    }
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Pdf,
}

/// A finished export.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    pub id: String,
    pub format: Format,
    /// Device rows written.
    pub rows: usize,
    pub bytes: u64,
    /// PDF only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    /// A presigned GET link.
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
    /// The file itself when small: CSV as text, PDF as base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline: Option<String>,
    pub summary: Summary,
}

fn failure(what: &'static str) -> impl Fn(String) -> ApiError {
    move |e| odt_shared::error::internal_failure(what, e)
}

/// A `Write` into a shared buffer, so rows can be written synchronously and uploaded between rows.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("buffer lock"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

/// A multipart upload under way; every part but the last is at least [`PART_BYTES`].
struct Upload<'a> {
    x: &'a ExportDeps,
    key: String,
    id: String,
    parts: Vec<CompletedPart>,
    bytes: u64,
    /// The first bytes, kept for the inline copy while the export is small.
    head: Vec<u8>,
}

impl<'a> Upload<'a> {
    async fn start(x: &'a ExportDeps, key: String, content_type: &str) -> Result<Upload<'a>, ApiError> {
        let out = x
            .s3
            .create_multipart_upload()
            .bucket(&x.bucket)
            .key(&key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| failure("S3 CreateMultipartUpload")(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        let id = out.upload_id.ok_or_else(|| failure("S3 CreateMultipartUpload")("no upload id".into()))?;
        Ok(Upload { x, key, id, parts: Vec::new(), bytes: 0, head: Vec::new() })
    }

    async fn part(&mut self, data: Vec<u8>) -> Result<(), ApiError> {
        if self.head.len() <= INLINE_MAX {
            let room = INLINE_MAX + 1 - self.head.len();
            self.head.extend_from_slice(&data[..data.len().min(room)]);
        }
        let n = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        self.bytes += data.len() as u64;
        let out = self
            .x
            .s3
            .upload_part()
            .bucket(&self.x.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .map_err(|e| failure("S3 UploadPart")(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        self.parts.push(CompletedPart::builder().part_number(n).set_e_tag(out.e_tag).build());
        Ok(())
    }

    async fn finish(self) -> Result<(u64, Vec<u8>), ApiError> {
        self.x
            .s3
            .complete_multipart_upload()
            .bucket(&self.x.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(self.parts)).build())
            .send()
            .await
            .map_err(|e| {
                failure("S3 CompleteMultipartUpload")(aws_sdk_s3::error::DisplayErrorContext(e).to_string())
            })?;
        Ok((self.bytes, self.head))
    }
}

/// Writes the export of `tenant`'s devices passing `filter` to S3 and returns it with a presigned link.
pub async fn export(
    deps: &Deps,
    x: &ExportDeps,
    tenant: &str,
    format: Format,
    filter: &Filter,
) -> Result<ExportView, ApiError> {
    let store_failure = odt_shared::error::store_failure;
    let now = deps.clock.now();
    let id = format!("{}-{}", now.unix_timestamp(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (ext, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Pdf => ("pdf", "application/pdf"),
    };
    let key = format!("exports/{tenant}/{id}.{ext}");
    let mut walk = StatusWalk::start(deps, tenant).await.map_err(store_failure)?;
    let mut summary = Summary::default();
    let mut rows = 0usize;
    let mut pages = None;
    let mut upload = Upload::start(x, key.clone(), content_type).await?;
    match format {
        Format::Csv => {
            let buf = SharedBuf::default();
            let mut csv = CsvExport::new(buf.clone(), &COLUMNS).map_err(|e| failure("CSV export")(e.to_string()))?;
            while let Some((_, s)) = walk.next().await.map_err(store_failure)? {
                if !filter.matches(&s) {
                    continue;
                }
                summary.add(&s);
                csv.write_row(&s.cells()).map_err(|e| failure("CSV export")(e.to_string()))?;
                rows += 1;
                if buf.len() >= PART_BYTES {
                    upload.part(buf.take()).await?;
                }
            }
            csv.finish().map_err(|e| failure("CSV export")(e.to_string()))?;
            upload.part(buf.take()).await?;
        }
        Format::Pdf => {
            let pdf_failure = |e: odt_exports::ExportError| failure("PDF export")(e.to_string());
            let mut report = PdfReport::new(&COLUMNS, Summary::MAX_LINES).map_err(pdf_failure)?;
            while let Some((_, s)) = walk.next().await.map_err(store_failure)? {
                if filter.matches(&s) {
                    summary.add(&s);
                    report.row(&s.cells()).map_err(pdf_failure)?;
                }
            }
            rows = report.rows();
            let meta = PdfMeta {
                title: "Okta Device Trust: device configuration status".into(),
                tenant: tenant.to_string(),
                exported_at: rfc3339(now),
                summary: summary.lines(),
            };
            let mut out = Vec::new();
            let stats = report.finish(&mut out, &meta).map_err(pdf_failure)?;
            pages = Some(stats.pages);
            let mut rest = out;
            while rest.len() > PART_BYTES {
                let tail = rest.split_off(PART_BYTES);
                upload.part(std::mem::replace(&mut rest, tail)).await?;
            }
            upload.part(rest).await?;
        }
    }
    let (bytes, head) = upload.finish().await?;
    let inline = (bytes as usize <= INLINE_MAX).then(|| match format {
        Format::Csv => String::from_utf8_lossy(&head).to_string(),
        Format::Pdf => base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &head),
    });
    let presign = PresigningConfig::expires_in(LINK_TTL).map_err(|e| failure("presigning")(e.to_string()))?;
    let url =
        x.s3.get_object()
            .bucket(&x.bucket)
            .key(&key)
            .presigned(presign)
            .await
            .map_err(|e| failure("presigning")(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?
            .uri()
            .to_string();
    Ok(ExportView { id, format, rows, bytes, pages, url, expires_at: rfc3339(now + LINK_TTL), inline, summary })
}

/// One mail SES accepted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentMail {
    pub to: String,
    /// SES's message id.
    pub message_id: String,
}

/// Mails the link of `export` to each of `to` (already checked against the technician list) through SES and
/// returns SES's message id for each.
pub async fn mail(x: &ExportDeps, tenant: &str, export: &ExportView, to: &[String]) -> Result<Vec<SentMail>, ApiError> {
    use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
    let text = format!(
        "The device configuration status of {tenant} ({} devices) is ready: {}\n\nThe link works until {}.",
        export.rows, export.url, export.expires_at
    );
    let content = |s: &str| Content::builder().data(s).charset("UTF-8").build();
    let mut sent = Vec::new();
    for addr in to {
        let subject = content("Okta Device Trust: device configuration status")
            .map_err(|e| failure("SES message")(e.to_string()))?;
        let body = content(&text).map_err(|e| failure("SES message")(e.to_string()))?;
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
            .map_err(|e| failure("SES SendEmail")(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string()))?;
        sent.push(SentMail { to: addr.clone(), message_id: out.message_id.unwrap_or_default() });
    }
    Ok(sent)
}
