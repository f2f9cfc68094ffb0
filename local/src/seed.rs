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
        &[
            "okta.users.read",
            "okta.groups.read",
            "okta.devices.read",
            "okta.logs.read",
            "okta.eventHooks.manage",
            "okta.eventHooks.read",
            "okta.deviceAssurance.manage",
            "okta.deviceAssurance.read",
            "okta.policies.read",
            "okta.policies.manage",
        ],
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
    seed_access_policy(okta);
    DemoOrg { domain: DEMO_DOMAIN.into(), client_id, client_secret }
}

/// The Okta group the walkthrough selects as the fleet (Sales).
pub const DEMO_FLEET_GROUP: &str = "00gSALES000000000001";

/// The demo org's app sign-on policy the walkthrough puts the product's rules in.
pub const DEMO_ACCESS_POLICY: &str = "rstDEMOSALESFORCE001";

/// An app sign-on policy for one app (Salesforce) with a rule an Okta admin made above its catch-all.
fn seed_access_policy(okta: &OktaDouble) {
    okta.add_access_policy(DEMO_ACCESS_POLICY, "Salesforce sign-on", &["0oaDEMOSALESFORCE01"]);
    okta.add_access_policy("rstDEMOCONSOLE000001", "Okta Admin Console", &["0oaDEMOADMINCONSOLE"]);
    okta.add_foreign_rule(
        DEMO_ACCESS_POLICY,
        serde_json::json!({"id": "rulDEMOCONTRACTORS01", "name": "Contractors: deny",
            "conditions": {"people": {"groups": {"include": ["00gCONTRACTORS00001"]}}},
            "actions": {"appSignOn": {"access": "DENY"}}}),
    );
}

/// The UEM device group of company laptops in the demo fleet.
pub const DEMO_LAPTOP_GROUP: u64 = 501;

/// What the demo UEM holds, for the account the walkthrough prints.
#[derive(Debug, Clone, Default)]
pub struct DemoFleet {
    pub devices: usize,
    pub device_groups: usize,
}

/// Fills the Hexnode double with a realistic fleet over all four platforms: owners who are Okta users
/// (`userNN@acme-demo.example`, some suspended or deprovisioned in Okta), owners Okta does not know, devices with
/// no owner, OS versions below the minimum, Android without Android Enterprise, owners with several devices,
/// unsupported platforms, and names with commas, quotes and non-ASCII letters.
pub fn seed_demo_fleet(hexnode: &odt_doubles::hexnode::HexnodeDouble) -> DemoFleet {
    use odt_doubles::hexnode::HexnodeDeviceSeed;
    for i in 1..=60u64 {
        let email = format!("user{i:02}@acme-demo.example");
        hexnode.add_user(i, &format!("Demo User {i:02}"), &email);
    }
    for i in 61..=80u64 {
        hexnode.add_user(i, &format!("Contractor {i}"), &format!("contractor{i}@partner.example"));
    }
    let names = ["MacBook", "Sales, EMEA \"Loaner\"", "Ærø-iPad", "José's Pixel", "Surface Pro", "Büro-PC"];
    let kinds: [(&str, &[&str]); 4] = [
        ("iOS", &["17.4", "16.7", "15.8"]),
        ("Android", &["14", "12", "10"]),
        ("macOS", &["14.3", "13.6", "12.7"]),
        ("Windows", &["10.0.22631", "10.0.19045", "10.0.18363"]),
    ];
    hexnode.add_group(DEMO_LAPTOP_GROUP, "Corporate Laptops");
    hexnode.add_group(502, "Kiosks");
    let mut devices = 0;
    for i in 0..360u64 {
        let (os, versions) = kinds[(i % 4) as usize];
        let owner = if i % 37 == 0 { None } else { Some(1 + (i * 7) % 80) };
        let name = format!("{} {i:03}", names[(i % names.len() as u64) as usize]);
        let mut d = HexnodeDeviceSeed::new(10_000 + i, &name, os, owner);
        d.os_version = versions[((i / 4) % 7 % 3) as usize].to_string();
        if os == "Android" {
            d = d.with_android_enrollment(match i % 3 {
                0 => "work_profile",
                1 => "fully_managed",
                _ => "device_admin",
            });
        }
        hexnode.add_device(d);
        if os == "macOS" || os == "Windows" {
            hexnode.add_to_group(DEMO_LAPTOP_GROUP, 10_000 + i);
        }
        devices += 1;
    }
    // Apple TVs whose owners are active members of "Sales": excluded only because tvOS is not covered.
    for (i, owner) in [15u64, 20, 25, 30, 45, 50].into_iter().enumerate() {
        let i = i as u64;
        hexnode.add_device(HexnodeDeviceSeed::new(20_000 + i, &format!("Lobby TV {i}"), "tvOS", Some(owner)));
        hexnode.add_to_group(502, 20_000 + i);
        devices += 1;
    }
    seed_demo_apps(hexnode);
    DemoFleet { devices, device_groups: 2 }
}

/// The demo inventory's Okta Verify apps, one per platform: iOS and macOS through VPP, Windows' EXE already
/// uploaded, Android approved in managed Google Play; plus an unrelated app.
pub const DEMO_APPS: [(u64, &str, &str, &str, Option<&str>); 5] = [
    (701, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")),
    (702, "Okta Verify", "macos", "vpp", Some("com.okta.mobile.auth-service")),
    (703, "Okta Verify for Windows", "windows", "enterprise", None),
    (704, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")),
    (705, "Slack", "ios", "store", Some("com.tinyspeck.chatlyio")),
];

fn seed_demo_apps(hexnode: &odt_doubles::hexnode::HexnodeDouble) {
    use odt_doubles::hexnode::HexnodeApp;
    for (id, name, platform, kind, bundle) in DEMO_APPS {
        let mut app = HexnodeApp::new(id, name, platform, kind, bundle);
        if platform == "windows" {
            app.category = Some("Security".into());
            app.success_criteria = Some("exit code 0".into());
            app.uninstall_parameters = Some("/uninstall /quiet".into());
        }
        hexnode.add_app(app);
    }
}

/// The device name the console's browser tests expect to see as text, never as markup.
pub const HOSTILE_DEVICE_NAME: &str = "<img src=x onerror=alert(1)>";
/// The group name (an Okta group and a UEM device group) likewise.
pub const HOSTILE_GROUP_NAME: &str = "\"><script>";

/// Adds names made to break HTML to the demo data: an Okta group and a UEM device group named
/// [`HOSTILE_GROUP_NAME`], and an iOS device named [`HOSTILE_DEVICE_NAME`] owned by an active demo user (so it
/// is in scope when either group is chosen) in that device group.
pub fn seed_hostile_names(okta: &OktaDouble, hexnode: &odt_doubles::hexnode::HexnodeDouble) {
    okta.add_group("00gHOSTILE0000000001", HOSTILE_GROUP_NAME);
    okta.add_member("00gHOSTILE0000000001", "00uUSER0000000000001");
    hexnode.add_group(503, HOSTILE_GROUP_NAME);
    let mut d = odt_doubles::hexnode::HexnodeDeviceSeed::new(30_000, HOSTILE_DEVICE_NAME, "iOS", Some(1));
    d.os_version = "17.4".into();
    hexnode.add_device(d);
    hexnode.add_to_group(503, 30_000);
}
