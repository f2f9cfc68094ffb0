//! The walkthrough: what an admin does in the console, through the public API only, printed as a short
//! account with the numbers. Each step fails loudly with its name and cause.
//!
//! [`walkthrough`] is the list of steps; each is a method of the walk, in the file of its subject: `connect`
//! (the org, device trust, roles, the UEM), `platforms`, `fleet`, `deploy`, `hooks`, `changes` (the iOS key,
//! Windows off, device trust deleted), `status` (evidence and exports) and `rules` (an app sign-on policy rule
//! for the fleet). `api` holds what every step uses.

mod api;
mod assurance;
mod changes;
mod connect;
mod deploy;
mod fleet;
mod hooks;
mod keep;
mod platforms;
mod renewal;
mod rules;
mod status;

pub(crate) use api::{check, step, Api};
pub use keep::restore_for_console;

use crate::seed::DemoOrg;
use crate::stack::Stack;
use serde_json::Value;
use std::io::Write;

/// The tenant the walkthrough acts for.
pub const DEMO_TENANT: &str = "demo-tenant";

/// What the walkthrough saw, for tests.
#[derive(Debug, Default)]
pub struct Outcome {
    pub org_id: String,
    /// Platforms switched on, with their payload hashes.
    pub platforms: Vec<(String, String)>,
    /// Devices in scope after the first reconciliation, and the records it wrote.
    pub in_scope: u64,
    pub first_sync_written: u64,
    /// Records the second reconciliation (nothing changed) wrote.
    pub second_sync_written: u64,
    /// Out-of-scope devices by reason after the first reconciliation.
    pub excluded: serde_json::Map<String, Value>,
    /// Whether the hook's membership remove took a device out and the newer add brought it back.
    pub hook_round_trip: bool,
    /// Okta's id of the event hook the product registered, and whether Okta verified it (calling the front) and
    /// it is active.
    pub hook_id: String,
    pub hook_verified: bool,
    /// Deliveries refused while the hook's secret was rotated (none expected).
    pub rotation_refused: usize,
    /// The product's device assurance policies after the first sync: (platform, Okta id, OS minimum).
    pub assurance: Vec<(String, String, String)>,
    /// Device assurance outcomes after Windows was switched off (platform, outcome).
    pub assurance_after_windows_off: Vec<(String, String)>,
    /// What `DELETE /device-trust` did in Okta: (item, outcome).
    pub okta_side_removed: Vec<(String, String)>,
    pub granted_scopes: Vec<String>,
    pub groups: usize,
    pub okta_group_pages: usize,
    pub device_trust_state: String,
    /// Per platform: (in scope, members of its managed group in the UEM) after the first deployment.
    pub deployed: Vec<(String, u64, usize)>,
    /// UEM calls the first deployment made (all platforms).
    pub deploy_uem_calls: usize,
    /// Whether every in-scope device carries exactly its platform's policy, and nothing else carries any.
    pub carries_exactly: bool,
    /// macOS (dynamic SCEP challenge) after the first deployment: in-scope devices, devices whose document
    /// carries a challenge Okta issued (each a different one), and requests to Okta's challenge URL.
    pub macos_challenges: (usize, usize, usize),
    /// UEM writes the iOS secret key reset made (one policy update expected).
    pub reset_writes: Vec<String>,
    /// Members left in the Windows group after Windows was switched off.
    pub windows_left: usize,
    /// After deleting device trust: devices still carrying items, policies left in the UEM, device trust state.
    pub removal: (u64, usize, String),
    /// The status summary before device trust was deleted (`GET /status`).
    pub status_summary: Value,
    /// The access policy rules: created INACTIVE, ACTIVE after the admin's call, Okta's simulation then meeting
    /// the allow rule from a managed device and the deny rule from another, the policy as before after the
    /// rollback.
    pub access_rules: (bool, bool, bool, bool),
    /// Where the CSV and PDF exports were written, with their device rows.
    pub exports: Vec<(std::path::PathBuf, u64)>,
    /// 91 days on (step 15b): attestation renewals due, delivered again by one run, still due after it.
    pub renewals: (u64, u64, u64),
}

/// Where the walkthrough writes its exports: `ODT_EXPORTS_DIR`, else `.local/demo-exports` under the working
/// directory.
pub fn exports_dir() -> std::path::PathBuf {
    std::env::var_os("ODT_EXPORTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(".local").join("demo-exports"))
}

/// What every step works with: the stack, the demo org, the admin's and a technician's API, where the account
/// is written, and what the steps have seen so far.
struct Walk<'a> {
    stack: &'a Stack,
    org: &'a DemoOrg,
    admin: Api<'a>,
    tech: Api<'a>,
    out: &'a mut (dyn Write + Send),
    outcome: Outcome,
}

/// Runs the walkthrough against a running stack whose Okta double holds `org`.
pub async fn walkthrough(stack: &Stack, org: &DemoOrg, out: &mut (dyn Write + Send)) -> anyhow::Result<Outcome> {
    let api =
        |role: &str| Api { http: reqwest::Client::new(), base: &stack.base_url, token: stack.token(DEMO_TENANT, role) };
    let mut walk = Walk { stack, org, admin: api("admin"), tech: api("technician"), out, outcome: Outcome::default() };
    walk.connect_org().await?;
    walk.list_groups().await?;
    walk.search_groups().await?;
    walk.enable_device_trust().await?;
    walk.technician_reads_only().await?;
    walk.disconnect_refused().await?;
    walk.configure_platforms().await?;
    walk.connect_uem().await?;
    walk.preview_fleet().await?;
    walk.apply_and_reconcile().await?;
    walk.deploy().await?;
    walk.event_hooks().await?;
    walk.device_assurance().await?;
    walk.reset_ios_key().await?;
    walk.switch_windows_off().await?;
    walk.device_assurance_after_switch().await?;
    walk.status_and_exports().await?;
    walk.renewals().await?;
    walk.access_policy_rules().await?;
    walk.delete_device_trust().await?;
    Ok(walk.outcome)
}
