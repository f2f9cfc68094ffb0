//! The conformance suite: every document the product can generate, checked key by key against what Apple,
//! Microsoft and Okta publish (not against our doubles). Fixtures: `tests/fixtures/apple-profiles/` (Apple's
//! schema files, MIT), `tests/fixtures/windows-csp/` (Microsoft's CSP rules as data),
//! `tests/fixtures/okta-device-trust/` (Okta's documented keys and values). Docs: docs/ARCHITECTURE.md,
//! "Conformance".

mod apple;
mod documents;
mod okta;
mod windows;

use documents::{of, Generated, CUSTOM, ORG, SECRET};
use odt_shared::attestation::payload::{ACCEPTED_KEY_SIZES, IOS_PREFERENCE_DOMAINS, OKTA_VERIFY_ANDROID_PACKAGE};
use odt_shared::platform::Platform;
use odt_shared::store::ChallengeKind;

fn report(g: &Generated, errors: &[String]) -> String {
    format!("{}\n  {}\n{}", g.label(), errors.join("\n  "), g.text)
}

fn payloads(doc: &str) -> Vec<plist::Dictionary> {
    let v = plist::Value::from_reader_xml(doc.as_bytes()).unwrap();
    v.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_dictionary().unwrap().clone())
        .collect()
}

fn payload(doc: &str, t: &str) -> Option<plist::Dictionary> {
    payloads(doc).into_iter().find(|p| p.get("PayloadType").and_then(plist::Value::as_string) == Some(t))
}

/// A change to a generated profile.
type Mutation = Box<dyn Fn(&mut plist::Dictionary)>;

// ---------- Apple ----------

#[test]
fn the_suite_covers_every_form() {
    let all = documents::all();
    // 2 orgs × (2 mobile + macOS 2 challenges × 2 CA × sizes × subjects + Windows 2 × 1 × sizes × subjects).
    let sizes = ACCEPTED_KEY_SIZES.len();
    let subjects = documents::SUBJECTS.len();
    assert_eq!(all.len(), 2 * (2 + 4 * sizes * subjects + 2 * sizes * subjects));
    let schemas = apple::Schemas::load();
    let _ = schemas; // the six schema files parse
}

#[test]
fn every_macos_profile_conforms_to_apples_schema() {
    let schemas = apple::Schemas::load();
    for g in of(Platform::Macos) {
        let errors = schemas.validate_macos_profile(&g.text);
        assert!(errors.is_empty(), "{}", report(g, &errors));
    }
}

/// The validator itself: a change Apple's schema forbids is found (so a generator change like it fails).
#[test]
fn the_apple_validator_refuses_what_the_schema_forbids() {
    let schemas = apple::Schemas::load();
    let g = of(Platform::Macos).next().unwrap();
    let mutate = |f: &dyn Fn(&mut plist::Dictionary)| {
        let mut v = plist::Value::from_reader_xml(g.text.as_bytes()).unwrap();
        f(v.as_dictionary_mut().unwrap());
        let mut buf = Vec::new();
        plist::to_writer_xml(&mut buf, &v).unwrap();
        schemas.validate_macos_profile(&String::from_utf8(buf).unwrap())
    };
    let scep = |f: &'static dyn Fn(&mut plist::Dictionary)| {
        move |top: &mut plist::Dictionary| {
            let content = top.get_mut("PayloadContent").unwrap().as_array_mut().unwrap();
            let p = content[0].as_dictionary_mut().unwrap();
            f(p.get_mut("PayloadContent").unwrap().as_dictionary_mut().unwrap());
        }
    };
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "Keysize 3072",
            Box::new(scep(&|d| {
                d.insert("Keysize".into(), 3072.into());
            })),
        ),
        (
            "unknown key",
            Box::new(scep(&|d| {
                d.insert("KeySize".into(), 2048.into());
            })),
        ),
        (
            "boolean as string",
            Box::new(scep(&|d| {
                d.insert("AllowAllAppsAccess".into(), "true".into());
            })),
        ),
        (
            "URL missing",
            Box::new(scep(&|d| {
                d.remove("URL");
            })),
        ),
        (
            "Subject pair of 3",
            Box::new(scep(&|d| {
                d.insert(
                    "Subject".into(),
                    plist::Value::Array(vec![plist::Value::Array(vec![plist::Value::Array(vec![
                        "CN".into(),
                        "a".into(),
                        "b".into(),
                    ])])]),
                );
            })),
        ),
        (
            "Subject flat",
            Box::new(scep(&|d| {
                d.insert("Subject".into(), plist::Value::Array(vec!["CN".into(), "a".into()]));
            })),
        ),
        (
            "PayloadScope Computer",
            Box::new(|t: &mut plist::Dictionary| {
                t.insert("PayloadScope".into(), "Computer".into());
            }),
        ),
        (
            "PayloadVersion 2",
            Box::new(|t: &mut plist::Dictionary| {
                t.insert("PayloadVersion".into(), 2.into());
            }),
        ),
        (
            "SSO Type Kerberos",
            Box::new(|t: &mut plist::Dictionary| {
                let content = t.get_mut("PayloadContent").unwrap().as_array_mut().unwrap();
                let last = content.last_mut().unwrap().as_dictionary_mut().unwrap();
                last.insert("Type".into(), "Kerberos".into());
            }),
        ),
        (
            "payload without PayloadUUID",
            Box::new(|t: &mut plist::Dictionary| {
                let content = t.get_mut("PayloadContent").unwrap().as_array_mut().unwrap();
                content[0].as_dictionary_mut().unwrap().remove("PayloadUUID");
            }),
        ),
    ];
    for (name, f) in cases {
        assert!(!mutate(&*f).is_empty(), "the validator missed: {name}");
    }
    assert!(mutate(&|_| {}).is_empty());
}

