//! The pump: a background task per `Type: DynamoDB` event that reads the table's stream on DynamoDB Local and
//! hands the records that pass the filters to the function, with its handle ([`StreamPump`]) to wait for it to
//! settle and read its counters. The task's rounds are in `worker`, reading a shard in `read`, invoking the
//! function, its retries and bisections in `deliver`, and giving a batch up to the on-failure queue in
//! `destination`.

mod deliver;
mod destination;
mod read;
mod worker;

use super::filter::parse_filters;
use crate::template::StreamConsumer;
use anyhow::{anyhow, bail, Context};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use worker::{Ctx, Worker};

/// Invokes the function with an event and returns its answer: Lambda's partial-batch response
/// (`{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}`), anything else for success, or Lambda's
/// function-error payload (`{"errorType", "errorMessage"}`) for a failed invocation.
pub type Deliver = Arc<dyn Fn(Value) -> BoxFuture<'static, Value> + Send + Sync>;

/// What a pump has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PumpStats {
    /// Records read from the stream.
    pub records_seen: u64,
    /// Records that passed the filters.
    pub records_passed: u64,
    /// Answered invocations of `deliver` (first deliveries and redeliveries).
    pub batches_delivered: u64,
    /// Invocations that were retries of a (partially) failed batch.
    pub redeliveries: u64,
    /// Records given up (retries exhausted or too old): described to the on-failure queue, or dropped without one.
    pub records_given_up: u64,
    /// Batch descriptions sent to the on-failure queue.
    pub descriptions_sent: u64,
    /// Stream API errors and unreadable records (logged as warnings).
    pub errors: u64,
}

#[derive(Default)]
struct Counters {
    records_seen: AtomicU64,
    records_passed: AtomicU64,
    batches_delivered: AtomicU64,
    redeliveries: AtomicU64,
    records_given_up: AtomicU64,
    descriptions_sent: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> PumpStats {
        PumpStats {
            records_seen: self.records_seen.load(Ordering::Relaxed),
            records_passed: self.records_passed.load(Ordering::Relaxed),
            batches_delivered: self.batches_delivered.load(Ordering::Relaxed),
            redeliveries: self.redeliveries.load(Ordering::Relaxed),
            records_given_up: self.records_given_up.load(Ordering::Relaxed),
            descriptions_sent: self.descriptions_sent.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

/// Shared between the pump's task and its handle.
#[derive(Default)]
struct Shared {
    counters: Counters,
    /// The first round that must re-describe the stream (set by `settle`).
    describe_wanted: AtomicU64,
    /// Cuts the idle sleep short (so `settle` does not wait out poll intervals).
    wake: Notify,
    last_error: Mutex<Option<String>>,
}

/// Published after each round (one pass over every readable shard).
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    /// Completed rounds.
    round: u64,
    /// Consecutive idle rounds ending with `round`: no records read, no shard opened or closed, no error.
    idle_streak: u64,
    /// The last round that described the stream successfully.
    last_describe_round: u64,
}

/// The longest batching window played: records are gathered for at most this long (a longer
/// `MaximumBatchingWindowInSeconds` is cut to it, so a local run does not wait out minutes).
const GATHER_CAP: Duration = Duration::from_millis(200);

/// The streams endpoint: `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`, else `AWS_ENDPOINT_URL_DYNAMODB`.
fn streams_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL_DYNAMODB"))
        .unwrap_or_else(|_| "http://127.0.0.1:8000".into())
}

/// A DynamoDB Streams client for the DynamoDB Local endpoint: `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` when set (the
/// SDK reads it itself), otherwise the DynamoDB endpoint (`AWS_ENDPOINT_URL_DYNAMODB`), which serves the streams
/// API too.
pub fn streams_client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodbstreams::Client {
    let mut builder = aws_sdk_dynamodbstreams::config::Builder::from(sdk);
    if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB_STREAMS").is_none() {
        if let Ok(url) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
            builder = builder.endpoint_url(url);
        }
    }
    aws_sdk_dynamodbstreams::Client::from_conf(builder.build())
}

/// The ARN of `table`'s latest stream; errors when the table cannot be described or has no stream.
async fn latest_stream_arn(sdk: &aws_config::SdkConfig, table: &str) -> anyhow::Result<String> {
    let described = aws_sdk_dynamodb::Client::new(sdk)
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| anyhow!("DescribeTable {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    Ok(described
        .table()
        .and_then(|t| t.latest_stream_arn())
        .ok_or_else(|| anyhow!("table {table} has no stream (StreamSpecification missing?)"))?
        .to_string())
}

