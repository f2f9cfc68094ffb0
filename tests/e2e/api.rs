//! End-to-end tests of the admin API through the local front, on DynamoDB Local, the Secrets Manager emulator
//! and the Okta double. Run with `scripts/test.sh`.

mod api {
    pub mod access;
    pub mod access_rules;
    pub mod assurance;
    pub mod challenge;
    pub mod connect;
    pub mod demo;
    pub mod deploy;
    pub mod device_trust;
    pub mod fleet;
    pub mod freshness;
    pub mod hooks;
    pub mod inventory;
    pub mod mail;
    pub mod okta_client;
    pub mod okta_hook;
    pub mod owners;
    pub mod pacing;
    pub mod platforms;
    pub mod reenroll;
    pub mod rotate;
    pub mod status;
    pub mod unsupported;
}
