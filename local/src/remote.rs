//! The walkthrough against real systems: a deployed API (API Gateway + the Lambda functions), a real Okta org and
//! a real Hexnode portal. Nothing here differs from the local walkthrough but configuration: the same requests go
//! to the same routes, and the functions reach Okta and Hexnode at the hosts the setup file names.
//!
//! The setup file is JSON holding exactly the bodies the admin API takes (see `docs/walkthrough.example.json`);
//! any string may be `${NAME}`, read from the environment, so that secrets stay out of the file:
//!
//! ```json
//! {"okta": {"domain": "acme.okta.com", "credentials": {"method": "client_secret_basic", "clientId": "0oa…",
//!           "clientSecret": "${OKTA_CLIENT_SECRET}"}},
//!  "uem": {"portalUrl": "https://acme.hexnodemdm.com", "apiKey": "${HEXNODE_API_KEY}"},
//!  "platforms": {"ios": {"secretKey": "${OKTA_IOS_SECRET_KEY}"}},
//!  "oktaVerify": {"ios": {"method": "vpp", "appId": "…"}},
//!  "fleet": {"oktaGroupIds": ["00g…"], "uemDeviceGroupIds": ["42"]}}
//! ```

use crate::demo::{check, exports_dir, step, Api};
use anyhow::{anyhow, bail, Context};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::Write;

/// Replaces every string `${NAME}` in `v` by the environment variable `NAME` (via `lookup`). Errors naming the
/// variable when it is not set.
pub fn expand(v: Value, lookup: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Value> {
    Ok(match v {
        Value::String(s) => match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(name) => {
                Value::String(lookup(name).ok_or_else(|| anyhow!("the environment variable {name} is not set"))?)
            }
            None => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(|x| expand(x, lookup)).collect::<anyhow::Result<_>>()?),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, x)| Ok((k, expand(x, lookup)?))).collect::<anyhow::Result<_>>()?)
        }
        other => other,
    })
}

/// What the remote walkthrough saw.
#[derive(Debug, Default)]
pub struct RemoteOutcome {
    pub org_id: String,
    pub in_scope: u64,
    /// Per platform: devices in scope and in its managed UEM group, from `GET /deployments`.
    pub deployed: Vec<(String, u64)>,
    /// The exports written, with their device rows.
    pub exports: Vec<(std::path::PathBuf, u64)>,
    /// Whether device trust was deleted at the end (`teardown`).
    pub torn_down: bool,
    /// Whether the product registered the event hook through Okta's API, verified and active.
    pub hook_registered: bool,
}

/// Runs the admin's walkthrough against the API at `base` with an admin `token` (an access token of the issuer and
/// audience the stack was deployed with, carrying `tenant_id` and `role: admin`). `setup` is the expanded setup
/// file. With `teardown`, device trust is deleted at the end and the run waits until every item came off.
pub async fn walkthrough(
    base: &str,
    token: String,
    setup: &Value,
    teardown: bool,
    out: &mut (dyn Write + Send),
) -> anyhow::Result<RemoteOutcome> {
    let api = Api { http: reqwest::Client::new(), base: base.trim_end_matches('/'), token };
    let mut walk = Remote { api, setup, out, outcome: RemoteOutcome::default() };
    walk.connect_org().await?;
    walk.device_trust_and_uem().await?;
    walk.platforms().await?;
    walk.fleet().await?;
    walk.deploy().await?;
    walk.event_hook().await?;
    let dir = walk.status_and_exports().await?;
    if teardown {
        walk.teardown().await?;
    }
    writeln!(walk.out, "Done. Exports in {}", dir.display())?;
    Ok(walk.outcome)
}

/// What every step of the remote walkthrough works with: the API, the setup file, where the account is written,
/// and what the steps have seen so far.
struct Remote<'a> {
    api: Api<'a>,
    setup: &'a Value,
    out: &'a mut (dyn Write + Send),
    outcome: RemoteOutcome,
}

/// The setup file's section `key`; errors naming it when it is missing.
fn section(setup: &Value, key: &str) -> anyhow::Result<Value> {
    setup.get(key).cloned().ok_or_else(|| anyhow!("the setup file has no \"{key}\""))
}

