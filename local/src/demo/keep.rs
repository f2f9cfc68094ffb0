//! After the walkthrough, for `scripts/demo.sh --keep`: the walkthrough ends by deleting device trust, which
//! would leave the console showing a removed set-up. This puts device trust back on the same tenant, org,
//! platforms and fleet (Windows switched on again), reconciles, deploys and reads the evidence, so the console
//! opens on a fleet in its everyday state.

use super::api::step;
use super::{Api, DEMO_TENANT};
use crate::stack::Stack;
use reqwest::Method;
use serde_json::json;
use std::io::Write;

/// Restores device trust on [`DEMO_TENANT`] with org `org_id` and deploys; answers the devices in scope.
pub async fn restore_for_console(stack: &Stack, org_id: &str, out: &mut (dyn Write + Send)) -> anyhow::Result<u64> {
    let admin = Api { http: reqwest::Client::new(), base: &stack.base_url, token: stack.token(DEMO_TENANT, "admin") };
    writeln!(out, "[18] For the console: device trust set up again on the same org, platforms and fleet")?;
    let body = json!({"oktaOrgId": org_id});
    step(out, 18, "device trust", admin.expect(Method::PUT, "/device-trust", Some(body), 200)).await?;
    let on = json!({"enabled": true});
    step(out, 18, "windows on", admin.expect(Method::PUT, "/platforms/windows/enabled", Some(on), 200)).await?;
    let sync = step(out, 18, "reconcile", admin.expect(Method::POST, "/fleet/sync", None, 200)).await?;
    step(out, 18, "let deploy-trigger deploy", stack.settle()).await?;
    step(out, 18, "deploy what is left", admin.expect(Method::POST, "/deployments/run", None, 200)).await?;
    step(out, 18, "let deploy-trigger follow", stack.settle()).await?;
    step(out, 18, "read the evidence", admin.expect(Method::POST, "/status/refresh", None, 200)).await?;
    let in_scope = sync["inScope"].as_u64().unwrap_or(0);
    writeln!(out, "    {in_scope} devices in scope and deployed again")?;
    Ok(in_scope)
}
