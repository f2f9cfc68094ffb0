//! The Policies API for app sign-on policies (`ACCESS_POLICY`) as `management.yaml` shapes it: list and read
//! policies, their mappings, their rules (list, create with `activate`, read, activate, deactivate, delete) and
//! the policy simulation. Rules are kept in priority order and numbered by place (0 first); a created rule is
//! inserted at its `priority` (never below the catch-all, which stays last) and the rules from there move down
//! one, as Okta does. Okta fills in defaults the request left out (`network`, `riskScore`), so a rule reads back
//! with more than was sent.

use super::edge::{okta_error, serve, serve_mut, with_rate_headers, Shared};
use super::paging::{page, path_and_query};
use super::{OktaDouble, OktaState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;

const READ: &str = "okta.policies.read";
const MANAGE: &str = "okta.policies.manage";
const STAMP: &str = "2024-01-01T00:00:00.000Z";

fn not_found(what: &str, id: &str) -> Response {
    okta_error(StatusCode::NOT_FOUND, "E0000007", &format!("Not found: Resource not found: {id} ({what})"))
}

fn invalid(summary: &str) -> Response {
    okta_error(StatusCode::BAD_REQUEST, "E0000001", &format!("Api validation failed: {summary}"))
}

fn ok(v: Value) -> Response {
    with_rate_headers(Json(v).into_response())
}

fn no_content() -> Response {
    with_rate_headers(StatusCode::NO_CONTENT.into_response())
}

/// Numbers the rules by place, as their priorities.
fn renumber(rules: &mut [Value]) {
    for (i, r) in rules.iter_mut().enumerate() {
        r["priority"] = json!(i);
    }
}

/// `_links` of rule `id` in `policy`.
fn rule_links(domain: &str, policy: &str, id: &str) -> Value {
    let base = format!("https://{domain}/api/v1/policies/{policy}/rules/{id}");
    json!({
        "self": {"href": base, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
        "activate": {"href": format!("{base}/lifecycle/activate"), "hints": {"allow": ["POST"]}},
        "deactivate": {"href": format!("{base}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}},
    })
}

/// `GET /api/v1/policies?type=` (`listPolicies`): the policies of that type, `Link`-paged.
pub(super) async fn list_policies(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    serve(&state, &headers, path_and_query("/api/v1/policies", &q), READ, |s| {
        let Some(kind) = q.get("type") else { return invalid("type: the type parameter is required") };
        let items: Vec<&Value> = s.policies.iter().filter(|p| p["type"] == kind.as_str()).collect();
        page(&s.domain, "/api/v1/policies", items, &q, s.max_page)
    })
    .await
}

/// `GET /api/v1/policies/{id}` (`getPolicy`).
pub(super) async fn get_policy(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve(&state, &headers, format!("/api/v1/policies/{id}"), READ, |s| {
        match s.policies.iter().find(|p| p["id"] == id.as_str()) {
            Some(p) => ok(p.clone()),
            None => not_found("Policy", &id),
        }
    })
    .await
}

/// `GET /api/v1/policies/{id}/mappings` (`listPolicyMappings`): one `PolicyMapping` per mapped app.
pub(super) async fn list_mappings(State(state): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    serve(&state, &headers, format!("/api/v1/policies/{id}/mappings"), READ, |s| {
        if !s.policy_rules.contains_key(&id) {
            return not_found("Policy", &id);
        }
        let d = &s.domain;
        let items: Vec<Value> = s
            .policy_apps
            .get(&id)
            .into_iter()
            .flatten()
            .map(|app| {
                json!({"id": format!("map{app}"), "_links": {
                    "self": {"href": format!("https://{d}/api/v1/policies/{id}/mappings/map{app}")},
                    "application": {"href": format!("https://{d}/api/v1/apps/{app}")},
                    "policy": {"href": format!("https://{d}/api/v1/policies/{id}")},
                }})
            })
            .collect();
        ok(json!(items))
    })
    .await
}

/// `GET /api/v1/policies/{id}/rules` (`listPolicyRules`): every rule in priority order.
pub(super) async fn list_rules(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let recorded = path_and_query(&format!("/api/v1/policies/{id}/rules"), &q);
    serve(&state, &headers, recorded, READ, |s| match s.policy_rules.get(&id) {
        Some(rules) => ok(json!(rules)),
        None => not_found("Policy", &id),
    })
    .await
}

/// What the created rule checks of a body: an ACCESS_POLICY rule with a name no other rule of the policy has,
/// and `managed` only with `registered: true` (the spec's rule). Errors: the summary of Okta's 400.
fn check_new_rule(rules: &[Value], body: &Value) -> Result<(), &'static str> {
    if body["type"] != "ACCESS_POLICY" {
        return Err("type: only ACCESS_POLICY rules go in an access policy");
    }
    let name = body["name"].as_str().unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err("name: The field cannot be left blank");
    }
    if rules.iter().any(|r| r["name"] == name) {
        return Err("name: A rule with this name already exists in the policy");
    }
    let device = &body["conditions"]["device"];
    if device.get("managed").is_some() && device["registered"] != true {
        return Err("conditions.device.registered: must be true when managed is given");
    }
    Ok(())
}

/// `POST /api/v1/policies/{id}/rules?activate=` (`createPolicyRule`).
pub(super) async fn create_rule(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    let recorded = path_and_query(&format!("/api/v1/policies/{id}/rules"), &q);
    serve_mut(&state, &headers, "POST", recorded, &[MANAGE], |s| {
        let domain = s.domain.clone();
        let Some(rules) = s.policy_rules.get_mut(&id) else { return not_found("Policy", &id) };
        if let Err(summary) = check_new_rule(rules, &body) {
            return invalid(summary);
        }
        let mut rule = body;
        let rule_id = format!("rul{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
        if !rule["conditions"].is_object() {
            rule["conditions"] = json!({});
        }
        if let Some(c) = rule["conditions"].as_object_mut() {
            c.entry("network").or_insert(json!({"connection": "ANYWHERE"}));
            c.entry("riskScore").or_insert(json!({"level": "ANY"}));
        }
        let active = q.get("activate").map(String::as_str) != Some("false");
        rule["id"] = json!(rule_id);
        rule["status"] = json!(if active { "ACTIVE" } else { "INACTIVE" });
        rule["system"] = json!(false);
        rule["created"] = json!(STAMP);
        rule["lastUpdated"] = json!(STAMP);
        rule["_links"] = rule_links(&domain, &id, &rule_id);
        let last_movable = rules.iter().rposition(|r| r["system"] != true).map_or(0, |p| p + 1);
        let at = rule["priority"].as_u64().map_or(last_movable, |p| p as usize).min(last_movable);
        rules.insert(at, rule);
        renumber(rules);
        ok(rules[at].clone())
    })
    .await
}

/// `GET /api/v1/policies/{id}/rules/{ruleId}` (`getPolicyRule`).
pub(super) async fn get_rule(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, rule)): Path<(String, String)>,
) -> Response {
    serve(&state, &headers, format!("/api/v1/policies/{id}/rules/{rule}"), READ, |s| {
        match s.policy_rules.get(&id).and_then(|rs| rs.iter().find(|r| r["id"] == rule.as_str())) {
            Some(r) => ok(r.clone()),
            None => not_found("PolicyRule", &rule),
        }
    })
    .await
}

/// `DELETE /api/v1/policies/{id}/rules/{ruleId}` (`deletePolicyRule`): a system rule cannot be deleted (403).
pub(super) async fn delete_rule(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, rule)): Path<(String, String)>,
) -> Response {
    serve_mut(&state, &headers, "DELETE", format!("/api/v1/policies/{id}/rules/{rule}"), &[MANAGE], |s| {
        let Some(rules) = s.policy_rules.get_mut(&id) else { return not_found("Policy", &id) };
        let Some(at) = rules.iter().position(|r| r["id"] == rule.as_str()) else {
            return not_found("PolicyRule", &rule);
        };
        if rules[at]["system"] == true {
            return okta_error(StatusCode::FORBIDDEN, "E0000006", "You can't delete a system rule");
        }
        rules.remove(at);
        renumber(rules);
        no_content()
    })
    .await
}

