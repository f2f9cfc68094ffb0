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
//!   revision counts up), `DELETE policy/{id}/` (→ 204), with the body `{"name", "description", "platform",
//!   "app_management": {"mandatory_apps": [{"app_id", "vpp_location"}]}, "<platform>": {…payload…},
//!   "policy_targets": {"users", "devices", "usergroups", "devicegroups"}}`; the payload is `app_configuration
//!   {bundle_id, configuration}` for iOS/Android and `custom_configuration {payload_type: "mobileconfig" (macOS) |
//!   "syncml" (Windows), content}`; unknown apps or groups, an unknown platform or a payload that does not fit it
//!   answer 400.
//! - per-device policy status: `GET policy/{id}/devices/` (paged): one item per device that is a member of any
//!   group the policy targets, in id order, `{"device_id", "status": "success"|"pending"|"failed"|…, "error":
//!   text|null, "apps": [{"app_id", "installed"}]}` (success and every app installed unless the knobs
//!   [`HexnodeState::device_status`], [`HexnodeState::device_status_error`] and [`HexnodeState::apps_missing`] say
//!   otherwise); an unknown policy answers 404.
//!
//! Documented shapes follow `../shared/hexnode/FACTS.md` (from Hexnode's API documentation,
//! <https://www.hexnode.com/mobile-device-management/help/hexnode-mdm-api-documentation/>); the app fields beyond
//! `id`/`name`, the enterprise app upload, policy update/delete, group delete, the platform payload sections and
//! the per-device policy status are the product's unverified assumptions (see `shared/src/uem/hexnode.rs`),
//! served here as the client sends them. Error bodies use the Django REST framework forms Hexnode's API answers
//! with (`{"detail": …}`, field lists for validation); a write body must come as `Content-Type:
//! application/json` (else 415).
//!
//! Every route records the request, waits out the latency knob and passes the same gate (API key, then the
//! `throttled` and `failures` knobs, which apply to whichever authenticated requests come next, reads and writes
//! alike — there is no per-path failure knob). A write that changed the data is also noted in
//! [`HexnodeState::applied`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One request the double received (the same record as the Okta double's).
pub use crate::okta::Recorded;

/// A device to seed. [`HexnodeDeviceSeed::new`] fills plausible defaults for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodeDeviceSeed {
    /// Hexnode's device id.
    pub id: u64,
    /// `device_name`.
    pub name: String,
    /// `model_name`, e.g. `iPhone 15`.
    pub model_name: String,
    /// `os_name` as Hexnode writes it: `iOS`, `iPadOS`, `Android`, `macOS`, `Windows`, `tvOS`, …
    pub os_name: String,
    /// `os_version`, e.g. `17.2`.
    pub os_version: String,
    /// `serial_number` (empty: none).
    pub serial: String,
    /// `udid` (empty: none).
    pub udid: String,
    /// `imei` (empty: none).
    pub imei: String,
    /// The owner's user id (`user: null` when `None`).
    pub user_id: Option<u64>,
    /// Served as `android_enrollment_type` when set (the field name is unverified; see the client).
    pub android_enrollment_type: Option<String>,
    /// `enrollment_status`, e.g. `Enrolled`.
    pub enrollment_status: String,
    /// `compliant`.
    pub compliant: bool,
}

impl HexnodeDeviceSeed {
    /// A device `id` named `name` running `os_name`, owned by `user_id`, enrolled and compliant, with a model,
    /// OS version, serial (`SER<id>`) and UDID (`UDID-<id>`) that fit the OS.
    pub fn new(id: u64, name: &str, os_name: &str, user_id: Option<u64>) -> Self {
        let (model, version) = match os_name.to_ascii_lowercase().as_str() {
            "ios" => ("iPhone 15", "17.2"),
            "ipados" => ("iPad Air", "17.2"),
            "android" => ("Pixel 8", "14"),
            "macos" | "mac os x" => ("MacBook Pro", "14.2.1"),
            "windows" => ("Surface Laptop 5", "10.0.22631"),
            _ => ("Generic", "1.0"),
        };
        HexnodeDeviceSeed {
            id,
            name: name.to_string(),
            model_name: model.to_string(),
            os_name: os_name.to_string(),
            os_version: version.to_string(),
            serial: format!("SER{id}"),
            udid: format!("UDID-{id}"),
            imei: String::new(),
            user_id,
            android_enrollment_type: None,
            enrollment_status: "Enrolled".to_string(),
            compliant: true,
        }
    }

    /// The same device with `android_enrollment_type` set (e.g. `work_profile`, `fully_managed`, `device_admin`).
    pub fn with_android_enrollment(mut self, kind: &str) -> Self {
        self.android_enrollment_type = Some(kind.to_string());
        self
    }
}

/// A Hexnode user (`id, name, email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexnodeUser {
    /// Hexnode's user id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// The email the client joins to devices as the owner's.
    pub email: String,
}

