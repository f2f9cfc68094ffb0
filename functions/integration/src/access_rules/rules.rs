//! The product's two rules in an app sign-on policy, without I/O: where they go (right above the catch-all),
//! what they say, how one the product created is recognised, and the order of every other rule.
//!
//! Okta applies the first rule that matches (by priority, 0 first), and an access policy ends with its
//! catch-all rule (`system: true`). The product's pair goes right above it: an allow rule for the fleet's groups
//! when the device is registered, managed (and assured), then a deny rule for the fleet's groups. Every rule the
//! product did not create keeps its place relative to the others, and only users who reach the catch-all today
//! are affected; the rules above keep deciding for whom they match (the preview lists them).

use odt_shared::okta::policies::PolicyRule;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The verification Okta's console sets on a new rule, used when the catch-all names none.
fn default_verification() -> Value {
    json!({"type": "ASSURANCE", "factorMode": "2FA", "constraints": [], "reauthenticateIn": "PT2H"})
}

/// The name of the product's allow rule, carrying `tag`.
pub fn allow_name(tag: &str) -> String {
    format!("Device Trust: managed device [{tag}]")
}

/// The name of the product's deny rule, carrying `tag`.
pub fn deny_name(tag: &str) -> String {
    format!("Device Trust: deny other devices [{tag}]")
}

/// Why a policy cannot take the product's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// No catch-all rule (`system: true`) ends the policy.
    NoCatchAll,
    /// The catch-all denies: an allow rule above it would let in users it refuses today.
    CatchAllDenies,
}

impl Unfit {
    /// The error code and the reason, for the admin.
    pub fn explain(&self) -> (&'static str, &'static str) {
        match self {
            Unfit::NoCatchAll => {
                ("no_catch_all", "the policy has no catch-all rule for the product's rules to go above")
            }
            Unfit::CatchAllDenies => (
                "catch_all_denies",
                "the policy's catch-all rule denies access, so an allow rule above it would let in users it refuses \
today; rules above the catch-all already decide who gets in",
            ),
        }
    }
}

/// The catch-all rule: the last rule by priority, when Okta created it. Errors: why the policy is unfit.
pub fn catch_all(rules: &[PolicyRule]) -> Result<&PolicyRule, Unfit> {
    let last = rules.iter().max_by_key(|r| r.priority().unwrap_or(i64::MAX)).ok_or(Unfit::NoCatchAll)?;
    if !last.system() {
        return Err(Unfit::NoCatchAll);
    }
    if last.actions()["appSignOn"]["access"] != "ALLOW" {
        return Err(Unfit::CatchAllDenies);
    }
    Ok(last)
}

/// What the product's rule asks Okta to create: the fleet's groups, and for the allow rule the device
/// conditions; the catch-all's verification method (so signing in asks no less than today).
pub struct RuleSpec<'a> {
    pub name: String,
    pub allow: bool,
    pub priority: i64,
    pub group_ids: &'a [String],
    pub assurance_ids: &'a [String],
    pub verification: Value,
}

impl RuleSpec<'_> {
    /// The `AccessPolicyRule` body for `createPolicyRule`.
    pub fn body(&self) -> Value {
        let mut conditions = json!({"people": {"groups": {"include": self.group_ids}}});
        if self.allow {
            let mut device = json!({"registered": true, "managed": true});
            if !self.assurance_ids.is_empty() {
                device["assurance"] = json!({"include": self.assurance_ids});
            }
            conditions["device"] = device;
        }
        json!({
            "type": "ACCESS_POLICY",
            "name": self.name,
            "priority": self.priority,
            "conditions": conditions,
            "actions": {"appSignOn": {
                "access": if self.allow { "ALLOW" } else { "DENY" },
                "verificationMethod": self.verification,
            }},
        })
    }
}

/// The verification method the product's rules take from the catch-all.
pub fn verification_of(catch_all: &PolicyRule) -> Value {
    match &catch_all.actions()["appSignOn"]["verificationMethod"] {
        Value::Object(v) if !v.is_empty() => Value::Object(v.clone()),
        _ => default_verification(),
    }
}

