//! What every walkthrough step is made of: the admin API as a console calls it ([`Api`]), and a step's failure
//! reported with its number and name ([`step`]).

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use std::fmt::Display;
use std::future::Future;
use std::io::Write;

/// The admin API as a console would call it: a base URL and a bearer token.
pub(crate) struct Api<'a> {
    pub(crate) http: reqwest::Client,
    pub(crate) base: &'a str,
    pub(crate) token: String,
}

impl Api<'_> {
    /// Sends one request; answers the status and the JSON body (`Null` when empty).
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{method} {path}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let v =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!({ "raw": text })) };
        Ok((status, v))
    }

    /// Sends one request and fails unless the status is `want`.
    pub(crate) async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, v) = self.call(method.clone(), path, body).await?;
        if status != want {
            bail!("{method} {path} answered {status} (expected {want}): {v}");
        }
        Ok(v)
    }

    /// Downloads what a presigned link (an export's `url`) points at; fails unless the answer is a success.
    pub(crate) async fn download(&self, url: &str) -> anyhow::Result<Vec<u8>> {
        let r = self.http.get(url).send().await?;
        if !r.status().is_success() {
            bail!("GET the presigned link answered {}", r.status());
        }
        Ok(r.bytes().await?.to_vec())
    }
}

/// The result of part `name` of step `n`: a failure is printed to `out` as `  ✗ step n (name) failed: cause` and
/// returned as `step n (name) failed: cause`.
pub(crate) fn check<T>(
    out: &mut (dyn Write + Send),
    n: u32,
    name: impl Display,
    result: anyhow::Result<T>,
) -> anyhow::Result<T> {
    result.map_err(|e| {
        let _ = writeln!(out, "  ✗ step {n} ({name}) failed: {e:#}");
        anyhow!("step {n} ({name}) failed: {e:#}")
    })
}

/// Runs part `name` of step `n`; a failure is reported as [`check`] does.
pub(crate) async fn step<T>(
    out: &mut (dyn Write + Send),
    n: u32,
    name: impl Display,
    part: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    check(out, n, name, part.await)
}
