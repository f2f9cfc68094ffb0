//! The table's DynamoDB stream as the functions that consume it read it: a record's keys (`pk = T#<tenant>`,
//! `sk`) and the partial batch response (`ReportBatchItemFailures`) that makes Lambda retry only from the first
//! failed record.

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

/// The tenant and sort key of a stream record, from its keys alone; `None` for keys that are not text or a
/// partition key that names no tenant.
pub fn tenant_and_sk(r: &EventRecord) -> Option<(String, String)> {
    let text = |name: &str| match r.change.keys.get(name)? {
        serde_dynamo::AttributeValue::S(s) => Some(s.clone()),
        _ => None,
    };
    let (pk, sk) = (text("pk")?, text("sk")?);
    let tenant = crate::store::tenant_of_pk(&pk)?.to_string();
    Some((tenant, sk))
}

/// The partial batch response naming the failed records by sequence number (none: the whole batch succeeded).
pub fn batch_failures(sequence_numbers: impl IntoIterator<Item = String>) -> DynamoDbEventResponse {
    let mut out = DynamoDbEventResponse::default();
    out.batch_item_failures = sequence_numbers
        .into_iter()
        .map(|s| {
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(s);
            f
        })
        .collect();
    out
}
