//! Local HTTP doubles of the external systems, for tests and the demo. Each runs an axum server on a loopback
//! port, keeps its data and the requests it received in shared state, and has knobs for paging, 429s, latency
//! and failures.

pub mod hexnode;
pub mod okta;
mod record;
mod serve;

pub use serve::Served;
