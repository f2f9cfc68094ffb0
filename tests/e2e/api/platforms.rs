//! Management attestation per platform: round trips, validation (C01 and the rest), the switch, re-configure
//! (C03's platform side), payload documents read back with real parsers (C19), roles, tenants, secrets.

use odt_shared::platform::Platform;
use odt_tests::{captured_logs, system_ca_pem, TestStack};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

fn rcgen_ca(expired: bool) -> String {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "Test Okta Intermediate CA");
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

fn rcgen_leaf() -> String {
    let params = rcgen::CertificateParams::new(vec!["device.example".to_string()]).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().pem()
}

fn desktop(domain: &str, challenge: &str, ca: Option<&str>) -> Value {
    let mut b = json!({
        "scepUrl": format!("https://{domain}/pki/ca/scep"),
        "challenge": {"type": "static", "secretKey": challenge},
        "subject": "CN={{user.email}} managementAttestation {{device.id}},O=Acme\\, Inc.",
        "keySize": 2048,
    });
    if let Some(ca) = ca {
        b["caCertificate"] = json!(ca);
    }
    b
}

async fn preview(t: &TestStack, p: &str) -> Value {
    let a = t.call("GET", &format!("/platforms/{p}/payload"), Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

#[tokio::test]
async fn round_trip_all_four_platforms_with_documents_read_back_by_real_parsers() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap().to_string();
    let admin = t.admin();
    let ca = system_ca_pem();
    let ios_key = "iosSecretKey-7f3a9c";
    let android_key = "androidSecretKey-2b8d";
    let mac_challenge = "MacChallenge-0042";
    let win_challenge = "WinChallenge-0099";
    for (p, body) in [
        ("ios", json!({"secretKey": ios_key, "enrollmentLink": "https://acme.example/enroll"})),
        ("android", json!({"secretKey": android_key})),
        ("macos", desktop(&domain, mac_challenge, Some(&ca))),
        ("windows", desktop(&domain, win_challenge, Some(&ca))),
    ] {
        let a = t.call("PUT", &format!("/platforms/{p}"), Some(&admin), Some(body)).await;
        assert_eq!(a.status, 200, "{p}: {}", a.text);
        assert_eq!(a.body["state"], "configured");
        assert_eq!(a.body["missing"], json!([]));
        assert_eq!(a.body["payloadHash"].as_str().unwrap().len(), 64);
        let e = t.call("PUT", &format!("/platforms/{p}/enabled"), Some(&admin), Some(json!({"enabled": true}))).await;
        assert_eq!(e.status, 200, "{p}: {}", e.text);
        assert_eq!(e.body["state"], "enabled");
    }
    let list = t.call("GET", "/platforms", Some(&t.technician()), None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 4);
    let win = t.call("GET", "/platforms/windows", Some(&admin), None).await.body;
    assert_eq!(win["settings"]["caCertificate"]["sha1Thumbprint"].as_str().unwrap().len(), 40);
    assert_eq!(win["secrets"]["secretKey"]["set"], true);

    // iOS: managed app config for Okta Verify.
    let ios = preview(&t, "ios").await;
    let v = plist::Value::from_reader_xml(ios["document"].as_str().unwrap().as_bytes()).unwrap();
    let d = v.as_dictionary().unwrap();
    assert_eq!(d.get("managementHint").and_then(|x| x.as_string()), Some("********"));
    // A bare host, as Okta's example (okta/MDM.md section 1).
    assert_eq!(d.get("OktaVerify.OrgUrl").and_then(|x| x.as_string()), Some(domain.as_str()));
    // Android: managed configuration.
    let android = preview(&t, "android").await;
    let cfg: Value = serde_json::from_str(android["document"].as_str().unwrap()).unwrap();
    let props = cfg["managedProperty"].as_array().unwrap();
    assert!(props.iter().any(|p| p["key"] == "managementHint" && p["valueString"] == "********"));
    assert!(props.iter().any(|p| p["key"] == "domainName" && p["valueString"] == domain.as_str()));
    // macOS: user-scoped profile with SCEP and the Okta Verify SSO extension.
    let mac = preview(&t, "macos").await;
    let v = plist::Value::from_reader_xml(mac["document"].as_str().unwrap().as_bytes()).unwrap();
    let d = v.as_dictionary().unwrap();
    assert_eq!(d.get("PayloadScope").and_then(|x| x.as_string()), Some("User"));
    let content = d.get("PayloadContent").and_then(|x| x.as_array()).unwrap();
    let of_type = |t: &str| {
        content
            .iter()
            .find(|p| p.as_dictionary().unwrap().get("PayloadType").and_then(|x| x.as_string()) == Some(t))
            .unwrap()
    };
    let sso = of_type("com.apple.extensiblesso").as_dictionary().unwrap();
    assert_eq!(
        sso.get("ExtensionIdentifier").and_then(|x| x.as_string()),
        Some("com.okta.mobile.auth-service-extension")
    );
    assert_eq!(sso.get("TeamIdentifier").and_then(|x| x.as_string()), Some("B7F62B65BN"));
    assert_eq!(sso.get("Type").and_then(|x| x.as_string()), Some("Credential"));
    assert_eq!(sso.get("Realm").and_then(|x| x.as_string()), Some("Okta Device"));
    let hosts: Vec<&str> =
        sso.get("Hosts").and_then(|x| x.as_array()).unwrap().iter().filter_map(|h| h.as_string()).collect();
    assert_eq!(hosts, vec![domain.as_str()]);
    let scep = of_type("com.apple.security.scep").as_dictionary().unwrap();
    let scep = scep.get("PayloadContent").and_then(|x| x.as_dictionary()).unwrap();
    assert_eq!(scep.get("Challenge").and_then(|x| x.as_string()), Some("********"));
    assert_eq!(scep.get("URL").and_then(|x| x.as_string()), Some(format!("https://{domain}/pki/ca/scep").as_str()));
    // Windows: user-scoped ClientCertificateInstall SCEP with the CA thumbprint (case C19).
    let w = preview(&t, "windows").await;
    let xml = w["document"].as_str().unwrap().to_string();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let uris: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("LocURI")).filter_map(|n| n.text()).collect();
    assert!(!uris.is_empty());
    assert!(uris.iter().all(|u| u.starts_with("./User/")), "{uris:?}");
    assert!(!xml.contains("./Device/"));
    assert!(xml.contains(win["settings"]["caCertificate"]["sha1Thumbprint"].as_str().unwrap()));

    // No secret value anywhere the API answers or logs.
    let mut seen = String::new();
    for p in ["ios", "android", "macos", "windows"] {
        seen.push_str(&t.call("GET", &format!("/platforms/{p}"), Some(&admin), None).await.text);
        seen.push_str(&preview(&t, p).await.to_string());
    }
    let logs = captured_logs();
    for secret in [ios_key, android_key, mac_challenge, win_challenge] {
        assert!(!seen.contains(secret), "{secret} in a response");
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
    assert_eq!(t.secret_names().await.len(), 1 + 4, "the org's and one per platform");
}

#[tokio::test]
async fn c01_windows_static_scep_challenge_is_checked_at_save() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap();
    let ca = rcgen_ca(false);
    let a = t.call("PUT", "/platforms/windows", Some(&t.admin()), Some(desktop(domain, "Ab_12!xy", Some(&ca)))).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["field"], "challenge.secretKey");
    let msg = a.body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("`_`") && msg.contains("`!`"), "{msg}");
    assert_eq!(t.call("GET", "/platforms/windows", Some(&t.admin()), None).await.body["state"], "not_configured");
    assert_eq!(t.secret_names().await.len(), 1, "only the org's secret");
    let a = t.call("PUT", "/platforms/windows", Some(&t.admin()), Some(desktop(domain, "Ab12-xy.Q", Some(&ca)))).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn every_validation_rule_names_its_field_and_stores_nothing() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap().to_string();
    let admin = t.admin();
    let ca = rcgen_ca(false);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = desktop(&domain, "Good-Challenge", Some(&ca));
        f(&mut b);
        b
    };
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("windows", with(&|b| b["scepUrl"] = json!(format!("http://{domain}/scep"))), "scepUrl", "https"),
        ("windows", with(&|b| b["scepUrl"] = json!("https://evil.example.com/scep")), "scepUrl", "domain"),
        ("windows", with(&|b| b["caCertificate"] = json!(rcgen_leaf())), "caCertificate", "leaf"),
        ("windows", with(&|b| b["caCertificate"] = json!(rcgen_ca(true))), "caCertificate", "expired"),
        ("windows", with(&|b| b["caCertificate"] = json!("not a certificate")), "caCertificate", ""),
        (
            "windows",
            with(&|b| b.as_object_mut().unwrap().remove("caCertificate").map(|_| ()).unwrap()),
            "caCertificate",
            "Windows",
        ),
        ("windows", with(&|b| b["subject"] = json!("CN")), "subject", ""),
        ("windows", with(&|b| b["subject"] = json!("CN={{user.phone}}")), "subject", "user.phone"),
        ("macos", with(&|b| b["subject"] = json!("O=Acme")), "subject", "CN"),
        ("macos", with(&|b| b["keySize"] = json!(1024)), "keySize", "2048"),
        ("windows", with(&|b| b["keySize"] = json!(3072)), "keySize", "4096"),
        ("macos", with(&|b| b["keySize"] = json!("big")), "keySize", ""),
        ("macos", with(&|b| b["extra"] = json!(true)), "extra", ""),
        (
            "macos",
            with(&|b| {
                b["challenge"] = json!({"type": "dynamic", "challengeUrl": "ftp://x", "username": "u", "password": "p"})
            }),
            "challenge.challengeUrl",
            "https",
        ),
        ("macos", with(&|b| b["challenge"] = json!({"type": "sometimes"})), "challenge.type", ""),
        (
            "macos",
            with(
                &|b| b["challenge"] = json!({"type": "dynamic", "challengeUrl": "https://169.254.169.254/latest", "username": "u", "password": "p"}),
            ),
            "challenge.challengeUrl",
            "IP",
        ),
        (
            "macos",
            with(&|b| {
                b["challenge"] =
                    json!({"type": "dynamic", "challengeUrl": "https://localhost/c", "username": "u", "password": "p"})
            }),
            "challenge.challengeUrl",
            "",
        ),
        (
            "macos",
            with(
                &|b| b["challenge"] = json!({"type": "dynamic", "challengeUrl": "https://scep.acme.com:9999/c", "username": "u", "password": "p"}),
            ),
            "challenge.challengeUrl",
            "port",
        ),
        ("windows", json!({"secretKey": "x"}), "secretKey", ""),
        ("ios", json!({"secretKey": "has space"}), "secretKey", ""),
        ("ios", json!({"secretKey": "k", "enrollmentLink": "http://acme.example/enroll"}), "enrollmentLink", "https"),
        ("ios", json!({"enrollmentLink": "https://acme.example/enroll"}), "secretKey", "required"),
        ("android", json!({"secretKey": 5}), "secretKey", ""),
    ];
    for (p, body, field, words) in cases {
        let a = t.call("PUT", &format!("/platforms/{p}"), Some(&admin), Some(body.clone())).await;
        assert_eq!(a.status, 400, "{p} {body}: {}", a.text);
        assert_eq!(a.body["error"]["field"], field, "{p} {body}: {}", a.text);
        assert!(a.body["error"]["message"].as_str().unwrap().contains(words), "{}", a.text);
    }
    let a = t.call("PUT", "/platforms/blackberry", Some(&admin), Some(json!({}))).await;
    assert_eq!(a.status, 404);
    let a = t.call("GET", "/platforms/..%2Fios", Some(&admin), None).await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("platform")), "{}", a.text);
    let list = t.call("GET", "/platforms", Some(&admin), None).await;
    assert!(list.body["items"].as_array().unwrap().iter().all(|p| p["state"] == "not_configured"), "{}", list.text);
    assert_eq!(t.secret_names().await.len(), 1, "no platform secret was written");
}