/// A device group and its members, in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexnodeGroup {
    /// Hexnode's device group id.
    pub id: u64,
    /// `groupname`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// Device ids.
    pub members: Vec<u64>,
    /// `modified_date`, RFC 3339.
    pub modified_date: String,
}

/// An app of the inventory, served by `GET applications/` as `{"id", "name", "platform", "app_type",
/// "bundle_id", "version", "category", "description", "success_criteria", "uninstall_parameters"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodeApp {
    /// Hexnode's app id.
    pub id: u64,
    /// `name`.
    pub name: String,
    /// `platform`: `ios`, `ipados`, `android`, `macos`, `windows` (anything else is served as given).
    pub platform: String,
    /// `app_type`: `vpp`, `store`, `managed_google_play`, `enterprise` (anything else is served as given).
    pub app_type: String,
    /// `bundle_id` (bundle id or package name).
    pub bundle_id: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `success_criteria` (Windows installers).
    pub success_criteria: Option<String>,
    /// `uninstall_parameters` (Windows installers).
    pub uninstall_parameters: Option<String>,
    /// The installer URL an enterprise app was created with (`source_url`; not served).
    pub source_url: Option<String>,
}

impl HexnodeApp {
    /// App `id` named `name` for `platform` of `app_type` with `bundle_id`; version `1.0`, the rest unset.
    pub fn new(id: u64, name: &str, platform: &str, app_type: &str, bundle_id: Option<&str>) -> Self {
        HexnodeApp {
            id,
            name: name.to_string(),
            platform: platform.to_string(),
            app_type: app_type.to_string(),
            bundle_id: bundle_id.map(str::to_string),
            version: Some("1.0".to_string()),
            ..Default::default()
        }
    }
}

/// A policy as the double stored it from the last `POST`/`PUT` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexnodePolicy {
    /// Hexnode's policy id.
    pub id: u64,
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `platform`: `ios`, `android`, `macos` or `windows`.
    pub platform: String,
    /// The `app_id`s of `app_management.mandatory_apps`, in order.
    pub app_ids: Vec<u64>,
    /// The first mandatory app's `vpp_location`.
    pub vpp_location: Option<String>,
    /// The payload kind: `app_configuration`, `mobileconfig` or `syncml`.
    pub payload_kind: String,
    /// The payload document: `app_configuration.configuration` or `custom_configuration.content`.
    pub content: String,
    /// `app_configuration.bundle_id` (`None` for custom configurations).
    pub bundle_id: Option<String>,
    /// `policy_targets.devicegroups`, in order.
    pub device_group_ids: Vec<u64>,
    /// 0 when created; one more on each `PUT`.
    pub revision: u32,
}

/// The inventory: devices by id, and how many devices each user owns beside it, so a `GET users/` page counts
/// its users' devices (`total_devices`) without a pass over the whole inventory (a pass per page made listing
/// the users of a 100,000-device inventory quadratic). Reads go to the map (`Deref`); every change goes through
/// `insert`, `remove` or `get_mut` (whose guard recounts the owner when it is dropped), so the counts cannot go
/// stale.
#[derive(Debug, Default, Clone)]
pub struct Devices {
    by_id: BTreeMap<u64, HexnodeDeviceSeed>,
    per_user: HashMap<u64, usize>,
}

impl std::ops::Deref for Devices {
    type Target = BTreeMap<u64, HexnodeDeviceSeed>;
    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl Devices {
    fn count(per_user: &mut HashMap<u64, usize>, user: Option<u64>, added: bool) {
        let Some(u) = user else { return };
        let n = per_user.entry(u).or_default();
        if added {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_user.remove(&u);
            }
        }
    }

    /// Adds or replaces device `id`; the replaced one is returned.
    pub fn insert(&mut self, id: u64, device: HexnodeDeviceSeed) -> Option<HexnodeDeviceSeed> {
        Self::count(&mut self.per_user, device.user_id, true);
        let old = self.by_id.insert(id, device);
        Self::count(&mut self.per_user, old.as_ref().and_then(|d| d.user_id), false);
        old
    }

    /// Removes device `id`.
    pub fn remove(&mut self, id: &u64) -> Option<HexnodeDeviceSeed> {
        let old = self.by_id.remove(id);
        Self::count(&mut self.per_user, old.as_ref().and_then(|d| d.user_id), false);
        old
    }

    /// Device `id`, to change in place (its owner is recounted when the guard is dropped).
    pub fn get_mut(&mut self, id: &u64) -> Option<DeviceMut<'_>> {
        let device = self.by_id.get_mut(id)?;
        Some(DeviceMut { owner: device.user_id, device, per_user: &mut self.per_user })
    }

    /// How many devices user `user_id` owns.
    pub fn of_user(&self, user_id: u64) -> usize {
        self.per_user.get(&user_id).copied().unwrap_or(0)
    }
}

