//! Okta event hooks: the admin's settings ([`settings`]: `GET|PUT /event-hook`), the hook registered and re-keyed
//! through Okta's Event Hooks API ([`registration`]: `POST /event-hook/register`, `POST /event-hook/rotate`), the door Okta calls
//! ([`door`]: `GET|POST /hooks/okta/{tenant}`, which keeps each accepted delivery in the inbox), and the event
//! model both the door and the inbox consumer ([`crate::inbox`]) use ([`events`]).

pub mod door;
pub mod events;
pub mod registration;
pub mod settings;

pub use door::HOOK_RECORD_KEPT_SECS;
pub use events::{parse_delivery, target, Event};
