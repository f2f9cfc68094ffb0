//! The Okta client: OAuth 2.0 client credentials against the org authorization server (client_secret_basic
//! and private_key_jwt), `Link: rel="next"` paging followed verbatim, `X-Rate-Limit-*` honoured, errors typed
//! by Okta's `errorCode`. Sources: Okta developer docs "Implement OAuth for Okta with a service app",
//! "Rate limits", "Pagination"; the Management API spec in `../shared/okta/spec/management.yaml`.

pub mod challenge;
mod client;
mod credentials;
mod device_assurance;
mod devices;
mod error;
mod event_hooks;
pub mod link;
mod model;
pub mod policies;

pub use client::{OktaClient, RetryPolicy, TokenGrant};
pub use credentials::{ClientAuth, OktaCredentials};
pub use device_assurance::{DeviceAssurance, OsVersion};
pub use devices::{DeviceUserLink, OktaDevice};
pub use error::OktaError;
pub use event_hooks::{EventHook, HookSpec};
pub use model::{Group, GroupProfile, User, UserProfile};

/// Scopes the product cannot work without: reading users, groups and devices.
pub const REQUIRED_SCOPES: [&str; 3] = ["okta.users.read", "okta.groups.read", "okta.devices.read"];

/// Scopes the product uses when granted: certificate-issue evidence from the System Log, registering the event
/// hook (`okta.eventHooks.manage`, and `.read` for Okta's view of it), keeping the product's device assurance
/// policies (`okta.deviceAssurance.manage`, `.read`), and the app sign-on policy rules scoped to the fleet
/// (`okta.policies.read`, `.manage`). Which automation each one allows: [`crate::okta_side::automations`].
pub const OPTIONAL_SCOPES: [&str; 7] = [
    "okta.logs.read",
    "okta.eventHooks.manage",
    "okta.eventHooks.read",
    "okta.deviceAssurance.manage",
    "okta.deviceAssurance.read",
    policies::POLICIES_READ,
    policies::POLICIES_MANAGE,
];
