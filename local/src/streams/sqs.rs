//! The few SQS calls the local stack makes on moto (the stream consumers' on-failure queues): create a queue,
//! send a message, receive messages. SQS's JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`, AWS SQS API
//! reference, "Making query API requests: AWS JSON protocol") over plain HTTP: moto checks no signature, so the
//! requests carry a well-formed but unsigned SigV4 header, as the pump's raw `GetRecords` does.

use anyhow::{anyhow, bail};
use serde_json::{json, Value};

/// The SQS endpoint: `AWS_ENDPOINT_URL_SQS` (scripts/services.sh writes it), else `ODT_MOTO_URL`.
pub fn sqs_endpoint() -> anyhow::Result<String> {
    std::env::var("AWS_ENDPOINT_URL_SQS")
        .or_else(|_| std::env::var("ODT_MOTO_URL"))
        .map_err(|_| anyhow!("no SQS endpoint: set AWS_ENDPOINT_URL_SQS (scripts/services.sh env)"))
}

/// One SQS action with its JSON body; the answer's JSON. Errors: transport, or SQS's error (`__type`, message).
async fn call(http: &reqwest::Client, action: &str, body: Value) -> anyhow::Result<Value> {
    let endpoint = sqs_endpoint()?;
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    let resp = http
        .post(&endpoint)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("AmazonSQS.{action}"))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=local/20260101/{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| anyhow!("SQS {action}: {e}"))?;
    let ok = resp.status().is_success();
    let text = resp.text().await.map_err(|e| anyhow!("SQS {action}: {e}"))?;
    let v: Value = if text.trim().is_empty() { json!({}) } else { serde_json::from_str(&text)? };
    if !ok {
        bail!("SQS {action}: {} {}", v["__type"].as_str().unwrap_or("error"), v["message"].as_str().unwrap_or(&text));
    }
    Ok(v)
}

/// Creates the queue `name` (kept if it exists, as SQS does for the same attributes) and returns its URL.
pub async fn create_queue(http: &reqwest::Client, name: &str) -> anyhow::Result<String> {
    let v = call(http, "CreateQueue", json!({"QueueName": name})).await?;
    v["QueueUrl"].as_str().map(str::to_string).ok_or_else(|| anyhow!("CreateQueue {name}: no QueueUrl"))
}

/// Sends `body` to the queue at `url`.
pub async fn send_message(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<()> {
    call(http, "SendMessage", json!({"QueueUrl": url, "MessageBody": body.to_string()})).await.map(|_| ())
}

/// Receives up to 10 messages from the queue at `url` (waiting up to `wait_secs` for one), deletes them, and
/// returns their bodies as JSON (a body that is not JSON is returned as a string).
pub async fn receive_messages(http: &reqwest::Client, url: &str, wait_secs: u32) -> anyhow::Result<Vec<Value>> {
    let v =
        call(http, "ReceiveMessage", json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait_secs}))
            .await?;
    let mut out = Vec::new();
    for m in v["Messages"].as_array().cloned().unwrap_or_default() {
        let body = m["Body"].as_str().unwrap_or_default();
        out.push(serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string())));
        if let Some(handle) = m["ReceiptHandle"].as_str() {
            call(http, "DeleteMessage", json!({"QueueUrl": url, "ReceiptHandle": handle})).await?;
        }
    }
    Ok(out)
}

/// A queue name SQS accepts (letters, digits, `-`, `_`; at most 80) made of `parts` joined by `-`.
pub fn queue_name(parts: &[&str]) -> String {
    parts
        .join("-")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' })
        .take(80)
        .collect()
}
