//! Reading `template.yaml`: the HTTP API routes of each function and the table definition, so the local front
//! and the local table are the deployed ones, not a copy.

use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One HTTP API route: `Method` (`GET`, …, or `ANY`), `Path` (`/okta-orgs/{orgId}`), the function's logical id,
/// whether the JWT authorizer guards it (`Auth: Authorizer: NONE` turns it off), and its API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
    pub authorized: bool,
    /// The logical id of the `AWS::Serverless::HttpApi` its `ApiId` names (empty: SAM's implicit API).
    pub api: String,
}

/// One `Type: DynamoDB` event of a function: what Lambda's event source mapping does with the table's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConsumer {
    /// The function's logical id.
    pub function: String,
    /// `BatchSize` (Lambda's default for DynamoDB streams: 100).
    pub batch_size: usize,
    /// `MaximumBatchingWindowInSeconds` (default 0).
    pub batching_window: Duration,
    /// `MaximumRetryAttempts`; absent or `-1` (Lambda: retry until the record expires) is `u32::MAX`.
    pub max_retries: u32,
    /// `FunctionResponseTypes` contains `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// `BisectBatchOnFunctionError` (default false): a failed invocation splits the batch in two.
    pub bisect_on_error: bool,
    /// `MaximumRecordAgeInSeconds`; absent or `-1` (Lambda: until the record expires from the stream) is `None`.
    pub max_record_age: Option<Duration>,
    /// `DestinationConfig.OnFailure.Destination`: the logical id of the `AWS::SQS::Queue` that receives the
    /// description of a batch given up on (`!GetAtt <Queue>.Arn`); `None` when absent (records are dropped).
    pub on_failure: Option<String>,
    /// `FilterCriteria.Filters[].Pattern`, parsed from their JSON strings (Lambda event-filtering syntax).
    pub filters: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub doc: Value,
}

/// Strips YAML tags (`!Ref`, `!GetAtt`, `!Sub`), keeping their values.
fn untag(v: Value) -> Value {
    match v {
        Value::Tagged(t) => untag(t.value),
        Value::Mapping(m) => Value::Mapping(m.into_iter().map(|(k, v)| (untag(k), untag(v))).collect()),
        Value::Sequence(s) => Value::Sequence(s.into_iter().map(untag).collect()),
        other => other,
    }
}

/// The repository's `template.yaml` (found from this crate's source location or the working directory).
pub fn default_path() -> PathBuf {
    let from_crate = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    if from_crate.exists() {
        from_crate
    } else {
        PathBuf::from("template.yaml")
    }
}

impl Template {
    /// Reads and parses a template file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    /// Parses template text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let doc: Value = serde_yaml::from_str(text)?;
        Ok(Template { doc: untag(doc) })
    }

    /// The resource named `logical_id`.
    pub fn resource(&self, logical_id: &str) -> Option<&Value> {
        self.doc.get("Resources")?.get(logical_id)
    }

    /// Every `HttpApi` event route of every `AWS::Serverless::Function`.
    pub fn routes(&self) -> Vec<Route> {
        let mut out = Vec::new();
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else { return out };
        for (id, res) in resources {
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let Some(Value::Mapping(events)) = res.get("Properties").and_then(|p| p.get("Events")) else { continue };
            for ev in events.values() {
                if ev.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                    continue;
                }
                let p = &ev["Properties"];
                let authorized =
                    p.get("Auth").and_then(|a| a.get("Authorizer")).and_then(Value::as_str) != Some("NONE");
                out.push(Route {
                    method: p.get("Method").and_then(Value::as_str).unwrap_or("ANY").to_ascii_uppercase(),
                    path: p.get("Path").and_then(Value::as_str).unwrap_or("/").to_string(),
                    function: id.as_str().unwrap_or_default().to_string(),
                    authorized,
                    api: p.get("ApiId").and_then(Value::as_str).unwrap_or_default().to_string(),
                });
            }
        }
        out
    }

    /// Every `AWS::Serverless::Function` with the binary `sam build` makes for it
    /// (`Metadata.BuildProperties.Binary`, the `rust-cargolambda` build method), as `(logical id, binary)` in
    /// template order. Errors on a function without one: `sam build` could not build it.
    pub fn function_binaries(&self) -> anyhow::Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else { return Ok(out) };
        for (id, res) in resources {
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let id = id.as_str().unwrap_or_default().to_string();
            let meta = res.get("Metadata");
            if meta.and_then(|m| m.get("BuildMethod")).and_then(Value::as_str) != Some("rust-cargolambda") {
                anyhow::bail!("{id}: Metadata.BuildMethod is not rust-cargolambda");
            }
            let binary = meta
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow::anyhow!("{id}: Metadata.BuildProperties.Binary is missing"))?;
            out.push((id, binary.to_string()));
        }
        Ok(out)
    }

    /// The `Properties` of the first `AWS::DynamoDB::Table`.
    pub fn table_properties(&self) -> Option<&Value> {
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else { return None };
        resources
            .values()
            .find(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
            .and_then(|r| r.get("Properties"))
    }

    /// Every `Type: DynamoDB` event of every `AWS::Serverless::Function`, in template order. Errors on a
    /// malformed number or a filter pattern that is not JSON.
    pub fn stream_consumers(&self) -> anyhow::Result<Vec<StreamConsumer>> {
        let mut out = Vec::new();
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else { return Ok(out) };
        for (id, res) in resources {
            if res.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let function = id.as_str().unwrap_or_default().to_string();
            let Some(Value::Mapping(events)) = res.get("Properties").and_then(|p| p.get("Events")) else { continue };
            for (name, ev) in events {
                if ev.get("Type").and_then(Value::as_str) != Some("DynamoDB") {
                    continue;
                }
                out.push(stream_consumer(resources, &function, name.as_str().unwrap_or_default(), ev)?);
            }
        }
        Ok(out)
    }
}

