//! The Okta client: OAuth 2.0 client credentials against the org authorization server (client_secret_basic
//! and private_key_jwt), `Link: rel="next"` paging followed verbatim, `X-Rate-Limit-*` honoured, errors typed
//! by Okta's `errorCode`. Sources: Okta developer docs "Implement OAuth for Okta with a service app",
//! "Rate limits", "Pagination"; the Management API spec in `../shared/okta/spec/management.yaml`.

pub mod challenge;
mod client;
mod credentials;
mod devices;
mod error;
pub mod link;
mod model;
pub mod policies;

pub use client::{OktaClient, RetryPolicy, TokenGrant};
pub use credentials::{ClientAuth, OktaCredentials};
pub use devices::{DeviceUserLink, OktaDevice};
pub use error::OktaError;
pub use model::{Group, GroupProfile, User, UserProfile};

/// Scopes the product cannot work without: reading users, groups and devices.
pub const REQUIRED_SCOPES: [&str; 3] = ["okta.users.read", "okta.groups.read", "okta.devices.read"];

/// Scopes the product uses when granted: certificate-issue evidence from the System Log, self-registering
/// the event hook, and reading and managing the app sign-on policy rules scoped to the fleet.
/// What the product can do in Okta for the admin when the org's app is granted the scopes named (as Okta's spec
/// requires them for the calls each makes): `GET /okta-orgs` reports which are allowed.
pub const AUTOMATIONS: [(&str, &[&str]); 1] = [("accessPolicyRules", &policies::RULES_SCOPES)];

pub const OPTIONAL_SCOPES: [&str; 4] =
    ["okta.logs.read", "okta.eventHooks.manage", policies::POLICIES_READ, policies::POLICIES_MANAGE];
