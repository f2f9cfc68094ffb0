//! The Okta double: the org authorization server's token endpoint (client_secret_basic and private_key_jwt),
//! the Management API reads the product uses (`/api/v1/groups`, `/api/v1/groups/{id}/users`,
//! `/api/v1/users/{id}`, `/api/v1/devices` with `expand=user`), the Event Hooks API (whose verification and
//! deliveries call the hook's URI for real), the Device Assurance Policies API and the Policies API for app
//! sign-on policies (`policies.rs`), with `Link` paging, `X-Rate-Limit-*` headers and Okta's error shapes,
//! following `../shared/okta/spec/management.yaml` and `oauth.yaml`.

mod assurance;
mod challenge;
mod edge;
mod event_hooks;
mod faults;
mod hook_calls;
mod paging;
mod policies;
mod routes;
mod state;
mod token;

pub use crate::record::Recorded;
pub use assurance::API_WRITER;
pub use challenge::{ChallengeRequest, CHALLENGE_PATH};
pub use hook_calls::{sample_event, HookCall};
pub use state::{DoubleClient, DoubleDevice, DoubleDeviceUser, OktaFault, OktaState};

use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// A handle to a running double.
#[derive(Debug, Clone)]
pub struct OktaDouble {
    pub state: Arc<Mutex<OktaState>>,
}

impl OktaDouble {
    /// A double for `domain` with no data.
    pub fn new(domain: &str) -> Self {
        let state = OktaState { domain: domain.to_string(), max_page: 200, ..Default::default() };
        OktaDouble { state: Arc::new(Mutex::new(state)) }
    }

