//! The pump's task: rounds over the stream's shards. Each round re-describes the stream when due (new shards,
//! a closed one, once a second, or when `settle` asks), reads every shard that is ready, and publishes its
//! [`Progress`]; an idle round sleeps until the next poll or a wake-up, a failed one backs off.

use super::{Counters, Deliver, Progress, Shared};
use crate::streams::filter::Filters;
use anyhow::anyhow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

const POLL_IDLE: Duration = Duration::from_millis(50);
const DESCRIBE_EVERY: Duration = Duration::from_secs(1);
const ERROR_BACKOFF: Duration = Duration::from_millis(250);

/// One shard of the stream, as the pump reads it.
pub(super) struct Shard {
    pub(super) id: String,
    pub(super) parent: Option<String>,
    pub(super) iterator: Option<String>,
    /// The sequence number of the last record read (where a new iterator resumes).
    pub(super) checkpoint: Option<String>,
    pub(super) finished: bool,
}

/// What does not change while the pump runs.
pub(super) struct Ctx {
    pub(super) client: aws_sdk_dynamodbstreams::Client,
    /// Raw `GetRecords` (see `Ctx::get_records`): the streams endpoint and an HTTP client.
    pub(super) http: reqwest::Client,
    pub(super) endpoint: String,
    pub(super) stream_arn: String,
    pub(super) region: String,
    pub(super) batch_size: usize,
    pub(super) gather: Duration,
    pub(super) max_retries: u32,
    /// `MaximumRecordAgeInSeconds` (`None`: no limit).
    pub(super) max_record_age: Option<Duration>,
    /// `BisectBatchOnFunctionError`.
    pub(super) bisect_on_error: bool,
    /// The URL of the queue playing `DestinationConfig.OnFailure`.
    pub(super) on_failure: Option<String>,
    pub(super) report_batch_item_failures: bool,
    pub(super) function: String,
    pub(super) filters: Filters,
    pub(super) deliver: Deliver,
    pub(super) shared: Arc<Shared>,
}

impl Ctx {
    /// Logs a stream error, counts it and keeps it as the last error (`settle` names it on a timeout).
    pub(super) fn error(&self, e: &anyhow::Error) {
        let msg = format!("{e:#}");
        tracing::warn!(function = %self.function, error = %msg, "stream pump");
        Counters::add(&self.shared.counters.errors, 1);
        if let Ok(mut last) = self.shared.last_error.lock() {
            *last = Some(msg);
        }
    }
}

/// The task's state between rounds.
pub(super) struct Worker {
    ctx: Ctx,
    shards: Vec<Shard>,
    last_describe: Option<Instant>,
    need_describe: bool,
    progress: watch::Sender<Progress>,
}

/// What one round did.
#[derive(Default)]
struct Round {
    /// Records were read, or a shard was found, opened or closed.
    busy: bool,
    /// A stream call failed.
    failed: bool,
}

impl Round {
    /// Nothing happened: no records, no shard found or closed, no error.
    fn idle(&self) -> bool {
        !self.busy && !self.failed
    }
}

impl Worker {
    /// A worker for `ctx` that has described the stream once (so a missing stream fails the pump's start).
    pub(super) async fn described(ctx: Ctx, progress: watch::Sender<Progress>) -> anyhow::Result<Worker> {
        let mut worker = Worker { ctx, shards: Vec::new(), last_describe: None, need_describe: true, progress };
        worker.describe().await?;
        worker.last_describe = Some(Instant::now());
        worker.need_describe = false;
        Ok(worker)
    }

    /// Runs rounds until the task is aborted.
    pub(super) async fn run(mut self) {
        let mut progress = Progress::default();
        loop {
            progress.round += 1;
            let mut round = Round::default();
            self.describe_when_due(&mut progress, &mut round).await;
            self.poll_ready_shards(&mut round).await;
            progress.idle_streak = if round.idle() { progress.idle_streak + 1 } else { 0 };
            self.progress.send_replace(progress);
            if round.failed {
                tokio::time::sleep(ERROR_BACKOFF).await;
            } else if round.idle() {
                tokio::select! {
                    _ = tokio::time::sleep(POLL_IDLE) => {}
                    _ = self.ctx.shared.wake.notified() => {}
                }
            }
        }
    }

    /// Re-describes the stream when a shard closed, a second has passed, or `settle` wants a describe from this
    /// round on that has not happened yet.
    async fn describe_when_due(&mut self, progress: &mut Progress, round: &mut Round) {
        let wanted = self.ctx.shared.describe_wanted.load(Ordering::SeqCst);
        let due = self.last_describe.is_none_or(|t| t.elapsed() >= DESCRIBE_EVERY);
        if !(self.need_describe || due || (progress.round >= wanted && progress.last_describe_round < wanted)) {
            return;
        }
        match self.describe().await {
            Ok(new_shards) => {
                round.busy |= new_shards != 0;
                self.need_describe = false;
                self.last_describe = Some(Instant::now());
                progress.last_describe_round = progress.round;
            }
            Err(e) => {
                self.ctx.error(&e);
                round.failed = true;
            }
        }
    }

    /// Reads every shard that is ready ([`Worker::ready`]), in the order they were found.
    async fn poll_ready_shards(&mut self, round: &mut Round) {
        for i in 0..self.shards.len() {
            if !self.ready(i) {
                continue;
            }
            match self.ctx.poll_shard(&mut self.shards[i]).await {
                Ok(polled) => {
                    round.busy |= polled.records != 0 || polled.closed;
                    if polled.closed {
                        self.need_describe = true;
                    }
                }
                Err(e) => {
                    self.ctx.error(&e);
                    round.failed = true;
                }
            }
        }
    }

    /// A shard is read once its parent (if still known) has been read to its end, as Lambda does.
    fn ready(&self, i: usize) -> bool {
        let s = &self.shards[i];
        !s.finished
            && s.parent.as_ref().is_none_or(|p| self.shards.iter().find(|o| &o.id == p).is_none_or(|o| o.finished))
    }

    /// Learns the stream's shards; returns how many are new.
    async fn describe(&mut self) -> anyhow::Result<usize> {
        let mut start: Option<String> = None;
        let mut new = 0;
        loop {
            let resp = self
                .ctx
                .client
                .describe_stream()
                .stream_arn(&self.ctx.stream_arn)
                .set_exclusive_start_shard_id(start.clone())
                .send()
                .await
                .map_err(|e| {
                    anyhow!(
                        "DescribeStream {}: {}",
                        self.ctx.stream_arn,
                        aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)
                    )
                })?;
            let d = resp.stream_description().ok_or_else(|| anyhow!("DescribeStream: no StreamDescription"))?;
            for s in d.shards() {
                let Some(id) = s.shard_id() else { continue };
                if self.shards.iter().any(|k| k.id == id) {
                    continue;
                }
                tracing::debug!(function = %self.ctx.function, shard = id, parent = ?s.parent_shard_id(), "new shard");
                self.shards.push(Shard {
                    id: id.to_string(),
                    parent: s.parent_shard_id().map(str::to_string),
                    iterator: None,
                    checkpoint: None,
                    finished: false,
                });
                new += 1;
            }
            match d.last_evaluated_shard_id() {
                Some(last) => start = Some(last.to_string()),
                None => return Ok(new),
            }
        }
    }
}