#[tokio::test]
async fn switch_needs_complete_settings_and_switching_off_marks_removal() {
    let t = TestStack::start().await;
    let admin = t.admin();
    let a = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "k1"}))).await;
    assert_eq!(a.status, 409, "device trust first: {}", a.text);
    assert_eq!(a.body["error"]["code"], "device_trust_not_configured");
    t.ready_device_trust().await;
    let a = t.call("PUT", "/platforms/android/enabled", Some(&admin), Some(json!({"enabled": true}))).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"]["code"], "incomplete_settings");
    assert_eq!(a.body["error"]["missing"], json!(["secretKey"]));
    t.call("PUT", "/platforms/android", Some(&admin), Some(json!({"secretKey": "k1"}))).await;
    let on =
        t.call("PUT", "/platforms/android/enabled", Some(&admin), Some(json!({"enabled": true, "version": 1}))).await;
    assert_eq!(on.status, 200, "{}", on.text);
    let off = t.call("PUT", "/platforms/android/enabled", Some(&admin), Some(json!({"enabled": false}))).await;
    assert_eq!(off.body["state"], "configured");
    assert!(off.body["removalRequestedAt"].is_string(), "{}", off.text);
    assert_eq!(off.body["secrets"]["secretKey"]["set"], true, "settings are kept");
    let stale =
        t.call("PUT", "/platforms/android/enabled", Some(&admin), Some(json!({"enabled": true, "version": 1}))).await;
    assert_eq!(stale.status, 409);
    assert_eq!(stale.body["error"]["currentVersion"], 3);
    let on = t.call("PUT", "/platforms/android/enabled", Some(&admin), Some(json!({"enabled": true}))).await;
    assert_eq!(on.body["state"], "enabled");
    assert!(on.body.get("removalRequestedAt").is_none());
}

