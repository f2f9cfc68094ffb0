//! The body of an Okta event hook delivery, as `POST /hooks/okta/{tenant}` reads it: any bytes either parse into
//! events sorted by `published` with safe uuids, or give an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(events) = fleet_sync::hooks::parse_delivery(body) {
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "events out of order");
        for (_, e) in &events {
            assert!(odt_shared::ids::is_safe_id(&e.uuid), "unsafe uuid {:?}", e.uuid);
            for kind in ["User", "UserGroup", "Device"] {
                if let Some(id) = fleet_sync::hooks::target(e, kind) {
                    assert!(odt_shared::ids::is_safe_id(id));
                }
            }
        }
    }
});