impl Remote<'_> {
    /// The setup file's object `key` (empty when missing).
    fn entries(&self, key: &str) -> serde_json::Map<String, Value> {
        self.setup.get(key).and_then(Value::as_object).cloned().unwrap_or_default()
    }

    /// Step 1: connects the org of the setup's `okta`, or rotates its credentials when it is connected already.
    async fn connect_org(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[1] Connect the Okta org")?;
        let okta = check(self.out, 1, "read the setup", section(self.setup, "okta"))?;
        let domain = okta["domain"].as_str().unwrap_or_default().to_string();
        let orgs = step(self.out, 1, "list connected orgs", api.expect(Method::GET, "/okta-orgs", None, 200)).await?;
        let known = orgs["items"].as_array().and_then(|a| a.iter().find(|o| o["domain"] == domain.as_str())).cloned();
        let org = match known {
            Some(o) => {
                let id = o["id"].as_str().unwrap_or_default().to_string();
                let body = json!({"credentials": okta["credentials"]});
                step(
                    self.out,
                    1,
                    "rotate credentials",
                    api.expect(Method::PUT, &format!("/okta-orgs/{id}/credentials"), Some(body), 200),
                )
                .await?
            }
            None => {
                step(self.out, 1, "connect", api.expect(Method::POST, "/okta-orgs", Some(okta.clone()), 201)).await?
            }
        };
        self.outcome.org_id = org["id"].as_str().unwrap_or_default().to_string();
        writeln!(self.out, "    {domain}: {} (granted scopes: {})", self.outcome.org_id, org["grantedScopes"])?;
        Ok(())
    }

    /// Step 2: enables device trust with the org and connects the UEM of the setup's `uem`.
    async fn device_trust_and_uem(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[2] Enable device trust with this org; connect the UEM")?;
        let body = json!({"oktaOrgId": self.outcome.org_id});
        step(self.out, 2, "device trust", api.expect(Method::PUT, "/device-trust", Some(body), 200)).await?;
        let uem = check(self.out, 2, "read the setup", section(self.setup, "uem"))?;
        let uem = step(self.out, 2, "connect the UEM", api.expect(Method::PUT, "/uem", Some(uem), 200)).await?;
        writeln!(self.out, "    UEM {} connected", uem["portal"].as_str().unwrap_or_default())?;
        Ok(())
    }

    /// Step 3: saves and switches on each platform of the setup's `platforms`, then each Okta Verify
    /// installation method of its `oktaVerify`.
    async fn platforms(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[3] Management attestation per platform, then the Okta Verify installation method")?;
        for (p, body) in &self.entries("platforms") {
            let saved =
                step(self.out, 3, p, api.expect(Method::PUT, &format!("/platforms/{p}"), Some(body.clone()), 200))
                    .await?;
            let on = json!({"enabled": true});
            step(self.out, 3, p, api.expect(Method::PUT, &format!("/platforms/{p}/enabled"), Some(on), 200)).await?;
            writeln!(self.out, "    {p:<8} enabled; payload {}", saved["payloadHash"].as_str().unwrap_or_default())?;
        }
        for (p, body) in self.entries("oktaVerify") {
            step(self.out, 3, &p, api.expect(Method::PUT, &format!("/okta-verify/{p}"), Some(body), 200)).await?;
            writeln!(self.out, "    {p:<8} Okta Verify method saved")?;
        }
        Ok(())
    }

    /// Step 4: previews the setup's `fleet`, applies it and reconciles; keeps the devices in scope.
    async fn fleet(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[4] Preview the fleet, apply it, reconcile")?;
        let fleet = check(self.out, 4, "read the setup", section(self.setup, "fleet"))?;
        let preview =
            step(self.out, 4, "preview", api.expect(Method::POST, "/fleet/preview", Some(fleet.clone()), 200)).await?;
        writeln!(
            self.out,
            "    preview: {} devices, {} in scope, excluded {}",
            preview["devices"], preview["inScope"], preview["excluded"]
        )?;
        step(self.out, 4, "apply", api.expect(Method::PUT, "/fleet", Some(fleet), 200)).await?;
        let sync = step(self.out, 4, "reconcile", api.expect(Method::POST, "/fleet/sync", None, 200)).await?;
        self.outcome.in_scope = sync["inScope"].as_u64().unwrap_or(0);
        writeln!(
            self.out,
            "    {} in scope; {} records written; excluded {}",
            self.outcome.in_scope, sync["written"], sync["excluded"]
        )?;
        Ok(())
    }

    /// Step 5: runs a deployment (refused while blocked) and shows the overview per platform.
    async fn deploy(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[5] Deploy (deploy-trigger also follows the table's stream on its own)")?;
        let run = step(self.out, 5, "run", api.expect(Method::POST, "/deployments/run", None, 200)).await?;
        if let Some(blocked) = run["blocked"].as_str() {
            bail!("step 5 (run) failed: blocked: {blocked}");
        }
        let overview = step(self.out, 5, "overview", api.expect(Method::GET, "/deployments", None, 200)).await?;
        for p in overview["platforms"].as_array().cloned().unwrap_or_default() {
            let name = p["platform"].as_str().unwrap_or_default().to_string();
            writeln!(
                self.out,
                "    {name:<8} in scope {}; group {}; items {}",
                p["inScope"], p["groupId"], p["items"]
            )?;
            self.outcome.deployed.push((name, p["inScope"].as_u64().unwrap_or(0)));
        }
        Ok(())
    }

    /// Step 6: the event hook. When the org's app is granted `okta.eventHooks.manage` (`automation.allowed`), the
    /// product registers it through Okta's Event Hooks API (Okta verifies the URL; `POST /event-hook/register`,
    /// which repairs and never duplicates when run again); otherwise the hook to create in Okta by hand: its URL,
    /// whether its secret is set, its event types, and the scope that would automate it.
    async fn event_hook(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[6] The Okta event hook")?;
        let hook = step(self.out, 6, "event hook", api.expect(Method::GET, "/event-hook", None, 200)).await?;
        if hook["automation"]["allowed"] == true {
            let path = "/event-hook/register";
            let reg = step(self.out, 6, "register", api.expect(Method::POST, path, None, 200)).await?;
            let okta = &reg["okta"];
            writeln!(
                self.out,
                "    registered in Okta: hook {} {} and {}, calling {}",
                okta["id"].as_str().unwrap_or("?"),
                okta["status"].as_str().unwrap_or("?"),
                okta["verificationStatus"].as_str().unwrap_or("?"),
                okta["uri"].as_str().unwrap_or("?")
            )?;
            self.outcome.hook_registered = okta["verificationStatus"] == "VERIFIED" && okta["status"] == "ACTIVE";
            return Ok(());
        }
        writeln!(
            self.out,
            "    to create by hand in Okta (grant {} to automate it):",
            hook["automation"]["missingScope"].as_str().unwrap_or("okta.eventHooks.manage")
        )?;
        writeln!(
            self.out,
            "    URL {}{}; secret set: {}",
            api.base,
            hook["path"].as_str().unwrap_or_default(),
            hook["secretSet"]
        )?;
        writeln!(self.out, "    event types: {}", hook["eventTypes"])?;
        Ok(())
    }

    /// Step 7: reads the evidence and the summary, and writes the CSV and PDF exports to [`exports_dir`], which
    /// it answers.
    async fn status_and_exports(&mut self) -> anyhow::Result<std::path::PathBuf> {
        let api = &self.api;
        writeln!(self.out, "[7] Status from Okta's and the UEM's evidence; CSV and PDF exports")?;
        let r = step(self.out, 7, "refresh evidence", api.expect(Method::POST, "/status/refresh", None, 200)).await?;
        writeln!(self.out, "    {} Okta devices read, {} matched to UEM devices", r["oktaDevices"], r["matched"])?;
        let s = step(self.out, 7, "summary", api.expect(Method::GET, "/status", None, 200)).await?;
        writeln!(self.out, "    {}", s["summary"]["byPlatform"])?;
        let dir = exports_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for format in ["csv", "pdf"] {
            let body = Some(json!({"format": format}));
            let e = step(self.out, 7, format, api.expect(Method::POST, "/status/exports", body, 200)).await?;
            let bytes = step(self.out, 7, format, api.download(e["url"].as_str().unwrap_or_default())).await?;
            let path = dir.join(format!("device-status.{format}"));
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            let rows = e["rows"].as_u64().unwrap_or(0);
            writeln!(self.out, "    {format}: {rows} devices, {} bytes → {}", bytes.len(), path.display())?;
            self.outcome.exports.push((path, rows));
        }
        Ok(dir)
    }

    /// Step 8: deletes device trust and runs deployments (every 5 s, up to 60 times) until the removal is
    /// complete: no device carries items and the policies and groups are out of the UEM (the run that finds
    /// nothing left on any device dismantles them and ends device trust; deploy-trigger's own runs may be the one).
    async fn teardown(&mut self) -> anyhow::Result<()> {
        let api = &self.api;
        writeln!(self.out, "[8] Delete device trust and wait until every item came off")?;
        step(self.out, 8, "delete", api.expect(Method::DELETE, "/device-trust", None, 202)).await?;
        let (mut left, mut complete) = (u64::MAX, false);
        for _ in 0..60 {
            let (status, run) = step(self.out, 8, "run", api.call(Method::POST, "/deployments/run", None)).await?;
            complete = match status {
                200 => run["removalComplete"] == true,
                // Device trust is gone: a run (deploy-trigger's own, from the table's stream) completed the removal.
                409 if run["error"]["code"] == "device_trust_not_configured" => true,
                _ => anyhow::bail!("step 8 (run) failed: POST /deployments/run answered {status}: {run}"),
            };
            if complete {
                // The removal completes only once no device carries anything.
                left = 0;
                break;
            }
            let o = step(self.out, 8, "overview", api.expect(Method::GET, "/deployments", None, 200)).await?;
            left = o["devicesCarryingItems"].as_u64().unwrap_or(u64::MAX);
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
        writeln!(self.out, "    devices still carrying items: {left}; removal complete: {complete}")?;
        self.outcome.torn_down = complete && left == 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_reads_each_placeholder_from_the_environment_and_names_a_missing_one() {
        let env = |k: &str| (k == "SECRET").then(|| "s3cr3t".to_string());
        let v = json!({"a": "${SECRET}", "b": ["x", "${SECRET}"], "c": 1, "d": "$SECRET", "e": "a${SECRET}"});
        assert_eq!(
            expand(v, &env).unwrap(),
            json!({"a": "s3cr3t", "b": ["x", "s3cr3t"], "c": 1, "d": "$SECRET", "e": "a${SECRET}"})
        );
        let err = expand(json!({"a": "${NOPE}"}), &env).unwrap_err().to_string();
        assert!(err.contains("NOPE"), "{err}");
    }
}
