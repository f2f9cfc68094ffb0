//! Lambda's DynamoDB event source mapping, locally: a [`StreamPump`] reads the table's own stream on DynamoDB
//! Local (every shard, from `TRIM_HORIZON`, following child shards), keeps the records that pass the template's
//! `FilterCriteria` (Lambda event-filtering syntax, [`parse_filters`]), and hands them to the function in batches
//! as the DynamoDB stream event JSON ([`record_json`]), honouring `BatchSize`, `MaximumRetryAttempts` and the
//! partial-batch response of `ReportBatchItemFailures`.

use crate::template::StreamConsumer;
use anyhow::{anyhow, bail, Context};
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use futures::future::BoxFuture;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

// ------------------------------------------------------------------------------------------------------------
// Event filtering
// ------------------------------------------------------------------------------------------------------------

/// A node of a parsed pattern: an object whose keys must all match, or a leaf list of alternatives.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(Vec<(String, Node)>),
    Leaf(Vec<Matcher>),
}

/// One alternative of a leaf.
#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    /// A string, number, boolean or null, compared for equality (numbers by value).
    Exact(Value),
    Prefix(String),
    AnythingBut(Vec<Value>),
    AnythingButPrefix(String),
    Exists(bool),
    Numeric(Vec<(Cmp, f64)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

/// One parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Node);

impl Pattern {
    /// Parses and validates a pattern: an object whose values are objects (recursing into the record) or
    /// non-empty arrays of alternatives: strings, numbers, booleans, null, `{"prefix": "…"}`,
    /// `{"anything-but": value | [values] | {"prefix": "…"}}`, `{"exists": bool}`,
    /// `{"numeric": [op, n(, op, n)]}` with op one of `<`, `<=`, `=`, `>=`, `>`. Anything else (`suffix`,
    /// `equals-ignore-case`, `wildcard`, `cidr`, `$or`, …) is an error rather than a silent match.
    pub fn parse(pattern: &Value) -> anyhow::Result<Pattern> {
        match pattern {
            Value::Object(_) => Ok(Pattern(parse_node(pattern, "")?)),
            other => bail!("a filter pattern must be a JSON object, not {other}"),
        }
    }

    /// Whether `event_record` (one record of the Lambda event, as JSON) matches.
    pub fn matches(&self, event_record: &Value) -> bool {
        node_matches(&self.0, Some(event_record))
    }
}

/// Parsed `FilterCriteria.Filters`: a record passes when any pattern matches; no patterns pass everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    patterns: Vec<Pattern>,
}

impl Filters {
    /// Whether the record passes (any pattern matches, or there are none).
    pub fn matches(&self, event_record: &Value) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(event_record))
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// No patterns: everything passes.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Parses and validates filter patterns once (see [`Pattern::parse`]); the error names the filter's index.
pub fn parse_filters(patterns: &[Value]) -> anyhow::Result<Filters> {
    let patterns = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| Pattern::parse(p).with_context(|| format!("Filters[{i}]")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Filters { patterns })
}

/// Whether `event_record` matches `pattern` with Lambda's event-filtering semantics. A pattern that does not
/// parse ([`Pattern::parse`]) matches nothing; validate patterns up front with [`parse_filters`].
pub fn pattern_matches(pattern: &Value, event_record: &Value) -> bool {
    match Pattern::parse(pattern) {
        Ok(p) => p.matches(event_record),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "invalid filter pattern matches nothing");
            false
        }
    }
}

