//! Steps 1 to 6 and 8: connecting the Okta org and reading its groups, device trust with the org and what each
//! role may do with it, and connecting the UEM.

use super::api::{check, step};
use super::Walk;
use anyhow::anyhow;
use reqwest::Method;
use serde_json::json;

impl Walk<'_> {
    /// Step 1: connects the demo org with client_secret_basic; keeps its id and granted scopes.
    pub(super) async fn connect_org(&mut self) -> anyhow::Result<()> {
        let org = self.org;
        writeln!(
            self.out,
            "[1] Connect the Okta org {} (Okta Integration Network app, client_secret_basic)",
            org.domain
        )?;
        let body = json!({
            "domain": org.domain,
            "credentials": {"method": "client_secret_basic", "clientId": org.client_id, "clientSecret": org.client_secret},
        });
        let created =
            step(self.out, 1, "connect Okta org", self.admin.expect(Method::POST, "/okta-orgs", Some(body), 201))
                .await?;
        let outcome = &mut self.outcome;
        outcome.org_id = created["id"].as_str().unwrap_or_default().to_string();
        outcome.granted_scopes = created["grantedScopes"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        writeln!(self.out, "    connected as {}; credentials verified with a token and one read call", outcome.org_id)?;
        writeln!(self.out, "    granted scopes: {}", outcome.granted_scopes.join(", "))?;
        writeln!(self.out, "    secret shown back: {} (the value itself is never returned)", created["secret"])?;
        Ok(())
    }

    /// Step 2: lists the org's groups for the fleet selection, counting the Okta pages it took; none fails.
    pub(super) async fn list_groups(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[2] List the org's Okta user groups for fleet selection")?;
        let before = self.stack.okta.requests_to("/api/v1/groups?").len();
        let path = format!("/okta-orgs/{}/groups", self.outcome.org_id);
        let groups = step(self.out, 2, "list Okta groups", self.admin.expect(Method::GET, &path, None, 200)).await?;
        self.outcome.groups = groups["count"].as_u64().unwrap_or(0) as usize;
        self.outcome.okta_group_pages = self.stack.okta.requests_to("/api/v1/groups?").len() - before;
        let names: Vec<&str> = groups["items"]
            .as_array()
            .map(|a| a.iter().take(5).filter_map(|g| g["name"].as_str()).collect())
            .unwrap_or_default();
        writeln!(
            self.out,
            "    {} groups, read in {} Okta pages (Link: rel=\"next\" followed); first: {}",
            self.outcome.groups,
            self.outcome.okta_group_pages,
            names.join(", ")
        )?;
        if self.outcome.groups == 0 {
            check(self.out, 2, "list Okta groups", Err(anyhow!("no groups")))?;
        }
        Ok(())
    }

    /// Step 3: searches the groups by name.
    pub(super) async fn search_groups(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[3] Search groups by name: \"Device\"")?;
        let path = format!("/okta-orgs/{}/groups?q=Device", self.outcome.org_id);
        let found = step(self.out, 3, "search Okta groups", self.admin.expect(Method::GET, &path, None, 200)).await?;
        let hits: Vec<String> = found["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|g| format!("{} ({})", g["name"].as_str().unwrap_or(""), g["id"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        writeln!(self.out, "    {} match: {}", hits.len(), hits.join(", "))?;
        Ok(())
    }

    /// Step 4: enables device trust with the connected org; keeps its state.
    pub(super) async fn enable_device_trust(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[4] Enable device trust with this org")?;
        let body = json!({"oktaOrgId": self.outcome.org_id});
        let dt = step(
            self.out,
            4,
            "choose device trust org",
            self.admin.expect(Method::PUT, "/device-trust", Some(body), 200),
        )
        .await?;
        self.outcome.device_trust_state = dt["state"].as_str().unwrap_or_default().to_string();
        writeln!(
            self.out,
            "    device trust: {} for {} (version {})",
            self.outcome.device_trust_state,
            dt["oktaDomain"].as_str().unwrap_or(""),
            dt["version"]
        )?;
        Ok(())
    }

    /// Step 5: a technician reads device trust but may not delete it.
    pub(super) async fn technician_reads_only(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[5] Roles: a technician reads the overview but cannot change it")?;
        let tech = &self.tech;
        step(self.out, 5, "technician role", async {
            tech.expect(Method::GET, "/device-trust", None, 200).await?;
            tech.expect(Method::DELETE, "/device-trust", None, 403).await
        })
        .await?;
        writeln!(self.out, "    GET /device-trust → 200; DELETE /device-trust → 403")?;
        Ok(())
    }

    /// Step 6: the org device trust uses cannot be disconnected (409).
    pub(super) async fn disconnect_refused(&mut self) -> anyhow::Result<()> {
        writeln!(self.out, "[6] The org cannot be disconnected while device trust uses it")?;
        let path = format!("/okta-orgs/{}", self.outcome.org_id);
        let refused =
            step(self.out, 6, "disconnect refused", self.admin.expect(Method::DELETE, &path, None, 409)).await?;
        writeln!(
            self.out,
            "    DELETE /okta-orgs/{} → 409 {}",
            self.outcome.org_id,
            refused["error"]["code"].as_str().unwrap_or("")
        )?;
        Ok(())
    }

    /// Step 8: connects the Hexnode double's portal with its API key.
    pub(super) async fn connect_uem(&mut self) -> anyhow::Result<()> {
        let stack = self.stack;
        writeln!(self.out, "[8] Connect the UEM (Hexnode portal {}) with its API key", stack.hexnode_portal)?;
        let body = json!({"portalUrl": format!("https://{}", stack.hexnode_portal), "apiKey": stack.hexnode_api_key});
        let uem = step(self.out, 8, "connect the UEM", self.admin.expect(Method::PUT, "/uem", Some(body), 200)).await?;
        writeln!(
            self.out,
            "    {}: key verified with one read call and stored in Secrets Manager ({})",
            uem["portal"].as_str().unwrap_or(""),
            uem["apiKey"]
        )?;
        Ok(())
    }
}
