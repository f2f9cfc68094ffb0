//! The local stack: what `template.yaml` declares, run on this machine. The HTTP front serves the template's
//! routes with API Gateway's JWT-authorizer semantics and calls each function's handler in process; the table
//! is created from the template's own definition; the Okta double is seeded with a demo org.

pub mod authorizer;
pub mod bootstraps;
pub mod console;
#[cfg(test)]
mod console_hosting;
pub mod demo;
pub mod front;
pub mod remote;
pub mod seed;
pub mod stack;
pub mod streams;
pub mod table;
pub mod template;
pub mod throttles;
