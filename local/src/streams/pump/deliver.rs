//! Invoking the function with a batch, as Lambda does (AWS Lambda developer guide: "Lambda parameters for
//! Amazon DynamoDB event source mappings", services-ddb-params.html; "Configuring partial batch response with
//! DynamoDB and Lambda", services-ddb-batchfailurereporting.html):
//!
//! - reported batch item failures send the batch again from the lowest failed record (the batch is split at the
//!   returned sequence number and only the rest is retried);
//! - a failed invocation with `BisectBatchOnFunctionError` splits the batch in two and retries each half (a
//!   split does not count against the retries); without it the whole batch is sent again;
//! - after `MaximumRetryAttempts` retries, or once a record is older than `MaximumRecordAgeInSeconds`, what still
//!   fails is given up: its description goes to the `DestinationConfig.OnFailure` queue ([`super::destination`])
//!   and the shard moves on (without a destination the records are only dropped).

use super::worker::Ctx;
use super::Counters;
use crate::streams::event::event_json;
use serde_json::Value;
use std::collections::VecDeque;

/// How one invocation ended.
pub(super) enum Answer {
    /// Every record applied.
    Success,
    /// The function failed (an error payload or a panic): the whole batch failed.
    FunctionError,
    /// The records from this index on are to be sent again (`ReportBatchItemFailures`).
    FailedFrom(usize),
}

/// Why a batch was given up (the description's `requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Condition {
    RetryAttemptsExhausted,
    RecordAgeExceeded,
}

impl Condition {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Condition::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Condition::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// A batch given up: its records, why, how many invocations it had, and how the last one ended.
pub(super) struct GivenUp<'a> {
    pub(super) shard_id: &'a str,
    pub(super) records: &'a [Value],
    pub(super) condition: Condition,
    pub(super) invocations: u32,
    pub(super) function_error: bool,
}

impl Ctx {
    /// Delivers `batch` (records of shard `shard_id`, in stream order) until every record succeeded or was given
    /// up; halves of a bisected batch are delivered in order, each with the retries its parent had used.
    pub(super) async fn deliver_batch(&self, shard_id: &str, batch: Vec<Value>) {
        let mut work = VecDeque::from([(batch, 0u32)]);
        while let Some((batch, retries)) = work.pop_front() {
            if let Some((first, second)) = self.deliver_part(shard_id, batch, retries).await {
                work.push_front(second);
                work.push_front(first);
            }
        }
    }

    /// Delivers one batch with `retries` already used; returns the two halves (with their retries) when a failed
    /// invocation bisects it.
    #[allow(clippy::type_complexity)]
    async fn deliver_part(
        &self,
        shard_id: &str,
        mut batch: Vec<Value>,
        mut retries: u32,
    ) -> Option<((Vec<Value>, u32), (Vec<Value>, u32))> {
        let counters = &self.shared.counters;
        let mut invocations = 0u32;
        while !batch.is_empty() {
            if self.too_old(&batch[0]) {
                let condition = Condition::RecordAgeExceeded;
                self.give_up(GivenUp { shard_id, records: &batch, condition, invocations, function_error: false })
                    .await;
                return None;
            }
            let deliver = self.deliver.clone();
            let event = event_json(&batch);
            // its own task: a panic in the function is a failed invocation, not a dead pump
            let answer = tokio::spawn(async move { deliver(event).await }).await;
            invocations += 1;
            Counters::add(&counters.batches_delivered, 1);
            if retries > 0 {
                Counters::add(&counters.redeliveries, 1);
            }
            let answer = match answer {
                Ok(answer) => self.answer_of(&batch, &answer),
                Err(e) => {
                    tracing::warn!(function = %self.function, error = %e, "the function panicked: the whole batch failed");
                    Answer::FunctionError
                }
            };
            let (from, function_error) = match answer {
                Answer::Success => return None,
                Answer::FunctionError => (0, true),
                Answer::FailedFrom(from) => (from, false),
            };
            if function_error && self.bisect_on_error && batch.len() > 1 {
                let second = batch.split_off(batch.len() / 2);
                return Some(((batch, retries), (second, retries)));
            }
            if retries >= self.max_retries {
                let condition = Condition::RetryAttemptsExhausted;
                let records = &batch[from..];
                self.give_up(GivenUp { shard_id, records, condition, invocations, function_error }).await;
                return None;
            }
            retries += 1;
            batch.drain(..from);
        }
        None
    }

    /// Whether `record` is older than `MaximumRecordAgeInSeconds` (its `ApproximateCreationDateTime`).
    fn too_old(&self, record: &Value) -> bool {
        let Some(max) = self.max_record_age else { return false };
        let Some(created) = record["dynamodb"]["ApproximateCreationDateTime"].as_f64() else { return false };
        let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as f64 / 1e9;
        now - created > max.as_secs_f64()
    }

    /// How an invocation ended. A function error (`errorType`/`errorMessage`) fails the whole batch; with
    /// `ReportBatchItemFailures`, the lowest reported sequence number is the checkpoint, and an empty, missing or
    /// unknown `itemIdentifier` fails the whole batch.
    fn answer_of(&self, batch: &[Value], answer: &Value) -> Answer {
        if answer.get("errorType").is_some() || answer.get("errorMessage").is_some() {
            tracing::warn!(function = %self.function, %answer, "the function failed: the whole batch failed");
            return Answer::FunctionError;
        }
        if !self.report_batch_item_failures {
            return Answer::Success;
        }
        let failures = match answer.get("batchItemFailures") {
            None | Some(Value::Null) => return Answer::Success,
            Some(Value::Array(f)) => f,
            Some(other) => {
                tracing::warn!(function = %self.function, %other, "batchItemFailures is not a list: the whole batch failed");
                return Answer::FailedFrom(0);
            }
        };
        let mut lowest: Option<usize> = None;
        for f in failures {
            let id = f.get("itemIdentifier").and_then(Value::as_str).unwrap_or_default();
            let Some(pos) = batch.iter().position(|r| !id.is_empty() && r["dynamodb"]["SequenceNumber"] == id) else {
                tracing::warn!(function = %self.function, item = %f, "invalid itemIdentifier: the whole batch failed");
                return Answer::FailedFrom(0);
            };
            lowest = Some(lowest.map_or(pos, |l| l.min(pos)));
        }
        lowest.map_or(Answer::Success, Answer::FailedFrom)
    }
}
