//! The UEM (device management system) behind one trait. The read side serves fleet-sync: the device inventory
//! with owners and device groups with members, every page. The write side serves deploy-trigger, which works by
//! group: one managed device group per platform holds the in-scope devices, one policy per platform (Okta
//! Verify, the attestation payload and, on macOS, the SSO extension) targets that group, and scope changes
//! become membership diffs in batches. The first implementation is Hexnode's REST API ([`hexnode`]).

pub mod hexnode;

use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// How a device is enrolled, as far as device trust cares: Android counts only through Android Enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enrollment {
    /// Android Enterprise work profile (BYOD).
    AndroidWorkProfile,
    /// Android Enterprise fully managed (company owned).
    AndroidFullyManaged,
    /// Android enrolled without Android Enterprise (legacy device admin).
    AndroidLegacy,
    /// Not Android, or the UEM did not say.
    #[default]
    Other,
}

/// A device in the UEM inventory. Keys are the UEM's ids; names are for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UemDevice {
    /// The UEM's device id (Hexnode: a number, kept as text).
    pub id: String,
    pub name: String,
    /// `None` for a platform device trust does not cover (tvOS, Linux, …).
    pub platform: Option<Platform>,
    /// As the UEM reports it, e.g. `14.2.1`, `10.0.19045`, `13`.
    pub os_version: String,
    pub serial: Option<String>,
    pub udid: Option<String>,
    pub enrollment: Enrollment,
    /// The owner's email as the UEM knows it (joined from its user list); `None` when the device has no owner.
    pub owner_email: Option<String>,
    /// The UEM's user id of the owner.
    pub owner_id: Option<String>,
}

/// Which list of the UEM inventory a read is in: the devices first, then their owners (the users).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryList {
    #[default]
    Devices,
    Owners,
}

/// Where a read of the UEM inventory stands: the list it is in and the link of that list's next page as the UEM
/// gave it (`None`: the list's first page). Stored between invocations, so a read of a large fleet goes on
/// where the last one stopped; the client checks a stored link as it checks every `next` link.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryCursor {
    pub list: InventoryList,
    pub next: Option<String>,
}

/// One page of the inventory: devices (owner email not joined yet: see [`join_owners`]) or owners (user id,
/// email), and where the read goes next (`None`: the inventory is read to its end).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryPage {
    pub devices: Vec<UemDevice>,
    pub owners: Vec<(String, String)>,
    pub next: Option<InventoryCursor>,
}

/// The inventory made from its pages: each device once (the first page that listed it: a device can move to the
/// next page while a read spans pages), its owner's email joined by the owner's UEM user id.
pub fn join_owners(pages: impl IntoIterator<Item = InventoryPage>) -> Vec<UemDevice> {
    let mut devices = Vec::new();
    let mut owners = std::collections::HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for page in pages {
        devices.extend(page.devices.into_iter().filter(|d| seen.insert(d.id.clone())));
        owners.extend(page.owners);
    }
    for d in &mut devices {
        d.owner_email = d.owner_id.as_ref().and_then(|u| owners.get(u).cloned());
    }
    devices
}

/// A device group (id and name); members come from [`Uem::device_group_members`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceGroup {
    pub id: String,
    pub name: String,
}

/// Why a UEM call failed. No variant carries the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UemError {
    /// The API key was refused (401/403).
    #[error("the UEM refused the API key ({0})")]
    Unauthorized(u16),
    /// Still throttled after waiting as long as allowed; `retry_after_secs` is the UEM's own wait.
    #[error("the UEM is throttling: available again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// A resource the call named does not exist (404).
    #[error("not found in the UEM: {0}")]
    NotFound(String),
    /// Some device ids of a membership change are not devices of the UEM (a device gone meanwhile); the UEM
    /// changed nothing. Holds exactly the refused ids.
    #[error("the UEM has no devices with ids {0:?}")]
    InvalidDevices(Vec<String>),
    /// Other 4xx/5xx after bounded retries.
    #[error("the UEM answered {status}: {message}")]
    Api { status: u16, message: String },
    /// Unreachable (DNS, connect, TLS, timeout) after bounded retries.
    #[error("the UEM could not be reached: {0}")]
    Unreachable(String),
    /// An answer the client cannot read (truncated page, foreign `next` link, …).
    #[error("unexpected answer from the UEM: {0}")]
    Protocol(String),
    /// The portal refused a call its public API description does not document (`404` where the item exists,
    /// `405`, or `400` naming an unknown field): `call` is its name in
    /// [`hexnode::undocumented::CALLS`], `manual_step` what the admin does in the portal instead. Permanent: no
    /// automatic retry until the admin changes something.
    #[error("unsupported by this UEM portal: {call} (answered {status}); manual step: {manual_step}")]
    // The text is read back by `Unsupported::from_reason`: change both together.
    Unsupported { call: String, status: u16, manual_step: String },
    /// The product's part of the UEM's daily budget for this kind of call (`class`: `deployment`, `evidence`,
    /// `reread`) is used up: `allowed` calls today; the count starts again in `retry_after_secs` (next UTC
    /// midnight). Nothing was sent. See the `pacing` room.
    #[error(
        "the day's UEM call budget for {class} is used up ({allowed} calls); it starts again in {retry_after_secs} s"
    )]
    BudgetSpent { class: String, allowed: u64, retry_after_secs: u64 },
    /// The shared call budget (DynamoDB) could not be read or written; nothing was sent.
    #[error("the UEM call budget could not be read: {0}")]
    BudgetUnavailable(String),
    /// The request was not admitted before the caller's admission deadline (see [`admitted_by`]); nothing was
    /// sent.
    #[error("the UEM's pace left no room for this call before the invocation's deadline")]
    PastDeadline,
}