/// A device borrowed from [`Devices::get_mut`]; its owner's count follows a change of `user_id` on drop.
pub struct DeviceMut<'a> {
    owner: Option<u64>,
    device: &'a mut HexnodeDeviceSeed,
    per_user: &'a mut HashMap<u64, usize>,
}

impl std::ops::Deref for DeviceMut<'_> {
    type Target = HexnodeDeviceSeed;
    fn deref(&self) -> &HexnodeDeviceSeed {
        self.device
    }
}

impl std::ops::DerefMut for DeviceMut<'_> {
    fn deref_mut(&mut self) -> &mut HexnodeDeviceSeed {
        self.device
    }
}

impl Drop for DeviceMut<'_> {
    fn drop(&mut self) {
        if self.device.user_id != self.owner {
            Devices::count(self.per_user, self.owner, false);
            Devices::count(self.per_user, self.device.user_id, true);
        }
    }
}

/// The double's data, knobs and record.
#[derive(Debug, Default)]
pub struct HexnodeState {
    /// The portal host the double plays, e.g. `acme.hexnodemdm.com` (used in `next`/`previous` links).
    pub portal_host: String,
    /// The one API key accepted in `Authorization` (compared exactly).
    pub api_key: String,
    /// Users by id.
    pub users: BTreeMap<u64, HexnodeUser>,
    /// Devices by id (lists are served in id order); reads as a `BTreeMap`, and keeps each user's device count.
    pub devices: Devices,
    /// Device groups by id.
    pub groups: BTreeMap<u64, HexnodeGroup>,
    /// Apps by id (`GET applications/` serves them in id order).
    pub apps: BTreeMap<u64, HexnodeApp>,
    /// Policies by id (`GET policy/` serves them in id order).
    pub policies: BTreeMap<u64, HexnodePolicy>,
    /// The largest page served; a larger `per_page` is capped to it (default 100).
    pub max_per_page: usize,
    /// Knob: device id → the `status` `GET policy/{id}/devices/` reports for it (`pending`, `failed`, or any
    /// text); a device not in the map reports `success`. Applies to every policy the device is targeted by.
    pub device_status: BTreeMap<u64, String>,
    /// Knob: device id → the `error` text `GET policy/{id}/devices/` reports for it (`null` when absent).
    pub device_status_error: BTreeMap<u64, String>,
    /// Knob: devices on which no app is installed (`installed: false` for each of the policy's apps).
    pub apps_missing: BTreeSet<u64>,
    /// Knob: the next authenticated requests each answer 429 `Request was throttled. Expected available in
    /// {s:.1} seconds.` with `Retry-After: ceil(s)`.
    pub throttled: VecDeque<f64>,
    /// Knob: like `throttled`, for writes only (`POST`, `PUT`, `DELETE`): reads pass, so a test can throttle
    /// deployment without throttling the reconciliation that feeds it.
    pub throttled_writes: VecDeque<f64>,
    /// Knob: send the throttle text as JSON `{"detail": …}` instead of plain text.
    pub throttle_as_json: bool,
    /// Knob: the next authenticated requests (after any throttling) each answer this status (e.g. 500, 503).
    pub failures: VecDeque<u16>,
    /// Knob: a delay before every answer.
    pub latency: Duration,
    /// Every request, in arrival order (recorded before authentication).
    pub requests: Vec<Recorded>,
    /// Every write that changed the data (answered 2xx), in order: what actually happened, where
    /// [`HexnodeState::requests`] also holds throttled, failed and refused attempts.
    pub applied: Vec<Recorded>,
    /// Knob: devices that vanish from the inventory (and every group) just before the next membership write
    /// (`POST devicegroups/{id}/`) that names them passes the gate: a device gone mid-deployment.
    pub vanish_on_write: BTreeSet<u64>,
    /// Every membership write that changed the data (answered 200), in order, as the devices it named stood.
    pub membership_log: Vec<MembershipWrite>,
}

/// One applied membership write, as [`HexnodeState::membership_log`] keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipWrite {
    pub group_id: u64,
    /// Devices named in `add_devices` that were not members (added by this write).
    pub added: Vec<u64>,
    /// Devices named in `add_devices` that already were members (an add done twice).
    pub already_members: Vec<u64>,
    /// Devices named in `remove_devices` that were members (removed by this write).
    pub removed: Vec<u64>,
    /// Devices named in `remove_devices` that were not members (a removal done twice).
    pub not_members: Vec<u64>,
}

/// A handle to the double; clones share the state.
#[derive(Debug, Clone)]
pub struct HexnodeDouble {
    /// The shared data, knobs and record (see also [`HexnodeDouble::lock`]).
    pub state: Arc<Mutex<HexnodeState>>,
}

type Shared = Arc<Mutex<HexnodeState>>;