#[tokio::test]
async fn c03_secret_key_reset_changes_only_that_platforms_payload_and_keeps_the_previous() {
    let t = TestStack::start().await;
    t.ready_device_trust().await;
    let admin = t.admin();
    let ios1 = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "K1-old-Secret"}))).await.body;
    let android1 =
        t.call("PUT", "/platforms/android", Some(&admin), Some(json!({"secretKey": "A1-Secret"}))).await.body;
    assert!(ios1.get("previousPayloadHash").is_none());
    // Saving again without a new key changes nothing that devices carry.
    let same = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"version": 1}))).await.body;
    assert_eq!(same["payloadHash"], ios1["payloadHash"]);
    assert!(same.get("previousPayloadHash").is_none());
    // The reset.
    let ios2 = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "K2-new-Secret"}))).await.body;
    assert_ne!(ios2["payloadHash"], ios1["payloadHash"]);
    assert_eq!(ios2["previousPayloadHash"], ios1["payloadHash"], "kept so status can tell devices with the old key");
    assert!(ios2["reconfiguredAt"].is_string());
    let android2 = t.call("GET", "/platforms/android", Some(&admin), None).await.body;
    assert_eq!(android2["payloadHash"], android1["payloadHash"], "Android untouched");
    let name = t.secret_names().await.into_iter().find(|n| n.ends_with("/platform/ios/secretKey")).unwrap();
    assert_eq!(t.stored_secret(&name).await.as_deref(), Some("K2-new-Secret"));
}

