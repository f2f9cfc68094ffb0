//! Okta's Policies API for app sign-on (authentication) policies, type `ACCESS_POLICY`: list and read policies,
//! the apps mapped to one, its rules (list, create inactive, read, activate, deactivate, delete) and the policy
//! simulation. Operations and scopes as `../shared/okta/spec/management.yaml` names them: `listPolicies`,
//! `getPolicy`, `listPolicyMappings`, `listPolicyRules`, `getPolicyRule` and `createPolicySimulation`
//! (`okta.policies.read`); `createPolicyRule`, `activatePolicyRule`, `deactivatePolicyRule` and
//! `deletePolicyRule` (`okta.policies.manage`).

use super::client::OktaClient;
use super::error::OktaError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// The scope Okta requires to read policies, their rules and mappings, and to simulate.
pub const POLICIES_READ: &str = "okta.policies.read";
/// The scope Okta requires to create, activate, deactivate and delete policy rules.
pub const POLICIES_MANAGE: &str = "okta.policies.manage";
/// Every scope the access policy rules need: reading policies and simulating, and changing rules.
pub const RULES_SCOPES: [&str; 2] = [POLICIES_READ, POLICIES_MANAGE];

/// An app sign-on policy as Okta lists it (the fields the product reads of `AccessPolicy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPolicy {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub status: String,
    /// Whether Okta created it.
    #[serde(default)]
    pub system: bool,
    /// `ACCESS_POLICY` for every policy this module reads.
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// A policy rule as Okta answers it (`AccessPolicyRule`), kept whole: a rule the product did not create is
/// only read and compared, never rebuilt from a partial model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyRule(pub Value);

impl PolicyRule {
    /// The rule id (`rul…`).
    pub fn id(&self) -> &str {
        self.0["id"].as_str().unwrap_or_default()
    }
    /// The rule's name.
    pub fn name(&self) -> &str {
        self.0["name"].as_str().unwrap_or_default()
    }
    /// Its priority (0 is evaluated first); `None` when Okta gave none.
    pub fn priority(&self) -> Option<i64> {
        self.0["priority"].as_i64()
    }
    /// `ACTIVE` or `INACTIVE`.
    pub fn status(&self) -> &str {
        self.0["status"].as_str().unwrap_or_default()
    }
    /// Whether Okta created it: an access policy's catch-all rule.
    pub fn system(&self) -> bool {
        self.0["system"].as_bool().unwrap_or(false)
    }
    /// The rule's `conditions`.
    pub fn conditions(&self) -> &Value {
        &self.0["conditions"]
    }
    /// The rule's `actions`.
    pub fn actions(&self) -> &Value {
        &self.0["actions"]
    }
}