fn parse_node(v: &Value, path: &str) -> anyhow::Result<Node> {
    match v {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (k, child) in map {
                let child_path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if k.starts_with('$') {
                    bail!("{child_path}: the operator {k} is not supported");
                }
                fields.push((k.clone(), parse_node(child, &child_path)?));
            }
            Ok(Node::Object(fields))
        }
        Value::Array(alternatives) => {
            if alternatives.is_empty() {
                bail!("{path}: an empty list of alternatives matches nothing");
            }
            Ok(Node::Leaf(alternatives.iter().map(|a| parse_matcher(a, path)).collect::<anyhow::Result<_>>()?))
        }
        other => bail!("{path}: a pattern value must be an object or a list of alternatives, not {other}"),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn parse_matcher(v: &Value, path: &str) -> anyhow::Result<Matcher> {
    let obj = match v {
        Value::Array(_) => bail!("{path}: nested lists are not a valid alternative"),
        Value::Object(obj) => obj,
        scalar => return Ok(Matcher::Exact(scalar.clone())),
    };
    if obj.len() != 1 {
        bail!("{path}: an operator object must have exactly one key, not {v}");
    }
    let (op, arg) = obj.iter().next().expect("one key");
    match (op.as_str(), arg) {
        ("prefix", Value::String(s)) => Ok(Matcher::Prefix(s.clone())),
        ("prefix", other) => bail!("{path}: prefix {other} is not supported (only a string)"),
        ("anything-but", Value::Array(list)) if !list.is_empty() && list.iter().all(is_scalar) => {
            Ok(Matcher::AnythingBut(list.clone()))
        }
        ("anything-but", Value::Object(inner)) => match inner.get("prefix") {
            Some(Value::String(s)) if inner.len() == 1 => Ok(Matcher::AnythingButPrefix(s.clone())),
            _ => bail!("{path}: anything-but {arg} is not supported (only a value, a list or {{\"prefix\": …}})"),
        },
        ("anything-but", scalar) if is_scalar(scalar) => Ok(Matcher::AnythingBut(vec![scalar.clone()])),
        ("anything-but", other) => bail!("{path}: anything-but {other} is not supported"),
        ("exists", Value::Bool(b)) => Ok(Matcher::Exists(*b)),
        ("exists", other) => bail!("{path}: exists takes true or false, not {other}"),
        ("numeric", Value::Array(items)) => {
            if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
                bail!("{path}: numeric takes one or two [operator, number] pairs, not {arg}");
            }
            let mut cmps = Vec::new();
            for pair in items.chunks(2) {
                let cmp = match pair[0].as_str() {
                    Some("<") => Cmp::Lt,
                    Some("<=") => Cmp::Le,
                    Some("=") => Cmp::Eq,
                    Some(">=") => Cmp::Ge,
                    Some(">") => Cmp::Gt,
                    _ => bail!("{path}: numeric operator {} is not one of <, <=, =, >=, >", pair[0]),
                };
                let n =
                    pair[1].as_f64().ok_or_else(|| anyhow!("{path}: numeric operand {} is not a number", pair[1]))?;
                cmps.push((cmp, n));
            }
            Ok(Matcher::Numeric(cmps))
        }
        ("numeric", other) => bail!("{path}: numeric takes a list, not {other}"),
        (op, _) => bail!("{path}: the filter operator {op:?} is not supported"),
    }
}

fn node_matches(node: &Node, value: Option<&Value>) -> bool {
    match node {
        Node::Leaf(alternatives) => alternatives.iter().any(|m| matcher_matches(m, value)),
        Node::Object(fields) => {
            if let Some(Value::Array(items)) = value {
                return items.iter().any(|item| node_matches(node, Some(item)));
            }
            let obj = value.and_then(Value::as_object);
            fields.iter().all(|(k, child)| node_matches(child, obj.and_then(|o| o.get(k))))
        }
    }
}

/// `exists` applies to leaves only: an object (an intermediate node) does not "exist" as a leaf.
fn leaf_exists(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Object(_)) => false,
        Some(Value::Array(items)) => items.iter().any(|i| !matches!(i, Value::Object(_))),
        Some(_) => true,
    }
}