#[tokio::test]
async fn roles_tenants_and_concurrent_saves() {
    let t = TestStack::start().await;
    t.ready_device_trust().await;
    let tech = t.technician();
    let a = t.call("PUT", "/platforms/ios", Some(&tech), Some(json!({"secretKey": "k"}))).await;
    assert_eq!(a.status, 403);
    let a = t.call("PUT", "/platforms/ios/enabled", Some(&tech), Some(json!({"enabled": true}))).await;
    assert_eq!(a.status, 403);
    let admin = t.admin();
    let (x, y) = tokio::join!(
        t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "k-a", "version": 0}))),
        t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "k-b", "version": 0}))),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "x: {} y: {}", x.text, y.text);
    let winner = if x.status == 200 { "k-a" } else { "k-b" };
    let name = t.secret_names().await.into_iter().find(|n| n.ends_with("/platform/ios/secretKey")).unwrap();
    assert_eq!(t.stored_secret(&name).await.as_deref(), Some(winner), "the current secret is the winner's");
    let other = t.stack.token("someone-else", "admin");
    assert_eq!(t.call("GET", "/platforms/ios", Some(&other), None).await.body["state"], "not_configured");
    assert_eq!(t.call("GET", "/platforms/ios/payload", Some(&other), None).await.status, 404);
}

