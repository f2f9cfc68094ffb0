//! Steps 9 and 10: the fleet selection previewed, applied and reconciled, twice (the second time nothing
//! changes and nothing is written).

use super::api::step;
use super::Walk;
use anyhow::bail;
use reqwest::Method;
use serde_json::{json, Value};

/// The demo's selection: the Okta group "Sales" and the UEM device group "Corporate Laptops".
fn selection() -> Value {
    json!({"oktaGroupIds": [crate::seed::DEMO_FLEET_GROUP], "uemDeviceGroupIds": [crate::seed::DEMO_LAPTOP_GROUP.to_string()]})
}

impl Walk<'_> {
    /// Step 9: previews the selection (devices, in scope, excluded by reason).
    pub(super) async fn preview_fleet(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[9] Preview the fleet: Okta group \"Sales\" + UEM device group \"Corporate Laptops\"")?;
        let preview = step(
            self.out,
            9,
            "preview the fleet",
            self.admin.expect(Method::POST, "/fleet/preview", Some(selection()), 200),
        )
        .await?;
        writeln!(
            self.out,
            "    {} devices in the UEM; {} would be in scope; excluded by reason: {}",
            preview["devices"], preview["inScope"], preview["excluded"]
        )?;
        Ok(())
    }

    /// Step 10: applies the selection and reconciles, counting the Okta and UEM calls; keeps the devices in
    /// scope, the records written and the exclusions. A second reconciliation must write nothing.
    pub(super) async fn apply_and_reconcile(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[10] Apply the fleet and reconcile")?;
        let (admin, stack) = (&self.admin, self.stack);
        step(self.out, 10, "apply the fleet", admin.expect(Method::PUT, "/fleet", Some(selection()), 200)).await?;
        let (okta_before, uem_before) = (stack.okta.lock().requests.len(), stack.hexnode.lock().requests.len());
        let first = step(self.out, 10, "reconcile", admin.expect(Method::POST, "/fleet/sync", None, 200)).await?;
        let (okta_calls, uem_calls) =
            (stack.okta.lock().requests.len() - okta_before, stack.hexnode.lock().requests.len() - uem_before);
        let outcome = &mut self.outcome;
        outcome.in_scope = first["inScope"].as_u64().unwrap_or(0);
        outcome.first_sync_written = first["written"].as_u64().unwrap_or(0);
        outcome.excluded = first["excluded"].as_object().cloned().unwrap_or_default();
        writeln!(
            self.out,
            "    {} devices in scope; {} records written; {okta_calls} Okta calls, {uem_calls} UEM calls",
            outcome.in_scope, outcome.first_sync_written
        )?;
        for (reason, n) in &outcome.excluded {
            writeln!(self.out, "      excluded, {reason}: {n}")?;
        }
        let second =
            step(self.out, 10, "reconcile again", admin.expect(Method::POST, "/fleet/sync", None, 200)).await?;
        let written = second["written"].as_u64().unwrap_or(u64::MAX);
        self.outcome.second_sync_written = written;
        writeln!(self.out, "    reconciling again with nothing changed writes {written} records")?;
        if written != 0 {
            bail!("step 10 (reconcile again) failed: {written} records written with nothing changed");
        }
        Ok(())
    }
}
