//! A portal that refuses an undocumented call (`odt_shared::uem::hexnode::undocumented::CALLS`) with 404, 405 or
//! 400 naming an unknown field: each refusal, driven through the double's `unsupported` knob, is
//! `UemError::Unsupported` naming the call and its manual step, sent once (no retry), and changes nothing; a 404
//! for an item that really is gone stays `NotFound`.

use super::{client, ios_policy, manual_clock, serve, KEY, PORTAL};
use odt_doubles::hexnode::{HexnodeApp, HexnodeDouble};
use odt_shared::platform::Platform;
use odt_shared::uem::hexnode::undocumented::{self, UndocumentedCall};
use odt_shared::uem::{NewEnterpriseApp, Uem, UemError};

fn portal() -> HexnodeDouble {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_app(HexnodeApp::new(12, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    double.add_group(5, "Okta Device Trust - iOS");
    double
}

fn assert_unsupported<T: std::fmt::Debug>(r: Result<T, UemError>, call: &UndocumentedCall, status: u16) {
    match r {
        Err(UemError::Unsupported { call: c, status: s, manual_step }) => {
            assert_eq!((c.as_str(), s), (call.name, status));
            assert_eq!(manual_step, call.manual_step);
        }
        other => panic!("expected {} refused with {status}: {other:?}", call.name),
    }
}

fn installer() -> NewEnterpriseApp {
    NewEnterpriseApp {
        platform: Platform::Windows,
        name: "Okta Verify".into(),
        category: "Security".into(),
        description: "OV".into(),
        installer_url: "https://acme.okta.com/ov.exe".into(),
        success_criteria: None,
        uninstall_parameters: None,
    }
}

#[tokio::test]
async fn hexnode_each_refused_undocumented_call_is_unsupported_with_its_manual_step() {
    for status in [404u16, 405, 400] {
        let double = portal();
        let served = serve(&double).await;
        let c = client(&served, &manual_clock());
        let set = |call: &UndocumentedCall| {
            double.lock().unsupported.insert(call.name.to_string(), status);
        };
        for call in undocumented::CALLS {
            set(&call);
        }

        // The policy payload: the documented create succeeds, the payload is refused.
        let r = c.create_policy(&ios_policy("Okta Device Trust - iOS", "12", &["5"])).await;
        assert_unsupported(r, &undocumented::POLICY_PAYLOAD, status);
        let p = double.policy_named("Okta Device Trust - iOS").expect("the documented part exists");
        assert_eq!((p.app_ids.clone(), p.device_group_ids.clone(), p.payload_kind.as_str()), (vec![12], vec![5], ""));
        let r = c.update_policy(&p.id.to_string(), &ios_policy("Okta Device Trust - iOS", "12", &["5"])).await;
        assert_unsupported(r, &undocumented::POLICY_PAYLOAD, status);
        assert_eq!(double.policy_named("Okta Device Trust - iOS").unwrap().revision, 0, "nothing changed");

        assert_unsupported(
            c.policy_device_status(&p.id.to_string()).await,
            &undocumented::POLICY_DEVICE_STATUS,
            status,
        );
        assert_unsupported(c.create_enterprise_app(&installer()).await, &undocumented::ENTERPRISE_APP_UPLOAD, status);
        assert_eq!(double.apps().len(), 1, "no app added");
        assert_unsupported(c.delete_device_group("5").await, &undocumented::DELETE_DEVICE_GROUP, status);
        assert!(double.group_named("Okta Device Trust - iOS").is_some(), "the group is still there");

        // One request per refusal (plus the documented existence check after a 404): never retried.
        let per_404 = if status == 404 { 4 } else { 0 };
        assert_eq!(c.request_count(), 6 + per_404, "status {status}");

        // A 404 for an item that is really gone stays NotFound, even on a portal without the call.
        if status == 404 {
            assert_eq!(c.delete_device_group("77").await, Err(UemError::NotFound("device group 77".into())));
            assert_eq!(c.policy_device_status("77").await, Err(UemError::NotFound("policy 77".into())));
        }
    }
}

#[tokio::test]
async fn hexnode_a_portal_that_serves_the_undocumented_calls_is_not_unsupported() {
    let double = portal();
    let served = serve(&double).await;
    let c = client(&served, &manual_clock());
    let id = c.create_policy(&ios_policy("Okta Device Trust - iOS", "12", &["5"])).await.unwrap();
    assert_eq!(double.policy_named("Okta Device Trust - iOS").unwrap().payload_kind, "app_configuration");
    assert!(c.policy_device_status(&id).await.is_ok());
    assert!(c.create_enterprise_app(&installer()).await.is_ok());
    // A 400 that names no unknown field is the portal's validation, not a missing call.
    let r = c.update_policy(&id, &ios_policy("Okta Device Trust - iOS", "99", &["5"])).await;
    assert!(matches!(r, Err(UemError::Api { status: 400, .. })), "{r:?}");
    c.delete_device_group("5").await.unwrap();
}