/// The macOS preview's payload of type `t`.
fn mac_payload(preview: &Value, t: &str) -> plist::Dictionary {
    let v = plist::Value::from_reader_xml(preview["document"].as_str().unwrap().as_bytes()).unwrap();
    v.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_dictionary().unwrap().clone())
        .find(|p| p.get("PayloadType").and_then(|x| x.as_string()) == Some(t))
        .unwrap()
}

#[tokio::test]
async fn c21_key_size_3072_is_refused_and_the_macos_key_is_okta_verifys() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap();
    let admin = t.admin();
    let ca = rcgen_ca(false);
    for p in ["macos", "windows"] {
        let mut body = desktop(domain, "Good-Challenge", Some(&ca));
        body["keySize"] = json!(3072);
        let a = t.call("PUT", &format!("/platforms/{p}"), Some(&admin), Some(body)).await;
        assert_eq!(a.status, 400, "{p}: {}", a.text);
        assert_eq!(a.body["error"]["field"], "keySize");
        assert_eq!(a.body["error"]["accepted"], json!([2048, 4096]));
        let msg = a.body["error"]["message"].as_str().unwrap();
        assert!(msg.contains("2048") && msg.contains("4096"), "{msg}");
        assert_eq!(t.call("GET", &format!("/platforms/{p}"), Some(&admin), None).await.body["state"], "not_configured");
    }
    assert_eq!(t.secret_names().await.len(), 1, "only the org's secret");
    let a = t.call("PUT", "/platforms/macos", Some(&admin), Some(desktop(domain, "Good-Challenge", Some(&ca)))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let scep = mac_payload(&preview(&t, "macos").await, "com.apple.security.scep");
    let sc = scep["PayloadContent"].as_dictionary().unwrap();
    assert_eq!(sc.get("AllowAllAppsAccess").and_then(|x| x.as_boolean()), Some(true));
    assert_eq!(sc.get("KeyIsExtractable").and_then(|x| x.as_boolean()), Some(false));
    assert_eq!(sc.get("Key Usage").and_then(|x| x.as_signed_integer()), Some(1));
    assert_eq!(sc.get("Keysize").and_then(|x| x.as_signed_integer()), Some(2048));
}