fn matcher_matches(m: &Matcher, value: Option<&Value>) -> bool {
    match (m, value) {
        (Matcher::Exists(want), v) => leaf_exists(v) == *want,
        (_, None) => false,
        (_, Some(Value::Array(items))) => items.iter().any(|i| scalar_matches(m, i)),
        (_, Some(v)) => scalar_matches(m, v),
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn scalar_matches(m: &Matcher, v: &Value) -> bool {
    if !is_scalar(v) {
        return false;
    }
    match m {
        Matcher::Exact(p) => json_eq(p, v),
        Matcher::Prefix(p) => v.as_str().is_some_and(|s| s.starts_with(p.as_str())),
        Matcher::AnythingBut(list) => !list.iter().any(|p| json_eq(p, v)),
        Matcher::AnythingButPrefix(p) => v.as_str().is_some_and(|s| !s.starts_with(p.as_str())),
        Matcher::Numeric(cmps) => v.as_f64().is_some_and(|x| {
            cmps.iter().all(|(c, n)| match c {
                Cmp::Lt => x < *n,
                Cmp::Le => x <= *n,
                Cmp::Eq => x == *n,
                Cmp::Ge => x >= *n,
                Cmp::Gt => x > *n,
            })
        }),
        Matcher::Exists(_) => unreachable!("handled by matcher_matches"),
    }
}

// ------------------------------------------------------------------------------------------------------------
// Stream records → the Lambda event
// ------------------------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------------------------
// The pump
// ------------------------------------------------------------------------------------------------------------

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
    /// Records dropped after the retries ran out.
    pub records_dropped: u64,
    /// Stream API errors and unreadable records (logged as warnings).
    pub errors: u64,
}

#[derive(Default)]
struct Counters {
    records_seen: AtomicU64,
    records_passed: AtomicU64,
    batches_delivered: AtomicU64,
    redeliveries: AtomicU64,
    records_dropped: AtomicU64,
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
            records_dropped: self.records_dropped.load(Ordering::Relaxed),
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

const POLL_IDLE: Duration = Duration::from_millis(50);
const DESCRIBE_EVERY: Duration = Duration::from_secs(1);
const ERROR_BACKOFF: Duration = Duration::from_millis(250);
const GATHER_CAP: Duration = Duration::from_millis(200);
const GET_RECORDS_LIMIT: i32 = 1000;

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
    /// mapping created with the table). `deliver` invokes the function (see [`Deliver`]).
    pub async fn start(
        sdk: &aws_config::SdkConfig,
        table: &str,
        consumer: StreamConsumer,
        deliver: Deliver,
    ) -> anyhow::Result<StreamPump> {
        let filters =
            parse_filters(&consumer.filters).with_context(|| format!("{}: FilterCriteria", consumer.function))?;
        let ddb = aws_sdk_dynamodb::Client::new(sdk);
        let described = ddb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| anyhow!("DescribeTable {table}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let stream_arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .ok_or_else(|| anyhow!("table {table} has no stream (StreamSpecification missing?)"))?
            .to_string();
        let client = streams_client(sdk);
        let shared = Arc::new(Shared::default());
        let (tx, rx) = watch::channel(Progress::default());
        let mut worker = Worker {
            ctx: Ctx {
                client,
                http: reqwest::Client::new(),
                endpoint: streams_endpoint(),
                stream_arn: stream_arn.clone(),
                region: sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into()),
                batch_size: consumer.batch_size.max(1),
                gather: consumer.batching_window.min(GATHER_CAP),
                max_retries: consumer.max_retries,
                report_batch_item_failures: consumer.report_batch_item_failures,
                function: consumer.function.clone(),
                filters,
                deliver,
                shared: shared.clone(),
            },
            shards: Vec::new(),
            last_describe: None,
            need_describe: true,
            progress: tx,
        };
        // the first describe here, so a missing stream fails the start
        worker.describe().await?;
        worker.last_describe = Some(Instant::now());
        worker.need_describe = false;
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

struct Shard {
    id: String,
    parent: Option<String>,
    iterator: Option<String>,
    /// The sequence number of the last record read (where a new iterator resumes).
    checkpoint: Option<String>,
    finished: bool,
}

/// What does not change while the pump runs.
struct Ctx {
    client: aws_sdk_dynamodbstreams::Client,
    /// Raw `GetRecords` (see [`Ctx::get_records`]): the streams endpoint and an HTTP client.
    http: reqwest::Client,
    endpoint: String,
    stream_arn: String,
    region: String,
    batch_size: usize,
    gather: Duration,
    max_retries: u32,
    report_batch_item_failures: bool,
    function: String,
    filters: Filters,
    deliver: Deliver,
    shared: Arc<Shared>,
}

struct Worker {
    ctx: Ctx,
    shards: Vec<Shard>,
    last_describe: Option<Instant>,
    need_describe: bool,
    progress: watch::Sender<Progress>,
}

/// What polling a shard did.
#[derive(Default)]
struct Polled {
    records: usize,
    closed: bool,
}

impl Worker {
    async fn run(mut self) {
        let mut round = 0u64;
        let mut idle_streak = 0u64;
        let mut last_describe_round = 0u64;
        loop {
            round += 1;
            let mut idle = true;
            let mut failed = false;
            let wanted = self.ctx.shared.describe_wanted.load(Ordering::SeqCst);
            let due = self.last_describe.is_none_or(|t| t.elapsed() >= DESCRIBE_EVERY);
            if self.need_describe || due || (round >= wanted && last_describe_round < wanted) {
                match self.describe().await {
                    Ok(new_shards) => {
                        idle &= new_shards == 0;
                        self.need_describe = false;
                        self.last_describe = Some(Instant::now());
                        last_describe_round = round;
                    }
                    Err(e) => {
                        self.ctx.error(&e);
                        failed = true;
                    }
                }
            }
            for i in 0..self.shards.len() {
                if !self.ready(i) {
                    continue;
                }
                match self.ctx.poll_shard(&mut self.shards[i]).await {
                    Ok(polled) => {
                        idle &= polled.records == 0 && !polled.closed;
                        if polled.closed {
                            self.need_describe = true;
                        }
                    }
                    Err(e) => {
                        self.ctx.error(&e);
                        failed = true;
                    }
                }
            }
            idle &= !failed;
            idle_streak = if idle { idle_streak + 1 } else { 0 };
            self.progress.send_replace(Progress { round, idle_streak, last_describe_round });
            if failed {
                tokio::time::sleep(ERROR_BACKOFF).await;
            } else if idle {
                tokio::select! {
                    _ = tokio::time::sleep(POLL_IDLE) => {}
                    _ = self.ctx.shared.wake.notified() => {}
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

impl Ctx {
    fn error(&self, e: &anyhow::Error) {
        let msg = format!("{e:#}");
        tracing::warn!(function = %self.function, error = %msg, "stream pump");
        Counters::add(&self.shared.counters.errors, 1);
        if let Ok(mut last) = self.shared.last_error.lock() {
            *last = Some(msg);
        }
    }

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
    /// page is read as JSON and such values are repaired ([`repair_attribute`]). DynamoDB Local checks no
    /// signature, so the request carries a well-formed but unsigned SigV4 header.
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
    async fn poll_shard(&self, shard: &mut Shard) -> anyhow::Result<Polled> {
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
                    // DynamoDB Local answers TrimmedDataAccessException to a TRIM_HORIZON iterator taken while the
                    // shard was empty once other tables (-sharedDb: one sequence for all) were written to; a new
                    // iterator from the checkpoint reads on, as it does after an expired iterator
                    let reopen =
                        e.code.ends_with("TrimmedDataAccessException") || e.code.ends_with("ExpiredIteratorException");
                    if reopen && !reopened {
                        reopened = true;
                        tracing::debug!(function = %self.function, shard = %shard.id, error = %e.message, "new shard iterator");
                        match self.open_iterator(shard).await {
                            Ok(true) => continue,
                            Ok(false) => polled.closed = true,
                            Err(e) => failure = Some(e),
                        }
                        break;
                    }
                    // a fresh iterator from the checkpoint next round
                    failure = Some(anyhow!("GetRecords {}: {} {}", shard.id, e.code, e.message));
                    break;
                }
            };
            let records = resp.records;
            polled.records += records.len();
            Counters::add(&self.shared.counters.records_seen, records.len() as u64);
            for r in &records {
                if let Some(seq) = r["dynamodb"]["SequenceNumber"].as_str() {
                    shard.checkpoint = Some(seq.to_string());
                }
                let event = raw_record_json(r.clone(), &self.stream_arn, &self.region);
                if self.filters.matches(&event) {
                    Counters::add(&self.shared.counters.records_passed, 1);
                    pending.push(event);
                    if pending.len() >= self.batch_size {
                        self.deliver_batch(std::mem::take(&mut pending)).await;
                    }
                }
            }
            shard.iterator = resp.next;
            if shard.iterator.is_none() {
                tracing::debug!(function = %self.function, shard = %shard.id, "shard closed");
                shard.finished = true;
                polled.closed = true;
                break;
            }
            if records.is_empty() {
                break;
            }
            let until = *gather_until.get_or_insert_with(|| Instant::now() + self.gather);
            if Instant::now() >= until {
                break;
            }
        }
        for chunk in pending.chunks(self.batch_size) {
            self.deliver_batch(chunk.to_vec()).await;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(polled),
        }
    }

    /// Invokes the function with `batch`, retrying from the lowest failed record up to `max_retries` times, then
    /// dropping what still fails.
    async fn deliver_batch(&self, mut batch: Vec<Value>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    use crate::template::{default_path, Template};
    use aws_sdk_dynamodbstreams::primitives::{Blob, DateTime};
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    fn p(v: Value) -> Pattern {
        Pattern::parse(&v).unwrap_or_else(|e| panic!("{v}: {e:#}"))
    }

    fn m(pattern: Value, record: Value) -> bool {
        p(pattern).matches(&record)
    }

    #[test]
    fn exact_values() {
        let r = json!({"a": "x", "n": 5, "b": true, "z": null, "o": {"s": "y"}});
        assert!(m(json!({"a": ["x"]}), r.clone()));
        assert!(m(json!({"a": ["w", "x"]}), r.clone()));
        assert!(!m(json!({"a": ["w"]}), r.clone()));
        assert!(m(json!({"n": [5]}), r.clone()));
        assert!(m(json!({"n": [5.0]}), r.clone()));
        assert!(!m(json!({"n": ["5"]}), r.clone()), "a string does not equal a number");
        assert!(m(json!({"b": [true]}), r.clone()));
        assert!(!m(json!({"b": [false]}), r.clone()));
        assert!(!m(json!({"b": ["true"]}), r.clone()));
        assert!(m(json!({"z": [null]}), r.clone()));
        assert!(!m(json!({"missing": [null]}), r.clone()), "null does not match a missing key");
        assert!(m(json!({"o": {"s": ["y"]}}), r.clone()));
        assert!(!m(json!({"o": ["y"]}), r.clone()), "an object is not a leaf value");
        assert!(!m(json!({"a": {"s": ["x"]}}), r.clone()), "a string has no keys");
        assert!(m(json!({"a": ["x"], "n": [5]}), r.clone()), "all keys must match");
        assert!(!m(json!({"a": ["x"], "n": [6]}), r.clone()));
        assert!(m(json!({}), r), "an empty pattern matches everything");
    }

    #[test]
    fn prefix_and_anything_but() {
        let r = json!({"sk": "DEVICE#1", "n": 3});
        assert!(m(json!({"sk": [{"prefix": "DEVICE#"}]}), r.clone()));
        assert!(m(json!({"sk": [{"prefix": ""}]}), r.clone()));
        assert!(!m(json!({"sk": [{"prefix": "device#"}]}), r.clone()));
        assert!(!m(json!({"n": [{"prefix": "3"}]}), r.clone()), "prefix applies to strings");
        assert!(!m(json!({"x": [{"prefix": ""}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": "ORG#x"}]}), r.clone()));
        assert!(!m(json!({"sk": [{"anything-but": "DEVICE#1"}]}), r.clone()));
        assert!(!m(json!({"sk": [{"anything-but": ["A", "DEVICE#1"]}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": ["A", "B"]}]}), r.clone()));
        assert!(!m(json!({"n": [{"anything-but": [3]}]}), r.clone()));
        assert!(m(json!({"n": [{"anything-but": [4]}]}), r.clone()));
        assert!(!m(json!({"x": [{"anything-but": "A"}]}), r.clone()), "anything-but needs a value");
        assert!(!m(json!({"sk": [{"anything-but": {"prefix": "DEVICE#"}}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": {"prefix": "ORG#"}}]}), r.clone()));
        assert!(m(json!({"sk": [{"prefix": "ORG#"}, "DEVICE#1"]}), r), "alternatives are OR'ed");
    }

    #[test]
    fn exists_and_numeric() {
        let r = json!({"a": "x", "z": null, "o": {"s": "y"}, "l": [1, 2], "e": [], "n": 10});
        assert!(m(json!({"a": [{"exists": true}]}), r.clone()));
        assert!(!m(json!({"a": [{"exists": false}]}), r.clone()));
        assert!(m(json!({"q": [{"exists": false}]}), r.clone()));
        assert!(!m(json!({"q": [{"exists": true}]}), r.clone()));
        assert!(m(json!({"z": [{"exists": true}]}), r.clone()), "null is a present leaf");
        assert!(!m(json!({"o": [{"exists": true}]}), r.clone()), "exists applies to leaves only");
        assert!(m(json!({"o": {"q": [{"exists": false}]}}), r.clone()));
        assert!(m(json!({"nope": {"q": [{"exists": false}]}}), r.clone()));
        assert!(m(json!({"l": [{"exists": true}]}), r.clone()));
        assert!(!m(json!({"e": [{"exists": true}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": [">", 5]}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": [">=", 10, "<", 11]}]}), r.clone()));
        assert!(!m(json!({"n": [{"numeric": [">", 10]}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": ["=", 10]}]}), r.clone()));
        assert!(!m(json!({"a": [{"numeric": ["=", 10]}]}), r.clone()));
        assert!(m(json!({"l": [{"numeric": ["<=", 1]}]}), r), "any array element");
    }

    #[test]
    fn arrays_in_records() {
        let r = json!({"tags": ["a", "b"], "items": [{"k": "x"}, {"k": "y"}]});
        assert!(m(json!({"tags": ["b"]}), r.clone()));
        assert!(!m(json!({"tags": ["c"]}), r.clone()));
        assert!(m(json!({"tags": [{"prefix": "a"}]}), r.clone()));
        assert!(m(json!({"tags": [{"anything-but": "a"}]}), r.clone()), "some element is not a");
        assert!(m(json!({"items": {"k": ["y"]}}), r.clone()));
        assert!(!m(json!({"items": {"k": ["z"]}}), r));
    }

    #[test]
    fn unsupported_operators_are_errors() {
        for bad in [
            json!({"a": [{"suffix": "x"}]}),
            json!({"a": [{"equals-ignore-case": "x"}]}),
            json!({"a": [{"wildcard": "x*"}]}),
            json!({"a": [{"cidr": "10.0.0.0/8"}]}),
            json!({"a": [{"prefix": {"equals-ignore-case": "x"}}]}),
            json!({"a": [{"anything-but": {"suffix": "x"}}]}),
            json!({"a": [{"anything-but": []}]}),
            json!({"a": [{"exists": "yes"}]}),
            json!({"a": [{"numeric": [">"]}]}),
            json!({"a": [{"numeric": ["!=", 1]}]}),
            json!({"a": [{"numeric": [">", "1"]}]}),
            json!({"a": [{"prefix": "x", "suffix": "y"}]}),
            json!({"a": []}),
            json!({"a": "x"}),
            json!({"a": [["x"]]}),
            json!({"$or": [{"a": ["x"]}]}),
            json!(["x"]),
        ] {
            assert!(Pattern::parse(&bad).is_err(), "{bad} should not parse");
            assert!(!pattern_matches(&bad, &json!({"a": "x"})), "{bad} matches nothing");
        }
        let e = parse_filters(&[json!({"a": ["x"]}), json!({"dynamodb": {"Keys": [{"suffix": "x"}]}})]).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("Filters[1]") && msg.contains("dynamodb.Keys") && msg.contains("suffix"), "{msg}");
    }

    /// A Lambda event record of an item with `pk = T#t`, `sk`, and the given images (attribute maps).
    fn rec(event_name: &str, sk: &str, new: Option<Value>, old: Option<Value>) -> Value {
        let mut d = json!({
            "Keys": {"pk": {"S": "T#t"}, "sk": {"S": sk}},
            "SequenceNumber": "100",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        let image = |extra: Value| {
            let mut img = json!({"pk": {"S": "T#t"}, "sk": {"S": sk}});
            for (k, v) in extra.as_object().unwrap() {
                img[k] = v.clone();
            }
            img
        };
        if let Some(n) = new {
            d["NewImage"] = image(n);
        }
        if let Some(o) = old {
            d["OldImage"] = image(o);
        }
        json!({"eventID": "1", "eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": d})
    }

    /// The consumer of `function` in the real template.
    fn consumer(function: &str) -> crate::template::StreamConsumer {
        let all = Template::load(&default_path()).unwrap().stream_consumers().unwrap();
        all.into_iter().find(|c| c.function == function).unwrap()
    }

    #[test]
    fn the_hook_consumers_filter_passes_only_new_inbox_records() {
        let f = parse_filters(&consumer("FleetSyncHookFunction").filters).unwrap();
        let events = json!({"events": {"L": []}});
        let cases = [
            (rec("INSERT", "HOOKINBOX#0123#0", Some(events.clone()), None), true),
            (rec("REMOVE", "HOOKINBOX#0123#0", None, Some(events.clone())), false),
            (rec("MODIFY", "HOOKINBOX#0123#0", Some(events.clone()), Some(events.clone())), false),
            (rec("INSERT", "HOOKEVENT#u1", Some(json!({})), None), false),
            (rec("INSERT", "HOOK", Some(json!({})), None), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"in_scope": {"BOOL": true}})), None), false),
        ];
        for (record, want) in cases {
            assert_eq!(f.matches(&record), want, "{record}");
        }
    }

    #[test]
    fn the_templates_filters() {
        let f = parse_filters(&consumer("DeployTriggerStreamFunction").filters).unwrap();
        assert_eq!(f.len(), 3);
        let yes = json!({"in_scope": {"BOOL": true}});
        let no = json!({"in_scope": {"BOOL": false}});
        let cases = [
            (rec("INSERT", "DEVICE#1", Some(yes.clone()), None), true),
            (rec("INSERT", "DEVICE#1", Some(no.clone()), None), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"name": {"S": "x"}})), None), false),
            (rec("MODIFY", "DEVICE#1", Some(yes.clone()), Some(yes.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(no.clone()), Some(yes.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(yes.clone()), Some(no.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(no.clone()), Some(no.clone())), false),
            (rec("REMOVE", "DEVICE#1", None, Some(yes.clone())), true),
            (rec("REMOVE", "DEVICE#1", None, Some(no.clone())), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"in_scope": {"S": "true"}})), None), false),
            (rec("INSERT", "PLATFORM#ios", Some(json!({"enabled": {"BOOL": true}})), None), true),
            (rec("MODIFY", "PLATFORM#ios", Some(json!({})), Some(json!({}))), true),
            (rec("REMOVE", "PLATFORM#ios", None, Some(json!({}))), true),
            (rec("INSERT", "OKTAVERIFY#android", Some(json!({})), None), true),
            (rec("INSERT", "DEVICETRUST", Some(json!({"status": {"S": "active"}})), None), true),
            (rec("REMOVE", "DEVICETRUST", None, Some(json!({}))), true),
            (rec("INSERT", "DEVICETRUSTX", Some(json!({})), None), false),
            (rec("INSERT", "ORG#x", Some(yes.clone()), None), false),
            (rec("MODIFY", "ORG#x", Some(yes.clone()), Some(yes.clone())), false),
            (rec("INSERT", "FLEET", Some(json!({})), None), false),
            (rec("INSERT", "XDEVICE#1", Some(yes.clone()), None), false),
            (rec("INSERT", "HOOKINBOX#0123#0", Some(json!({})), None), false),
        ];
        for (record, want) in cases {
            assert_eq!(f.matches(&record), want, "{record}");
        }
        assert!(Filters::default().matches(&json!({"anything": 1})), "no filters pass everything");
        assert!(parse_filters(&[]).unwrap().is_empty());
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