// ---------- Windows ----------

#[test]
fn every_windows_document_follows_the_csp_rules() {
    let csp = windows::Csp::load();
    for g in of(Platform::Windows) {
        let errors = csp.validate(&g.text);
        assert!(errors.is_empty(), "{}", report(g, &errors));
    }
}

/// The validator itself: changes the CSP rules forbid are found.
#[test]
fn the_csp_validator_refuses_what_the_rules_forbid() {
    let csp = windows::Csp::load();
    let g = of(Platform::Windows).next().unwrap();
    let bad = [
        ("<Data>128</Data>", "<Data>160</Data>", "KeyUsage 160 ok; with encipherment allowed by the CSP"),
        ("<Data>2048</Data>", "<Data>3072</Data>", "KeyLength 3072"),
        ("<Data>SHA-2</Data>", "<Data>SHA-256</Data>", "HashAlgorithm SHA-256"),
        ("<Data>2</Data>", "<Data>5</Data>", "KeyProtection 5"),
        ("<Data>3</Data>", "<Data>31</Data>", "RetryCount 31"),
        ("Install/Enroll", "Install/Enrol", "Enroll misspelt"),
        (
            "ClientCertificateInstall/SCEP/OktaDeviceTrust/Install/KeyLength",
            "ClientCertificateInstall/SCEP/OktaDeviceTrust/Install/KeySize",
            "unknown node",
        ),
        (
            "./User/Vendor/MSFT/RootCATrustedCertificates/CA/",
            "./User/Vendor/MSFT/RootCATrustedCertificates/Root/",
            "Root store under ./User",
        ),
        ("<Format xmlns=\"syncml:metinf\">b64</Format>", "<Format xmlns=\"syncml:metinf\">chr</Format>", "CA not b64"),
    ];
    for (from, to, name) in bad {
        assert!(g.text.contains(from), "{name}: {from} not in the document");
        let changed = g.text.replacen(from, to, 1);
        let errors = csp.validate(&changed);
        if name.starts_with("KeyUsage 160") {
            // 160 = 0x20 | 0x80 is valid for the CSP; Okta's rule (digital signature only) refuses it below.
            assert!(errors.is_empty(), "{errors:?}");
        } else {
            assert!(!errors.is_empty(), "the validator missed: {name}");
        }
    }
    // The Exec moved before an Add.
    let xml = g.text.clone();
    let exec_at = xml.find("<Exec>").unwrap();
    let exec_end = xml.find("</Exec>").unwrap() + "</Exec>".len();
    let exec = &xml[exec_at..exec_end];
    let first_add = xml.find("<Add>").unwrap();
    let moved = format!("{}{}{}{}", &xml[..first_add], exec, &xml[first_add..exec_at], &xml[exec_end..]);
    assert!(!csp.validate(&moved).is_empty(), "the validator missed an Exec before the Adds");
    // Two Atomics.
    let two = xml.replacen("</Atomic>", "</Atomic><Atomic><CmdID>99</CmdID></Atomic>", 1);
    assert!(!csp.validate(&two).is_empty(), "the validator missed a second Atomic");
    assert!(csp.validate(&g.text).is_empty());
}

// ---------- Okta ----------

