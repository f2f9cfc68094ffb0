//! Lambda's DynamoDB event source mapping, locally: a [`StreamPump`] reads the table's own stream on DynamoDB
//! Local (every shard, from `TRIM_HORIZON`, following child shards), keeps the records that pass the template's
//! `FilterCriteria` (Lambda event-filtering syntax, [`parse_filters`]), and hands them to the function in batches
//! as the DynamoDB stream event JSON ([`record_json`]), honouring `BatchSize`, `MaximumRetryAttempts`,
//! `MaximumRecordAgeInSeconds`, `BisectBatchOnFunctionError`, the partial-batch response of
//! `ReportBatchItemFailures`, and `DestinationConfig.OnFailure` (a batch given up is described to an SQS queue
//! on moto, as Lambda describes it).
//!
//! One room a file: `filter` (the pattern language), `event` (stream records as the event JSON), `pump` (the
//! task that reads the stream and delivers), `sqs` (the on-failure queues on moto).

mod event;
mod filter;
mod pump;
pub mod sqs;

pub use event::{attribute_json, event_json, item_json, raw_record_json, record_json, repair_attribute};
pub use filter::{parse_filters, pattern_matches, Filters, Pattern};
pub use pump::{streams_client, Deliver, PumpStats, StreamPump};
