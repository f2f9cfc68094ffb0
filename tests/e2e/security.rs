//! Security tests through the local front: a corpus of malformed requests on every route and the hook,
//! isolation between tenants and roles on every route of the OpenAPI document, no secret value in anything the
//! walkthrough shows, logs or exports, and no outbound request to a host the domain rules refuse.
//! Run with `cargo test -p odt-tests --test security` (local services as for the other tests).

mod security {
    pub mod as_sent;
    pub mod badinput;
    pub mod common;
    pub mod isolation;
    pub mod outbound;
    pub mod secrets;
}