tokio::task_local! {
    /// The instant after which no further request of the task may be admitted (see [`admitted_by`]).
    static ADMIT_BY: std::time::Instant;
}

/// Runs `fut` with requests admitted only until `by`: a request still waiting for its admission (the tenant's
/// pace) at `by` is not sent and fails with [`UemError::PastDeadline`], while one already sent runs to its answer.
/// A caller that stops at a deadline (a reconciliation's page read) so never pays for a request it gives up.
pub async fn admitted_by<F: std::future::Future>(by: std::time::Instant, fut: F) -> F::Output {
    ADMIT_BY.scope(by, fut).await
}

/// The admission deadline [`admitted_by`] set for this task, if any.
pub(crate) fn admission_deadline() -> Option<std::time::Instant> {
    ADMIT_BY.try_with(|by| *by).ok()
}

/// What admits each request to the UEM before it is sent (the tenant's pace and call budget, implemented in the
/// `pacing` room). Errors: why the request may not be sent ([`UemError::BudgetSpent`], [`UemError::Throttled`],
/// [`UemError::BudgetUnavailable`]).
#[async_trait::async_trait]
pub trait Admission: Send + Sync + std::fmt::Debug {
    /// Waits until one more request may be sent and counts it.
    async fn admit(&self) -> Result<(), UemError>;
}

impl UemError {
    /// How long to wait before asking again, for a failure that says so (a throttle past the client's wait, a
    /// spent daily budget); `None` for the rest.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            UemError::Throttled { retry_after_secs } | UemError::BudgetSpent { retry_after_secs, .. } => {
                Some(std::time::Duration::from_secs(*retry_after_secs))
            }
            _ => None,
        }
    }

    /// Whether the failure holds for every further call of the run, not only this one (throttled, budget spent
    /// or unreadable, key refused, portal unreachable): the run stops calling and fails the rest with it.
    pub fn stops_every_call(&self) -> bool {
        matches!(
            self,
            UemError::Throttled { .. }
                | UemError::BudgetSpent { .. }
                | UemError::BudgetUnavailable(_)
                | UemError::Unauthorized(_)
                | UemError::Unreachable(_)
        )
    }
}

/// A call the UEM portal refused as unsupported ([`UemError::Unsupported`]), as the deployment answer and device
/// status show it: the call's name (see [`hexnode::undocumented::CALLS`]), the portal's status and the manual step
/// that replaces the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unsupported {
    /// The call's name, e.g. `policy_payload`.
    pub call: String,
    /// What the portal answered (404, 405 or 400).
    pub status: u16,
    /// What the admin does in the UEM portal instead.
    pub manual_step: String,
}

/// How [`UemError::Unsupported`] reads as text (before the call's name); the text recorded as a device's reason.
const UNSUPPORTED_TEXT: &str = "unsupported by this UEM portal: ";

impl Unsupported {
    /// The refusal `e` carries, if it is [`UemError::Unsupported`].
    pub fn of(e: &UemError) -> Option<Unsupported> {
        match e {
            UemError::Unsupported { call, status, manual_step } => {
                Some(Unsupported { call: call.clone(), status: *status, manual_step: manual_step.clone() })
            }
            _ => None,
        }
    }