/// Locks the state; a panic in another holder does not make the data unusable here.
fn lock(state: &Shared) -> MutexGuard<'_, HexnodeState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `{"detail": message}` with `status`.
fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "detail": message }))).into_response()
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
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
        Router::new()
            .route("/api/v1/devices/", get(list_devices))
            .route("/api/v1/devices/{id}/", get(get_device))
            .route("/api/v1/users/", get(list_users))
            .route("/api/v1/devicegroups/", get(list_groups).post(create_group))
            .route("/api/v1/devicegroups/{id}/", get(get_group).post(update_group_members).delete(delete_group))
            .route("/api/v1/applications/", get(list_apps).post(create_app))
            .route("/api/v1/policy/", get(list_policies).post(create_policy))
            .route("/api/v1/policy/{id}/", get(get_policy).put(update_policy).delete(delete_policy))
            .route("/api/v1/policy/{id}/devices/", get(policy_devices))
            .with_state(self.state.clone())
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

    /// The policies device `device_id` carries: those targeting a group it is a member of, in id order.
    pub fn device_carries(&self, device_id: u64) -> Vec<HexnodePolicy> {
        let s = self.lock();
        s.policies
            .values()
            .filter(|p| {
                p.device_group_ids.iter().any(|g| s.groups.get(g).is_some_and(|g| g.members.contains(&device_id)))
            })
            .cloned()
            .collect()
    }
}

