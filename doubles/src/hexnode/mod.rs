//! The Hexnode UEM double, with Hexnode's raw-key `Authorization`, `page`/`per_page` paging with absolute `next`
//! and `previous` links, and its throttling text (`429 Request was throttled. Expected available in 57.0
//! seconds.`). Routes (all under `/api/v1/`, every path ending in `/`):
//!
//! - reads fleet-sync uses: `GET devices/`, `GET devices/{id}/`, `GET users/`, `GET devicegroups/`,
//!   `GET devicegroups/{id}/` (with its `devices`);
//! - device groups: `POST devicegroups/` (`{"groupname", "description"}` → 201), `POST devicegroups/{id}/`
//!   (`{"add_devices": [...], "remove_devices": [...]}` → 200; any unknown device id → 400
//!   `{"detail": "Invalid device id(s): …"}` and nothing changes), `DELETE devicegroups/{id}/` (→ 204; the group
//!   also leaves every policy's targets);
//! - apps: `GET applications/` (paged), `POST applications/` (an enterprise app: `{"name", "platform":
//!   "windows"|"macos", "app_type": "enterprise", "category", "description", "source_url", "success_criteria",
//!   "uninstall_parameters"}` → 201 with the app);
//! - policies: `GET policy/` (paged), `GET policy/{id}/`, `POST policy/` (→ 201), `PUT policy/{id}/` (→ 200, the
//!   revision counts up), `DELETE policy/{id}/` (→ 204). The documented body (`tests/fixtures/hexnode-api/api.yaml`
//!   `PolicyBody`: `{"name", "description", "app_management": {"mandatory_apps": {"app": [ids], "group": [ids]}},
//!   "policy_targets": {"users", "devices", "usergroups", "devicegroups"}}`) makes a policy without a payload; the
//!   product's undocumented `policy_payload` adds `"platform"`, `"vpp_location"` and the platform's section:
//!   `app_configuration {bundle_id, configuration}` for iOS/Android, `custom_configuration {payload_type:
//!   "mobileconfig" (macOS) | "syncml" (Windows), content}`; unknown apps or groups, an unknown platform or a
//!   payload that does not fit it answer 400.
//! - per-device policy status: `GET policy/{id}/devices/` (paged): one item per device that is a member of any
//!   group the policy targets, in id order, `{"device_id", "status": "success"|"pending"|"failed"|…, "error":
//!   text|null, "apps": [{"app_id", "installed"}]}` (success and every app installed unless the knobs
//!   [`HexnodeState::device_status`], [`HexnodeState::device_status_error`] and [`HexnodeState::apps_missing`] say
//!   otherwise); an unknown policy answers 404.
//!
//! Documented shapes follow `tests/fixtures/hexnode-api/api.yaml` (Hexnode's public API description; the Hexnode
//! contract test checks every documented answer against it): fields api.yaml does not allow to be `null` are left
//! out rather than sent as `null`. The undocumented calls (the enterprise app upload, the policy payload, group
//! delete, the per-device policy status; see `shared/src/uem/hexnode/undocumented.rs`) are served as the client
//! sends them, and the knob [`HexnodeState::unsupported`] makes a portal that refuses any of them (404, 405 or 400
//! naming an unknown field). Error bodies use the Django REST framework forms Hexnode's API answers with
//! (`{"detail": …}`, field lists for validation); a write body must come as `Content-Type: application/json`
//! (else 415).
//!
//! Every route records the request, waits out the latency knob and passes the same gate (API key, then the
//! `throttled` and `failures` knobs, which apply to whichever authenticated requests come next, reads and writes
//! alike — there is no per-path failure knob). A write that changed the data is also noted in
//! [`HexnodeState::applied`].
//!
//! The rooms: `model` (the seed and data types), `inventory` (the devices with each owner's count), `state` (data,
//! knobs, record), `edge` (what every route does first, and the shared answers), `paging`, `json` (the shapes
//! served) and `routes` (the handlers by resource: devices, users, groups, apps, policies).

mod edge;
mod inventory;
mod json;
mod model;
mod paging;
mod routes;
mod state;

pub use inventory::{DeviceMut, Devices};
pub use model::{HexnodeApp, HexnodeDeviceSeed, HexnodeGroup, HexnodePolicy, HexnodeUser, MembershipWrite};
pub use state::{HexnodeState, StampClock};

/// One request the double received (the same record as the Okta double's).
pub use crate::record::Recorded;

use axum::Router;
use edge::{lock, now, rfc3339};
use std::sync::{Arc, Mutex, MutexGuard};

/// A handle to the double; clones share the state.
#[derive(Debug, Clone)]
pub struct HexnodeDouble {
    /// The shared data, knobs and record (see also [`HexnodeDouble::lock`]).
    pub state: Arc<Mutex<HexnodeState>>,
}

