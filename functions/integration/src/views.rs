//! What the integration routes answer: typed views (also the OpenAPI schemas). Secrets never appear; a view
//! says only that a secret is set and when it last changed.

use crate::input::method_name;
use odt_shared::store::{DeviceTrustRecord, DeviceTrustState, OrgRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// A connected Okta org.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrgView {
    /// The product's id of the connection (`org_…`).
    pub id: String,
    /// The org host, e.g. `acme.okta.com`.
    pub domain: String,
    /// The org's custom URL domain (a bare host), if it has one.
    pub custom_domain: Option<String>,
    pub client_id: String,
    /// `client_secret_basic` or `private_key_jwt`.
    pub auth_method: String,
    pub key_id: Option<String>,
    /// Scopes Okta granted at the last verification.
    pub granted_scopes: Vec<String>,
    /// Which of Okta's side the product may do for the admin with these scopes (the event hook, device
    /// assurance, policy rules), and the scope each missing one needs (then it stays a manual step in Okta).
    pub automations: Vec<odt_shared::okta_side::AutomationView>,
    pub secret: SecretStatus,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// Send it back as `version` to make an edit conditional.
    pub version: u64,
}

/// That a secret is set, and when it last changed; never its value.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    pub set: bool,
    pub updated_at: String,
}

impl From<&OrgRecord> for OrgView {
    fn from(r: &OrgRecord) -> Self {
        OrgView {
            id: r.org_id.clone(),
            domain: r.domain.clone(),
            custom_domain: r.custom_domain.clone(),
            client_id: r.client_id.clone(),
            auth_method: method_name(r.auth_method).to_string(),
            key_id: r.key_id.clone(),
            granted_scopes: r.granted_scopes.clone(),
            automations: odt_shared::okta_side::automations(r),
            secret: SecretStatus { set: true, updated_at: r.secret_updated_at.clone() },
            created_at: r.created_at.clone(),
            updated_at: r.updated_at.clone(),
            version: r.version,
        }
    }
}

/// The tenant's connected orgs.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgList {
    pub items: Vec<OrgView>,
    pub count: usize,
}

/// An Okta user group, keyed by its Okta id (names are for display).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// Okta user groups (every page read from Okta).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupView>,
    pub count: usize,
}

/// The device trust overview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceTrustView {
    /// `not_configured`, `active`, or `removing` (deleted; items are coming off the devices).
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_org_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_requested_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// 0 while not configured.
    pub version: u64,
    /// After `DELETE /device-trust`: what became of what the product made in Okta (the event hook, each device
    /// assurance policy).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub okta_side: Vec<odt_shared::okta_side::StepOutcome>,
}

impl DeviceTrustView {
    /// The view of a record (or of none) with its org's domain.
    pub fn of(rec: Option<&DeviceTrustRecord>, okta_domain: Option<String>) -> Self {
        match rec {
            None => DeviceTrustView {
                state: "not_configured".into(),
                okta_org_id: None,
                okta_domain: None,
                enabled_at: None,
                removal_requested_at: None,
                updated_at: None,
                version: 0,
                okta_side: Vec::new(),
            },
            Some(r) => DeviceTrustView {
                state: match r.state {
                    DeviceTrustState::Active => "active",
                    DeviceTrustState::Removing => "removing",
                }
                .into(),
                okta_org_id: Some(r.okta_org_id.clone()),
                okta_domain,
                enabled_at: Some(r.enabled_at.clone()),
                removal_requested_at: r.removal_requested_at.clone(),
                updated_at: Some(r.updated_at.clone()),
                version: r.version,
                okta_side: Vec::new(),
            },
        }
    }
}
