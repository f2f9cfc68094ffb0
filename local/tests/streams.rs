//! The stream pump on DynamoDB Local's own stream: a fresh table per test, the template's consumer, a recording
//! `deliver`. Needs the local services (`scripts/services.sh start NAME` and its env file, or `scripts/test.sh`).

use aws_sdk_dynamodb::types::AttributeValue;
use futures::FutureExt;
use odt_local::streams::{Deliver, StreamPump};
use odt_local::template::{default_path, StreamConsumer, Template};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(20);

fn require_services() {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() {
        panic!("the local services are not running: run the tests with scripts/test.sh (it starts DynamoDB Local and moto)");
    }
}

struct Table {
    sdk: aws_config::SdkConfig,
    ddb: aws_sdk_dynamodb::Client,
    name: String,
}

impl Table {
    async fn fresh() -> Table {
        require_services();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let sdk = odt_shared::aws::load_config().await;
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        let name = format!("odt-streams-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let template = Template::load(&default_path()).unwrap();
        odt_local::table::create_from_template(&ddb, &template, &name).await.unwrap();
        Table { sdk, ddb, name }
    }

    async fn put(&self, sk: &str, attrs: &[(&str, AttributeValue)]) {
        let mut item = HashMap::from([
            ("pk".to_string(), AttributeValue::S("T#t1".into())),
            ("sk".to_string(), AttributeValue::S(sk.into())),
        ]);
        for (k, v) in attrs {
            item.insert(k.to_string(), v.clone());
        }
        self.ddb.put_item().table_name(&self.name).set_item(Some(item)).send().await.unwrap();
    }

    async fn delete(&self, sk: &str) {
        self.ddb
            .delete_item()
            .table_name(&self.name)
            .key("pk", AttributeValue::S("T#t1".into()))
            .key("sk", AttributeValue::S(sk.into()))
            .send()
            .await
            .unwrap();
    }
}

fn template_consumer() -> StreamConsumer {
    let consumers = Template::load(&default_path()).unwrap().stream_consumers().unwrap();
    consumers.into_iter().find(|c| c.function == "DeployTriggerStreamFunction").expect("the stream consumer")
}

/// Every event `deliver` was called with, and a `deliver` answering with `answer(call index, event)`.
type Calls = Arc<Mutex<Vec<Value>>>;

fn recorder(answer: impl Fn(usize, &Value) -> Value + Send + Sync + 'static) -> (Calls, Deliver) {
    let calls: Calls = Arc::default();
    let answer = Arc::new(answer);
    let c = calls.clone();
    let deliver: Deliver = Arc::new(move |event: Value| {
        let (c, answer) = (c.clone(), answer.clone());
        async move {
            let n = {
                let mut calls = c.lock().unwrap();
                calls.push(event.clone());
                calls.len() - 1
            };
            answer(n, &event)
        }
        .boxed()
    });
    (calls, deliver)
}

fn in_scope(b: bool) -> (&'static str, AttributeValue) {
    ("in_scope", AttributeValue::Bool(b))
}

fn ok() -> Value {
    json!({"batchItemFailures": []})
}

/// `(eventName, sk)` of each record of an event.
fn names(event: &Value) -> Vec<(String, String)> {
    event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["eventName"].as_str().unwrap().to_string(),
                r["dynamodb"]["Keys"]["sk"]["S"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn all_names(calls: &Calls) -> Vec<(String, String)> {
    calls.lock().unwrap().iter().flat_map(names).collect()
}

fn batches(calls: &Calls) -> Vec<Vec<String>> {
    calls.lock().unwrap().iter().map(|e| names(e).into_iter().map(|(_, sk)| sk).collect()).collect()
}

fn pair(e: &str, sk: &str) -> (String, String) {
    (e.to_string(), sk.to_string())
}

fn seq(record: &Value) -> String {
    record["dynamodb"]["SequenceNumber"].as_str().unwrap().to_string()
}

fn failure(event: &Value, index: usize) -> Value {
    json!({"itemIdentifier": seq(&event["Records"][index])})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_filters_reach_the_function_in_order() {
    let t = Table::fresh().await;
    let (calls, deliver) = recorder(|_, _| ok());
    let pump = StreamPump::start(&t.sdk, &t.name, template_consumer(), deliver, None).await.unwrap();
    assert!(pump.stream_arn().contains(&t.name), "{}", pump.stream_arn());
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(pump.delivered(), 0);

    t.put("DEVICE#in", &[in_scope(true), ("name", AttributeValue::S("Phone".into()))]).await; // passes (NewImage)
    t.put("DEVICE#out", &[in_scope(false)]).await; // filtered out
    t.put("DEVICE#out", &[in_scope(false), ("name", AttributeValue::S("x".into()))]).await; // out → out: filtered out
    t.put("PLATFORM#ios", &[("enabled", AttributeValue::Bool(true))]).await; // passes
    t.put("ORG#x", &[in_scope(true)]).await; // not a consumer's item
    t.put("DEVICE#in", &[in_scope(false)]).await; // in → out: passes (OldImage)
    t.delete("DEVICE#out").await; // removal of an out-of-scope device: filtered out
    t.put("DEVICETRUST", &[("status", AttributeValue::S("active".into()))]).await; // passes
    pump.settle(SETTLE).await.unwrap();

    assert_eq!(
        all_names(&calls),
        vec![
            pair("INSERT", "DEVICE#in"),
            pair("INSERT", "PLATFORM#ios"),
            pair("MODIFY", "DEVICE#in"),
            pair("INSERT", "DEVICETRUST"),
        ]
    );
    let stats = pump.stats();
    assert_eq!((stats.records_seen, stats.records_passed), (8, 4), "{stats:?}");
    assert_eq!((stats.redeliveries, stats.records_given_up, stats.errors), (0, 0, 0), "{stats:?}");
    assert_eq!(stats.batches_delivered, calls.lock().unwrap().len() as u64);

    // the records are Lambda's: the runtime's event type reads them, images decode into structs
    let records: Vec<Value> =
        calls.lock().unwrap().iter().flat_map(|e| e["Records"].as_array().unwrap().clone()).collect();
    let mut seqs = Vec::new();
    for r in &records {
        assert_eq!(r["eventSource"], "aws:dynamodb");
        assert_eq!(r["eventVersion"], "1.1");
        assert_eq!(r["eventSourceARN"], pump.stream_arn());
        assert_eq!(r["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
        assert!(r["dynamodb"]["ApproximateCreationDateTime"].as_f64().unwrap() > 1.6e9, "{r}");
        assert!(r["dynamodb"]["SizeBytes"].as_i64().unwrap() > 0, "{r}");
        seqs.push(seq(r));
    }
    let mut sorted = seqs.clone();
    sorted.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    assert_eq!(seqs, sorted, "stream order");
    let event: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_value(json!({ "Records": records })).unwrap();
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Device {
        sk: String,
        in_scope: bool,
        name: Option<String>,
    }
    let first = &event.records[0];
    assert!(first.change.old_image.is_empty());
    let d: Device = serde_dynamo::from_item(first.change.new_image.clone()).unwrap();
    assert_eq!(d, Device { sk: "DEVICE#in".into(), in_scope: true, name: Some("Phone".into()) });
    let modify = &event.records[2];
    let new: Device = serde_dynamo::from_item(modify.change.new_image.clone()).unwrap();
    let old: Device = serde_dynamo::from_item(modify.change.old_image.clone()).unwrap();
    assert_eq!((old.in_scope, old.name.as_deref()), (true, Some("Phone")));
    assert_eq!((new.in_scope, new.name), (false, None));

    // and it keeps going: a REMOVE of an in-scope device passes by its OldImage
    t.put("DEVICE#gone", &[in_scope(true)]).await;
    t.delete("DEVICE#gone").await;
    pump.settle(SETTLE).await.unwrap();
    let names = all_names(&calls);
    assert_eq!(names[4..], [pair("INSERT", "DEVICE#gone"), pair("REMOVE", "DEVICE#gone")]);
    let last = calls.lock().unwrap().last().unwrap()["Records"].as_array().unwrap().last().unwrap().clone();
    assert!(last["dynamodb"].get("NewImage").is_none(), "{last}");
    assert_eq!(last["dynamodb"]["OldImage"]["in_scope"], json!({"BOOL": true}));
    assert_eq!(pump.stats().records_seen, 10);
}

/// Four PLATFORM# items written before the pump starts: read from TRIM_HORIZON in one batch.
async fn four_platforms(t: &Table) {
    for p in ["PLATFORM#a", "PLATFORM#b", "PLATFORM#c", "PLATFORM#d"] {
        t.put(p, &[]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reported_failures_are_redelivered_from_the_lowest() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    // the first invocation reports b and d: the retry starts at b (b, c, d); then all is well
    let (calls, deliver) =
        recorder(|n, e| if n == 0 { json!({"batchItemFailures": [failure(e, 3), failure(e, 1)]}) } else { ok() });
    let pump = StreamPump::start(&t.sdk, &t.name, template_consumer(), deliver, None).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(
        batches(&calls),
        vec![
            vec!["PLATFORM#a", "PLATFORM#b", "PLATFORM#c", "PLATFORM#d"],
            vec!["PLATFORM#b", "PLATFORM#c", "PLATFORM#d"]
        ]
    );
    let stats = pump.stats();
    assert_eq!((stats.batches_delivered, stats.redeliveries, stats.records_given_up), (2, 1, 0), "{stats:?}");
    assert_eq!(pump.delivered(), 2);
}

/// A fresh queue on moto playing an on-failure destination.
async fn failure_queue() -> (reqwest::Client, String) {
    let http = reqwest::Client::new();
    let name = format!("odt-streams-failures-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let url = odt_local::streams::sqs::create_queue(&http, &name).await.unwrap();
    (http, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_run_out_then_the_batch_is_described_to_the_queue() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    // c always fails
    let (calls, deliver) = recorder(|_, e| {
        let records = e["Records"].as_array().unwrap();
        match records.iter().position(|r| r["dynamodb"]["Keys"]["sk"]["S"] == "PLATFORM#c") {
            Some(i) => json!({"batchItemFailures": [failure(e, i)]}),
            None => ok(),
        }
    });
    let (http, queue) = failure_queue().await;
    let consumer = StreamConsumer { max_retries: 2, ..template_consumer() };
    let pump = StreamPump::start(&t.sdk, &t.name, consumer, deliver, Some(queue.clone())).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(
        batches(&calls),
        vec![
            vec!["PLATFORM#a", "PLATFORM#b", "PLATFORM#c", "PLATFORM#d"],
            vec!["PLATFORM#c", "PLATFORM#d"],
            vec!["PLATFORM#c", "PLATFORM#d"],
        ]
    );
    let stats = pump.stats();
    assert_eq!((stats.batches_delivered, stats.redeliveries, stats.records_given_up), (3, 2, 2), "{stats:?}");
    assert_eq!(stats.descriptions_sent, 1, "{stats:?}");

    // Lambda's description of the batch (services-dynamodb-errors.html), not its records
    let first = calls.lock().unwrap()[0].clone();
    let (c, d) = (seq(&first["Records"][2]), seq(&first["Records"][3]));
    let got = odt_local::streams::sqs::receive_messages(&http, &queue, 1).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert_eq!(m["version"], "1.0");
    assert_eq!(m["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(m["requestContext"]["approximateInvokeCount"], 3);
    assert!(m["requestContext"]["functionArn"].as_str().unwrap().ends_with(":function:DeployTriggerStreamFunction"));
    assert_eq!(m["responseContext"]["statusCode"], 200);
    assert!(m["responseContext"].get("functionError").is_none(), "{m}");
    let info = &m["DDBStreamBatchInfo"];
    assert_eq!((info["startSequenceNumber"].as_str(), info["endSequenceNumber"].as_str()), (Some(&*c), Some(&*d)));
    assert_eq!(info["batchSize"], 2);
    assert_eq!(info["streamArn"], pump.stream_arn());
    assert!(info["shardId"].as_str().is_some_and(|s| s.starts_with("shardId-")), "{info}");
    assert!(info["approximateArrivalOfFirstRecord"].is_string(), "{info}");
    assert!(m.get("Records").is_none() && !m.to_string().contains("PLATFORM#"), "no record in it: {m}");

    // the pump moved on past the given-up records
    t.put("PLATFORM#e", &[]).await;
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(batches(&calls).last().unwrap(), &vec!["PLATFORM#e"]);
    assert_eq!(pump.stats().records_given_up, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_invocation_bisects_the_batch_down_to_the_poison_record() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    // any batch holding c fails as a whole
    let (calls, deliver) = recorder(|_, e| {
        let records = e["Records"].as_array().unwrap();
        if records.iter().any(|r| r["dynamodb"]["Keys"]["sk"]["S"] == "PLATFORM#c") {
            json!({"errorType": "Runtime.ExitError", "errorMessage": "poison"})
        } else {
            ok()
        }
    });
    let (http, queue) = failure_queue().await;
    let consumer = StreamConsumer { max_retries: 1, ..template_consumer() };
    assert!(consumer.bisect_on_error);
    let pump = StreamPump::start(&t.sdk, &t.name, consumer, deliver, Some(queue.clone())).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    // a split does not count as a retry; c alone gets its one retry, then d goes on
    assert_eq!(
        batches(&calls),
        vec![
            vec!["PLATFORM#a", "PLATFORM#b", "PLATFORM#c", "PLATFORM#d"],
            vec!["PLATFORM#a", "PLATFORM#b"],
            vec!["PLATFORM#c", "PLATFORM#d"],
            vec!["PLATFORM#c"],
            vec!["PLATFORM#c"],
            vec!["PLATFORM#d"],
        ]
    );
    let c = seq(&calls.lock().unwrap()[3]["Records"][0]);
    let got = odt_local::streams::sqs::receive_messages(&http, &queue, 1).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let info = &got[0]["DDBStreamBatchInfo"];
    assert_eq!((info["startSequenceNumber"].as_str(), info["endSequenceNumber"].as_str()), (Some(&*c), Some(&*c)));
    assert_eq!(info["batchSize"], 1);
    assert_eq!(got[0]["responseContext"]["functionError"], "Unhandled");
    assert_eq!(pump.stats().records_given_up, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_older_than_the_maximum_age_is_described_not_delivered() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    let (calls, deliver) = recorder(|_, _| ok());
    let (http, queue) = failure_queue().await;
    let consumer = StreamConsumer { max_record_age: Some(Duration::ZERO), ..template_consumer() };
    let pump = StreamPump::start(&t.sdk, &t.name, consumer, deliver, Some(queue.clone())).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    assert!(calls.lock().unwrap().is_empty(), "no invocation with expired records");
    let got = odt_local::streams::sqs::receive_messages(&http, &queue, 1).await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(got[0]["requestContext"]["approximateInvokeCount"], 0);
    assert_eq!(got[0]["DDBStreamBatchInfo"]["batchSize"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_or_a_function_error_fails_the_whole_batch() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    let (calls, deliver) = recorder(|n, e| match n {
        0 => panic!("the function panicked (expected by the test)"),
        1 => json!({"errorType": "Runtime.ExitError", "errorMessage": "boom"}),
        // an identifier that is not in the batch is a whole-batch failure too
        2 => json!({"batchItemFailures": [{"itemIdentifier": "nope"}]}),
        3 => json!({"batchItemFailures": [failure(e, 3)]}),
        _ => Value::Null,
    });
    // without BisectBatchOnFunctionError: the whole batch again
    let consumer = StreamConsumer { bisect_on_error: false, ..template_consumer() };
    let pump = StreamPump::start(&t.sdk, &t.name, consumer, deliver, None).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    let all = vec!["PLATFORM#a", "PLATFORM#b", "PLATFORM#c", "PLATFORM#d"];
    assert_eq!(batches(&calls), vec![all.clone(), all.clone(), all.clone(), all, vec!["PLATFORM#d"]]);
    let stats = pump.stats();
    assert_eq!((stats.batches_delivered, stats.redeliveries, stats.records_given_up), (5, 4, 0), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_size_and_no_partial_responses() {
    let t = Table::fresh().await;
    four_platforms(&t).await;
    // without ReportBatchItemFailures a partial-batch answer is just a success
    let (calls, deliver) = recorder(|_, e| json!({"batchItemFailures": [failure(e, 0)]}));
    let consumer = StreamConsumer {
        batch_size: 3,
        report_batch_item_failures: false,
        filters: vec![json!({"dynamodb": {"Keys": {"sk": {"S": [{"anything-but": "PLATFORM#b"}]}}}})],
        ..template_consumer()
    };
    let pump = StreamPump::start(&t.sdk, &t.name, consumer, deliver, None).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(batches(&calls), vec![vec!["PLATFORM#a", "PLATFORM#c", "PLATFORM#d"]]);
    t.put("PLATFORM#e", &[]).await;
    t.put("PLATFORM#f", &[]).await;
    t.put("PLATFORM#g", &[]).await;
    t.put("PLATFORM#h", &[]).await;
    pump.settle(SETTLE).await.unwrap();
    let sizes: Vec<usize> = batches(&calls).iter().map(Vec::len).collect();
    assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
    assert_eq!(all_names(&calls).len(), 7);
    assert_eq!(pump.stats().redeliveries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_filter_fails_the_start() {
    let t = Table::fresh().await;
    let (_, deliver) = recorder(|_, _| ok());
    let consumer =
        StreamConsumer { filters: vec![json!({"dynamodb": {"Keys": [{"suffix": "#"}]}})], ..template_consumer() };
    let e = StreamPump::start(&t.sdk, &t.name, consumer, deliver, None).await.unwrap_err();
    assert!(format!("{e:#}").contains("suffix"), "{e:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_times_out_while_the_function_is_busy() {
    let t = Table::fresh().await;
    t.put("PLATFORM#a", &[]).await;
    let deliver: Deliver = Arc::new(|_event: Value| {
        async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            ok()
        }
        .boxed()
    });
    let pump = StreamPump::start(&t.sdk, &t.name, template_consumer(), deliver, None).await.unwrap();
    let e = pump.settle(Duration::from_millis(500)).await.unwrap_err();
    assert!(e.to_string().contains("did not settle"), "{e}");
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(pump.delivered(), 1);
}

/// DynamoDB Local (-sharedDb: one sequence for every table) answers TrimmedDataAccessException to the
/// TRIM_HORIZON iterator of a shard that was empty when another table was written to; the pump opens a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_shard_survives_writes_to_other_tables() {
    let t = Table::fresh().await;
    let (calls, deliver) = recorder(|_, _| ok());
    let pump = StreamPump::start(&t.sdk, &t.name, template_consumer(), deliver, None).await.unwrap();
    pump.settle(SETTLE).await.unwrap();
    let other = Table::fresh().await;
    other.put("PLATFORM#elsewhere", &[]).await;
    t.put("PLATFORM#a", &[]).await;
    pump.settle(SETTLE).await.unwrap();
    assert_eq!(batches(&calls), vec![vec!["PLATFORM#a"]]);
    assert_eq!(pump.stats().errors, 0, "{:?}", pump.stats());
}
