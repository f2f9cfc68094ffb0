//! The UEM (device management system) behind one trait. The read side (this module) serves fleet-sync: the
//! device inventory with owners and device groups with members, every page. The first implementation is
//! Hexnode's REST API ([`hexnode`]).

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
    /// Other 4xx/5xx after bounded retries.
    #[error("the UEM answered {status}: {message}")]
    Api { status: u16, message: String },
    /// Unreachable (DNS, connect, TLS, timeout) after bounded retries.
    #[error("the UEM could not be reached: {0}")]
    Unreachable(String),
    /// An answer the client cannot read (truncated page, foreign `next` link, …).
    #[error("unexpected answer from the UEM: {0}")]
    Protocol(String),
}

/// The read side of a UEM, as fleet-sync needs it. Every list follows its pages to the end.
#[async_trait::async_trait]
pub trait Uem: Send + Sync {
    /// One cheap read that proves the API key works (used when the admin connects the UEM).
    async fn verify(&self) -> Result<(), UemError>;
    /// Every device, with its owner's email joined in.
    async fn devices(&self) -> Result<Vec<UemDevice>, UemError>;
    /// Every device group.
    async fn device_groups(&self) -> Result<Vec<DeviceGroup>, UemError>;
    /// The device ids in group `group_id`. Errors: [`UemError::NotFound`] for an unknown group.
    async fn device_group_members(&self, group_id: &str) -> Result<Vec<String>, UemError>;
}