#[tokio::test]
async fn c22_custom_url_domain_reaches_the_macos_sso_hosts_and_redelivers() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap().to_string();
    let org_id = org["id"].as_str().unwrap();
    let admin = t.admin();
    let ca = rcgen_ca(false);
    let a = t.call("PUT", "/platforms/macos", Some(&admin), Some(desktop(&domain, "Good-Challenge", Some(&ca)))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let before = a.body["payloadHash"].as_str().unwrap().to_string();

    // The scheme form is refused naming the field, and nothing changes.
    let path = format!("/okta-orgs/{org_id}/custom-domain");
    let a = t.call("PUT", &path, Some(&admin), Some(json!({"customDomain": "https://login.acme.example"}))).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["field"], "customDomain");
    assert_eq!(
        t.call("GET", &format!("/okta-orgs/{org_id}"), Some(&admin), None).await.body["customDomain"],
        Value::Null
    );

    let a = t.call("PUT", &path, Some(&admin), Some(json!({"customDomain": "login.acme.example"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["customDomain"], "login.acme.example");
    let sso = mac_payload(&preview(&t, "macos").await, "com.apple.extensiblesso");
    let hosts: Vec<&str> = sso["Hosts"].as_array().unwrap().iter().filter_map(|h| h.as_string()).collect();
    assert_eq!(hosts, vec![domain.as_str(), "login.acme.example"]);
    // What macOS devices get changed, so its payload hash did: deployment re-delivers.
    let mac = t.call("GET", "/platforms/macos", Some(&admin), None).await.body;
    assert_ne!(mac["payloadHash"].as_str().unwrap(), before);
    assert_eq!(mac["payloadHash"], preview(&t, "macos").await["payloadHash"]);

    // A SCEP URL on either host is accepted.
    for host in [domain.as_str(), "login.acme.example"] {
        let mut body = desktop(host, "Good-Challenge", None);
        body["version"] = t.call("GET", "/platforms/macos", Some(&admin), None).await.body["version"].clone();
        let a = t.call("PUT", "/platforms/macos", Some(&admin), Some(body)).await;
        assert_eq!(a.status, 200, "{host}: {}", a.text);
    }
    // POST /okta-orgs refuses the scheme form too.
    let (id, secret) = t.oin_client(&["okta.groups.read"]);
    let body = json!({"domain": "other.okta.com", "customDomain": "https://login.other.example",
        "credentials": {"method": "client_secret_basic", "clientId": id, "clientSecret": secret}});
    let a = t.call("POST", "/okta-orgs", Some(&admin), Some(body)).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.body["error"]["field"], "customDomain");
}

#[tokio::test]
async fn c23_windows_enrolls_without_a_tpm_and_installs_the_pasted_okta_ca() {
    use base64::Engine as _;
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap();
    let admin = t.admin();
    let ca = rcgen_ca(false);
    let a = t.call("PUT", "/platforms/windows", Some(&admin), Some(desktop(domain, "Good-Challenge", Some(&ca)))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let sha1 = a.body["settings"]["caCertificate"]["sha1Thumbprint"].as_str().unwrap().to_string();
    let parsed = odt_shared::attestation::cert::parse_ca_certificate(&ca, time::OffsetDateTime::now_utc()).unwrap();
    assert_eq!(sha1, parsed.sha1_thumbprint);
    let der = pem_der(&ca);
    assert_eq!(der, parsed.der().unwrap());
    let xml = preview(&t, "windows").await["document"].as_str().unwrap().to_string();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let item = |suffix: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name("Item"))
            .find(|i| {
                i.descendants().any(|n| n.has_tag_name("LocURI") && n.text().is_some_and(|t| t.ends_with(suffix)))
            })
            .unwrap_or_else(|| panic!("{suffix} missing"))
    };
    let text = |i: roxmltree::Node, tag: &str| {
        i.descendants().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).map(String::from)
    };
    assert_eq!(text(item("/Install/KeyProtection"), "Data").as_deref(), Some("2"));
    assert_eq!(text(item("/Install/CAThumbprint"), "Data").as_deref(), Some(sha1.as_str()));
    let ca_item = item(&format!("/RootCATrustedCertificates/CA/{sha1}/EncodedCertificate"));
    assert!(text(ca_item, "LocURI").unwrap().starts_with("./User/"));
    assert_eq!(text(ca_item, "Format").as_deref(), Some("b64"));
    let b64 = text(ca_item, "Data").unwrap();
    assert!(!b64.contains('\n'));
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(b64).unwrap(), der);
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

/// Every version secret `name` has in Secrets Manager, labelled or not.
async fn versions(name: &str) -> usize {
    let sm = aws_sdk_secretsmanager::Client::new(&odt_shared::aws::load_config().await);
    let out = sm.list_secret_version_ids().secret_id(name).include_deprecated(true).send().await;
    out.expect("ListSecretVersionIds").versions().len()
}