    /// The axum router.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/oauth2/v1/token", post(token::token))
            .route("/api/v1/groups", get(routes::list_groups))
            .route("/api/v1/groups/{id}/users", get(routes::list_members))
            .route("/api/v1/users", get(routes::list_users))
            .route("/api/v1/users/{id}", get(routes::get_user))
            .route("/api/v1/devices", get(routes::list_devices))
            .route("/api/v1/policies", get(policies::list_policies))
            .route("/api/v1/policies/simulate", post(policies::simulate))
            .route("/api/v1/policies/{id}", get(policies::get_policy))
            .route("/api/v1/policies/{id}/mappings", get(policies::list_mappings))
            .route("/api/v1/policies/{id}/rules", get(policies::list_rules).post(policies::create_rule))
            .route("/api/v1/policies/{id}/rules/{rule}", get(policies::get_rule).delete(policies::delete_rule))
            .route("/api/v1/policies/{id}/rules/{rule}/lifecycle/{action}", post(policies::rule_lifecycle))
            .route("/api/v1/eventHooks", get(event_hooks::list).post(event_hooks::create))
            .route(
                "/api/v1/eventHooks/{id}",
                get(event_hooks::get).put(event_hooks::replace).delete(event_hooks::delete),
            )
            .route("/api/v1/eventHooks/{id}/lifecycle/{action}", post(event_hooks::lifecycle))
            .route("/api/v1/device-assurances", get(assurance::list).post(assurance::create))
            .route(
                "/api/v1/device-assurances/{id}",
                get(assurance::get).put(assurance::replace).delete(assurance::delete),
            )
            .layer(axum::middleware::from_fn_with_state(self.state.clone(), faults::fault_plan))
            .route(CHALLENGE_PATH, get(challenge::challenge))
            .with_state(self.state.clone())
    }

    /// Locks the state (for seeding and knobs).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, OktaState> {
        self.state.lock().expect("double state lock")
    }

    /// Registers an app with a client secret and the given scopes.
    pub fn add_secret_client(&self, client_id: &str, secret: &str, granted: &[&str]) {
        self.lock().clients.push(DoubleClient {
            client_id: client_id.into(),
            secret: Some(secret.into()),
            public_keys: vec![],
            granted: granted.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// Registers an app with public keys `(kid, PEM)` and the given scopes.
    pub fn add_key_client(&self, client_id: &str, keys: &[(&str, &str)], granted: &[&str]) {
        self.lock().clients.push(DoubleClient {
            client_id: client_id.into(),
            secret: None,
            public_keys: keys.iter().map(|(k, p)| (k.to_string(), p.to_string())).collect(),
            granted: granted.iter().map(|s| s.to_string()).collect(),
        });
    }

    /// Adds a group (Okta group JSON shape) and returns its id.
    pub fn add_group(&self, id: &str, name: &str) -> String {
        let g = json!({
            "id": id, "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
            "lastMembershipUpdated": "2024-01-01T00:00:00.000Z", "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP", "profile": {"name": name, "description": format!("{name} (double)")},
            "_links": {"users": {"href": format!("https://{}/api/v1/groups/{id}/users", self.lock().domain)}},
        });
        let mut s = self.lock();
        s.members.entry(id.to_string()).or_default();
        s.groups.push(g);
        id.to_string()
    }

    /// Renames a group (its id stays).
    pub fn rename_group(&self, id: &str, name: &str) {
        let mut s = self.lock();
        if let Some(g) = s.groups.iter_mut().find(|g| g["id"] == id) {
            g["profile"]["name"] = json!(name);
        }
    }

    /// Adds a user (Okta user JSON shape) with `status` (ACTIVE, SUSPENDED, …).
    pub fn add_user(&self, id: &str, login: &str, email: &str, status: &str) {
        let (first, last) = login.split_once('@').map(|(a, _)| (a, "User")).unwrap_or((login, "User"));
        let u = json!({
            "id": id, "status": status, "created": "2024-01-01T00:00:00.000Z", "activated": null,
            "statusChanged": "2024-01-01T00:00:00.000Z", "lastLogin": null,
            "lastUpdated": "2024-01-01T00:00:00.000Z", "passwordChanged": null, "type": {"id": "oty1"},
            "profile": {"firstName": first, "lastName": last, "email": email, "login": login, "mobilePhone": null},
            "_links": {"self": {"href": format!("https://{}/api/v1/users/{id}", self.lock().domain)}},
        });
        self.lock().users.insert(id.to_string(), u);
    }

    /// Puts user `user_id` into group `group_id`.
    pub fn add_member(&self, group_id: &str, user_id: &str) {
        let mut s = self.lock();
        let m = s.members.entry(group_id.to_string()).or_default();
        if !m.iter().any(|u| u == user_id) {
            m.push(user_id.to_string());
        }
    }

    /// Adds (or replaces) device `id` as Okta's `Device` JSON: status `ACTIVE`, `profile` with `displayName`,
    /// `platform` (`ANDROID`, `IOS`, `MACOS`, `WINDOWS`; served as given), `serialNumber` and `udid` when given,
    /// `registered: true`; and, when `user_id` is given, one device user link to that user with
    /// `managementStatus` = `management_status` (left out when `None`) and `screenLockType: PASSCODE`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_device(
        &self,
        id: &str,
        display_name: &str,
        platform: &str,
        serial: Option<&str>,
        udid: Option<&str>,
        user_id: Option<&str>,
        management_status: Option<&str>,
    ) {
        let domain = self.lock().domain.clone();
        let mut profile = json!({
            "displayName": display_name, "platform": platform, "registered": true, "secureHardwarePresent": false,
        });
        if let Some(serial) = serial {
            profile["serialNumber"] = json!(serial);
        }
        if let Some(udid) = udid {
            profile["udid"] = json!(udid);
        }
        let href = |tail: &str| json!({ "href": format!("https://{domain}/api/v1/devices/{id}{tail}") });
        let device = json!({
            "id": id, "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-01-01T00:00:00.000Z", "profile": profile, "resourceType": "UDDevice",
            // `resourceAlternateId` left out: Okta's examples show it null, but its `Device` schema allows only a
            // string (the contract test holds the double to the schema; the client ignores the field).
            "resourceDisplayName": {"value": display_name, "sensitive": false}, "resourceId": id,
            "_links": {
                "self": href(""), "users": href("/users"), "deactivate": href("/lifecycle/deactivate"),
                "suspend": href("/lifecycle/suspend"),
            },
        });
        let users = user_id
            .map(|u| DoubleDeviceUser {
                user_id: u.to_string(),
                management_status: management_status.map(str::to_string),
                screen_lock_type: Some("PASSCODE".to_string()),
                created: "2024-01-01T00:00:00.000Z".to_string(),
            })
            .into_iter()
            .collect();
        let mut s = self.lock();
        let entry = DoubleDevice { device, users };
        match s.devices.iter_mut().find(|d| d.device["id"] == id) {
            Some(d) => *d = entry,
            None => s.devices.push(entry),
        }
    }

    /// Sets the `managementStatus` of device `device_id`'s link to user `user_id` (`None`: left out), linking
    /// the user first when the device has no link to them. `false` when there is no device `device_id`.
    pub fn set_management_status(&self, device_id: &str, user_id: &str, status: Option<&str>) -> bool {
        let mut s = self.lock();
        let Some(d) = s.devices.iter_mut().find(|d| d.device["id"] == device_id) else { return false };
        match d.users.iter_mut().find(|u| u.user_id == user_id) {
            Some(u) => u.management_status = status.map(str::to_string),
            None => d.users.push(DoubleDeviceUser {
                user_id: user_id.to_string(),
                management_status: status.map(str::to_string),
                screen_lock_type: Some("PASSCODE".to_string()),
                created: "2024-01-01T00:00:00.000Z".to_string(),
            }),
        }
        true
    }

    /// Sets the dynamic SCEP challenge URL's username and password (Okta generates them with the URL).
    pub fn set_challenge_credentials(&self, user: &str, password: &str) {
        self.lock().challenge_credentials = Some((user.to_string(), password.to_string()));
    }

    /// `https://<domain><CHALLENGE_PATH>`: the challenge URL an admin copies from Okta.
    pub fn challenge_url(&self) -> String {
        format!("https://{}{CHALLENGE_PATH}", self.lock().domain)
    }

    /// Queues challenges the challenge URL issues next (e.g. one Windows refuses).
    pub fn plan_challenges(&self, challenges: &[&str]) {
        self.lock().challenge_plan.extend(challenges.iter().map(|c| c.to_string()));
    }

    /// Every request to the challenge URL so far.
    pub fn challenge_requests(&self) -> Vec<ChallengeRequest> {
        self.lock().challenges.clone()
    }

    /// Routes the double's calls to hook URIs on `host` to `addr` (the local front).
    pub fn route_hooks(&self, host: &str, addr: std::net::SocketAddr) {
        self.lock().hook_routes.insert(host.to_string(), addr);
    }

    /// Every event hook as served.
    pub fn event_hooks(&self) -> Vec<Value> {
        self.lock().event_hooks.clone()
    }

    /// Delivers `events` to hook `id` as Okta would: only to an `ACTIVE`, `VERIFIED` hook (else `None`), with
    /// its `Authorization` value; the answer's status (0: no answer).
    pub async fn deliver(&self, id: &str, events: &[Value]) -> Option<u16> {
        let (uri, secret) = {
            let s = self.lock();
            let h = s.event_hook(id)?;
            if h["status"] != "ACTIVE" || h["verificationStatus"] != "VERIFIED" {
                return None;
            }
            (h["channel"]["config"]["uri"].as_str()?.to_string(), s.hook_secrets.get(id)?.clone())
        };
        Some(hook_calls::deliver(&self.state, id, &uri, &secret, events).await)
    }

    /// Every call the double made to a hook's URI.
    pub fn hook_calls(&self) -> Vec<HookCall> {
        self.lock().hook_calls.clone()
    }

    /// Every device assurance policy as served.
    pub fn device_assurances(&self) -> Vec<Value> {
        self.lock().device_assurances.clone()
    }

    /// Adds a device assurance policy made by someone else (`body`: name, platform, osVersion, …) as Okta would
    /// serve it; returns its id.
    pub fn add_device_assurance(&self, body: &Value) -> String {
        let mut s = self.lock();
        let id = format!("dae{}", &uuid::Uuid::new_v4().simple().to_string()[..17]);
        let p = assurance::stamped(&mut s, &id, body, None, "00uotheradmin");
        s.device_assurances.push(p);
        id
    }

    /// An admin changes policy `id` in Okta's console: `change` merged into it, `lastUpdate` stamped, `by` as
    /// `lastUpdatedBy`. `false` when there is no such policy.
    pub fn change_device_assurance(&self, id: &str, change: &Value, by: &str) -> bool {
        let mut s = self.lock();
        let Some(mut p) = s.device_assurance(id).cloned() else { return false };
        for (k, v) in change.as_object().into_iter().flatten() {
            p[k] = v.clone();
        }
        p["lastUpdate"] = serde_json::json!(s.next_stamp());
        p["lastUpdatedBy"] = serde_json::json!(by);
        if let Some(slot) = s.device_assurances.iter_mut().find(|x| x["id"] == id) {
            *slot = p;
        }
        true
    }

    /// The recorded requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.lock().requests.iter().filter(|r| r.path_and_query.starts_with(prefix)).cloned().collect()
    }
}