/// A value with every object's keys sorted, so equal JSON gives equal text whatever the key order.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect::<Map<_, _>>())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The fingerprint of a rule's content: SHA-256 (hex) over its name, `conditions` and `actions` as canonical
/// JSON. Priority and status are left out: Okta moves priorities when rules are inserted, and the product
/// changes the status itself.
pub fn fingerprint(rule: &PolicyRule) -> String {
    let content = json!([rule.name(), canonical(rule.conditions()), canonical(rule.actions())]);
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// The ids of the rules the product did not create, in Okta's order (`ours` are the product's rule ids).
pub fn foreign_order(rules: &[PolicyRule], ours: &[&str]) -> Vec<String> {
    let mut sorted: Vec<&PolicyRule> = rules.iter().collect();
    sorted.sort_by_key(|r| r.priority().unwrap_or(i64::MAX));
    sorted.into_iter().filter(|r| !ours.contains(&r.id())).map(|r| r.id().to_string()).collect()
}

/// The active rules Okta evaluates before the product's pair (priority below the catch-all's, not the
/// product's): for users they match, they decide, whatever the product's rules say.
pub fn rules_before<'a>(rules: &'a [PolicyRule], catch_all: &PolicyRule, ours: &[&str]) -> Vec<&'a PolicyRule> {
    let limit = catch_all.priority().unwrap_or(i64::MAX);
    let mut before: Vec<&PolicyRule> = rules
        .iter()
        .filter(|r| r.status() == "ACTIVE" && !ours.contains(&r.id()) && r.priority().is_some_and(|p| p < limit))
        .collect();
    before.sort_by_key(|r| r.priority());
    before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, priority: i64, system: bool, access: &str) -> PolicyRule {
        PolicyRule(json!({
            "id": id, "name": id, "priority": priority, "system": system, "status": "ACTIVE",
            "type": "ACCESS_POLICY", "conditions": {},
            "actions": {"appSignOn": {"access": access, "verificationMethod": {"type": "ASSURANCE", "factorMode": "1FA"}}},
        }))
    }

    #[test]
    fn the_catch_all_is_the_last_system_rule_and_must_allow() {
        let rules = vec![rule("b", 1, false, "ALLOW"), rule("c", 99, true, "ALLOW"), rule("a", 0, false, "DENY")];
        assert_eq!(catch_all(&rules).map(|r| r.id()), Ok("c"));
        let denies = vec![rule("a", 0, false, "ALLOW"), rule("c", 1, true, "DENY")];
        assert_eq!(catch_all(&denies).map(|r| r.id()), Err(Unfit::CatchAllDenies));
        assert_eq!(catch_all(&[rule("a", 0, false, "ALLOW")]).map(|r| r.id()), Err(Unfit::NoCatchAll));
        assert_eq!(catch_all(&[]).map(|r| r.id()), Err(Unfit::NoCatchAll));
    }

    #[test]
    fn the_allow_rule_requires_a_registered_managed_assured_device_with_the_catch_alls_verification() {
        let groups = vec!["00g1".to_string()];
        let assurance = vec!["dae1".to_string()];
        let ca = rule("c", 2, true, "ALLOW");
        let allow = RuleSpec {
            name: allow_name("abcd1234"),
            allow: true,
            priority: 2,
            group_ids: &groups,
            assurance_ids: &assurance,
            verification: verification_of(&ca),
        }
        .body();
        assert_eq!(
            allow["conditions"]["device"],
            json!({"registered": true, "managed": true, "assurance": {"include": ["dae1"]}})
        );
        assert_eq!(allow["conditions"]["people"]["groups"]["include"], json!(["00g1"]));
        assert_eq!(allow["actions"]["appSignOn"]["access"], "ALLOW");
        assert_eq!(allow["actions"]["appSignOn"]["verificationMethod"]["factorMode"], "1FA");
        let deny = RuleSpec {
            name: deny_name("abcd1234"),
            allow: false,
            priority: 3,
            group_ids: &groups,
            assurance_ids: &[],
            verification: json!({}),
        }
        .body();
        assert!(deny["conditions"].get("device").is_none());
        assert_eq!(deny["actions"]["appSignOn"]["access"], "DENY");
    }

    #[test]
    fn the_fingerprint_ignores_key_order_priority_and_status_but_not_content() {
        let a = PolicyRule(
            json!({"name": "n", "priority": 1, "status": "INACTIVE", "conditions": {"x": 1, "y": [1, 2]}, "actions": {}}),
        );
        let b = PolicyRule(
            json!({"actions": {}, "conditions": {"y": [1, 2], "x": 1}, "status": "ACTIVE", "priority": 7, "name": "n"}),
        );
        let c = PolicyRule(json!({"name": "n", "conditions": {"x": 2, "y": [1, 2]}, "actions": {}}));
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }

    #[test]
    fn foreign_order_follows_priorities_without_the_products_rules() {
        let rules = vec![
            rule("z", 3, true, "ALLOW"),
            rule("ours", 1, false, "ALLOW"),
            rule("x", 0, false, "ALLOW"),
            rule("y", 2, false, "DENY"),
        ];
        assert_eq!(foreign_order(&rules, &["ours"]), vec!["x", "y", "z"]);
        let before: Vec<&str> = rules_before(&rules, &rules[0], &["ours"]).iter().map(|r| r.id()).collect();
        assert_eq!(before, vec!["x", "y"]);
    }
}