/// A macOS body with a dynamic challenge whose username and password (two secrets) are `i`'s own.
fn dynamic_mac(domain: &str, ca: &str, i: usize) -> Value {
    let mut b = desktop(domain, "unused", Some(ca));
    b["challenge"] = json!({"type": "dynamic", "challengeUrl": "https://scep.acme.com/challenge",
        "username": format!("user-{i}"), "password": format!("pass-{i}")});
    b
}

/// Fails if racing saves of one platform could leave Secrets Manager's current label on another save's value than
/// the stored record names, or if a save that lost its race wrote a secret version (before: every save wrote its
/// versions ahead of its conditional record write, and 20 racing saves made 81 versions). The bound: a secret gets
/// one version per save that won, none for one that lost.
#[tokio::test]
async fn racing_saves_leave_the_current_secrets_on_the_stored_record_and_losers_write_no_version() {
    let t = TestStack::start().await;
    let org = t.ready_device_trust().await;
    let domain = org["domain"].as_str().unwrap();
    let (admin, ca) = (t.admin(), rcgen_ca(false));
    let a = t.call("PUT", "/platforms/macos", Some(&admin), Some(dynamic_mac(domain, &ca, 100))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let racing = (0..20).map(|i| t.call("PUT", "/platforms/macos", Some(&admin), Some(dynamic_mac(domain, &ca, i))));
    let answers = futures::future::join_all(racing).await;
    let won = answers.iter().filter(|a| a.status == 200).count();
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(a.status, 409, "a loser is told to re-read: {}", a.text);
    }
    assert!(won >= 1, "one save wins");
    let rec = t.stack.deps.store.get_platform(&t.tenant, Platform::Macos).await.unwrap().unwrap();
    assert_eq!(rec.secrets.len(), 2, "{:?}", rec.secrets.keys());
    for (part, r) in &rec.secrets {
        let named = t.stack.deps.secrets.get(r).await.unwrap();
        let current = t.stored_secret(&r.name).await;
        assert_eq!(current.as_deref(), Some(named.expose_secret()), "{part}: the current value is the record's");
        assert_eq!(versions(&r.name).await, 1 + won, "{part}: the first save's and one per save of the {won} that won");
    }
}

/// Fails if a platform's secrets could be saved more than 24 times a UTC day (each such save writes a version of
/// each secret it sets), or if the refusal wrote one.
#[tokio::test]
async fn a_platforms_secrets_are_saved_at_most_24_times_a_utc_day() {
    let clock = odt_shared::clock::ManualClock::new(time::OffsetDateTime::now_utc());
    let c = clock.clone();
    let t = TestStack::start_with(|cfg| cfg.clock = std::sync::Arc::new(c)).await;
    t.ready_device_trust().await;
    let admin = t.admin();
    for i in 0..24 {
        let a = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": format!("key-{i}")}))).await;
        assert_eq!(a.status, 200, "save {i}: {}", a.text);
    }
    let a = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"secretKey": "key-24"}))).await;
    assert_eq!((a.status, a.body["error"]["code"].clone()), (429, json!("secret_saves_spent")), "{}", a.text);
    let next_midnight =
        (odt_shared::clock::Clock::now(&clock).date() + time::Duration::days(1)).midnight().assume_utc();
    assert_eq!(a.body["error"]["retryAt"], odt_shared::clock::rfc3339(next_midnight));
    let name = t.secret_names().await.into_iter().find(|n| n.ends_with("/platform/ios/secretKey")).unwrap();
    assert_eq!((versions(&name).await, t.stored_secret(&name).await.as_deref()), (24, Some("key-23")));
    let a = t.call("PUT", "/platforms/ios", Some(&admin), Some(json!({"enrollmentLink": null}))).await;
    assert_eq!(a.status, 200, "a save that writes no secret is not held back: {}", a.text);
}