/// One `Type: DynamoDB` event (`name`, properties in `ev`) of function `function`: Lambda's defaults where a
/// property is absent. Errors on a malformed number, destination or filter pattern.
fn stream_consumer(
    resources: &serde_yaml::Mapping,
    function: &str,
    name: &str,
    ev: &Value,
) -> anyhow::Result<StreamConsumer> {
    let ctx = format!("{function}.Events.{name}");
    let p = ev.get("Properties").cloned().unwrap_or(Value::Null);
    let number = |key: &str| -> anyhow::Result<Option<i64>> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or_else(|| anyhow::anyhow!("{ctx}: {key} is not an integer: {v:?}")),
        }
    };
    let batch_size = match number("BatchSize")? {
        None => 100,
        Some(n) if n >= 1 => n as usize,
        Some(n) => anyhow::bail!("{ctx}: BatchSize {n} is not positive"),
    };
    let batching_window = match number("MaximumBatchingWindowInSeconds")? {
        None => Duration::ZERO,
        Some(n) if n >= 0 => Duration::from_secs(n as u64),
        Some(n) => anyhow::bail!("{ctx}: MaximumBatchingWindowInSeconds {n} is negative"),
    };
    let max_retries = match number("MaximumRetryAttempts")? {
        None | Some(-1) => u32::MAX,
        Some(n) if n >= 0 => u32::try_from(n).unwrap_or(u32::MAX),
        Some(n) => anyhow::bail!("{ctx}: MaximumRetryAttempts {n} is invalid"),
    };
    let max_record_age = match number("MaximumRecordAgeInSeconds")? {
        None | Some(-1) => None,
        Some(n) if n >= 0 => Some(Duration::from_secs(n as u64)),
        Some(n) => anyhow::bail!("{ctx}: MaximumRecordAgeInSeconds {n} is invalid"),
    };
    let bisect_on_error = p.get("BisectBatchOnFunctionError").and_then(Value::as_bool).unwrap_or(false);
    let on_failure = on_failure_queue(resources, &ctx, &p)?;
    let report_batch_item_failures = p
        .get("FunctionResponseTypes")
        .and_then(Value::as_sequence)
        .is_some_and(|s| s.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")));
    let filters = filter_patterns(&ctx, &p)?;
    Ok(StreamConsumer {
        function: function.to_string(),
        batch_size,
        batching_window,
        max_retries,
        report_batch_item_failures,
        bisect_on_error,
        max_record_age,
        on_failure,
        filters,
    })
}

/// The SQS queue (its logical id) an event's `DestinationConfig.OnFailure.Destination` names, if any. Errors when it
/// is not `!GetAtt <an AWS::SQS::Queue>.Arn`.
fn on_failure_queue(resources: &serde_yaml::Mapping, ctx: &str, p: &Value) -> anyhow::Result<Option<String>> {
    Ok(match p.get("DestinationConfig").and_then(|d| d.get("OnFailure")) {
        None => None,
        Some(f) => {
            let dest = f.get("Destination").and_then(|d| match d {
                Value::String(s) => Some(s.clone()),
                Value::Sequence(parts) => parts.first().and_then(Value::as_str).map(|s| format!("{s}.Arn")),
                _ => None,
            });
            let queue = dest
                .as_deref()
                .and_then(|d| d.strip_suffix(".Arn"))
                .filter(|q| {
                    resources.get(*q).and_then(|r| r.get("Type")).and_then(Value::as_str)
                        == Some("AWS::SQS::Queue")
                })
                .ok_or_else(|| {
                    anyhow::anyhow!("{ctx}: DestinationConfig.OnFailure.Destination is not !GetAtt <an AWS::SQS::Queue>.Arn: {dest:?}")
                })?;
            Some(queue.to_string())
        }
    })
}

