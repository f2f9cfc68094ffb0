//! Stream records as Lambda's DynamoDB event JSON: from the SDK's `Record` ([`record_json`]), and from the raw
//! `GetRecords` JSON of DynamoDB Local ([`raw_record_json`], repairing what DynamoDB Local writes wrongly).

use anyhow::{anyhow, bail};
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

fn b64(blob: &aws_sdk_dynamodbstreams::primitives::Blob) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(blob.as_ref()))
}

/// An attribute value in DynamoDB JSON: `{"S": "…"}`, `{"N": "…"}`, `{"B": "<base64>"}`, `{"BOOL": true}`,
/// `{"NULL": true}`, `{"L": […]}`, `{"M": {…}}`, `{"SS": […]}`, `{"NS": […]}`, `{"BS": [<base64>…]}`.
pub fn attribute_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::L(items) => json!({ "L": items.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_json(m) }),
        AttributeValue::Ss(s) => json!({ "SS": s }),
        AttributeValue::Ns(n) => json!({ "NS": n }),
        AttributeValue::Bs(bs) => json!({ "BS": bs.iter().map(b64).collect::<Vec<_>>() }),
        other => {
            tracing::warn!(?other, "unknown DynamoDB attribute type in a stream record");
            json!({ "NULL": true })
        }
    }
}

/// An item (`Keys`, `NewImage`, `OldImage`) in DynamoDB JSON, keys sorted.
pub fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    let mut keys: Vec<&String> = item.keys().collect();
    keys.sort();
    Value::Object(keys.into_iter().map(|k| (k.clone(), attribute_json(&item[k]))).collect::<Map<_, _>>())
}

