//! Reading one shard: its iterator (from the checkpoint, or `TRIM_HORIZON`), raw `GetRecords` pages, the records
//! that pass the filters gathered into batches and handed to delivery, in stream order.

use super::worker::{Ctx, Shard};
use super::Counters;
use crate::streams::event::raw_record_json;
use anyhow::anyhow;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use serde_json::{json, Value};
use tokio::time::Instant;

const GET_RECORDS_LIMIT: i32 = 1000;

/// What polling a shard did.
#[derive(Default)]
pub(super) struct Polled {
    pub(super) records: usize,
    pub(super) closed: bool,
}

/// One raw `GetRecords` page.
struct RawPage {
    records: Vec<Value>,
    next: Option<String>,
}

/// A `GetRecords` error: the error type (`…#TrimmedDataAccessException`) and message.
struct RawError {
    code: String,
    message: String,
}

/// How polling goes on after a failed `GetRecords`.
enum Recovery {
    /// A new iterator was opened: read on.
    ReadOn,
    /// The shard turned out closed and read.
    Closed,
    /// The poll fails (a fresh iterator from the checkpoint next round).
    Failed(anyhow::Error),
}

impl Ctx {
    /// Opens an iterator after the shard's checkpoint, or at `TRIM_HORIZON` before any record was read. `false`
    /// when there is none to open: the shard is closed and read (it is marked finished).
    async fn open_iterator(&self, shard: &mut Shard) -> anyhow::Result<bool> {
        let req = self.client.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(&shard.id);
        let req = match &shard.checkpoint {
            Some(seq) => req.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
            None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let resp = req.send().await.map_err(|e| {
            anyhow!("GetShardIterator {}: {}", shard.id, aws_sdk_dynamodbstreams::error::DisplayErrorContext(e))
        })?;
        shard.iterator = resp.shard_iterator;
        shard.finished = shard.iterator.is_none();
        Ok(!shard.finished)
    }

    /// `GetRecords` as raw JSON. Not through the SDK: DynamoDB Local writes an empty map attribute as `{}`
    /// instead of `{"M": {}}` in stream records, which the SDK refuses to parse (the whole page fails), so the
    /// page is read as JSON and such values are repaired ([`crate::streams::repair_attribute`]). DynamoDB Local
    /// checks no signature, so the request carries a well-formed but unsigned SigV4 header.
    async fn get_records(&self, iterator: &str) -> Result<RawPage, RawError> {
        let body = json!({"ShardIterator": iterator, "Limit": GET_RECORDS_LIMIT});
        let resp = self
            .http
            .post(&self.endpoint)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDBStreams_20120810.GetRecords")
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=local/20260101/{}/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                    self.region
                ),
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| RawError { code: "transport".into(), message: e.to_string() })?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.map_err(|e| RawError { code: "json".into(), message: e.to_string() })?;
        if !ok {
            return Err(RawError {
                code: v["__type"].as_str().unwrap_or("error").to_string(),
                message: v["message"].as_str().or(v["Message"].as_str()).unwrap_or("").to_string(),
            });
        }
        let records = v["Records"].as_array().cloned().unwrap_or_default();
        Ok(RawPage { records, next: v["NextShardIterator"].as_str().map(str::to_string) })
    }

    /// Reads what the shard has (gathering for up to the batching window while records keep coming), and
    /// delivers what passes the filters, in stream order.
    pub(super) async fn poll_shard(&self, shard: &mut Shard) -> anyhow::Result<Polled> {
        let mut polled = Polled::default();
        if shard.iterator.is_none() && !self.open_iterator(shard).await? {
            polled.closed = true;
            return Ok(polled);
        }
        let mut pending: Vec<Value> = Vec::new();
        let mut gather_until: Option<Instant> = None;
        let mut failure = None;
        let mut reopened = false;
        while let Some(it) = shard.iterator.clone() {
            let resp = match self.get_records(&it).await {
                Ok(r) => r,
                Err(e) => {
                    shard.iterator = None;
                    let recovery = self.recover(shard, e, !reopened).await;
                    reopened = true;
                    match recovery {
                        Recovery::ReadOn => continue,
                        Recovery::Closed => polled.closed = true,
                        Recovery::Failed(e) => failure = Some(e),
                    }
                    break;
                }
            };
            polled.records += resp.records.len();
            Counters::add(&self.shared.counters.records_seen, resp.records.len() as u64);
            self.take_records(shard, &resp.records, &mut pending).await;
            shard.iterator = resp.next;
            if shard.iterator.is_none() {
                tracing::debug!(function = %self.function, shard = %shard.id, "shard closed");
                shard.finished = true;
                polled.closed = true;
                break;
            }
            if resp.records.is_empty() {
                break;
            }
            let until = *gather_until.get_or_insert_with(|| Instant::now() + self.gather);
            if Instant::now() >= until {
                break;
            }
        }
        for chunk in pending.chunks(self.batch_size) {
            self.deliver_batch(&shard.id, chunk.to_vec()).await;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(polled),
        }
    }

    /// After a failed `GetRecords` (the shard's iterator is gone): a trimmed or expired iterator is replaced by a
    /// new one from the checkpoint when `may_reopen` (once a poll); anything else fails the poll.
    async fn recover(&self, shard: &mut Shard, e: RawError, may_reopen: bool) -> Recovery {
        // DynamoDB Local answers TrimmedDataAccessException to a TRIM_HORIZON iterator taken while the shard was
        // empty once other tables (-sharedDb: one sequence for all) were written to; a new iterator from the
        // checkpoint reads on, as it does after an expired iterator
        let reopen = e.code.ends_with("TrimmedDataAccessException") || e.code.ends_with("ExpiredIteratorException");
        if !(reopen && may_reopen) {
            // a fresh iterator from the checkpoint next round
            return Recovery::Failed(anyhow!("GetRecords {}: {} {}", shard.id, e.code, e.message));
        }
        tracing::debug!(function = %self.function, shard = %shard.id, error = %e.message, "new shard iterator");
        match self.open_iterator(shard).await {
            Ok(true) => Recovery::ReadOn,
            Ok(false) => Recovery::Closed,
            Err(e) => Recovery::Failed(e),
        }
    }

    /// Moves the shard's checkpoint over `records` and adds those that pass the filters to `pending` (as event
    /// records), delivering a batch whenever `pending` reaches the batch size.
    async fn take_records(&self, shard: &mut Shard, records: &[Value], pending: &mut Vec<Value>) {
        for r in records {
            if let Some(seq) = r["dynamodb"]["SequenceNumber"].as_str() {
                shard.checkpoint = Some(seq.to_string());
            }
            let event = raw_record_json(r.clone(), &self.stream_arn, &self.region);
            if self.filters.matches(&event) {
                Counters::add(&self.shared.counters.records_passed, 1);
                pending.push(event);
                if pending.len() >= self.batch_size {
                    self.deliver_batch(&shard.id, std::mem::take(pending)).await;
                }
            }
        }
    }
}
