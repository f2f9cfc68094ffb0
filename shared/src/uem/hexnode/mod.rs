//! The Hexnode UEM REST API behind [`Uem`](super::Uem): devices joined with their owners, device groups and their
//! members, every page (the read side); apps, device groups, their membership and policies (the write side).
//!
//! Follows Hexnode's API documentation
//! (<https://www.hexnode.com/mobile-device-management/help/hexnode-mdm-api-documentation/> and the developer pages
//! under <https://www.hexnode.com/mobile-device-management/developers/>), as summarized in `shared/hexnode/FACTS.md`:
//!
//! - base `https://<portal>.hexnodemdm.com/api/v1/`, every path ends in `/`;
//! - `Authorization: <api key>` (the raw key, no scheme), `Accept: application/json`;
//! - lists are paged with `?page=N&per_page=M` and answer `{"count", "next", "previous", "results"}`, where `next`
//!   is an absolute URL or `null`;
//! - about 30 calls a minute; over it Hexnode answers `429` with `Request was throttled. Expected available in
//!   57.0 seconds.` (as text or as `{"detail": …}`);
//! - writes send JSON (`Content-Type: application/json`); validation errors are `400` with `{"detail": …}` or a
//!   map of field lists (Django REST framework).
//!
//! Three rooms:
//!
//! - the client: `client.rs` (one portal and key, the request function with its throttle waits and retries, item
//!   URLs, paging), `throttle.rs` (the wait a `429` asks for) and `calls.rs` (the [`Uem`](super::Uem) methods, one
//!   Hexnode call each);
//! - the wire types: `wire.rs` (Hexnode's answers as the `Hx*` structs read them) and `bodies.rs` (the request
//!   bodies);
//! - the mapping: `mapping.rs` (the wire types into the trait's domain types: platforms, Android enrollment, app
//!   kinds, policy status).
//!
//! What Hexnode's public API description (`tests/fixtures/hexnode-api/api.yaml`) does not document is named in
//! one module, [`undocumented`]: each call (the policy's payload, the per-device policy status, the enterprise
//! app upload, the device group delete) and field with its reason, how it was inferred and the manual step that
//! replaces it, the undocumented bodies, and how a portal's refusal is recognised ([`UemError::Unsupported`]).
//!
//! [`UemError::Unsupported`]: super::UemError::Unsupported
//!
//! Every URL goes through [`Outbound::route`](crate::outbound::Outbound::route) before it is sent, every wait
//! through [`Clock::sleep`](crate::clock::Clock::sleep), and the API key never appears in a log line or an error.

mod bodies;
mod calls;
mod client;
mod mapping;
mod throttle;
pub mod undocumented;
mod wire;

pub use client::{HexnodeClient, HexnodeRetry, BASE_BACKOFF, PER_PAGE};
pub use mapping::platform_from_os_name;
pub use throttle::{throttle_wait_secs, DEFAULT_THROTTLE_WAIT};
pub use undocumented::{android_enrollment, app_kind, ANDROID_ENROLLMENT_FIELDS};
pub use wire::invalid_device_ids;