#[test]
fn ios_app_config_has_oktas_keys_and_forms() {
    let okta = okta::load();
    let domains: Vec<&str> =
        okta["ios"]["preferenceDomains"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(IOS_PREFERENCE_DOMAINS.to_vec(), domains);
    let keys = okta::section(&okta, "ios", "keys");
    for g in of(Platform::Ios) {
        let v = plist::Value::from_reader_xml(g.text.as_bytes()).unwrap();
        let d = v.as_dictionary().unwrap();
        assert_eq!(d.len(), keys.len(), "{}", g.text);
        for (k, form) in &keys {
            let got = d.get(k).and_then(plist::Value::as_string).unwrap_or_else(|| panic!("{k} missing: {}", g.text));
            match form.as_str().unwrap() {
                "secretKey" => assert_eq!(got, SECRET),
                "bareHost" => assert!(okta::is_bare_host(got) && got == ORG, "{k} = {got}"),
                other => panic!("form {other}"),
            }
        }
    }
}

#[test]
fn android_managed_config_has_oktas_keys_and_forms() {
    let okta = okta::load();
    assert_eq!(okta["android"]["package"].as_str(), Some(OKTA_VERIFY_ANDROID_PACKAGE));
    let keys = okta::section(&okta, "android", "keys");
    for g in of(Platform::Android) {
        let v: serde_json::Value = serde_json::from_str(&g.text).unwrap();
        assert_eq!(v["productId"], format!("app:{OKTA_VERIFY_ANDROID_PACKAGE}"));
        let props = v["managedProperty"].as_array().unwrap();
        assert_eq!(props.len(), keys.len());
        for (k, form) in &keys {
            let got = props.iter().find(|p| p["key"] == *k).and_then(|p| p["valueString"].as_str()).unwrap();
            match form.as_str().unwrap() {
                "secretKey" => assert_eq!(got, SECRET),
                "bareHost" => assert!(okta::is_bare_host(got) && got == ORG, "{k} = {got}"),
                other => panic!("form {other}"),
            }
        }
    }
}

#[test]
fn macos_scep_and_sso_extension_have_oktas_values() {
    let okta = okta::load();
    let scep_keys = okta::section(&okta, "macos", "scep");
    let sso_keys = okta::section(&okta, "macos", "sso");
    let okta_size = okta["macos"]["scep"]["Keysize"].as_u64().unwrap() as u32;
    assert!(ACCEPTED_KEY_SIZES.contains(&okta_size), "the size Okta asks must be accepted");
    for g in of(Platform::Macos) {
        let scep = payload(&g.text, "com.apple.security.scep").unwrap();
        let sc = scep["PayloadContent"].as_dictionary().unwrap();
        for (k, want) in &scep_keys {
            if *k == "Keysize" {
                // The saved size, one a device accepts (Okta's 2048 is the default: see platform-config).
                assert_eq!(sc.get(k).and_then(plist::Value::as_signed_integer), Some(i64::from(g.key_size)));
                continue;
            }
            assert!(okta::plist_eq(sc.get(k), want), "{k}: {:?}, Okta asks {want:?}\n{}", sc.get(k), g.label());
        }
        if g.challenge == ChallengeKind::Static {
            assert_eq!(sc.get("Challenge").and_then(plist::Value::as_string), Some(SECRET));
        }
        let sso = payload(&g.text, "com.apple.extensiblesso").unwrap();
        for (k, want) in &sso_keys {
            if *k == "Hosts" {
                let hosts: Vec<&str> = sso[*k].as_array().unwrap().iter().map(|h| h.as_string().unwrap()).collect();
                let mut expected = vec![ORG];
                expected.extend(g.custom_domain);
                assert_eq!(hosts, expected, "{}", g.label());
                assert!(hosts.iter().all(|h| okta::is_bare_host(h)));
                continue;
            }
            assert!(okta::plist_eq(sso.get(k), want), "{k}: {:?}, Okta asks {want:?}", sso.get(k));
        }
        // The CA certificate, when saved, is installed as a certificate payload.
        let ca = payload(&g.text, "com.apple.security.pkcs1");
        assert_eq!(
            ca.as_ref().and_then(|c| c["PayloadContent"].as_data().map(<[u8]>::to_vec)),
            g.ca_der,
            "{}",
            g.label()
        );
    }
}

#[test]
fn windows_scep_has_oktas_values_and_installs_the_ca() {
    let okta = okta::load();
    let scope = okta["windows"]["scope"].as_str().unwrap();
    let install = okta::section(&okta, "windows", "install");
    for g in of(Platform::Windows) {
        let cmds = windows::commands(&g.text).unwrap();
        assert!(cmds.iter().all(|c| c.loc.starts_with(&format!("{scope}/"))), "{}", g.text);
        let data = |node: &str| {
            cmds.iter()
                .find(|c| c.loc.ends_with(&format!("/Install/{node}")))
                .and_then(|c| c.data.clone())
                .unwrap_or_else(|| panic!("{node} missing"))
        };
        for (k, want) in &install {
            if *k == "KeyLength" {
                assert_eq!(data(k), g.key_size.to_string());
                continue;
            }
            assert_eq!(data(k), want.as_str().unwrap(), "{k}\n{}", g.label());
        }
        let sha1 = g.ca_sha1.clone().expect("Windows is always saved with the CA certificate");
        assert_eq!(data("CAThumbprint"), sha1);
        let ca = cmds.iter().find(|c| c.loc.contains("/RootCATrustedCertificates/")).expect("the CA is installed");
        assert_eq!(ca.loc, format!("{scope}/Vendor/MSFT/RootCATrustedCertificates/CA/{sha1}/EncodedCertificate"));
        use base64::Engine as _;
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(ca.data.as_deref().unwrap()).ok(), g.ca_der);
        if g.challenge == ChallengeKind::Static {
            assert_eq!(data("Challenge"), SECRET);
        }
    }
}

#[test]
fn c22_documents_name_the_custom_domain_only_where_okta_asks() {
    // macOS: both hosts; the app configurations name the org host only (Okta's keys take one domain).
    assert!(of(Platform::Macos).any(|g| g.custom_domain == Some(CUSTOM) && g.text.contains(CUSTOM)));
    for p in [Platform::Ios, Platform::Android, Platform::Windows] {
        assert!(of(p).all(|g| !g.text.contains(CUSTOM)), "{p}");
    }
}
