//! Step 12b: the product's device assurance policies in Okta (one per enabled platform, the OS minimum from the
//! product's eligibility rule), and again after Windows is switched off (its policy deleted).

use super::api::step;
use super::Walk;
use reqwest::Method;

impl Walk<'_> {
    /// Syncs the policies and prints each one as Okta has it.
    pub(super) async fn device_assurance(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[12b] Device assurance: one policy per enabled platform with the product's OS minimum")?;
        let path = "/device-assurance/sync";
        let s = step(self.out, 12, "sync device assurance", self.admin.expect(Method::POST, path, None, 200)).await?;
        let g =
            step(self.out, 12, "read device assurance", self.tech.expect(Method::GET, "/device-assurance", None, 200))
                .await?;
        for (o, p) in
            s["platforms"].as_array().into_iter().flatten().zip(g["policies"].as_array().into_iter().flatten())
        {
            writeln!(
                self.out,
                "    {}: {} {} (\"{}\", OS {}+, {})",
                o["item"].as_str().unwrap_or("?"),
                o["outcome"].as_str().unwrap_or("?"),
                o["oktaId"].as_str().unwrap_or("-"),
                p["name"].as_str().unwrap_or("?"),
                p["oktaOsMinimum"].as_str().unwrap_or("?"),
                p["state"].as_str().unwrap_or("?")
            )?;
            if o["outcome"] == "created" {
                self.outcome.assurance.push((
                    o["item"].as_str().unwrap_or_default().to_string(),
                    o["oktaId"].as_str().unwrap_or_default().to_string(),
                    p["oktaOsMinimum"].as_str().unwrap_or_default().to_string(),
                ));
            }
        }
        Ok(())
    }

    /// After Windows is switched off: a sync deletes its policy and leaves the others as they are.
    pub(super) async fn device_assurance_after_switch(&mut self) -> anyhow::Result<()> {
        let path = "/device-assurance/sync";
        let s = step(self.out, 15, "sync device assurance", self.admin.expect(Method::POST, path, None, 200)).await?;
        let outcomes: Vec<(String, String)> = s["platforms"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| (o["item"].as_str().unwrap_or("").to_string(), o["outcome"].as_str().unwrap_or("").to_string()))
            .collect();
        writeln!(self.out, "    device assurance after Windows was switched off: {outcomes:?}")?;
        self.outcome.assurance_after_windows_off = outcomes;
        Ok(())
    }
}