/// Records the request and waits out the latency knob.
async fn record_and_delay(state: &Shared, method: &str, uri: &Uri) {
    let latency = {
        let mut s = lock(state);
        s.requests.push(recorded(method, uri));
        s.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

fn recorded(method: &str, uri: &Uri) -> Recorded {
    let path_and_query = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| uri.path().into());
    Recorded { method: method.into(), path_and_query, at: now().unix_timestamp() }
}

/// Notes a write that changed the data.
fn applied(s: &mut HexnodeState, method: &str, uri: &Uri) {
    s.applied.push(recorded(method, uri));
}

/// Checks the API key, then applies the throttle and failure knobs; `Err` is the answer to send instead.
fn gate(s: &mut HexnodeState, headers: &HeaderMap, method: &str) -> Result<(), Box<Response>> {
    let key = headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    if key != Some(s.api_key.as_bytes()) || s.api_key.is_empty() {
        return Err(Box::new(detail(StatusCode::UNAUTHORIZED, "Invalid token.")));
    }
    let write_throttle = if method != "GET" { s.throttled_writes.pop_front() } else { None };
    if let Some(secs) = write_throttle.or_else(|| s.throttled.pop_front()) {
        let text = format!("Request was throttled. Expected available in {secs:.1} seconds.");
        let mut r = if s.throttle_as_json {
            detail(StatusCode::TOO_MANY_REQUESTS, &text)
        } else {
            (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        };
        let retry_after = if secs.is_finite() && secs > 0.0 { secs.ceil() as u64 } else { 0 };
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        return Err(Box::new(r));
    }
    if let Some(status) = s.failures.pop_front() {
        let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = match status {
            401 => "Invalid token.",
            403 => "You do not have permission to perform this action.",
            404 => "Not found.",
            _ => "A server error occurred.",
        };
        return Err(Box::new(detail(st, message)));
    }
    Ok(())
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// `https://<portal><path>?<query>` with `page` and `per_page` set (other params kept, in order); `page` is left
/// out for page 1 of a `previous` link, as Django REST framework does.
fn page_link(
    s: &HexnodeState,
    path: &str,
    q: &[(String, String)],
    page: usize,
    per_page: usize,
    drop_page: bool,
) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    let (mut wrote_page, mut wrote_per_page) = (drop_page, false);
    for (k, v) in q {
        match k.as_str() {
            "page" if !wrote_page => {
                ser.append_pair("page", &page.to_string());
                wrote_page = true;
            }
            "per_page" if !wrote_per_page => {
                ser.append_pair("per_page", &per_page.to_string());
                wrote_per_page = true;
            }
            "page" | "per_page" => {}
            _ => {
                ser.append_pair(k, v);
            }
        }
    }
    if !wrote_page {
        ser.append_pair("page", &page.to_string());
    }
    if !wrote_per_page {
        ser.append_pair("per_page", &per_page.to_string());
    }
    format!("https://{}{path}?{}", s.portal_host, ser.finish())
}

/// One page of `items` as `{"count", "next", "previous", "results"}`; 404 `Invalid page.` past the end.
fn paged(s: &HexnodeState, uri: &Uri, items: Vec<Value>) -> Response {
    let count = items.len();
    paged_with(s, uri, count, |skip, take| items.into_iter().skip(skip).take(take).collect())
}

/// [`paged`] over `count` items of which only the page served is built (`page_of(skip, take)`), so paging through
/// a large inventory costs one page's JSON per request, not the whole list's.
fn paged_with(s: &HexnodeState, uri: &Uri, count: usize, page_of: impl FnOnce(usize, usize) -> Vec<Value>) -> Response {
    let q = query_pairs(uri);
    let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let max = s.max_per_page.max(1);
    let per_page = param("per_page").and_then(|v| v.parse::<usize>().ok()).unwrap_or(max).clamp(1, max);
    let last = count.div_ceil(per_page).max(1);
    let page = match param("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(p)) if (1..=last).contains(&p) => p,
        Some(_) => return detail(StatusCode::NOT_FOUND, "Invalid page."),
    };
    let path = uri.path();
    let next = (page < last).then(|| page_link(s, path, &q, page + 1, per_page, false));
    let previous = (page > 1).then(|| page_link(s, path, &q, page - 1, per_page, page == 2));
    let results = page_of((page - 1) * per_page, per_page);
    Json(json!({ "count": count, "next": next, "previous": previous, "results": results })).into_response()
}

fn user_ref(s: &HexnodeState, user_id: Option<u64>) -> Value {
    match user_id {
        None => Value::Null,
        Some(id) => json!({ "id": id, "name": s.users.get(&id).map(|u| u.name.as_str()).unwrap_or("") }),
    }
}

fn device_json(s: &HexnodeState, d: &HexnodeDeviceSeed) -> Value {
    let mut v = json!({
        "id": d.id, "device_name": d.name, "model_name": d.model_name, "os_name": d.os_name,
        "os_version": d.os_version, "serial_number": d.serial, "udid": d.udid, "imei": d.imei,
        "enrollment_status": d.enrollment_status, "enrolled_time": "2024-01-01T00:00:00Z",
        "last_reported": rfc3339(now()), "compliant": d.compliant, "user": user_ref(s, d.user_id),
    });
    if let (Some(kind), Some(o)) = (&d.android_enrollment_type, v.as_object_mut()) {
        o.insert("android_enrollment_type".into(), json!(kind));
    }
    v
}

fn user_json(u: &HexnodeUser, total: usize) -> Value {
    json!({ "id": u.id, "name": u.name, "email": u.email, "phoneno": "", "total_devices": total, "domain": "local" })
}

fn group_json(g: &HexnodeGroup) -> Value {
    json!({
        "id": g.id, "groupname": g.name, "description": g.description, "grouptype": "Custom",
        "device_count": g.members.len(), "modified_date": g.modified_date,
    })
}

fn group_detail_json(s: &HexnodeState, g: &HexnodeGroup) -> Value {
    let devices: Vec<Value> = g
        .members
        .iter()
        .filter_map(|id| s.devices.get(id))
        .map(|d| {
            json!({
                "id": d.id, "name": d.name, "user_id": d.user_id,
                "user_name": d.user_id.and_then(|u| s.users.get(&u)).map(|u| u.name.as_str()),
                "model_name": d.model_name, "platform": d.os_name,
            })
        })
        .collect();
    let mut v = group_json(g);
    if let Some(o) = v.as_object_mut() {
        o.insert("devices".into(), Value::Array(devices));
    }
    v
}

async fn list_devices(State(state): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let s = &*s;
    paged_with(s, &uri, s.devices.len(), |skip, take| {
        s.devices.values().skip(skip).take(take).map(|d| device_json(s, d)).collect()
    })
}

async fn get_device(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    match id.parse::<u64>().ok().and_then(|id| s.devices.get(&id)) {
        Some(d) => Json(device_json(&s, d)).into_response(),
        None => not_found(),
    }
}

async fn list_users(State(state): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let s = &*s;
    paged_with(s, &uri, s.users.len(), |skip, take| {
        s.users.values().skip(skip).take(take).map(|u| user_json(u, s.devices.of_user(u.id))).collect()
    })
}

async fn list_groups(State(state): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let items: Vec<Value> = s.groups.values().map(group_json).collect();
    paged(&s, &uri, items)
}

async fn get_group(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    match id.parse::<u64>().ok().and_then(|id| s.groups.get(&id)) {
        Some(g) => Json(group_detail_json(&s, g)).into_response(),
        None => not_found(),
    }
}

/// Reads a JSON object body sent as `Content-Type: application/json`, or answers as Django REST framework does:
/// 415 for another media type, 400 for a body that is not a JSON object.
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Box<Response>> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if media.split(';').next().map(str::trim) != Some("application/json") {
        let message = format!("Unsupported media type \"{media}\" in request.");
        return Err(Box::new(detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message)));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(Box::new(detail(StatusCode::BAD_REQUEST, "Invalid data. Expected a dictionary."))),
        Err(e) => Err(Box::new(detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}")))),
    }
}

async fn create_group(State(state): State<Shared>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    record_and_delay(&state, "POST", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "POST") {
        return *r;
    }
    let o = match json_object(&headers, &body) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let name = o.get("groupname").and_then(Value::as_str).map(str::trim).unwrap_or("");
    if name.is_empty() {
        return (StatusCode::BAD_REQUEST, Json(json!({"groupname": ["This field is required."]}))).into_response();
    }
    if s.groups.values().any(|g| g.name.eq_ignore_ascii_case(name)) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"groupname": ["device group with this groupname already exists."]})),
        )
            .into_response();
    }
    let id = s.groups.keys().next_back().map_or(1, |last| last + 1);
    let g = HexnodeGroup {
        id,
        name: name.to_string(),
        description: o.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
        members: Vec::new(),
        modified_date: rfc3339(now()),
    };
    let answer = group_json(&g);
    s.groups.insert(id, g);
    applied(&mut s, "POST", &uri);
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// Device ids in `o[key]` (numbers or numeric strings); `Err` names the entries that are not device ids.
/// The [`HexnodeState::vanish_on_write`] knob: devices named in `add_devices` or `remove_devices` that are
/// due to vanish leave the inventory and every group now.
fn vanish_named(s: &mut HexnodeState, o: &Map<String, Value>) {
    let named: Vec<u64> = ["add_devices", "remove_devices"]
        .iter()
        .filter_map(|k| o.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|t| t.trim().parse().ok())))
        .filter(|id| s.vanish_on_write.contains(id))
        .collect();
    for id in named {
        s.vanish_on_write.remove(&id);
        s.devices.remove(&id);
        for g in s.groups.values_mut() {
            g.members.retain(|m| *m != id);
        }
    }
}