    /// The refusal a recorded reason text holds: the text of [`UemError::Unsupported`] (`unsupported by this UEM
    /// portal: <call> (answered <status>); manual step: <step>`) read back, so a device's stored reason shows as
    /// the named state; `None` for any other text.
    pub fn from_reason(text: &str) -> Option<Unsupported> {
        let rest = text.strip_prefix(UNSUPPORTED_TEXT)?;
        let (call, rest) = rest.split_once(" (answered ")?;
        let (status, manual_step) = rest.split_once("); manual step: ")?;
        Some(Unsupported { call: call.to_string(), status: status.parse().ok()?, manual_step: manual_step.to_string() })
    }
}

/// What kind of app an inventory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// Bought through Apple Business/School Manager (Volume Purchase Program) and assigned by license.
    Vpp,
    /// A public store app without VPP licenses.
    Store,
    /// Approved in managed Google Play (Android Enterprise).
    ManagedPlay,
    /// An uploaded installer (macOS PKG, Windows EXE/MSI).
    Enterprise,
    /// Anything else (web clips, …).
    Other,
}

/// An app in the UEM's inventory. The id is the key; the rest is for display and validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UemApp {
    /// The UEM's app id (Hexnode: a number, kept as text).
    pub id: String,
    pub name: String,
    /// `None` for an app of a platform device trust does not cover.
    pub platform: Option<Platform>,
    pub kind: AppKind,
    /// Bundle id (Apple) or package name (Android), e.g. `com.okta.android.auth`.
    pub bundle_id: Option<String>,
    pub version: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    /// Windows: how the UEM tells that the installer succeeded (e.g. an exit code or a file path).
    pub success_criteria: Option<String>,
    /// Windows: the parameters of a silent uninstall.
    pub uninstall_parameters: Option<String>,
}

/// An installer to add to the UEM's inventory as an enterprise app (Okta Verify's EXE or PKG from Okta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnterpriseApp {
    /// `Windows` (EXE) or `Macos` (PKG).
    pub platform: Platform,
    pub name: String,
    pub category: String,
    pub description: String,
    /// Where the UEM fetches the installer from (https).
    pub installer_url: String,
    pub success_criteria: Option<String>,
    pub uninstall_parameters: Option<String>,
}

/// Okta Verify as a policy installs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyApp {
    /// The UEM's app id.
    pub app_id: String,
    /// VPP only: the location (content token) whose licenses are used.
    pub vpp_location: Option<String>,
}

/// The attestation payload a policy carries, as the platform needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyPayload {
    /// iOS / Android: managed app configuration for the app `bundle_id` (`com.okta.mobile` /
    /// `com.okta.android.auth`): the document (plist dict / JSON object of key-values).
    AppConfig { bundle_id: String, document: String },
    /// macOS: a configuration profile (`.mobileconfig`: SCEP at user scope and the SSO extension).
    ConfigurationProfile { document: String },
    /// Windows: a custom SyncML (`ClientCertificateInstall` SCEP under `./User`).
    SyncMl { document: String },
}

/// A policy in the UEM (id and name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    pub id: String,
    pub name: String,
}

/// One platform's deployment policy: what every member of its managed device group carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentPolicy {
    pub name: String,
    pub description: String,
    pub platform: Platform,
    /// Okta Verify; `None` while the admin has set no installation method for the platform.
    pub app: Option<PolicyApp>,
    pub payload: PolicyPayload,
    /// The device groups the policy targets (the platform's managed group).
    pub device_group_ids: Vec<String>,
    /// The devices the policy targets one by one (`policy_targets.devices`, documented): a per-device policy
    /// carrying a document made for that device alone (the dynamic SCEP challenge); empty for group policies.
    pub device_ids: Vec<String>,
}

/// Whether a policy's payload has landed on a device, as the UEM reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadState {
    /// The UEM delivered the policy's payload and the device applied it.
    Applied,
    /// Not delivered yet (the device has not checked in since the policy reached it).
    Pending,
    /// The device refused or failed to apply it ([`PolicyDeviceStatus::error`] says why, when the UEM does).
    Failed,
    /// The UEM gave no state, or one the product does not know.
    Unknown,
}

/// One device a policy targets, with the evidence of what it carries: whether the payload landed and which of
/// the policy's apps (Okta Verify) are installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDeviceStatus {
    /// The UEM's device id (Hexnode: a number, kept as text).
    pub device_id: String,
    /// Whether the policy's payload landed.
    pub payload: PayloadState,
    /// The UEM's error text for this device, when it gives one.
    pub error: Option<String>,
    /// Each of the policy's apps as `(app id, installed)`, in the UEM's order.
    pub apps_installed: Vec<(String, bool)>,
}

