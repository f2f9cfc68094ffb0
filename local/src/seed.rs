//! Demo data for the Okta double: an org with enough groups to need several pages, users in several states,
//! and an Okta Integration Network style API service app whose client secret is made fresh on every start.

use odt_doubles::okta::OktaDouble;

/// What an admin needs to connect the demo org.
#[derive(Debug, Clone)]
pub struct DemoOrg {
    pub domain: String,
    pub client_id: String,
    /// Generated per run for the local double; never a real credential.
    pub client_secret: String,
}

/// The demo org's host.
pub const DEMO_DOMAIN: &str = "acme-demo.okta.com";

/// Fills `okta` with the demo org and returns its connection details.
pub fn seed_demo(okta: &OktaDouble) -> DemoOrg {
    let client_id = "0oa1demoOINintegration".to_string();
    let client_secret = format!("dbl-{}", uuid::Uuid::new_v4().simple());
    okta.add_secret_client(
        &client_id,
        &client_secret,
        &["okta.users.read", "okta.groups.read", "okta.devices.read", "okta.logs.read"],
    );
    let named = [
        ("00gSALES000000000001", "Sales"),
        ("00gENGINEERING000001", "Engineering"),
        ("00gDTPILOT0000000001", "Device Trust Pilot"),
        ("00gFINANCE000000001", "Finance"),
        ("00gCONTRACTORS00001", "Contractors"),
    ];
    for (id, name) in named {
        okta.add_group(id, name);
    }
    for i in 1..=225 {
        okta.add_group(&format!("00gTEAM{i:013}"), &format!("Team {i:03}"));
    }
    let statuses = ["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED", "DEPROVISIONED"];
    for i in 1..=60 {
        let id = format!("00uUSER{i:013}");
        let login = format!("user{i:02}@acme-demo.example");
        okta.add_user(&id, &login, &login, statuses[i % statuses.len()]);
        okta.add_member(named[i % named.len()].0, &id);
        okta.add_member("00gDTPILOT0000000001", &id);
    }
    DemoOrg { domain: DEMO_DOMAIN.into(), client_id, client_secret }
}