impl HexnodeDouble {
    /// A double for `portal_host` (e.g. `acme.hexnodemdm.com`) that accepts `api_key`, with no data.
    pub fn new(portal_host: &str, api_key: &str) -> Self {
        let state = HexnodeState {
            portal_host: portal_host.to_string(),
            api_key: api_key.to_string(),
            max_per_page: 100,
            ..Default::default()
        };
        HexnodeDouble { state: Arc::new(Mutex::new(state)) }
    }

    /// The axum router (every path under `/api/v1/` ends in `/`).
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// Locks the state (for seeding, knobs and assertions).
    pub fn lock(&self) -> MutexGuard<'_, HexnodeState> {
        lock(&self.state)
    }

    /// Adds or replaces user `id`.
    pub fn add_user(&self, id: u64, name: &str, email: &str) {
        self.lock().users.insert(id, HexnodeUser { id, name: name.to_string(), email: email.to_string() });
    }

    /// Adds or replaces a device.
    pub fn add_device(&self, device: HexnodeDeviceSeed) {
        self.lock().devices.insert(device.id, device);
    }

    /// Removes device `id` and its group memberships; `false` when there was none.
    pub fn remove_device(&self, id: u64) -> bool {
        let mut s = self.lock();
        for g in s.groups.values_mut() {
            g.members.retain(|m| *m != id);
        }
        s.devices.remove(&id).is_some()
    }

    /// Adds an empty device group (or renames group `id`, keeping its members) and returns its id.
    pub fn add_group(&self, id: u64, name: &str) -> u64 {
        let mut s = self.lock();
        let modified_date = rfc3339(now());
        let g = s.groups.entry(id).or_insert_with(|| HexnodeGroup {
            id,
            name: String::new(),
            description: String::new(),
            members: Vec::new(),
            modified_date: modified_date.clone(),
        });
        g.name = name.to_string();
        g.modified_date = modified_date;
        id
    }

    /// Puts device `device_id` into group `group_id` (once); `false` when the group does not exist.
    pub fn add_to_group(&self, group_id: u64, device_id: u64) -> bool {
        let mut s = self.lock();
        let Some(g) = s.groups.get_mut(&group_id) else { return false };
        if !g.members.contains(&device_id) {
            g.members.push(device_id);
            g.modified_date = rfc3339(now());
        }
        true
    }

    /// Takes device `device_id` out of group `group_id`; `false` when it was not a member.
    pub fn remove_from_group(&self, group_id: u64, device_id: u64) -> bool {
        let mut s = self.lock();
        let Some(g) = s.groups.get_mut(&group_id) else { return false };
        let before = g.members.len();
        g.members.retain(|m| *m != device_id);
        before != g.members.len()
    }

    /// The members of group `group_id` (`None`: no such group).
    pub fn group_members(&self, group_id: u64) -> Option<Vec<u64>> {
        self.lock().groups.get(&group_id).map(|g| g.members.clone())
    }

    /// The recorded requests whose path starts with `prefix` (e.g. `/api/v1/devices/`).
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.lock().requests.iter().filter(|r| r.path_and_query.starts_with(prefix)).cloned().collect()
    }

    /// The recorded requests whose method is not `GET` (every write attempt, including throttled, failed and
    /// refused ones; see [`HexnodeDouble::applied_writes`] for those that changed the data).
    pub fn writes(&self) -> Vec<Recorded> {
        self.lock().requests.iter().filter(|r| r.method != "GET").cloned().collect()
    }

    /// The writes that changed the data ([`HexnodeState::applied`]).
    pub fn applied_writes(&self) -> Vec<Recorded> {
        self.lock().applied.clone()
    }

    /// Adds or replaces an app of the inventory.
    pub fn add_app(&self, app: HexnodeApp) {
        self.lock().apps.insert(app.id, app);
    }

    /// Every app, in id order.
    pub fn apps(&self) -> Vec<HexnodeApp> {
        self.lock().apps.values().cloned().collect()
    }

    /// Every policy, in id order.
    pub fn policies(&self) -> Vec<HexnodePolicy> {
        self.lock().policies.values().cloned().collect()
    }

    /// The first policy (in id order) named exactly `name`.
    pub fn policy_named(&self, name: &str) -> Option<HexnodePolicy> {
        self.lock().policies.values().find(|p| p.name == name).cloned()
    }

    /// The first device group (in id order) named exactly `name`.
    pub fn group_named(&self, name: &str) -> Option<HexnodeGroup> {
        self.lock().groups.values().find(|g| g.name == name).cloned()
    }

    /// The policies device `device_id` carries: those targeting it or a group it is a member of, in id order.
    pub fn device_carries(&self, device_id: u64) -> Vec<HexnodePolicy> {
        let s = self.lock();
        s.policies
            .values()
            .filter(|p| {
                p.device_ids.contains(&device_id)
                    || p.device_group_ids
                        .iter()
                        .any(|g| s.groups.get(g).is_some_and(|g| g.members.contains(&device_id)))
            })
            .cloned()
            .collect()
    }
}
