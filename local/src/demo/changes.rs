//! Steps 13, 14 and 17: an admin's later changes (reset the iOS secret key, switch Windows off, delete device
//! trust), each followed through deploy-trigger on the Hexnode double.

use super::api::step;
use super::Walk;
use anyhow::bail;
use reqwest::Method;
use serde_json::json;

impl Walk<'_> {
    /// Step 13: saves a new iOS secret key; exactly one UEM write (the iOS policy update) carries it.
    pub(super) async fn reset_ios_key(&mut self) -> anyhow::Result<()> {
        let stack = self.stack;
        writeln!(self.out, "[13] Reset the iOS secret key in Okta and save the new one")?;
        let writes_before = stack.hexnode.applied_writes().len();
        let new_key = format!("okta-ios-{}", uuid::Uuid::new_v4().simple());
        let body = Some(json!({"secretKey": new_key}));
        step(self.out, 13, "save the new iOS key", self.admin.expect(Method::PUT, "/platforms/ios", body, 200)).await?;
        step(self.out, 13, "let deploy-trigger follow", stack.settle()).await?;
        self.outcome.reset_writes = stack
            .hexnode
            .applied_writes()
            .iter()
            .skip(writes_before)
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect();
        let writes = &self.outcome.reset_writes;
        let ios = stack.hexnode.policy_named("Okta Device Trust - iOS");
        let pushed = ios.as_ref().is_some_and(|p| p.content.contains(&new_key));
        writeln!(
            self.out,
            "    UEM writes: {} ({}); the iOS policy carries the new key: {pushed}; Android untouched",
            writes.len(),
            writes.join(", ")
        )?;
        if !pushed || writes.len() != 1 {
            bail!("step 13 (reset the iOS key) failed: writes {writes:?}, new key pushed: {pushed}");
        }
        Ok(())
    }

    /// Step 14: switches Windows off; its managed group is emptied.
    pub(super) async fn switch_windows_off(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[14] Switch Windows off")?;
        let off = Some(json!({"enabled": false}));
        step(
            self.out,
            14,
            "switch Windows off",
            self.admin.expect(Method::PUT, "/platforms/windows/enabled", off, 200),
        )
        .await?;
        step(self.out, 14, "let deploy-trigger follow", self.stack.settle()).await?;
        let left = self.stack.hexnode.group_named("Okta Device Trust - Windows").map_or(0, |g| g.members.len());
        self.outcome.windows_left = left;
        writeln!(self.out, "    Windows devices still carrying the Windows items: {left}")?;
        if left != 0 {
            bail!("step 14 (switch Windows off) failed: {left} devices still in the Windows group");
        }
        Ok(())
    }

    /// Step 17: deletes device trust; every item comes off every device and no policy is left in the UEM.
    pub(super) async fn delete_device_trust(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[17] Delete device trust: every item comes off every device, and what the product made in Okta"
        )?;
        let d =
            step(self.out, 17, "delete device trust", self.admin.expect(Method::DELETE, "/device-trust", None, 202))
                .await?;
        for o in d["oktaSide"].as_array().into_iter().flatten() {
            writeln!(
                self.out,
                "    Okta: {} {} → {}",
                o["item"].as_str().unwrap_or("?"),
                o["oktaId"].as_str().unwrap_or("-"),
                o["outcome"].as_str().unwrap_or("?")
            )?;
        }
        self.outcome.okta_side_removed = d["oktaSide"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| (o["item"].as_str().unwrap_or("").to_string(), o["outcome"].as_str().unwrap_or("").to_string()))
            .collect();
        step(self.out, 17, "let deploy-trigger follow", self.stack.settle()).await?;
        let o =
            step(self.out, 17, "read the overview", self.tech.expect(Method::GET, "/deployments", None, 200)).await?;
        let removal = (
            o["devicesCarryingItems"].as_u64().unwrap_or(u64::MAX),
            self.stack.hexnode.policies().len(),
            o["deviceTrust"].as_str().unwrap_or_default().to_string(),
        );
        self.outcome.removal = removal;
        let removal = &self.outcome.removal;
        writeln!(
            self.out,
            "    devices still carrying items: {}; policies left in the UEM: {}; device trust: {}",
            removal.0, removal.1, removal.2
        )?;
        if *removal != (0, 0, "none".to_string()) {
            bail!("step 17 (delete device trust) failed: {removal:?}");
        }
        Ok(())
    }
}
