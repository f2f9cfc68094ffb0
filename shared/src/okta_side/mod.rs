//! Okta's side of device trust, done through Okta's Management API when the device-trust org's app is granted
//! the scope each automation needs: the event hook ([`hook`]) and the product's device assurance policies
//! ([`assurance`]). Without the scope the manual steps stay, and [`automations`] says which scope would
//! automate each one (`GET /okta-orgs`).

pub mod assurance;
pub mod hook;

use crate::deps::Deps;
use crate::error::Error;
use crate::okta::OktaClient;
use crate::store::OrgRecord;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// One thing the product can do in Okta for the admin, and the OAuth scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Automation {
    /// `event_hook`, `device_assurance`, `policy_rules`.
    pub name: &'static str,
    /// The scope Okta's spec requires for its writes.
    pub scope: &'static str,
    /// The scope Okta's spec names for its reads, asked for beside `scope` when the app is granted it.
    pub read_scope: Option<&'static str>,
    /// What it does, for the admin.
    pub does: &'static str,
}

/// Registering, verifying, activating, re-keying and deleting the event hook (Event Hooks API).
pub const EVENT_HOOK: Automation = Automation {
    name: "event_hook",
    scope: "okta.eventHooks.manage",
    read_scope: Some("okta.eventHooks.read"),
    does: "registers, verifies and activates the event hook, rotates its secret, and deletes it with device trust",
};

/// The product's device assurance policies, one per enabled platform (Device Assurance Policies API).
pub const DEVICE_ASSURANCE: Automation = Automation {
    name: "device_assurance",
    scope: "okta.deviceAssurance.manage",
    read_scope: Some("okta.deviceAssurance.read"),
    does: "keeps one device assurance policy per enabled platform with the product's OS minimum",
};

/// The authentication policy rules that require a managed device (Policies API).
pub const POLICY_RULES: Automation = Automation {
    name: "policy_rules",
    scope: crate::okta::policies::POLICIES_MANAGE,
    read_scope: Some(crate::okta::policies::POLICIES_READ),
    does: "adds the app sign-on policy rules that require a registered, managed and assured device for the fleet \
           (previewed, created inactive, activated and rolled back by the admin: /access-policy-rules)",
};

/// Every automation, in the order `GET /okta-orgs` lists them.
pub const AUTOMATIONS: [Automation; 3] = [EVENT_HOOK, DEVICE_ASSURANCE, POLICY_RULES];

/// Whether the org's app was granted what `a` needs (as Okta granted it at the last verification).
pub fn allowed(org: &OrgRecord, a: &Automation) -> bool {
    org.granted_scopes.iter().any(|s| s == a.scope)
}

/// An automation as an org's granted scopes allow it (`GET /okta-orgs`, `GET /event-hook`, `GET /device-assurance`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutomationView {
    /// `event_hook`, `device_assurance` or `policy_rules`.
    pub automation: String,
    /// Whether the granted scopes allow it.
    pub allowed: bool,
    /// The OAuth scope it needs.
    pub scope: String,
    /// The scope to grant when it is not allowed (then the step stays manual in Okta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_scope: Option<String>,
    /// What it does.
    pub does: String,
}

/// The view of `a` for `org`.
pub fn view(org: &OrgRecord, a: &Automation) -> AutomationView {
    let ok = allowed(org, a);
    AutomationView {
        automation: a.name.to_string(),
        allowed: ok,
        scope: a.scope.to_string(),
        missing_scope: (!ok).then(|| a.scope.to_string()),
        does: a.does.to_string(),
    }
}

/// Every automation as `org`'s granted scopes allow it.
pub fn automations(org: &OrgRecord) -> Vec<AutomationView> {
    AUTOMATIONS.iter().map(|a| view(org, a)).collect()
}

/// A pooled client for `org` asking for `a`'s scope (and its read scope when granted). Errors:
/// [`Error::ScopeMissing`] when the scope was not granted; as [`Deps::org_okta`].
pub async fn client(deps: &Deps, org: &OrgRecord, a: &Automation) -> Result<Arc<OktaClient>, Error> {
    if !allowed(org, a) {
        return Err(Error::ScopeMissing { automation: a.name, scope: a.scope });
    }
    let mut scopes = vec![a.scope];
    scopes.extend(a.read_scope.filter(|r| org.granted_scopes.iter().any(|s| s == r)));
    deps.org_okta(org, &scopes).await
}

/// The org device trust uses (active device trust) and a client for `a` on it. Errors: as
/// [`Deps::device_trust_okta`] and [`client`].
pub async fn device_trust_client(
    deps: &Deps,
    tenant: &str,
    a: &Automation,
) -> Result<(OrgRecord, Arc<OktaClient>), Error> {
    let org = deps.device_trust_org(tenant).await?;
    let c = client(deps, &org, a).await?;
    Ok((org, c))
}

/// How one step on Okta's side ended, for the admin (`DELETE /device-trust`, `POST /device-assurance/sync`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepOutcome {
    /// `event_hook`, `policy_rules` (the product's rules in one access policy), or the platform of a device
    /// assurance policy (`ios`, …).
    pub item: String,
    /// `created`, `updated`, `unchanged`, `deleted`, `none`, or why nothing was done: `gone` (the recorded
    /// policy is no longer in Okta), `changed_in_okta` (someone else changed it since the product wrote it),
    /// `in_use` (Okta refuses to delete a policy an authentication policy uses), `other_org`, `conflict`,
    /// `failed`.
    pub outcome: String,
    /// Okta's id of what it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl StepOutcome {
    /// `item` ended as `outcome` on Okta's object `okta_id`.
    pub fn new(item: &str, outcome: &str, okta_id: Option<&str>) -> Self {
        StepOutcome { item: item.into(), outcome: outcome.into(), okta_id: okta_id.map(str::to_string), message: None }
    }

    /// The same with a message for the admin.
    pub fn because(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}