/// Lambda's event source mapping for one `Type: DynamoDB` event: a background task reading the table's latest
/// stream and delivering filtered batches. Stops when dropped.
pub struct StreamPump {
    function: String,
    stream_arn: String,
    shared: Arc<Shared>,
    progress: watch::Receiver<Progress>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StreamPump {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for StreamPump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamPump")
            .field("function", &self.function)
            .field("stream_arn", &self.stream_arn)
            .field("stats", &self.stats())
            .finish()
    }
}

impl StreamPump {
    /// Finds `table`'s latest stream, validates the consumer's filters and starts reading every shard from
    /// `TRIM_HORIZON` (tables are fresh per stack, so this is the whole history, as `LATEST` is in AWS for a
    /// mapping created with the table). `deliver` invokes the function (see [`Deliver`]); `on_failure` is the URL
    /// of the SQS queue that plays the consumer's `DestinationConfig.OnFailure` (`None`: given-up records are
    /// dropped).
    pub async fn start(
        sdk: &aws_config::SdkConfig,
        table: &str,
        consumer: StreamConsumer,
        deliver: Deliver,
        on_failure: Option<String>,
    ) -> anyhow::Result<StreamPump> {
        let filters =
            parse_filters(&consumer.filters).with_context(|| format!("{}: FilterCriteria", consumer.function))?;
        let stream_arn = latest_stream_arn(sdk, table).await?;
        let shared = Arc::new(Shared::default());
        let (tx, rx) = watch::channel(Progress::default());
        let ctx = Ctx {
            client: streams_client(sdk),
            http: reqwest::Client::new(),
            endpoint: streams_endpoint(),
            stream_arn: stream_arn.clone(),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into()),
            batch_size: consumer.batch_size.max(1),
            gather: consumer.batching_window.min(GATHER_CAP),
            max_retries: consumer.max_retries,
            max_record_age: consumer.max_record_age,
            bisect_on_error: consumer.bisect_on_error,
            on_failure,
            report_batch_item_failures: consumer.report_batch_item_failures,
            function: consumer.function.clone(),
            filters,
            deliver,
            shared: shared.clone(),
        };
        // the first describe here, so a missing stream fails the start
        let worker = Worker::described(ctx, tx).await?;
        let task = tokio::spawn(worker.run());
        tracing::debug!(function = %consumer.function, %stream_arn, "stream pump started");
        Ok(StreamPump { function: consumer.function, stream_arn, shared, progress: rx, task })
    }

    /// The stream's ARN (`eventSourceARN` of every record).
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// The consumer function's logical id.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// Answered invocations of `deliver` so far (first deliveries and redeliveries).
    pub fn delivered(&self) -> u64 {
        self.shared.counters.batches_delivered.load(Ordering::Relaxed)
    }

    /// All counters.
    pub fn stats(&self) -> PumpStats {
        self.shared.counters.snapshot()
    }

    /// Returns once every record written before the call has been read and delivered (or filtered out, or
    /// dropped after its retries) and every delivery answered: two consecutive rounds that began after the call
    /// read nothing from any shard, found no new or closed shard, met no error, and the stream was re-described
    /// after the call. Errors after `timeout` (with the last stream error, if any) or if the task has stopped.
    pub async fn settle(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let mut rx = self.progress.clone();
        // the round in progress may have started before this call: count from the one after it
        let first = rx.borrow_and_update().round + 2;
        self.shared.describe_wanted.fetch_max(first, Ordering::SeqCst);
        self.shared.wake.notify_one();
        loop {
            let p = *rx.borrow_and_update();
            // the last two rounds both began after the call and were idle
            if p.idle_streak >= 2 && p.round > first && p.last_describe_round >= first {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => self.shared.wake.notify_one(),
                Ok(Err(_)) => bail!("the stream pump of {} has stopped", self.function),
                Err(_) => {
                    let last = self.shared.last_error.lock().map(|e| e.clone()).unwrap_or_default();
                    bail!(
                        "the stream pump of {} did not settle within {timeout:?} ({:?}; last error: {})",
                        self.function,
                        self.stats(),
                        last.as_deref().unwrap_or("none")
                    )
                }
            }
        }
    }
}