fn device_ids(s: &HexnodeState, o: &Map<String, Value>, key: &str) -> Result<Vec<u64>, Vec<String>> {
    let items = match o.get(key) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(vec![other.to_string()]),
    };
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for item in items {
        let id = match item {
            Value::Number(n) => n.as_u64(),
            Value::String(t) => t.trim().parse::<u64>().ok(),
            _ => None,
        };
        match id.filter(|id| s.devices.contains_key(id)) {
            Some(id) => ids.push(id),
            None => bad.push(item.to_string()),
        }
    }
    if bad.is_empty() {
        Ok(ids)
    } else {
        Err(bad)
    }
}

async fn update_group_members(
    State(state): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    record_and_delay(&state, "POST", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "POST") {
        return *r;
    }
    let Some(gid) = id.parse::<u64>().ok().filter(|g| s.groups.contains_key(g)) else { return not_found() };
    let o = match json_object(&headers, &body) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    vanish_named(&mut s, &o);
    let (add, remove) = match (device_ids(&s, &o, "add_devices"), device_ids(&s, &o, "remove_devices")) {
        (Ok(a), Ok(r)) => (a, r),
        (a, r) => {
            let bad: Vec<String> = a.err().into_iter().chain(r.err()).flatten().collect();
            return detail(StatusCode::BAD_REQUEST, &format!("Invalid device id(s): {}", bad.join(", ")));
        }
    };
    let Some(g) = s.groups.get_mut(&gid) else { return not_found() };
    let mut log = MembershipWrite { group_id: gid, ..Default::default() };
    for d in &remove {
        if g.members.contains(d) {
            log.removed.push(*d)
        } else {
            log.not_members.push(*d)
        }
    }
    for d in add {
        if !g.members.contains(&d) {
            g.members.push(d);
            log.added.push(d);
        } else {
            log.already_members.push(d);
        }
    }
    g.members.retain(|m| !remove.contains(m));
    s.membership_log.push(log);
    let Some(g) = s.groups.get_mut(&gid) else { return not_found() };
    g.modified_date = rfc3339(now());
    let answer = s.groups.get(&gid).map(|g| group_detail_json(&s, g)).unwrap_or(Value::Null);
    applied(&mut s, "POST", &uri);
    Json(answer).into_response()
}

async fn delete_group(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "DELETE", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "DELETE") {
        return *r;
    }
    let Some(gid) = id.parse::<u64>().ok().filter(|g| s.groups.contains_key(g)) else { return not_found() };
    s.groups.remove(&gid);
    for p in s.policies.values_mut() {
        p.device_group_ids.retain(|g| *g != gid);
    }
    applied(&mut s, "DELETE", &uri);
    StatusCode::NO_CONTENT.into_response()
}

/// `400` with a Django REST framework field map `{field: [message]}`.
fn field_error(field: &str, message: &str) -> Response {
    let mut o = Map::new();
    o.insert(field.to_string(), json!([message]));
    (StatusCode::BAD_REQUEST, Json(Value::Object(o))).into_response()
}

fn app_json(a: &HexnodeApp) -> Value {
    json!({
        "id": a.id, "name": a.name, "platform": a.platform, "app_type": a.app_type, "bundle_id": a.bundle_id,
        "version": a.version, "category": a.category, "description": a.description,
        "success_criteria": a.success_criteria, "uninstall_parameters": a.uninstall_parameters,
    })
}

async fn list_apps(State(state): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let items: Vec<Value> = s.apps.values().map(app_json).collect();
    paged(&s, &uri, items)
}

