//! Step 16: an app sign-on policy rule scoped to the fleet. The admin lists the org's app sign-on policies,
//! reads the preview (apps, groups, how many fleet users have a managed device, who would be refused, Okta's
//! simulation), has the product create its allow/deny pair INACTIVE above the catch-all, sees activation
//! refused while the product cannot tell who is asking, activates as a fleet user with a managed device
//! (Okta's simulation now meets the product's rules), and rolls back with one call: the policy is as it was.

use super::api::{step, Api};
use super::{Walk, DEMO_TENANT};
use crate::seed::{DEMO_ACCESS_POLICY, DEMO_FLEET_GROUP};
use anyhow::{anyhow, bail};
use reqwest::Method;
use serde_json::{json, Value};

impl Walk<'_> {
    /// Step 16: preview, create (inactive), activate, roll back.
    pub(super) async fn access_policy_rules(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[16] An app sign-on policy rule for the fleet: previewed, created inactive, activated, rolled back"
        )?;
        let before = self.stack.okta.policy_rules(DEMO_ACCESS_POLICY);
        let list =
            step(self.out, 16, "list the policies", self.admin.expect(Method::GET, "/access-policies", None, 200))
                .await?;
        writeln!(self.out, "    {} app sign-on policies; the admin picks {DEMO_ACCESS_POLICY}", list["count"])?;
        let stack = self.stack;
        let admin = Api { http: reqwest::Client::new(), base: &stack.base_url, token: self.managed_fleet_admin()? };
        let body = json!({"policyIds": [DEMO_ACCESS_POLICY]});
        let preview = Method::POST;
        let p = step(
            self.out,
            16,
            "preview",
            admin.expect(preview.clone(), "/access-policy-rules/preview", Some(body.clone()), 200),
        )
        .await?;
        let first = &p["policies"][0];
        writeln!(
            self.out,
            "    preview: apps {}, groups {}; {} fleet users, {} with a managed device in Okta, {} would be refused; the allow rule goes at priority {} ({} rules before it)",
            first["appIds"], p["groupIds"], p["fleetUsers"], p["managedInOkta"], p["refusedCount"], first["insertAt"],
            first["rulesBefore"].as_array().map_or(0, Vec::len)
        )?;
        writeln!(self.out, "    Okta's simulation today: {}", first["simulation"])?;
        let c = step(
            self.out,
            16,
            "create the rules",
            admin.expect(Method::PUT, "/access-policy-rules", Some(body.clone()), 200),
        )
        .await?;
        let ids = [c["items"][0]["allowRuleId"].clone(), c["items"][0]["denyRuleId"].clone()];
        let inactive = self.statuses(&ids) == ["INACTIVE", "INACTIVE"];
        writeln!(
            self.out,
            "    created {} and {}: {:?} in Okta (other rules' order kept: {})",
            ids[0],
            ids[1],
            self.statuses(&ids),
            c["foreignOrderKept"]
        )?;
        let (status, refused) = self.admin.call(Method::POST, "/access-policy-rules/activate", None).await?;
        if status != 409 || self.statuses(&ids) != ["INACTIVE", "INACTIVE"] {
            bail!("step 16 (activate without an email claim) failed: {status} {refused}");
        }
        writeln!(self.out, "    activation without the admin's email: refused ({})", refused["error"]["code"])?;
        let a = step(self.out, 16, "activate", admin.expect(Method::POST, "/access-policy-rules/activate", None, 200))
            .await?;
        let active = self.statuses(&ids) == ["ACTIVE", "ACTIVE"];
        writeln!(self.out, "    activated by {}: {:?} in Okta", a["caller"], self.statuses(&ids))?;
        let p =
            step(self.out, 16, "preview again", admin.expect(preview, "/access-policy-rules/preview", Some(body), 200))
                .await?;
        let sim = &p["policies"][0]["simulation"];
        writeln!(
            self.out,
            "    Okta's simulation now: managed device → {}, other device → {}",
            sim["managedDeviceRuleId"], sim["otherDeviceRuleId"]
        )?;
        let simulated = sim["managedDeviceRuleId"] == ids[0] && sim["otherDeviceRuleId"] == ids[1];
        let r =
            step(self.out, 16, "roll back", admin.expect(Method::DELETE, "/access-policy-rules", None, 200)).await?;
        let restored = self.stack.okta.policy_rules(DEMO_ACCESS_POLICY) == before;
        writeln!(
            self.out,
            "    rolled back: {} removed; the policy is as it was: {restored}",
            r["removed"][0]["ruleIds"]
        )?;
        self.outcome.access_rules = (inactive, active, simulated, restored);
        if !(inactive && active && simulated && restored) {
            bail!("step 16 (access policy rules) failed: {:?}", self.outcome.access_rules);
        }
        Ok(())
    }

    /// The Okta status of each rule `ids` names in the demo policy (`missing` when gone).
    fn statuses(&self, ids: &[Value]) -> Vec<String> {
        let rules = self.stack.okta.policy_rules(DEMO_ACCESS_POLICY);
        ids.iter()
            .map(|id| {
                rules
                    .iter()
                    .find(|r| &r["id"] == id)
                    .map_or("missing".into(), |r| r["status"].as_str().unwrap_or("").into())
            })
            .collect()
    }

    /// An admin token for an ACTIVE fleet user with a device Okta reports MANAGED (it carries their email: the
    /// lockout check finds them managed).
    fn managed_fleet_admin(&self) -> anyhow::Result<String> {
        let email = {
            let s = self.stack.okta.lock();
            let fleet = s.members.get(DEMO_FLEET_GROUP).cloned().unwrap_or_default();
            let managed = |u: &String| {
                s.devices.iter().any(|d| {
                    d.users.iter().any(|l| &l.user_id == u && l.management_status.as_deref() == Some("MANAGED"))
                })
            };
            fleet
                .iter()
                .filter(|u| s.users.get(*u).is_some_and(|v| v["status"] == "ACTIVE") && managed(u))
                .find_map(|u| s.users[u]["profile"]["email"].as_str().map(str::to_string))
                .ok_or_else(|| anyhow!("step 16 failed: no fleet user has a managed device"))?
        };
        Ok(self.stack.authorizer.token_with_email(DEMO_TENANT, "admin", &email, 3600))
    }
}
