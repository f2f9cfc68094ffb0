//! Giving a batch up, as Lambda does for a DynamoDB stream: the on-failure destination receives the batch's
//! description, not its records. The shape follows the example invocation record of the AWS Lambda developer
//! guide, "Using Lambda with DynamoDB / Configuring destinations for failed invocations"
//! (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html):
//!
//! ```json
//! {"requestContext": {"requestId": "…", "functionArn": "arn:aws:lambda:…:function:…",
//!                     "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1},
//!  "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
//!  "version": "1.0", "timestamp": "2019-11-14T00:13:49.717Z",
//!  "DDBStreamBatchInfo": {"shardId": "…", "startSequenceNumber": "…", "endSequenceNumber": "…",
//!                         "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
//!                         "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z",
//!                         "batchSize": 1, "streamArn": "arn:aws:dynamodb:…:table/…/stream/…"}}
//! ```
//!
//! Local choices (no published source says otherwise): the account in `functionArn` is moto's default
//! (123456789012); `functionError` is present only when the last invocation failed as a whole (a partial batch
//! response is a successful invocation); the condition of an expired record is `RecordAgeExceeded`.

use super::deliver::GivenUp;
use super::worker::Ctx;
use super::Counters;
use serde_json::{json, Map, Value};

/// The account moto plays.
const LOCAL_ACCOUNT: &str = "123456789012";

/// An epoch-seconds `ApproximateCreationDateTime` as the description writes it (RFC 3339, seconds).
fn arrival(record: Option<&Value>) -> Value {
    record
        .and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_f64())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s as i64).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}

impl Ctx {
    /// The description Lambda sends for `g`.
    pub(super) fn description(&self, g: &GivenUp<'_>) -> Value {
        let seq = |r: Option<&Value>| r.map_or(Value::Null, |r| r["dynamodb"]["SequenceNumber"].clone());
        let mut response = Map::new();
        response.insert("statusCode".into(), json!(200));
        response.insert("executedVersion".into(), json!("$LATEST"));
        if g.function_error {
            response.insert("functionError".into(), json!("Unhandled"));
        }
        let now = time::OffsetDateTime::now_utc();
        json!({
            "requestContext": {
                "requestId": uuid::Uuid::new_v4().to_string(),
                "functionArn": format!("arn:aws:lambda:{}:{LOCAL_ACCOUNT}:function:{}", self.region, self.function),
                "condition": g.condition.as_str(),
                "approximateInvokeCount": g.invocations,
            },
            "responseContext": response,
            "version": "1.0",
            "timestamp": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "DDBStreamBatchInfo": {
                "shardId": g.shard_id,
                "startSequenceNumber": seq(g.records.first()),
                "endSequenceNumber": seq(g.records.last()),
                "approximateArrivalOfFirstRecord": arrival(g.records.first()),
                "approximateArrivalOfLastRecord": arrival(g.records.last()),
                "batchSize": g.records.len(),
                "streamArn": self.stream_arn,
            }
        })
    }

    /// Gives `g` up: sends its description to the on-failure queue (when there is one), logs and counts it; the
    /// shard then moves on.
    pub(super) async fn give_up(&self, g: GivenUp<'_>) {
        let counters = &self.shared.counters;
        let description = self.description(&g);
        let info = &description["DDBStreamBatchInfo"];
        tracing::warn!(
            function = %self.function,
            condition = g.condition.as_str(),
            records = g.records.len(),
            start_sequence_number = %info["startSequenceNumber"],
            end_sequence_number = %info["endSequenceNumber"],
            "stream batch given up"
        );
        Counters::add(&counters.records_given_up, g.records.len() as u64);
        let Some(queue) = &self.on_failure else {
            tracing::warn!(function = %self.function, "no on-failure destination: the records are dropped");
            return;
        };
        match crate::streams::sqs::send_message(&self.http, queue, &description).await {
            Ok(()) => Counters::add(&counters.descriptions_sent, 1),
            Err(e) => self.error(&e.context("sending a batch description to the on-failure queue")),
        }
    }
}
