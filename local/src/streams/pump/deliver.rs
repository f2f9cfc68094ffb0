//! Invoking the function with a batch, as Lambda does: a failed invocation or the reported batch item failures
//! send the batch again from the lowest failed record, up to `MaximumRetryAttempts` times; then what still fails
//! is dropped (there is no on-failure destination locally).

use super::worker::Ctx;
use super::Counters;
use crate::streams::event::event_json;
use serde_json::Value;

impl Ctx {
    /// Invokes the function with `batch`, retrying from the lowest failed record up to `max_retries` times, then
    /// dropping what still fails.
    pub(super) async fn deliver_batch(&self, mut batch: Vec<Value>) {
        let counters = &self.shared.counters;
        let mut attempt = 0u32;
        while !batch.is_empty() {
            let deliver = self.deliver.clone();
            let event = event_json(&batch);
            // its own task: a panic in the function is a failed invocation, not a dead pump
            let answer = tokio::spawn(async move { deliver(event).await }).await;
            Counters::add(&counters.batches_delivered, 1);
            if attempt > 0 {
                Counters::add(&counters.redeliveries, 1);
            }
            let failed_from = match answer {
                Ok(answer) => self.failed_from(&batch, &answer),
                Err(e) => {
                    tracing::warn!(function = %self.function, error = %e, "the function panicked: the whole batch failed");
                    Some(0)
                }
            };
            let Some(from) = failed_from else { return };
            if attempt >= self.max_retries {
                let dropped = &batch[from..];
                let first = dropped.first().and_then(|r| r["dynamodb"]["SequenceNumber"].as_str()).unwrap_or_default();
                tracing::warn!(
                    function = %self.function,
                    records = dropped.len(),
                    first_sequence_number = first,
                    retries = attempt,
                    "retries exhausted: records dropped (no on-failure destination)"
                );
                Counters::add(&counters.records_dropped, dropped.len() as u64);
                return;
            }
            attempt += 1;
            batch.drain(..from);
        }
    }

    /// The index in `batch` from which to retry, or `None` when the invocation succeeded. A function error
    /// (`errorType`/`errorMessage`) fails the whole batch; with `ReportBatchItemFailures`, the lowest reported
    /// sequence number is the checkpoint, and an empty, missing or unknown `itemIdentifier` fails the whole batch.
    fn failed_from(&self, batch: &[Value], answer: &Value) -> Option<usize> {
        if answer.get("errorType").is_some() || answer.get("errorMessage").is_some() {
            tracing::warn!(function = %self.function, %answer, "the function failed: the whole batch failed");
            return Some(0);
        }
        if !self.report_batch_item_failures {
            return None;
        }
        let failures = match answer.get("batchItemFailures") {
            None | Some(Value::Null) => return None,
            Some(Value::Array(f)) => f,
            Some(other) => {
                tracing::warn!(function = %self.function, %other, "batchItemFailures is not a list: the whole batch failed");
                return Some(0);
            }
        };
        let mut lowest: Option<usize> = None;
        for f in failures {
            let id = f.get("itemIdentifier").and_then(Value::as_str).unwrap_or_default();
            let Some(pos) = batch.iter().position(|r| !id.is_empty() && r["dynamodb"]["SequenceNumber"] == id) else {
                tracing::warn!(function = %self.function, item = %f, "invalid itemIdentifier: the whole batch failed");
                return Some(0);
            };
            lowest = Some(lowest.map_or(pos, |l| l.min(pos)));
        }
        lowest
    }
}
