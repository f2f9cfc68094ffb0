//! Step 15b: attestation kept fresh (issue 21, part 4). Okta's client certificates last a year and one no
//! FastPass used within 90 days is revoked (`../shared/okta/MDM.md` section 5). The step shows each SCEP
//! platform's CA dates and renewal lead and the renewals due; then, on the local stack's [`ShiftedClock`] moved 91
//! days on, the devices Okta never reported managed are due, one deployment run delivers their attestation again
//! (only theirs: the managed devices are left alone), and none is due after it. The Okta double's time moves on
//! with it (Okta judges a client assertion's expiry by its own time), and neither goes back: records written
//! meanwhile carry the later times.
//!
//! [`ShiftedClock`]: odt_shared::clock::ShiftedClock

use super::api::step;
use super::Walk;
use anyhow::bail;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// How far the step moves the clock on: one day past Okta's 90 days.
const DAYS_ON: u64 = 91;

impl Walk<'_> {
    /// Step 15b: the renewal schedule, then a renewal run 91 days on.
    pub(super) async fn renewals(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[15b] Attestation kept fresh: Okta's certificates last a year, unused ones are revoked after 90 days"
        )?;
        let status = step(self.out, 15, "read the status", self.tech.expect(Method::GET, "/status", None, 200)).await?;
        for c in status["certificates"].as_array().cloned().unwrap_or_default() {
            writeln!(
                self.out,
                "    {:<8} CA ends {} (ends soon: {}), renewals {} days before a device's year is up",
                c["platform"].as_str().unwrap_or("?"),
                c["ca"]["notAfter"].as_str().unwrap_or("-"),
                c["ca"]["endsSoon"],
                c["renewDaysBeforeExpiry"]
            )?;
        }
        writeln!(self.out, "    renewals due within 30 days: {}", status["renewalsDue"]["count"])?;
        let Some(shift) = self.stack.shift.clone() else {
            writeln!(self.out, "    (this stack's clock cannot be moved on: no renewal run shown)")?;
            return Ok(());
        };
        shift.shift(Duration::from_secs(DAYS_ON * 86_400));
        self.stack.okta.lock().time_ahead_secs += (DAYS_ON * 86_400) as i64;
        writeln!(self.out, "    The local stack's clock (and the Okta double's) moves {DAYS_ON} days on")?;
        self.renewal_run().await
    }

    /// The renewals due once the clock has moved on, one deployment run, and what is due after it.
    async fn renewal_run(&mut self) -> anyhow::Result<()> {
        let status = step(self.out, 15, "read the status", self.tech.expect(Method::GET, "/status", None, 200)).await?;
        let due = status["renewalsDue"]["count"].as_u64().unwrap_or(0);
        writeln!(self.out, "    renewals due within 30 days: {due}")?;
        for d in status["renewalsDue"]["devices"].as_array().cloned().unwrap_or_default().iter().take(5) {
            writeln!(
                self.out,
                "      {} ({}, {}): due {} ({})",
                d["deviceName"].as_str().unwrap_or("?"),
                d["deviceId"].as_str().unwrap_or("?"),
                d["platform"].as_str().unwrap_or("?"),
                d["dueAt"].as_str().unwrap_or("?"),
                d["reason"].as_str().unwrap_or("?")
            )?;
        }
        let run = step(self.out, 15, "run deployment", self.admin.expect(Method::POST, "/deployments/run", None, 200))
            .await?;
        step(self.out, 15, "let the stream deliver", self.stack.settle()).await?;
        let redelivered: u64 = run["platforms"]
            .as_object()
            .map(|p| p.values().filter_map(|r| r["redelivered"].as_u64()).sum())
            .unwrap_or(0);
        let after = step(self.out, 15, "read the status", self.tech.expect(Method::GET, "/status", None, 200)).await?;
        let left = after["renewalsDue"]["count"].as_u64().unwrap_or(0);
        writeln!(
            self.out,
            "    the run delivered {redelivered} attestations again ({} UEM calls); renewals due now: {left}",
            run["uemCalls"]
        )?;
        self.outcome.renewals = (due, redelivered, left);
        if due == 0 || redelivered != due || left != 0 {
            bail!(
                "step 15b (renewals) failed: {due} due, {redelivered} delivered again, {left} still due: {}",
                show(&after)
            );
        }
        Ok(())
    }
}

fn show(v: &Value) -> String {
    v["renewalsDue"].to_string()
}
