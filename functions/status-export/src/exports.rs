//! Exports: the device status as CSV (streamed: rows are written as the walk reads them, and uploaded to S3 in
//! multipart parts of 8 MiB, so memory stays bounded whatever the fleet size; [`crate::upload`]) or PDF
//! (rendered, then uploaded in parts), returned as a presigned URL that expires, inline as well when small.
//! Mailing the link to technicians: [`crate::mail`].

use crate::filter::Filter;
use crate::join::StatusWalk;
use crate::report::DeviceReport;
use crate::status::COLUMNS;
use crate::summary::Summary;
use crate::upload::{SharedBuf, Upload, PART_BYTES};
use aws_sdk_s3::presigning::PresigningConfig;
use odt_exports::{CsvExport, ExportError};
use odt_shared::clock::rfc3339;
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::ToSchema;

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
    /// The SES configuration set every message is sent with (`SES_CONFIGURATION_SET`): its event destination
    /// reports bounces and complaints by each message's `tenant` tag.
    pub configuration_set: String,
}

impl ExportDeps {
    /// From the environment (`EXPORTS_BUCKET`, `SENDER_EMAIL`, `SES_CONFIGURATION_SET`) over an SDK
    /// configuration. Errors: a missing variable.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(Self::new(sdk, var("EXPORTS_BUCKET")?, var("SENDER_EMAIL")?, var("SES_CONFIGURATION_SET")?))
    }

    /// Over an SDK configuration and explicit names (tests and the local stack). S3 uses path-style addresses,
    /// which both AWS and the local emulator serve.
    pub fn new(sdk: &aws_config::SdkConfig, bucket: String, sender: String, configuration_set: String) -> Self {
        let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(sdk).force_path_style(true).build());
        ExportDeps { s3, ses: aws_sdk_sesv2::Client::new(sdk), bucket, sender, configuration_set }
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

/// Writes the export of `tenant`'s devices passing `filter` to S3 and returns it with a presigned link.
/// Errors: the store or S3 failing, the file failing to render (internal).
pub async fn export(
    deps: &Deps,
    x: &ExportDeps,
    tenant: &str,
    format: Format,
    filter: &Filter,
) -> Result<ExportView, Error> {
    let now = deps.clock.now();
    let id = format!("{}-{}", now.unix_timestamp(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (ext, content_type) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Pdf => ("pdf", "application/pdf"),
    };
    let key = format!("exports/{tenant}/{id}.{ext}");
    let mut walk = StatusWalk::start(deps, tenant).await?;
    let mut upload = Upload::start(&x.s3, &x.bucket, key.clone(), content_type, INLINE_MAX).await?;
    let written = match format {
        Format::Csv => write_csv(&mut walk, filter, &mut upload).await?,
        Format::Pdf => write_pdf(&mut walk, filter, &mut upload, tenant, rfc3339(now)).await?,
    };
    let (bytes, head) = upload.finish().await?;
    let inline = (bytes as usize <= INLINE_MAX).then(|| match format {
        Format::Csv => String::from_utf8_lossy(&head).to_string(),
        Format::Pdf => base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &head),
    });
    Ok(ExportView {
        id,
        format,
        rows: written.rows,
        bytes,
        pages: written.pages,
        url: presigned_url(x, &key).await?,
        expires_at: rfc3339(now + LINK_TTL),
        inline,
        summary: written.summary,
    })
}

/// What an export wrote: the summary of its rows, how many, and the pages (PDF only).
struct Written {
    summary: Summary,
    rows: usize,
    pages: Option<usize>,
}

/// Streams the rows as CSV, a part uploaded whenever [`PART_BYTES`] have gathered.
async fn write_csv(walk: &mut StatusWalk, filter: &Filter, upload: &mut Upload<'_>) -> Result<Written, Error> {
    let csv_failed = |e: ExportError| Error::internal("CSV export", e);
    let buf = SharedBuf::default();
    let mut csv = CsvExport::new(buf.clone(), &COLUMNS).map_err(csv_failed)?;
    let mut written = Written { summary: Summary::default(), rows: 0, pages: None };
    while let Some((_, s)) = walk.next().await? {
        if !filter.matches(&s) {
            continue;
        }
        written.summary.add(&s);
        csv.write_row(&s.cells()).map_err(csv_failed)?;
        written.rows += 1;
        if buf.len() >= PART_BYTES {
            upload.part(buf.take()).await?;
        }
    }
    csv.finish().map_err(csv_failed)?;
    upload.part(buf.take()).await?;
    Ok(written)
}

/// Renders the rows as the PDF report ([`crate::report`]: its first page with `tenant`, `exported_at` and the
/// filter, then the device table), then uploads it in parts (memory: the file once, plus the part being sent).
async fn write_pdf(
    walk: &mut StatusWalk,
    filter: &Filter,
    upload: &mut Upload<'_>,
    tenant: &str,
    exported_at: String,
) -> Result<Written, Error> {
    let pdf_failed = |e: ExportError| Error::internal("PDF export", e);
    let mut report = DeviceReport::new().map_err(pdf_failed)?;
    while let Some((_, s)) = walk.next().await? {
        if filter.matches(&s) {
            report.add(&s).map_err(pdf_failed)?;
        }
    }
    let (bytes, stats, summary) = report.finish(tenant, &exported_at, filter).map_err(pdf_failed)?;
    // A part at a time from the one copy of the file (a PDF is never empty: at least one part).
    for part in bytes.chunks(PART_BYTES) {
        upload.part(part.to_vec()).await?;
    }
    Ok(Written { summary, rows: stats.rows, pages: Some(stats.pages) })
}

/// A GET link to `key` that works for [`LINK_TTL`]. Errors: presigning failing (internal).
async fn presigned_url(x: &ExportDeps, key: &str) -> Result<String, Error> {
    let presign = PresigningConfig::expires_in(LINK_TTL).map_err(|e| Error::internal("presigning", e))?;
    let url =
        x.s3.get_object()
            .bucket(&x.bucket)
            .key(key)
            .presigned(presign)
            .await
            .map_err(|e| Error::internal("presigning", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(url.uri().to_string())
}
