//! The shared crate's HTTP clients against the local doubles of `odt-doubles` (Hexnode and Okta): paging,
//! throttling, retries, errors, the Hexnode write side, and the evidence both serve. No AWS service is needed:
//! `cargo test -p odt-shared --test clients`. (The tests of these clients behind the admin API, which need the local
//! AWS services, are in `tests/e2e/api/`.)

mod clients {
    pub mod evidence;
    pub mod hexnode_client;
    pub mod okta_client;
}
