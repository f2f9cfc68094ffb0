//! The fault suite (issue 9): the local stack with faults injected in the Okta and Hexnode doubles and in the
//! AWS clients. Each scenario checks that, once the faults stop, at most two reconciliations bring every device
//! record to what the oracle computes from the final Okta and UEM data, that no membership change is lost and
//! that no UEM write is done twice, and prints one figures line (`-- --nocapture` shows it).
//!
//! `cargo test -p odt-tests --test faults` (the local services running, as for `--test api`); the long run:
//! `ODT_FAULTS_LONG=1 cargo test -p odt-tests --test faults -- --nocapture`; `ODT_FAULTS_SEED=<n>` picks the seed.

mod faults {
    pub mod aws;
    pub mod common;
    pub mod deadline;
    pub mod evidence;
    pub mod hexnode;
    pub mod hooks;
    pub mod inject;
    pub mod okta;
    pub mod poison;
}