/// `POST /api/v1/policies/{id}/rules/{ruleId}/lifecycle/{activate|deactivate}`.
pub(super) async fn rule_lifecycle(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, rule, action)): Path<(String, String, String)>,
) -> Response {
    let recorded = format!("/api/v1/policies/{id}/rules/{rule}/lifecycle/{action}");
    serve_mut(&state, &headers, "POST", recorded, &[MANAGE], |s| {
        let status = match action.as_str() {
            "activate" => "ACTIVE",
            "deactivate" => "INACTIVE",
            _ => {
                return okta_error(
                    StatusCode::NOT_FOUND,
                    "E0000022",
                    "The endpoint does not support the provided HTTP method",
                )
            }
        };
        match s.policy_rules.get_mut(&id).and_then(|rs| rs.iter_mut().find(|r| r["id"] == rule.as_str())) {
            Some(r) => {
                r["status"] = json!(status);
                no_content()
            }
            None => not_found("PolicyRule", &rule),
        }
    })
    .await
}

/// Whether an active `rule` matches a sign-in of `groups` from `device` (the simulation's `policyContext.device`:
/// `registered`, `managed`, `assuranceId`).
fn rule_matches(rule: &Value, groups: &[String], device: &Value) -> bool {
    let c = &rule["conditions"];
    let include = c["people"]["groups"]["include"].as_array().cloned().unwrap_or_default();
    let in_groups = include.is_empty() || include.iter().any(|g| groups.iter().any(|x| g == x.as_str()));
    let d = &c["device"];
    let assured =
        d["assurance"]["include"].as_array().is_none_or(|a| a.is_empty() || a.contains(&device["assuranceId"]));
    let device_ok = (d["registered"] != true || device["registered"] == true)
        && (d["managed"] != true || device["managed"] == true)
        && assured;
    rule["status"] == "ACTIVE" && in_groups && device_ok
}

