//! What the double holds: the registered apps, groups and their members, users, devices with their user links,
//! the tokens it issued, its knobs and its record of requests.

use super::Recorded;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

/// A registered API service app.
#[derive(Debug, Clone)]
pub struct DoubleClient {
    pub client_id: String,
    /// For client_secret_basic.
    pub secret: Option<String>,
    /// For private_key_jwt: `(kid, public key PEM)`; RS256 and ES256 are accepted.
    pub public_keys: Vec<(String, String)>,
    /// Scopes the app is granted.
    pub granted: Vec<String>,
}

/// A device user link as the double keeps it; served as a `DeviceUser` (`created`, `managementStatus`,
/// `screenLockType`, `user`) in `_embedded.users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoubleDeviceUser {
    /// The linked user's id; the user's JSON comes from [`OktaState::users`] (a bare `{id, status: ACTIVE,
    /// profile: {login: null, email: null}}` when the double has no such user).
    pub user_id: String,
    /// `managementStatus`: `MANAGED` or `NOT_MANAGED` (any text is served as given); left out when `None`.
    pub management_status: Option<String>,
    /// `screenLockType`: `NONE`, `PASSCODE` or `BIOMETRIC`; left out when `None`.
    pub screen_lock_type: Option<String>,
    /// `created`, RFC 3339.
    pub created: String,
}

/// A device: Okta's `Device` JSON (without `_embedded`) and its user links.
#[derive(Debug, Clone, PartialEq)]
pub struct DoubleDevice {
    /// The `Device` as `GET /api/v1/devices` serves it (`id`, `status`, `profile`, `resource*`, `_links`).
    pub device: Value,
    /// The device user links, in link order.
    pub users: Vec<DoubleDeviceUser>,
}

/// The double's data, knobs and record.
#[derive(Debug, Default)]
pub struct OktaState {
    /// The org host the double plays, e.g. `acme.okta.com` (used in `Link` URLs and `aud` checks).
    pub domain: String,
    pub clients: Vec<DoubleClient>,
    /// Groups in creation order (id → Okta group JSON).
    pub groups: Vec<Value>,
    /// Group id → member user ids, in order.
    pub members: HashMap<String, Vec<String>>,
    /// User id → Okta user JSON.
    pub users: BTreeMap<String, Value>,
    /// Devices in creation order (`GET /api/v1/devices` serves them in this order).
    pub devices: Vec<DoubleDevice>,
    /// Issued access tokens → granted scopes.
    pub tokens: HashMap<String, Vec<String>>,
    /// The largest page served (Okta recommends 200).
    pub max_page: usize,
    /// Knob: the next API requests each answer 429 E0000047 with this `X-Rate-Limit-Reset` (epoch seconds).
    pub rate_limited: VecDeque<i64>,
    /// Knob: more `X-Rate-Limit-Reset` headers (epoch seconds) the next 429 of `rate_limited` carries beside its
    /// own, as an answer governed by two limits at once does (case C25).
    pub extra_resets: Vec<i64>,
    /// Knob: the next API requests each answer this status (e.g. 500, 503).
    pub failures: VecDeque<u16>,
    /// Knob: a delay before every answer.
    pub latency: Duration,
    /// Knob: seconds the org's time runs ahead of the real time (the walkthrough moves the product's and Okta's
    /// time on together to show a renewal run); the token endpoint judges a client assertion's `exp` by it.
    pub time_ahead_secs: i64,
    /// Every request, in arrival order.
    pub requests: Vec<Recorded>,
    /// Knob: a fault plan for `/api/v1/` requests, one entry taken per request (see [`OktaFault`]); an empty
    /// plan lets every request through.
    pub fault_plan: VecDeque<OktaFault>,
    /// The dynamic SCEP challenge URL's username and password (`None`: every request is refused).
    pub challenge_credentials: Option<(String, String)>,
    /// Knob: the challenges the challenge URL issues next, in order (then random ones).
    pub challenge_plan: VecDeque<String>,
    /// Every request to the challenge URL, in arrival order.
    pub challenges: Vec<super::challenge::ChallengeRequest>,
    /// App sign-on policies (`AccessPolicy` JSON), in creation order.
    pub policies: Vec<Value>,
    /// Policy id → its rules (`AccessPolicyRule` JSON) in priority order; each rule's `priority` is its place.
    pub policy_rules: HashMap<String, Vec<Value>>,
    /// Policy id → the ids of the apps mapped to it.
    pub policy_apps: HashMap<String, Vec<String>>,
    /// Every fault the plan injected (not [`OktaFault::Pass`]), with the path and query it hit, in order.
    pub faults_injected: Vec<(String, OktaFault)>,
    /// Event hooks (`EventHook` JSON as served, without `authScheme.value`), in creation order.
    pub event_hooks: Vec<Value>,
    /// Each hook's `authScheme.value` (what Okta sends as `Authorization`), by hook id.
    pub hook_secrets: HashMap<String, String>,
    /// Where the double's calls to a hook's URI go: the URI's host → a loopback address (the local front).
    pub hook_routes: HashMap<String, std::net::SocketAddr>,
    /// Every call the double made to a hook's URI (verifications, deliveries), in order.
    pub hook_calls: Vec<super::HookCall>,
    /// Knob: `replaceEventHook` delivers one event with the old secret just before the replacement and one with
    /// the new secret just after.
    pub deliver_during_replace: bool,
    /// Device assurance policies (`DeviceAssurance` JSON as served), in creation order.
    pub device_assurances: Vec<Value>,
    /// Knob: device assurance policy ids an authentication policy outside the double's own rules uses (Okta
    /// refuses to delete them, 409; see [`OktaState::assurance_in_use`]).
    pub assurances_in_use: Vec<String>,
    /// The last `lastUpdate` stamp given, in epoch milliseconds: every write gets a later one.
    pub stamp_ms: i64,
}

