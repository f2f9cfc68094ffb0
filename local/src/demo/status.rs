//! Step 15: users enroll Okta Verify (Okta's device records appear, most managed), the evidence is read, the
//! status summary shown, the CSV and PDF exports written to [`exports_dir`] and shared with a technician.

use super::api::{check, step};
use super::{exports_dir, Walk, DEMO_TENANT};
use reqwest::Method;
use serde_json::json;

impl Walk<'_> {
    /// Step 15: enrollment in Okta, the evidence and the summary, the exports, and sharing them.
    pub(super) async fn status_and_exports(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[15] Device configuration status, from Okta's and the UEM's evidence; CSV and PDF exports"
        )?;
        let enrolled = self.enroll_okta_verify().await?;
        let r = step(self.out, 15, "read the evidence", self.tech.expect(Method::POST, "/status/refresh", None, 200))
            .await?;
        writeln!(
            self.out,
            "    {enrolled} devices enrolled Okta Verify; evidence read: {} Okta devices, {} matched to UEM devices",
            r["oktaDevices"], r["matched"]
        )?;
        let s = step(self.out, 15, "read the summary", self.tech.expect(Method::GET, "/status", None, 200)).await?;
        self.outcome.status_summary = s["summary"].clone();
        for (p, states) in s["summary"]["byPlatform"].as_object().cloned().unwrap_or_default() {
            writeln!(self.out, "    {p:<8} {states}")?;
        }
        self.windows_off_in_summary(&s["summary"])?;
        self.write_exports().await?;
        self.share_export().await
    }

    /// Checks the summary after step 14 switched Windows off (case C29): every Windows device is out of scope
    /// (`not_in_scope`, reason `platform_disabled`), none pending, none in scope.
    fn windows_off_in_summary(&mut self, summary: &serde_json::Value) -> anyhow::Result<()> {
        let windows = summary["byPlatform"]["windows"].as_object().cloned().unwrap_or_default();
        let devices: u64 = windows.values().filter_map(serde_json::Value::as_u64).sum();
        let out = windows.get("not_in_scope").and_then(serde_json::Value::as_u64).unwrap_or(0);
        writeln!(
            self.out,
            "    Windows is off: {out} of its {devices} devices out of scope ({} for platform_disabled in all), none pending or in scope",
            summary["excluded"]["platform_disabled"]
        )?;
        if devices == 0 || out != devices {
            anyhow::bail!("step 15 (status) failed: Windows is off, yet its devices show {windows:?}");
        }
        Ok(())
    }

    /// Puts an Okta device for most in-scope devices on the Okta double, as users enrolling Okta Verify would
    /// (every fifth not yet enrolled, a few not managed); answers how many.
    async fn enroll_okta_verify(&mut self) -> anyhow::Result<usize> {
        let devices = self.stack.deps.store.list_devices(DEMO_TENANT).await.map_err(anyhow::Error::from);
        let devices = check(self.out, 15, "read the device records", devices)?;
        let mut enrolled = 0;
        for (i, d) in devices.iter().filter(|d| d.in_scope).enumerate() {
            if i % 5 == 4 {
                continue; // not enrolled yet: delivered, but no managed device in Okta
            }
            let platform = d.platform.map(|p| p.as_str().to_ascii_uppercase()).unwrap_or_default();
            let status = if i % 7 == 3 { "NOT_MANAGED" } else { "MANAGED" };
            self.stack.okta.add_device(
                &format!("guo{}", d.device_id),
                &d.name,
                &platform,
                d.serial.as_deref(),
                d.udid.as_deref(),
                d.okta_user_id.as_deref(),
                Some(status),
            );
            enrolled += 1;
        }
        Ok(enrolled)
    }

    /// Exports the status as CSV and PDF and writes both to [`exports_dir`].
    async fn write_exports(&mut self) -> anyhow::Result<()> {
        let dir = exports_dir();
        check(self.out, 15, "make the exports folder", std::fs::create_dir_all(&dir).map_err(anyhow::Error::from))?;
        for format in ["csv", "pdf"] {
            let body = Some(json!({"format": format}));
            let e = step(
                self.out,
                15,
                format!("export {format}"),
                self.tech.expect(Method::POST, "/status/exports", body, 200),
            )
            .await?;
            let url = e["url"].as_str().unwrap_or_default();
            let bytes = step(self.out, 15, format!("download the {format}"), self.tech.download(url)).await?;
            let path = dir.join(format!("device-status.{format}"));
            let written = std::fs::write(&path, &bytes).map_err(anyhow::Error::from);
            check(self.out, 15, format!("write the {format}"), written)?;
            let rows = e["rows"].as_u64().unwrap_or(0);
            writeln!(
                self.out,
                "    {format}: {rows} devices, {} bytes{} → {}",
                bytes.len(),
                e["pages"].as_u64().map(|p| format!(", {p} pages")).unwrap_or_default(),
                path.display()
            )?;
            self.outcome.exports.push((path, rows));
        }
        Ok(())
    }

    /// Keeps the helpdesk as the tenant's technician, then shares the PDF: refused to anyone else, mailed to them.
    async fn share_export(&mut self) -> anyhow::Result<()> {
        let technicians = Some(json!({"emails": ["helpdesk@acme-demo.example"]}));
        step(
            self.out,
            15,
            "keep the technician list",
            self.admin.expect(Method::PUT, "/technicians", technicians, 200),
        )
        .await?;
        let share = |email: &str| Some(json!({"format": "pdf", "emails": [email]}));
        let refused = step(
            self.out,
            15,
            "refuse a non-technician",
            self.tech.expect(Method::POST, "/status/exports/share", share("someone@elsewhere.example"), 400),
        )
        .await?;
        let shared = step(
            self.out,
            15,
            "share with the helpdesk",
            self.tech.expect(Method::POST, "/status/exports/share", share("helpdesk@acme-demo.example"), 200),
        )
        .await?;
        writeln!(
            self.out,
            "    mailed the PDF link to {} (SES message {}); someone@elsewhere.example refused: {}",
            shared["sentTo"][0].as_str().unwrap_or(""),
            shared["messages"][0]["messageId"].as_str().unwrap_or(""),
            refused["error"]["message"].as_str().unwrap_or("")
        )?;
        Ok(())
    }
}