/// The evaluation of one `SimulatePolicyBody` over the access policies mapped to its app.
fn simulate_one(s: &OktaState, body: &Value) -> Value {
    let app = body["appInstance"].as_str().unwrap_or_default();
    let ctx = &body["policyContext"];
    let mut groups: Vec<String> =
        ctx["groups"]["ids"].as_array().into_iter().flatten().filter_map(|g| g.as_str().map(str::to_string)).collect();
    if let Some(user) = ctx["user"]["id"].as_str() {
        groups.extend(s.members.iter().filter(|(_, m)| m.iter().any(|u| u == user)).map(|(g, _)| g.clone()));
    }
    let policies: Vec<Value> = s
        .policy_apps
        .iter()
        .filter(|(_, apps)| apps.iter().any(|a| a == app))
        .filter_map(|(pid, _)| {
            let p = s.policies.iter().find(|p| p["id"] == pid.as_str())?;
            let hit = s.policy_rules.get(pid)?.iter().find(|r| rule_matches(r, &groups, &ctx["device"]))?;
            let rule = json!({"id": hit["id"], "name": hit["name"], "status": "MATCH", "conditions": []});
            Some(json!({"id": pid, "name": p["name"], "status": "MATCH", "conditions": [], "rules": [rule]}))
        })
        .collect();
    json!({
        "policyType": ["ACCESS_POLICY"], "result": {"policies": policies},
        "evaluated": {"policies": []}, "undefined": {"policies": []},
    })
}