impl OktaState {
    /// A fresh `lastUpdate`/`lastUpdated` stamp (RFC 3339 with milliseconds), later than every one before.
    pub fn next_stamp(&mut self) -> String {
        let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
        self.stamp_ms = now.max(self.stamp_ms + 1);
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(self.stamp_ms as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    /// Event hook `id` as served.
    pub fn event_hook(&self, id: &str) -> Option<&Value> {
        self.event_hooks.iter().find(|h| h["id"] == id)
    }

    /// Replaces the event hook with `hook`'s id (or adds it).
    pub fn put_event_hook(&mut self, hook: Value) {
        match self.event_hooks.iter_mut().find(|h| h["id"] == hook["id"]) {
            Some(h) => *h = hook,
            None => self.event_hooks.push(hook),
        }
    }

    /// Device assurance policy `id` as served.
    pub fn device_assurance(&self, id: &str) -> Option<&Value> {
        self.device_assurances.iter().find(|p| p["id"] == id)
    }

    /// Whether a policy rule names device assurance policy `id` (`conditions.device.assurance.include`), or the
    /// [`OktaState::assurances_in_use`] knob says another policy does: Okta then refuses to delete it.
    pub fn assurance_in_use(&self, id: &str) -> bool {
        self.assurances_in_use.iter().any(|u| u == id)
            || self.policy_rules.values().flatten().any(|r| {
                r["conditions"]["device"]["assurance"]["include"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|x| x == id))
            })
    }
}

/// One entry of [`OktaState::fault_plan`]: what happens to the next `/api/v1/` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaFault {
    /// Answered normally.
    Pass,
    /// Answered with this status (5xx: Okta's `E0000009` body) without being served.
    Status(u16),
    /// Answered 429 `E0000047` with `X-Rate-Limit-Remaining: 0` and this `X-Rate-Limit-Reset` (epoch seconds).
    RateLimited(i64),
    /// Served after this delay (beyond the client's request timeout: a timeout).
    Stall(Duration),
    /// A list page cut short: only its first `n` items, with a `next` link after the last one served (Okta may
    /// answer fewer than `limit`; the client must follow `next`, never count).
    ShortPage(usize),
    /// The answer's body stops half-way and the connection closes (a page that dies mid-way).
    CutBody,
}
