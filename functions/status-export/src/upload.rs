//! Writing an export to S3 in multipart parts, so memory stays bounded whatever its size: [`SharedBuf`] takes
//! the rows as they are written, and [`Upload`] sends a part whenever enough has gathered.

use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use odt_shared::error::Error;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Bytes per multipart part (S3's minimum is 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// A `Write` into a shared buffer, so rows can be written synchronously and uploaded between rows.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

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
    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }
    /// The bytes waiting, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

/// A multipart upload under way; every part but the last is at least [`PART_BYTES`].
pub struct Upload<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    key: String,
    id: String,
    parts: Vec<CompletedPart>,
    bytes: u64,
    /// The first bytes (up to one more than `head_max`), kept for an inline copy while the file is small.
    head: Vec<u8>,
    head_max: usize,
}

impl<'a> Upload<'a> {
    /// Starts the upload of `key` into `bucket`, keeping the first bytes while there are at most `head_max`.
    /// Errors: S3 failing (internal).
    pub async fn start(
        s3: &'a aws_sdk_s3::Client,
        bucket: &'a str,
        key: String,
        content_type: &str,
        head_max: usize,
    ) -> Result<Upload<'a>, Error> {
        let out = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| Error::internal("S3 CreateMultipartUpload", DisplayErrorContext(e)))?;
        let id = out.upload_id.ok_or_else(|| Error::internal("S3 CreateMultipartUpload", "no upload id"))?;
        Ok(Upload { s3, bucket, key, id, parts: Vec::new(), bytes: 0, head: Vec::new(), head_max })
    }

    /// Uploads the next part. Errors: S3 failing (internal).
    pub async fn part(&mut self, data: Vec<u8>) -> Result<(), Error> {
        if self.head.len() <= self.head_max {
            let room = self.head_max + 1 - self.head.len();
            self.head.extend_from_slice(&data[..data.len().min(room)]);
        }
        let n = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        self.bytes += data.len() as u64;
        let out = self
            .s3
            .upload_part()
            .bucket(self.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .part_number(n)
            .body(ByteStream::from(data))
            .send()
            .await
            .map_err(|e| Error::internal("S3 UploadPart", DisplayErrorContext(e)))?;
        self.parts.push(CompletedPart::builder().part_number(n).set_e_tag(out.e_tag).build());
        Ok(())
    }

    /// Completes the upload; returns its size and its first bytes (up to one more than `head_max`). Errors: S3
    /// failing (internal).
    pub async fn finish(self) -> Result<(u64, Vec<u8>), Error> {
        self.s3
            .complete_multipart_upload()
            .bucket(self.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(self.parts)).build())
            .send()
            .await
            .map_err(|e| Error::internal("S3 CompleteMultipartUpload", DisplayErrorContext(e)))?;
        Ok((self.bytes, self.head))
    }
}
