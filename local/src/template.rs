//! Reading `template.yaml`: the HTTP API routes of each function and the table definition, so the local front
//! and the local table are the deployed ones, not a copy.

use serde_yaml::Value;
use std::path::{Path, PathBuf};

/// One HTTP API route: `Method` (`GET`, …, or `ANY`), `Path` (`/okta-orgs/{orgId}`), the function's logical id,
/// and whether the JWT authorizer guards it (`Auth: Authorizer: NONE` turns it off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub function: String,
    pub authorized: bool,
}

/// The parsed template.
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
                });
            }
        }
        out
    }

    /// The `Properties` of the first `AWS::DynamoDB::Table`.
    pub fn table_properties(&self) -> Option<&Value> {
        let Some(Value::Mapping(resources)) = self.doc.get("Resources") else { return None };
        resources
            .values()
            .find(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
            .and_then(|r| r.get("Properties"))
    }
}
