//! The Hexnode client (`odt_shared::uem::hexnode`) against the Hexnode double: paging, the owner join, platform
//! and Android enrollment mapping, groups and members, throttling (C13), retries and errors; the double's group
//! writes; and the write side (apps, enterprise app upload, group create/delete, membership changes, policies).
//! No AWS service is needed. This file holds what the tests share: the double served on a loopback port, clients
//! routed to it, a clock that watches the double, and the policy the write tests send.

mod double;
mod reads;
mod requests;
mod unsupported;
mod writes;

use odt_doubles::hexnode::HexnodeDouble;
use odt_doubles::Served;
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::outbound::{validate_host_under, Outbound, HEXNODE_SUFFIX};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::{HexnodeClient, HexnodeRetry};
use odt_shared::uem::{DeploymentPolicy, PolicyApp, PolicyPayload};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

const PORTAL: &str = "acme.hexnodemdm.com";
const KEY: &str = "hx-test-key-5f2c1e";

/// The double, served on a loopback port.
async fn serve(double: &HexnodeDouble) -> Served {
    Served::start(double.router(), 0).await.unwrap()
}

/// Outbound rules that send the portal's requests to the served double.
fn outbound(served: &Served) -> Outbound {
    Outbound::with_test_routes(HashMap::from([(PORTAL.to_string(), served.addr)]))
}

/// A client of the served double with `clock`, `key` and `policy`.
fn client_with(served: &Served, clock: Arc<dyn Clock>, key: &str, policy: HexnodeRetry) -> HexnodeClient {
    HexnodeClient::new(
        outbound(served),
        clock,
        validate_host_under(PORTAL, HEXNODE_SUFFIX).unwrap(),
        key.to_string().into(),
        policy,
    )
}

/// A manual clock at the current time.
fn manual_clock() -> ManualClock {
    ManualClock::new(OffsetDateTime::now_utc())
}

/// A client of the served double with the right key, `clock` and the default retry policy.
fn client(served: &Served, clock: &ManualClock) -> HexnodeClient {
    client_with(served, Arc::new(clock.clone()), KEY, HexnodeRetry::default())
}

/// The paths (with query) of the requests the double saw under `prefix`.
fn paths(double: &HexnodeDouble, prefix: &str) -> Vec<String> {
    double.requests_to(prefix).into_iter().map(|r| r.path_and_query).collect()
}

/// A manual clock that also notes, at each sleep, how many requests for `prefix` the double had seen.
struct WatchingClock {
    inner: ManualClock,
    double: HexnodeDouble,
    prefix: &'static str,
    seen_at_sleep: Mutex<Vec<usize>>,
}

impl WatchingClock {
    /// A clock that waits on `inner` and notes, at each sleep, the requests for `prefix` `double` has seen.
    fn new(inner: &ManualClock, double: &HexnodeDouble, prefix: &'static str) -> Arc<WatchingClock> {
        Arc::new(WatchingClock {
            inner: inner.clone(),
            double: double.clone(),
            prefix,
            seen_at_sleep: Mutex::new(vec![]),
        })
    }
}

#[async_trait::async_trait]
impl Clock for WatchingClock {
    fn now(&self) -> OffsetDateTime {
        self.inner.now()
    }
    async fn sleep(&self, d: Duration) {
        let seen = self.double.requests_to(self.prefix).len();
        self.seen_at_sleep.lock().unwrap().push(seen);
        self.inner.sleep(d).await
    }
}

/// Owned copies of `ids`.
fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The write requests the double saw, as `METHOD path`.
fn writes(double: &HexnodeDouble) -> Vec<String> {
    double.writes().into_iter().map(|r| format!("{} {}", r.method, r.path_and_query)).collect()
}

/// An iOS policy named `name` that installs app `app_id` (VPP, `Main location`), carries a managed app
/// configuration for Okta Verify and targets `groups`.
fn ios_policy(name: &str, app_id: &str, groups: &[&str]) -> DeploymentPolicy {
    DeploymentPolicy {
        name: name.into(),
        description: "Okta Verify and its managed app configuration".into(),
        platform: Platform::Ios,
        app: Some(PolicyApp { app_id: app_id.into(), vpp_location: Some("Main location".into()) }),
        payload: PolicyPayload::AppConfig {
            bundle_id: "com.okta.mobile".into(),
            document: "<dict><key>managementHint</key><string>h1</string></dict>".into(),
        },
        device_group_ids: strings(groups),
        device_ids: vec![],
    }
}