/// The read side of a UEM, as fleet-sync needs it, and the write side deploy-trigger needs. Every list follows
/// its pages to the end.
#[async_trait::async_trait]
pub trait Uem: Send + Sync {
    /// How many HTTP requests this client has sent so far (retries and throttled attempts included), for run
    /// reports (`uemCalls`) and benchmarks. Required of every implementation: a default would report 0 calls for
    /// a run that made many (case C30).
    fn calls_made(&self) -> u64;
    /// One cheap read that proves the API key works (used when the admin connects the UEM).
    async fn verify(&self) -> Result<(), UemError>;
    /// Every device, with its owner's email joined in: every page of [`Uem::inventory_page`] in one go.
    async fn devices(&self) -> Result<Vec<UemDevice>, UemError> {
        let mut at = InventoryCursor::default();
        let mut pages = Vec::new();
        loop {
            let page = self.inventory_page(&at).await?;
            let next = page.next.clone();
            pages.push(page);
            match next {
                Some(n) => at = n,
                None => return Ok(join_owners(pages)),
            }
        }
    }
    /// The inventory's page at `at` (one request), for a read that may span invocations. Errors: as the
    /// request; [`UemError::Protocol`] for a stored link that leaves the portal.
    async fn inventory_page(&self, at: &InventoryCursor) -> Result<InventoryPage, UemError>;
    /// Whether the UEM still has device `device_id` (one request): asked before a device that a read spanning
    /// invocations did not list is forgotten. Errors: as the request.
    async fn device_exists(&self, device_id: &str) -> Result<bool, UemError>;
    /// Every device group.
    async fn device_groups(&self) -> Result<Vec<DeviceGroup>, UemError>;
    /// The device ids in group `group_id`. Errors: [`UemError::NotFound`] for an unknown group.
    async fn device_group_members(&self, group_id: &str) -> Result<Vec<String>, UemError>;

    /// Every app in the UEM's inventory.
    async fn apps(&self) -> Result<Vec<UemApp>, UemError>;
    /// Adds an installer as an enterprise app and returns it.
    async fn create_enterprise_app(&self, app: &NewEnterpriseApp) -> Result<UemApp, UemError>;
    /// Creates an empty device group named `name` and returns it.
    async fn create_device_group(&self, name: &str, description: &str) -> Result<DeviceGroup, UemError>;
    /// Deletes a device group. Errors: [`UemError::NotFound`] when there is none.
    async fn delete_device_group(&self, group_id: &str) -> Result<(), UemError>;
    /// One membership change of group `group_id`: adds `add` and removes `remove` (device ids). Adding a member
    /// or removing a non-member changes nothing. Errors: [`UemError::InvalidDevices`] naming the ids that are
    /// not devices (nothing changed), [`UemError::NotFound`] for an unknown group.
    async fn change_group_members(&self, group_id: &str, add: &[String], remove: &[String]) -> Result<(), UemError>;
    /// Every policy, so a policy created by a run that stopped before recording it is adopted by name rather
    /// than made twice.
    async fn policies(&self) -> Result<Vec<PolicyRef>, UemError>;
    /// Creates a policy and returns its id.
    async fn create_policy(&self, policy: &DeploymentPolicy) -> Result<String, UemError>;
    /// Replaces policy `policy_id`'s content and targets. Errors: [`UemError::NotFound`] when there is none.
    async fn update_policy(&self, policy_id: &str, policy: &DeploymentPolicy) -> Result<(), UemError>;
    /// Deletes a policy (the UEM takes its app and payloads off the devices it targeted). Errors:
    /// [`UemError::NotFound`] when there is none.
    async fn delete_policy(&self, policy_id: &str) -> Result<(), UemError>;
    /// Every device policy `policy_id` targets, with whether its payload landed and which of the policy's apps
    /// are installed (every page). Errors: [`UemError::NotFound`] for an unknown policy.
    async fn policy_device_status(&self, policy_id: &str) -> Result<Vec<PolicyDeviceStatus>, UemError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsupported_reason_reads_back_as_the_named_state() {
        let e = UemError::Unsupported {
            call: "policy_payload".into(),
            status: 400,
            manual_step: "do (this); then that".into(),
        };
        let want =
            Unsupported { call: "policy_payload".into(), status: 400, manual_step: "do (this); then that".into() };
        assert_eq!(Unsupported::of(&e), Some(want.clone()));
        assert_eq!(Unsupported::from_reason(&e.to_string()), Some(want));
        assert_eq!(Unsupported::from_reason(&UemError::NotFound("x".into()).to_string()), None);
        assert_eq!(Unsupported::of(&UemError::NotFound("x".into())), None);
    }
}