/// A string field of `o` (trimmed; `None` when missing, null, not a string or empty).
fn text_field(o: &Map<String, Value>, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

async fn create_app(State(state): State<Shared>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    record_and_delay(&state, "POST", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "POST") {
        return *r;
    }
    let o = match json_object(&headers, &body) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let Some(name) = text_field(&o, "name") else { return field_error("name", "This field is required.") };
    let platform = text_field(&o, "platform").unwrap_or_default();
    if !matches!(platform.as_str(), "windows" | "macos") {
        return field_error("platform", &format!("\"{platform}\" is not a valid choice for an enterprise app."));
    }
    if text_field(&o, "app_type").as_deref() != Some("enterprise") {
        return field_error("app_type", "Only enterprise apps can be added through the API.");
    }
    let Some(source_url) = text_field(&o, "source_url").filter(|u| u.starts_with("https://")) else {
        return field_error("source_url", "Enter a valid https URL.");
    };
    let id = s.apps.keys().next_back().map_or(1, |last| last + 1);
    let text = |key: &str| o.get(key).and_then(Value::as_str).map(str::to_string);
    let app = HexnodeApp {
        id,
        name,
        platform,
        app_type: "enterprise".to_string(),
        bundle_id: None,
        version: None,
        category: text("category"),
        description: text("description"),
        success_criteria: text("success_criteria"),
        uninstall_parameters: text("uninstall_parameters"),
        source_url: Some(source_url),
    };
    let answer = app_json(&app);
    s.apps.insert(id, app);
    applied(&mut s, "POST", &uri);
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn policy_json(p: &HexnodePolicy) -> Value {
    let mandatory_apps: Vec<Value> = p
        .app_ids
        .iter()
        .enumerate()
        .map(|(i, id)| json!({ "app_id": id, "vpp_location": if i == 0 { p.vpp_location.clone() } else { None } }))
        .collect();
    let section = match p.payload_kind.as_str() {
        "app_configuration" => {
            json!({ "app_configuration": { "bundle_id": p.bundle_id, "configuration": p.content } })
        }
        kind => json!({ "custom_configuration": { "payload_type": kind, "content": p.content } }),
    };
    let mut o = Map::new();
    o.insert("id".into(), json!(p.id));
    o.insert("name".into(), json!(p.name));
    o.insert("description".into(), json!(p.description));
    o.insert("platform".into(), json!(p.platform));
    o.insert("app_management".into(), json!({ "mandatory_apps": mandatory_apps }));
    o.insert(p.platform.clone(), section);
    o.insert(
        "policy_targets".into(),
        json!({ "users": [], "devices": [], "usergroups": [], "devicegroups": p.device_group_ids }),
    );
    Value::Object(o)
}

/// A positive id from a JSON number or numeric string.
fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// Reads and validates a policy body into a policy with id 0 and revision 0, or the 400 to answer.
fn policy_from_body(s: &HexnodeState, o: &Map<String, Value>) -> Result<HexnodePolicy, Box<Response>> {
    let bad = |field: &str, message: &str| Box::new(field_error(field, message));
    let name = text_field(o, "name").ok_or_else(|| bad("name", "This field is required."))?;
    let platform = o.get("platform").and_then(Value::as_str).unwrap_or("").to_string();
    if !matches!(platform.as_str(), "ios" | "android" | "macos" | "windows") {
        return Err(bad("platform", &format!("\"{platform}\" is not a valid choice.")));
    }
    // app_management.mandatory_apps: [{app_id, vpp_location}]
    let apps = match o.get("app_management") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(am)) => match am.get("mandatory_apps") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(bad("app_management", "mandatory_apps must be a list.")),
        },
        Some(_) => return Err(bad("app_management", "Expected a dictionary.")),
    };
    let mut app_ids = Vec::new();
    let mut vpp_location = None;
    let mut unknown = Vec::new();
    for entry in &apps {
        let raw = entry.get("app_id").unwrap_or(&Value::Null);
        match id_of(raw).filter(|id| s.apps.contains_key(id)) {
            Some(id) => {
                if app_ids.is_empty() {
                    vpp_location = entry.get("vpp_location").and_then(Value::as_str).map(str::to_string);
                }
                app_ids.push(id);
            }
            None => unknown.push(raw.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(bad("app_management", &format!("Invalid app id(s): {}", unknown.join(", "))));
    }
    // The platform section with the payload that fits the platform.
    let section = o
        .get(&platform)
        .and_then(Value::as_object)
        .ok_or_else(|| bad(&platform, "This field is required for the policy's platform."))?;
    let (payload_kind, content, bundle_id) = if matches!(platform.as_str(), "ios" | "android") {
        let ac = section.get("app_configuration").and_then(Value::as_object);
        let bundle = ac.and_then(|a| text_field(a, "bundle_id"));
        let doc = ac.and_then(|a| a.get("configuration")).and_then(Value::as_str);
        match (bundle, doc) {
            (Some(b), Some(d)) => ("app_configuration".to_string(), d.to_string(), Some(b)),
            _ => {
                return Err(bad(
                    &platform,
                    "app_configuration with bundle_id and configuration is required on this platform.",
                ))
            }
        }
    } else {
        let want = if platform == "macos" { "mobileconfig" } else { "syncml" };
        let cc = section.get("custom_configuration").and_then(Value::as_object);
        let kind = cc.and_then(|c| c.get("payload_type")).and_then(Value::as_str);
        let doc = cc.and_then(|c| c.get("content")).and_then(Value::as_str);
        match (kind, doc) {
            (Some(k), Some(d)) if k == want => (want.to_string(), d.to_string(), None),
            _ => {
                return Err(bad(
                    &platform,
                    &format!(
                        "custom_configuration with payload_type \"{want}\" and content is required on this platform."
                    ),
                ))
            }
        }
    };
    // policy_targets.devicegroups must name existing groups.
    let targets = o.get("policy_targets").and_then(Value::as_object);
    let groups = match targets.and_then(|t| t.get("devicegroups")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(bad("policy_targets", "devicegroups must be a list.")),
    };
    let mut device_group_ids = Vec::new();
    let mut unknown = Vec::new();
    for g in &groups {
        match id_of(g).filter(|id| s.groups.contains_key(id)) {
            Some(id) if !device_group_ids.contains(&id) => device_group_ids.push(id),
            Some(_) => {}
            None => unknown.push(g.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(bad("policy_targets", &format!("Invalid device group id(s): {}", unknown.join(", "))));
    }
    Ok(HexnodePolicy {
        id: 0,
        name,
        description: o.get("description").and_then(Value::as_str).unwrap_or("").to_string(),
        platform,
        app_ids,
        vpp_location,
        payload_kind,
        content,
        bundle_id,
        device_group_ids,
        revision: 0,
    })
}

async fn list_policies(State(state): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let items: Vec<Value> = s.policies.values().map(policy_json).collect();
    paged(&s, &uri, items)
}

async fn get_policy(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    match id.parse::<u64>().ok().and_then(|id| s.policies.get(&id)) {
        Some(p) => Json(policy_json(p)).into_response(),
        None => not_found(),
    }
}

async fn create_policy(State(state): State<Shared>, headers: HeaderMap, uri: Uri, body: Bytes) -> Response {
    record_and_delay(&state, "POST", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "POST") {
        return *r;
    }
    let policy = match json_object(&headers, &body).and_then(|o| policy_from_body(&s, &o)) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let id = s.policies.keys().next_back().map_or(1, |last| last + 1);
    let policy = HexnodePolicy { id, ..policy };
    let answer = policy_json(&policy);
    s.policies.insert(id, policy);
    applied(&mut s, "POST", &uri);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update_policy(
    State(state): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    record_and_delay(&state, "PUT", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "PUT") {
        return *r;
    }
    let Some((pid, revision)) = id.parse::<u64>().ok().and_then(|id| s.policies.get(&id)).map(|p| (p.id, p.revision))
    else {
        return not_found();
    };
    let policy = match json_object(&headers, &body).and_then(|o| policy_from_body(&s, &o)) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let policy = HexnodePolicy { id: pid, revision: revision + 1, ..policy };
    let answer = policy_json(&policy);
    s.policies.insert(pid, policy);
    applied(&mut s, "PUT", &uri);
    Json(answer).into_response()
}

async fn delete_policy(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "DELETE", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "DELETE") {
        return *r;
    }
    match id.parse::<u64>().ok().and_then(|id| s.policies.remove(&id)) {
        Some(_) => {
            applied(&mut s, "DELETE", &uri);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(),
    }
}

/// `GET policy/{id}/devices/` (unverified shape; see the module doc): the devices that are members of any group
/// the policy targets (existing devices only, each once, in id order), each with its `status`, `error` and the
/// policy's apps as the knobs set them; paged as every list. An unknown policy answers 404.
async fn policy_devices(State(state): State<Shared>, headers: HeaderMap, uri: Uri, Path(id): Path<String>) -> Response {
    record_and_delay(&state, "GET", &uri).await;
    let mut s = lock(&state);
    if let Err(r) = gate(&mut s, &headers, "GET") {
        return *r;
    }
    let Some(p) = id.parse::<u64>().ok().and_then(|id| s.policies.get(&id)) else { return not_found() };
    let targeted: BTreeSet<u64> = p
        .device_group_ids
        .iter()
        .filter_map(|g| s.groups.get(g))
        .flat_map(|g| g.members.iter().copied())
        .filter(|d| s.devices.contains_key(d))
        .collect();
    let items: Vec<Value> = targeted
        .into_iter()
        .map(|d| {
            let installed = !s.apps_missing.contains(&d);
            let apps: Vec<Value> = p.app_ids.iter().map(|a| json!({ "app_id": a, "installed": installed })).collect();
            json!({
                "device_id": d,
                "status": s.device_status.get(&d).map_or("success", String::as_str),
                "error": s.device_status_error.get(&d),
                "apps": apps,
            })
        })
        .collect();
    paged(&s, &uri, items)
}