/// `POST /api/v1/policies/simulate` (`createPolicySimulation`): per body, the first active rule of each access
/// policy mapped to the app that matches the groups and the user's own groups, and the device.
pub(super) async fn simulate(State(state): State<Shared>, headers: HeaderMap, Json(bodies): Json<Value>) -> Response {
    serve_mut(&state, &headers, "POST", "/api/v1/policies/simulate".into(), &[READ], |s| {
        let Some(bodies) = bodies.as_array() else { return invalid("the body is an array") };
        if bodies.iter().any(|b| b["appInstance"].as_str().is_none()) {
            return invalid("appInstance: The field cannot be left blank");
        }
        ok(json!(bodies.iter().map(|b| simulate_one(s, b)).collect::<Vec<_>>()))
    })
    .await
}

impl OktaDouble {
    /// Adds an app sign-on policy with its catch-all rule (`system: true`, ALLOW with two factors) and returns
    /// its id; `apps` are mapped to it.
    pub fn add_access_policy(&self, id: &str, name: &str, apps: &[&str]) -> String {
        let mut s = self.lock();
        let d = s.domain.clone();
        let policy = json!({
            "id": id, "type": "ACCESS_POLICY", "status": "ACTIVE", "name": name, "description": name,
            "priority": s.policies.len(), "system": false, "conditions": null, "created": STAMP, "lastUpdated": STAMP,
            "_links": {"self": {"href": format!("https://{d}/api/v1/policies/{id}")},
                       "rules": {"href": format!("https://{d}/api/v1/policies/{id}/rules")}},
        });
        let catch_all_id = format!("rul{id}CA");
        let catch_all = json!({
            "id": catch_all_id, "type": "ACCESS_POLICY", "name": "Catch-all Rule", "status": "ACTIVE", "priority": 0,
            "system": true, "created": STAMP, "lastUpdated": STAMP,
            "conditions": {"network": {"connection": "ANYWHERE"}, "riskScore": {"level": "ANY"}},
            "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
                "type": "ASSURANCE", "factorMode": "2FA", "constraints": [], "reauthenticateIn": "PT2H"}}},
            "_links": rule_links(&d, id, &catch_all_id),
        });
        s.policies.push(policy);
        s.policy_rules.insert(id.to_string(), vec![catch_all]);
        s.policy_apps.insert(id.to_string(), apps.iter().map(|a| a.to_string()).collect());
        id.to_string()
    }

    /// Adds a rule someone else made (`AccessPolicyRule` JSON with at least `id` and `name`), ACTIVE, right above
    /// the catch-all.
    pub fn add_foreign_rule(&self, policy: &str, mut rule: Value) {
        let mut s = self.lock();
        let d = s.domain.clone();
        let Some(rules) = s.policy_rules.get_mut(policy) else { return };
        let rid = rule["id"].as_str().unwrap_or_default().to_string();
        if let Some(o) = rule.as_object_mut() {
            for (k, v) in [("type", json!("ACCESS_POLICY")), ("status", json!("ACTIVE")), ("system", json!(false))] {
                o.entry(k).or_insert(v);
            }
        }
        rule["created"] = json!(STAMP);
        rule["lastUpdated"] = json!(STAMP);
        rule["_links"] = rule_links(&d, policy, &rid);
        let at = rules.len().saturating_sub(1);
        rules.insert(at, rule);
        renumber(rules);
    }

    /// The policy's rules in priority order (empty for an unknown policy).
    pub fn policy_rules(&self, policy: &str) -> Vec<Value> {
        self.lock().policy_rules.get(policy).cloned().unwrap_or_default()
    }

    /// Changes rule `rule` of `policy` in place, as an admin would in Okta's console.
    pub fn edit_rule(&self, policy: &str, rule: &str, f: impl FnOnce(&mut Value)) {
        let mut s = self.lock();
        if let Some(r) = s.policy_rules.get_mut(policy).and_then(|rs| rs.iter_mut().find(|r| r["id"] == rule)) {
            f(r);
        }
    }
}
