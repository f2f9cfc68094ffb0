//! The double's state: its data, its knobs and its record of requests.

use super::inventory::Devices;
use super::model::{HexnodeApp, HexnodeGroup, HexnodePolicy, HexnodeUser, MembershipWrite};
use super::Recorded;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Seconds since the epoch, now, by a test's clock.
#[derive(Clone)]
pub struct StampClock(pub std::sync::Arc<dyn Fn() -> i64 + Send + Sync>);

impl std::fmt::Debug for StampClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StampClock")
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
    /// Knob: the clock requests are stamped with (`Recorded::at`); the system clock when `None`. A test whose
    /// product waits through a manual clock stamps with the same clock.
    pub clock: Option<StampClock>,
    /// Every write that changed the data (answered 2xx), in order: what actually happened, where
    /// [`HexnodeState::requests`] also holds throttled, failed and refused attempts.
    pub applied: Vec<Recorded>,
    /// Knob: devices that vanish from the inventory (and every group) just before the next membership write
    /// (`POST devicegroups/{id}/`) that names them passes the gate: a device gone mid-deployment.
    pub vanish_on_write: BTreeSet<u64>,
    /// Knob: undocumented calls (by their name in `odt_shared::uem::hexnode::undocumented::CALLS`:
    /// `policy_payload`, `policy_device_status`, `enterprise_app_upload`, `delete_device_group`) this portal
    /// refuses, with the status it answers: 404 `{"detail": "Not found."}`, 405 `{"detail": "Method \"…\" not
    /// allowed."}` or 400 `{"<field>": ["Unknown field."]}`; nothing changes.
    pub unsupported: BTreeMap<String, u16>,
    /// Every membership write that changed the data (answered 200), in order, as the devices it named stood.
    pub membership_log: Vec<MembershipWrite>,
}