/// An event's `FilterCriteria` patterns, as JSON. Errors on a pattern that is not a JSON string.
fn filter_patterns(ctx: &str, p: &Value) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut filters = Vec::new();
    if let Some(list) = p.get("FilterCriteria").and_then(|f| f.get("Filters")) {
        let list = list.as_sequence().ok_or_else(|| anyhow::anyhow!("{ctx}: Filters is not a list"))?;
        for (i, f) in list.iter().enumerate() {
            let text = f
                .get("Pattern")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow::anyhow!("{ctx}: Filters[{i}].Pattern is not a string"))?;
            let pattern: serde_json::Value = serde_json::from_str(text)
                .map_err(|e| anyhow::anyhow!("{ctx}: Filters[{i}].Pattern is not JSON: {e}"))?;
            filters.push(pattern);
        }
    }
    Ok(filters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_consumers_of_the_real_template() {
        let t = Template::load(&default_path()).unwrap();
        let consumers = t.stream_consumers().unwrap();
        assert_eq!(consumers.len(), 2, "{consumers:?}");
        let h = &consumers[0];
        assert_eq!(h.function, "FleetSyncHookFunction");
        assert_eq!((h.batch_size, h.batching_window, h.max_retries), (100, Duration::ZERO, 10));
        assert!(h.report_batch_item_failures);
        assert!(h.bisect_on_error);
        assert_eq!(h.max_record_age, Some(Duration::from_secs(900)));
        assert_eq!(h.on_failure.as_deref(), Some("HookStreamFailures"));
        assert_eq!(h.filters.len(), 1);
        assert_eq!(h.filters[0]["eventName"][0], "INSERT");
        assert_eq!(h.filters[0]["dynamodb"]["Keys"]["sk"]["S"][0]["prefix"], "HOOKINBOX#");
        let c = &consumers[1];
        assert_eq!(c.function, "DeployTriggerStreamFunction");
        assert_eq!(c.batch_size, 1000);
        assert_eq!(c.batching_window, Duration::from_secs(5));
        assert_eq!(c.max_retries, 5);
        assert!(c.report_batch_item_failures);
        assert!(c.bisect_on_error);
        assert_eq!(c.max_record_age, Some(Duration::from_secs(3600)));
        assert_eq!(c.on_failure.as_deref(), Some("DeployStreamFailures"));
        assert_eq!(c.filters.len(), 4);
        assert_eq!(c.filters[0]["dynamodb"]["Keys"]["sk"]["S"][0]["prefix"], "DEVICE#");
        assert_eq!(c.filters[0]["dynamodb"]["NewImage"]["in_scope"]["BOOL"][0], true);
        assert_eq!(c.filters[1]["dynamodb"]["OldImage"]["in_scope"]["BOOL"][0], true);
        assert_eq!(c.filters[2]["dynamodb"]["Keys"]["sk"]["S"][2], "DEVICETRUST");
        assert_eq!(c.filters[3]["dynamodb"]["Keys"]["sk"]["S"][0]["prefix"], "EVIDENCE#");
    }

    #[test]
    fn stream_consumer_defaults_and_errors() {
        let t = Template::parse(
            r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        S:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
        H:
          Type: HttpApi
          Properties: {Path: /x, Method: GET}
"#,
        )
        .unwrap();
        let c = t.stream_consumers().unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0],
            StreamConsumer {
                function: "F".into(),
                batch_size: 100,
                batching_window: Duration::ZERO,
                max_retries: u32::MAX,
                report_batch_item_failures: false,
                bisect_on_error: false,
                max_record_age: None,
                on_failure: None,
                filters: vec![],
            }
        );
        let bad = Template::parse(
            r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        S:
          Type: DynamoDB
          Properties:
            FilterCriteria:
              Filters:
                - Pattern: '{"dynamodb": '
"#,
        )
        .unwrap();
        let e = bad.stream_consumers().unwrap_err().to_string();
        assert!(e.contains("F.Events.S: Filters[0].Pattern is not JSON"), "{e}");
        // an on-failure destination must be a queue of the template
        let not_a_queue = Template::parse(
            r#"
Resources:
  T:
    Type: AWS::SNS::Topic
  F:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        S:
          Type: DynamoDB
          Properties:
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt T.Arn
"#,
        )
        .unwrap();
        let e = not_a_queue.stream_consumers().unwrap_err().to_string();
        assert!(e.contains("F.Events.S: DestinationConfig.OnFailure.Destination"), "{e}");
    }
}