/// A path segment escaped for a URL (ids are checked as ids before they get here; this is the last guard).
fn seg(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

impl OktaClient {
    fn api_url(&self, path: &str) -> Result<Url, OktaError> {
        self.host().base_url().join(path).map_err(|e| OktaError::Protocol(e.to_string()))
    }

    /// Reads an answer's body as `T`. Errors: [`OktaError::Unreachable`] when it breaks off,
    /// [`OktaError::Protocol`] naming `what` when it does not read.
    async fn body_of<T: serde::de::DeserializeOwned>(resp: reqwest::Response, what: &str) -> Result<T, OktaError> {
        let bytes = resp.bytes().await.map_err(|e| OktaError::Unreachable(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| OktaError::Protocol(format!("{what}: {e}")))
    }

    /// Every app sign-on policy of the org: all pages of `GET /api/v1/policies?type=ACCESS_POLICY`
    /// (`listPolicies`, `okta.policies.read`). Errors: as [`OktaClient::list_all`].
    pub async fn list_access_policies(&self) -> Result<Vec<AccessPolicy>, OktaError> {
        self.list_all("api/v1/policies?type=ACCESS_POLICY&limit=200").await
    }

    /// One policy (`getPolicy`), `None` when Okta has none with this id (404).
    pub async fn get_policy(&self, policy_id: &str) -> Result<Option<AccessPolicy>, OktaError> {
        let url = self.api_url(&format!("api/v1/policies/{}", seg(policy_id)))?;
        match self.send(Method::GET, &url, None, true).await {
            Ok(r) => Self::body_of(r, "a policy").await.map(Some),
            Err(OktaError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ids of the apps mapped to a policy (`listPolicyMappings`: each mapping's `_links.application.href`
    /// ends with the app id).
    pub async fn list_policy_app_ids(&self, policy_id: &str) -> Result<Vec<String>, OktaError> {
        let url = self.api_url(&format!("api/v1/policies/{}/mappings", seg(policy_id)))?;
        let resp = self.send(Method::GET, &url, None, true).await?;
        let mappings: Vec<Value> = Self::body_of(resp, "the policy's mappings").await?;
        Ok(mappings
            .iter()
            .filter_map(|m| m["_links"]["application"]["href"].as_str())
            .filter_map(|h| h.trim_end_matches('/').rsplit('/').next().map(str::to_string))
            .collect())
    }

    /// Every rule of a policy in Okta's order (all pages of `listPolicyRules`).
    pub async fn list_policy_rules(&self, policy_id: &str) -> Result<Vec<PolicyRule>, OktaError> {
        self.list_all(&format!("api/v1/policies/{}/rules?limit=200", seg(policy_id))).await
    }

    /// One rule (`getPolicyRule`), `None` when Okta has none with this id (404).
    pub async fn get_policy_rule(&self, policy_id: &str, rule_id: &str) -> Result<Option<PolicyRule>, OktaError> {
        let url = self.api_url(&format!("api/v1/policies/{}/rules/{}", seg(policy_id), seg(rule_id)))?;
        match self.send(Method::GET, &url, None, true).await {
            Ok(r) => Self::body_of(r, "a policy rule").await.map(Some),
            Err(OktaError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a rule INACTIVE (`createPolicyRule` with `activate=false`); Okta inserts it at its `priority`
    /// and moves the rules from there down one. Sent once (5xx and transport errors are not retried: the
    /// caller looks for the rule by its name before creating it again). Errors: [`OktaError::Api`] (400
    /// `E0000001` for a body Okta refuses, 403 without `okta.policies.manage`).
    pub async fn create_inactive_rule(&self, policy_id: &str, rule: &Value) -> Result<PolicyRule, OktaError> {
        let url = self.api_url(&format!("api/v1/policies/{}/rules?activate=false", seg(policy_id)))?;
        let resp = self.send(Method::POST, &url, Some(rule), false).await?;
        Self::body_of(resp, "the created rule").await
    }

    /// Activates (`activatePolicyRule`) or deactivates (`deactivatePolicyRule`) a rule.
    pub async fn set_rule_active(&self, policy_id: &str, rule_id: &str, active: bool) -> Result<(), OktaError> {
        let action = if active { "activate" } else { "deactivate" };
        let url =
            self.api_url(&format!("api/v1/policies/{}/rules/{}/lifecycle/{action}", seg(policy_id), seg(rule_id)))?;
        self.send(Method::POST, &url, None, true).await.map(|_| ())
    }

    /// Deletes a rule (`deletePolicyRule`); a rule already gone (404) counts as deleted.
    pub async fn delete_rule(&self, policy_id: &str, rule_id: &str) -> Result<(), OktaError> {
        let url = self.api_url(&format!("api/v1/policies/{}/rules/{}", seg(policy_id), seg(rule_id)))?;
        match self.send(Method::DELETE, &url, None, true).await {
            Ok(_) | Err(OktaError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Okta's policy simulation (`createPolicySimulation`, `POST /api/v1/policies/simulate`, Limited GA): the
    /// access policy rules that match user `user_id` in `group_ids` signing in to app `app_id` from a device that
    /// is, or is not, registered and managed. The spec's `PolicyContext` requires both `user` and `groups` (its
    /// prose says "not both"; the schema is what the contract test holds the request to); an org that refuses
    /// the body answers 4xx, which the preview reports as the simulation being unavailable.
    /// A managed device is simulated as meeting device assurance policy `assurance_id` when one is given.
    /// Answers the matched rule of each access policy evaluated, as `(policy id, rule id)`. Errors: as
    /// [`OktaClient::list_all`]; an org without the feature answers 4xx.
    pub async fn simulate_access(
        &self,
        app_id: &str,
        user_id: &str,
        group_ids: &[String],
        managed: bool,
        assurance_id: Option<&str>,
    ) -> Result<Vec<(String, String)>, OktaError> {
        let url = self.api_url("api/v1/policies/simulate")?;
        let mut device = serde_json::json!({"registered": managed, "managed": managed});
        if let Some(a) = assurance_id.filter(|_| managed) {
            device["assuranceId"] = serde_json::json!(a);
        }
        let body = serde_json::json!([{
            "appInstance": app_id,
            "policyTypes": ["ACCESS_POLICY"],
            "policyContext": {
                "user": {"id": user_id},
                "groups": {"ids": group_ids},
                "device": device,
            },
        }]);
        let resp = self.send(Method::POST, &url, Some(&body), true).await?;
        let evaluations: Vec<Value> = Self::body_of(resp, "the simulation").await?;
        Ok(matched_rules(&evaluations))
    }
}

/// The `(policy id, rule id)` of each rule an evaluation's result matched (`status` `MATCH`).
fn matched_rules(evaluations: &[Value]) -> Vec<(String, String)> {
    let policies = evaluations.iter().flat_map(|e| e["result"]["policies"].as_array().into_iter().flatten());
    policies
        .flat_map(|p| {
            let pid = p["id"].as_str().unwrap_or_default().to_string();
            let rules = p["rules"].as_array().cloned().unwrap_or_default();
            rules
                .into_iter()
                .filter(|r| r["status"] == "MATCH")
                .map(move |r| (pid.clone(), r["id"].as_str().unwrap_or_default().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matched_rules_reads_the_result_of_each_evaluation() {
        let answer = [json!({
            "policyType": ["ACCESS_POLICY"],
            "result": {"policies": [{"id": "rst1", "status": "MATCH", "rules": [
                {"id": "rul1", "status": "NOT_MATCH"}, {"id": "rul2", "status": "MATCH"},
            ]}]},
            "evaluated": {"policies": [{"id": "rst9", "rules": [{"id": "rul9", "status": "MATCH"}]}]},
        })];
        assert_eq!(matched_rules(&answer), vec![("rst1".to_string(), "rul2".to_string())]);
    }
}