/// One stream record as a record of Lambda's DynamoDB event: `eventID`, `eventName`, `eventVersion` `1.1`,
/// `eventSource` `aws:dynamodb`, `awsRegion` (the record's, else `region`), `eventSourceARN` (the stream),
/// `dynamodb` {`ApproximateCreationDateTime` (epoch seconds), `Keys`, `NewImage`/`OldImage` when present,
/// `SequenceNumber`, `SizeBytes`, `StreamViewType`}, and `userIdentity` when present (TTL deletions).
pub fn record_json(record: &Record, stream_arn: &str, region: &str) -> anyhow::Result<Value> {
    let sr = record.dynamodb().ok_or_else(|| anyhow!("stream record without a dynamodb part"))?;
    let sequence = sr.sequence_number().ok_or_else(|| anyhow!("stream record without a SequenceNumber"))?;
    let event_name = record.event_name().map(|e| e.as_str()).unwrap_or_default();
    if !matches!(event_name, "INSERT" | "MODIFY" | "REMOVE") {
        bail!("stream record {sequence}: unexpected eventName {event_name:?}");
    }
    let mut d = Map::new();
    if let Some(t) = sr.approximate_creation_date_time() {
        let secs = t.secs() as f64 + f64::from(t.subsec_nanos()) / 1e9;
        d.insert("ApproximateCreationDateTime".into(), json!(secs));
    }
    d.insert("Keys".into(), sr.keys().map(item_json).unwrap_or_else(|| json!({})));
    if let Some(img) = sr.new_image() {
        d.insert("NewImage".into(), item_json(img));
    }
    if let Some(img) = sr.old_image() {
        d.insert("OldImage".into(), item_json(img));
    }
    d.insert("SequenceNumber".into(), json!(sequence));
    d.insert("SizeBytes".into(), json!(sr.size_bytes().unwrap_or(0)));
    d.insert("StreamViewType".into(), json!(sr.stream_view_type().map(|v| v.as_str()).unwrap_or("NEW_AND_OLD_IMAGES")));
    let mut out = json!({
        "eventID": record.event_id().unwrap_or_default(),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region().filter(|r| !r.is_empty()).unwrap_or(region),
        "eventSourceARN": stream_arn,
        "dynamodb": Value::Object(d),
    });
    if let Some(id) = record.user_identity() {
        out["userIdentity"] = json!({
            "type": id.r#type().unwrap_or_default(),
            "principalId": id.principal_id().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The Lambda event of a batch: `{"Records": [...]}`.
pub fn event_json(records: &[Value]) -> Value {
    json!({ "Records": records })
}

/// Repairs an attribute value from DynamoDB Local's stream records: an empty map comes as `{}` (should be
/// `{"M": {}}`); maps and lists are repaired inside.
pub fn repair_attribute(v: &mut Value) {
    let Some(o) = v.as_object_mut() else { return };
    if o.is_empty() {
        o.insert("M".into(), json!({}));
        return;
    }
    if let Some(Value::Object(m)) = o.get_mut("M") {
        for inner in m.values_mut() {
            repair_attribute(inner);
        }
    }
    if let Some(Value::Array(l)) = o.get_mut("L") {
        for inner in l.iter_mut() {
            repair_attribute(inner);
        }
    }
}

/// A raw stream record (as `GetRecords` answers it) as the Lambda event record: attribute values repaired
/// ([`repair_attribute`]), `eventSourceARN` added, `awsRegion` filled in when missing.
pub fn raw_record_json(mut r: Value, stream_arn: &str, region: &str) -> Value {
    for image in ["Keys", "NewImage", "OldImage"] {
        if let Some(Value::Object(item)) = r.get_mut("dynamodb").and_then(|d| d.get_mut(image)) {
            for v in item.values_mut() {
                repair_attribute(v);
            }
        }
    }
    if let Some(o) = r.as_object_mut() {
        o.insert("eventSourceARN".into(), json!(stream_arn));
        if o.get("awsRegion").and_then(Value::as_str).is_none_or(str::is_empty) {
            o.insert("awsRegion".into(), json!(region));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::primitives::{Blob, DateTime};
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    #[test]
    fn dynamodb_locals_empty_maps_are_repaired_in_raw_records() {
        let raw = json!({"eventID": "1", "eventName": "INSERT", "dynamodb": {
            "Keys": {"pk": {"S": "T#t"}, "sk": {"S": "PLATFORM#ios"}},
            "NewImage": {"previous_secrets": {}, "secrets": {"M": {"a": {"M": {}}, "b": {}}}, "l": {"L": [{}]}},
            "SequenceNumber": "1", "ApproximateCreationDateTime": 1795986240.0, "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES"}});
        let r = raw_record_json(raw, "arn:x", "us-east-1");
        assert_eq!(r["eventSourceARN"], "arn:x");
        assert_eq!(r["awsRegion"], "us-east-1");
        let img = &r["dynamodb"]["NewImage"];
        assert_eq!(img["previous_secrets"], json!({"M": {}}));
        assert_eq!(img["secrets"]["M"]["b"], json!({"M": {}}));
        assert_eq!(img["l"]["L"][0], json!({"M": {}}));
        let e: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(json!({"Records": [r]})).expect("reads as a Lambda event");
        assert_eq!(e.records.len(), 1);
    }

    fn sdk_record() -> Record {
        let image = HashMap::from([
            ("pk".to_string(), AttributeValue::S("T#t".into())),
            ("sk".to_string(), AttributeValue::S("DEVICE#d1".into())),
            ("in_scope".to_string(), AttributeValue::Bool(true)),
            ("version".to_string(), AttributeValue::N("3".into())),
            ("gone".to_string(), AttributeValue::Null(true)),
            ("tags".to_string(), AttributeValue::Ss(vec!["a".into(), "b".into()])),
            ("sizes".to_string(), AttributeValue::Ns(vec!["1".into(), "2.5".into()])),
            ("raw".to_string(), AttributeValue::B(Blob::new(b"hi".to_vec()))),
            ("raws".to_string(), AttributeValue::Bs(vec![Blob::new(b"a".to_vec())])),
            (
                "groups".to_string(),
                AttributeValue::L(vec![AttributeValue::S("g1".into()), AttributeValue::N("7".into())]),
            ),
            (
                "facts".to_string(),
                AttributeValue::M(HashMap::from([("os".to_string(), AttributeValue::S("17.1".into()))])),
            ),
        ]);
        let keys = HashMap::from([
            ("pk".to_string(), AttributeValue::S("T#t".into())),
            ("sk".to_string(), AttributeValue::S("DEVICE#d1".into())),
        ]);
        Record::builder()
            .event_id("e1")
            .event_name(OperationType::Modify)
            .event_version("1.1")
            .event_source("aws:dynamodb")
            .aws_region("ddblocal")
            .dynamodb(
                StreamRecord::builder()
                    .approximate_creation_date_time(DateTime::from_secs_and_nanos(1_700_000_000, 500_000_000))
                    .set_keys(Some(keys.clone()))
                    .set_new_image(Some(image))
                    .set_old_image(Some(
                        keys.into_iter().chain([("in_scope".to_string(), AttributeValue::Bool(false))]).collect(),
                    ))
                    .sequence_number("000000000000000000042")
                    .size_bytes(120)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build()
    }

    #[test]
    fn record_to_event_json() {
        let arn = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/2024-01-01T00:00:00.000";
        let r = record_json(&sdk_record(), arn, "us-east-1").unwrap();
        assert_eq!(r["eventID"], "e1");
        assert_eq!(r["eventName"], "MODIFY");
        assert_eq!(r["eventVersion"], "1.1");
        assert_eq!(r["eventSource"], "aws:dynamodb");
        assert_eq!(r["awsRegion"], "ddblocal");
        assert_eq!(r["eventSourceARN"], arn);
        let d = &r["dynamodb"];
        assert_eq!(d["ApproximateCreationDateTime"], 1_700_000_000.5);
        assert_eq!(d["Keys"], json!({"pk": {"S": "T#t"}, "sk": {"S": "DEVICE#d1"}}));
        assert_eq!(d["SequenceNumber"], "000000000000000000042");
        assert_eq!(d["SizeBytes"], 120);
        assert_eq!(d["StreamViewType"], "NEW_AND_OLD_IMAGES");
        let n = &d["NewImage"];
        assert_eq!(n["in_scope"], json!({"BOOL": true}));
        assert_eq!(n["version"], json!({"N": "3"}));
        assert_eq!(n["gone"], json!({"NULL": true}));
        assert_eq!(n["tags"], json!({"SS": ["a", "b"]}));
        assert_eq!(n["sizes"], json!({"NS": ["1", "2.5"]}));
        assert_eq!(n["raw"], json!({"B": "aGk="}));
        assert_eq!(n["raws"], json!({"BS": ["YQ=="]}));
        assert_eq!(n["groups"], json!({"L": [{"S": "g1"}, {"N": "7"}]}));
        assert_eq!(n["facts"], json!({"M": {"os": {"S": "17.1"}}}));
        assert_eq!(d["OldImage"]["in_scope"], json!({"BOOL": false}));
        assert!(r.get("userIdentity").is_none());

        // an INSERT has no OldImage; a record without its region takes the given one
        let mut insert = sdk_record();
        insert.event_name = Some(OperationType::Insert);
        insert.aws_region = None;
        insert.dynamodb.as_mut().unwrap().old_image = None;
        let r = record_json(&insert, arn, "us-east-1").unwrap();
        assert_eq!(r["eventName"], "INSERT");
        assert_eq!(r["awsRegion"], "us-east-1");
        assert!(r["dynamodb"].get("OldImage").is_none());
        assert!(r["dynamodb"].get("NewImage").is_some());
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Device {
        pk: String,
        sk: String,
        in_scope: bool,
        version: u32,
        tags: Vec<String>,
        groups: Vec<serde_json::Value>,
        facts: HashMap<String, String>,
    }

    #[test]
    fn the_event_is_what_lambda_runtime_decodes() {
        let arn = "arn:aws:dynamodb:ddblocal:000000000000:table/t/stream/x";
        let r = record_json(&sdk_record(), arn, "us-east-1").unwrap();
        let event: aws_lambda_events::event::dynamodb::Event =
            serde_json::from_value(event_json(&[r.clone(), r])).unwrap();
        assert_eq!(event.records.len(), 2);
        let rec = &event.records[0];
        assert_eq!(rec.event_name, "MODIFY");
        assert_eq!(rec.event_id, "e1");
        assert_eq!(rec.event_source_arn.as_deref(), Some(arn));
        assert_eq!(rec.change.sequence_number.as_deref(), Some("000000000000000000042"));
        assert_eq!(rec.change.size_bytes, 120);
        assert_eq!(rec.change.approximate_creation_date_time.timestamp(), 1_700_000_000);
        // (aws_lambda_events 1.2 reads the fraction as microseconds counted in nanoseconds: only whole seconds
        // survive its decoding, as in the events Lambda sends)
        let device: Device = serde_dynamo::from_item(rec.change.new_image.clone()).unwrap();
        assert_eq!(
            device,
            Device {
                pk: "T#t".into(),
                sk: "DEVICE#d1".into(),
                in_scope: true,
                version: 3,
                tags: vec!["a".into(), "b".into()],
                groups: vec![json!("g1"), json!(7)],
                facts: HashMap::from([("os".to_string(), "17.1".to_string())]),
            }
        );
        let old: HashMap<String, serde_json::Value> = serde_dynamo::from_item(rec.change.old_image.clone()).unwrap();
        assert_eq!(old["in_scope"], json!(false));
        assert_eq!(rec.change.new_image["raw"], serde_dynamo::AttributeValue::B(b"hi".to_vec()));
        assert_eq!(rec.change.new_image["raws"], serde_dynamo::AttributeValue::Bs(vec![b"a".to_vec()]));
        assert_eq!(rec.change.new_image["gone"], serde_dynamo::AttributeValue::Null(true));

        // a TTL deletion carries the service identity
        let mut ttl = sdk_record();
        ttl.event_name = Some(OperationType::Remove);
        ttl.user_identity = Some(
            aws_sdk_dynamodbstreams::types::Identity::builder()
                .r#type("Service")
                .principal_id("dynamodb.amazonaws.com")
                .build(),
        );
        let r = record_json(&ttl, arn, "us-east-1").unwrap();
        let event: aws_lambda_events::event::dynamodb::Event = serde_json::from_value(event_json(&[r])).unwrap();
        let id = event.records[0].user_identity.as_ref().unwrap();
        assert_eq!((id.type_.as_str(), id.principal_id.as_str()), ("Service", "dynamodb.amazonaws.com"));
    }
}
