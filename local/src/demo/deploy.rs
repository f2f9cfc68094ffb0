//! Step 11: how Okta Verify is installed on each platform, then deploy-trigger deploys (through the table's
//! stream, as in AWS) and the devices carry their items on the Hexnode double.

use super::api::{check, step};
use super::{Walk, DEMO_TENANT};
use anyhow::bail;
use odt_shared::platform::Platform;
use odt_shared::store::DeviceRecord;
use reqwest::Method;
use serde_json::{json, Value};

/// The platforms in the order the walkthrough shows them, with the managed group names deploy-trigger uses.
const PLATFORMS: [(&str, &str); 4] =
    [("ios", "iOS"), ("android", "Android"), ("macos", "macOS"), ("windows", "Windows")];

impl Walk<'_> {
    /// Step 11: sets the Okta Verify installation methods, lets deploy-trigger follow, and checks that every
    /// platform's managed group holds its in-scope devices and every device carries exactly its items.
    pub(super) async fn deploy(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[11] Set how Okta Verify is installed on each platform; deploy-trigger deploys")?;
        let uem_before = self.stack.hexnode.lock().requests.len();
        self.set_okta_verify_methods().await?;
        step(self.out, 11, "let the stream deliver", self.stack.settle()).await?;
        self.outcome.deploy_uem_calls = self.stack.hexnode.lock().requests.len() - uem_before;
        let overview = step(
            self.out,
            11,
            "read the deployment overview",
            self.tech.expect(Method::GET, "/deployments", None, 200),
        )
        .await?;
        let devices = self.stack.deps.store.list_devices(DEMO_TENANT).await.map_err(anyhow::Error::from);
        let devices = check(self.out, 11, "read the device records", devices)?;
        self.show_deployment(&overview)?;
        let exact = self.carries_exactly(&devices);
        self.outcome.carries_exactly = exact;
        writeln!(
            self.out,
            "    {} UEM calls for the whole first deployment (per platform one group, one policy or one per Mac for the dynamic challenge, one membership change, and reads); every in-scope device carries exactly its platform's items: {exact}",
            self.outcome.deploy_uem_calls
        )?;
        if !exact {
            bail!("step 11 (deploy) failed: a device carries items it should not, or lacks them");
        }
        self.macos_challenges(&devices)?;
        Ok(())
    }

    /// Checks that every in-scope macOS device's document carries its own challenge, one Okta issued, none reused.
    fn macos_challenges(&mut self, devices: &[DeviceRecord]) -> anyhow::Result<()> {
        let issued: Vec<String> =
            self.stack.okta.challenge_requests().into_iter().filter_map(|r| r.challenge).collect();
        let macs: Vec<&DeviceRecord> =
            devices.iter().filter(|d| d.in_scope && d.platform == Some(Platform::Macos)).collect();
        let mut delivered = std::collections::BTreeSet::new();
        for d in &macs {
            for p in self.stack.hexnode.device_carries(d.device_id.parse().unwrap_or_default()) {
                if let Some(c) = issued.iter().find(|c| p.content.contains(&format!("<string>{c}</string>"))) {
                    delivered.insert(c.clone());
                }
            }
        }
        self.outcome.macos_challenges = (macs.len(), delivered.len(), issued.len());
        writeln!(
            self.out,
            "    macOS: {} in-scope devices, {} carry their own challenge from Okta ({} challenge URL requests, none reused)",
            macs.len(),
            delivered.len(),
            issued.len()
        )?;
        if delivered.len() != macs.len() {
            bail!("step 11 (deploy) failed: not every macOS device carries its own challenge");
        }
        Ok(())
    }

    /// Shows a method that does not fit its platform refused, then saves each platform's method.
    async fn set_okta_verify_methods(&mut self) -> anyhow::Result<()> {
        let methods = [
            ("ios", json!({"method": "vpp", "appId": "701", "locationToken": "Acme Demo VPP", "licenses": 500})),
            ("macos", json!({"method": "vpp", "appId": "702", "locationToken": "Acme Demo VPP", "licenses": 500})),
            ("windows", json!({"method": "exe", "appId": "703"})),
            ("android", json!({"method": "managed_play"})),
        ];
        let exe = Some(json!({"method": "exe", "appId": "703"}));
        let refused = step(
            self.out,
            11,
            "refuse a method that does not fit",
            self.admin.expect(Method::PUT, "/okta-verify/ios", exe, 400),
        )
        .await?;
        writeln!(self.out, "    iOS with an EXE is refused: {}", refused["error"]["message"].as_str().unwrap_or(""))?;
        for (p, body) in methods {
            let path = format!("/okta-verify/{p}");
            let saved = step(
                self.out,
                11,
                format!("set the {p} method"),
                self.admin.expect(Method::PUT, &path, Some(body), 200),
            )
            .await?;
            writeln!(
                self.out,
                "    {p:<8} {} → app {} ({})",
                saved["method"].as_str().unwrap_or(""),
                saved["appId"].as_str().unwrap_or(""),
                saved["appName"].as_str().unwrap_or("")
            )?;
        }
        Ok(())
    }

    /// Per platform, the devices in scope (from the deployment `overview`) and the members of its managed group in
    /// the UEM, kept in the outcome.
    fn show_deployment(&mut self, overview: &Value) -> anyhow::Result<()> {
        for (p, label) in PLATFORMS {
            let view = overview["platforms"]
                .as_array()
                .and_then(|a| a.iter().find(|v| v["platform"] == p))
                .cloned()
                .unwrap_or_default();
            let group = self.stack.hexnode.group_named(&format!("Okta Device Trust - {label}"));
            let members = group.as_ref().map_or(0, |g| g.members.len());
            let in_scope = view["inScope"].as_u64().unwrap_or(0);
            writeln!(
                self.out,
                "    {p:<8} {in_scope} in scope → {members} in the managed group; Okta Verify {}, payload {}",
                view["items"]["okta_verify"]["applied"].as_u64().unwrap_or(0),
                view["items"]["attestation"]["applied"].as_u64().unwrap_or(0),
            )?;
            self.outcome.deployed.push((p.to_string(), in_scope, members));
        }
        Ok(())
    }

    /// Whether every in-scope device of `devices` carries exactly its platform's policy on the double, and no other device
    /// carries any.
    fn carries_exactly(&self, devices: &[DeviceRecord]) -> bool {
        let mut exact = true;
        for d in devices {
            let carried = self.stack.hexnode.device_carries(d.device_id.parse().unwrap_or_default());
            let want = usize::from(d.in_scope);
            exact &= carried.len() == want
                && carried.iter().all(|c| Some(c.platform.as_str()) == d.platform.map(|p| p.as_str()));
        }
        exact
    }
}
