//! Device configuration status (status-export) end to end, after a deployment on the local services: status from
//! evidence (Okta's managementStatus, the UEM's policy state), summary counts equal to the records, filters and
//! pages, CSV (C14, C15, C16) and PDF exports fetched through their presigned links, the old payload after a
//! re-configure (C03), and mail only to the tenant's technicians.

use odt_doubles::hexnode::{HexnodeApp, HexnodeDeviceSeed};
use odt_tests::TestStack;
use serde_json::{json, Value};

const GROUP: &str = "00gSTATUSFLEET000001";
/// A device name from the UEM that looks like markup: every view shows it as these characters.
const IMG: &str = "<img src=x onerror=alert(1)>";

/// Device trust, the UEM, four platforms with their Okta Verify methods, and 8 in-scope devices with awkward
/// names plus 2 out of scope; deployed through the stream. Returns the in-scope device ids.
async fn deployed(t: &TestStack) -> Vec<u64> {
    t.ready_fleet().await;
    let h = &t.stack.hexnode;
    h.add_app(HexnodeApp::new(801, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    h.add_app(HexnodeApp::new(802, "Okta Verify", "macos", "vpp", Some("com.okta.mobile.auth-service")));
    h.add_app(HexnodeApp::new(803, "Okta Verify", "windows", "enterprise", None));
    h.add_app(HexnodeApp::new(804, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")));
    for (p, body) in [
        ("ios", json!({"method": "vpp", "appId": "801", "locationToken": "VPP", "licenses": 50})),
        ("macos", json!({"method": "vpp", "appId": "802", "locationToken": "VPP", "licenses": 50})),
        ("windows", json!({"method": "exe", "appId": "803"})),
        ("android", json!({"method": "managed_play"})),
    ] {
        let a = t.call("PUT", &format!("/okta-verify/{p}"), Some(&t.admin()), Some(body)).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    t.stack.okta.add_group(GROUP, "Device Trust");
    let names = [
        ("iOS", "=HYPERLINK(\"http://x\",\"y\")"),
        ("iOS", "Ærø-iPad"),
        ("macOS", "Sales, EMEA \"Loaner\"\nMacBook"),
        ("macOS", "\t=1+1 label"),
        ("Windows", "Büro-PC"),
        ("Windows", "Surface 7"),
        ("Android", "José's Pixel"),
        ("Android", IMG),
    ];
    let mut ids = Vec::new();
    for (n, (os, name)) in names.iter().enumerate() {
        let n = n as u64;
        let email = if n == 1 { "jose.muller@acme.com".to_string() } else { format!("owner{n}@acme.com") };
        let okta_id = format!("00uSTATUS{n:011}");
        t.stack.okta.add_user(&okta_id, &email, &email, "ACTIVE");
        t.stack.okta.add_member(GROUP, &okta_id);
        h.add_user(500 + n, if n == 0 { "@SUM(1+1)" } else { "José Müller" }, &email);
        let mut d = HexnodeDeviceSeed::new(600 + n, name, os, Some(500 + n));
        if *os == "Android" {
            d = d.with_android_enrollment("work_profile");
        }
        h.add_device(d);
        ids.push(600 + n);
    }
    // Out of scope: an owner Okta does not know, and a device with no owner.
    h.add_user(590, "Outsider", "outsider@partner.example");
    h.add_device(HexnodeDeviceSeed::new(690, "Partner iPhone", "iOS", Some(590)));
    h.add_device(HexnodeDeviceSeed::new(691, "Spare iPad", "iOS", None));
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [GROUP], "uemDeviceGroupIds": []})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    ids
}

/// Registers device `id` in Okta (matched by the UEM's serial `SER<id>`) for its owner with `status`.
fn in_okta(t: &TestStack, id: u64, platform: &str, status: Option<&str>) {
    let n = id - 600;
    let owner = format!("00uSTATUS{n:011}");
    t.stack.okta.add_device(
        &format!("guo{id}"),
        &format!("Device {id}"),
        platform,
        Some(&format!("SER{id}")),
        None,
        Some(&owner),
        status,
    );
}

async fn refresh(t: &TestStack) -> Value {
    let a = t.call("POST", "/status/refresh", Some(&t.technician()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

async fn fetch(url: &str) -> Vec<u8> {
    let r = reqwest::get(url).await.expect("the presigned link answers");
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn status_comes_from_evidence_and_the_summary_matches_the_records() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    in_okta(&t, ids[0], "IOS", Some("MANAGED"));
    in_okta(&t, ids[2], "MACOS", Some("MANAGED"));
    in_okta(&t, ids[4], "WINDOWS", Some("NOT_MANAGED"));
    // The UEM says the Android payload failed on one device and Okta Verify is missing on another.
    t.stack.hexnode.lock().device_status.insert(ids[6], "failed".into());
    t.stack.hexnode.lock().device_status_error.insert(ids[6], "managed configuration rejected".into());
    t.stack.hexnode.lock().apps_missing.insert(ids[7]);
    let r = refresh(&t).await;
    assert_eq!((r["devices"].clone(), r["matched"].clone()), (json!(10), json!(3)), "{r}");
    let s = t.call("GET", "/status", Some(&t.technician()), None).await;
    assert_eq!(s.status, 200, "{}", s.text);
    let sum = &s.body["summary"];
    assert_eq!((sum["devices"].clone(), sum["inScope"].clone()), (json!(10), json!(8)), "{sum}");
    assert_eq!(sum["byState"]["managed"], 2, "{sum}");
    assert_eq!(sum["byState"]["awaiting_fastpass"], 1, "NOT_MANAGED, never managed: {sum}");
    assert_eq!(sum["byState"]["failed"], 1, "{sum}");
    assert_eq!(sum["byState"]["delivered"], 4, "delivered but never a managed device: {sum}");
    assert_eq!(sum["byState"]["not_in_scope"], 2, "{sum}");
    assert_eq!(sum["byPlatform"]["macos"]["managed"], 1, "{sum}");
    // The same counts from the device records themselves.
    let records = t.stack.deps.store.list_devices(&t.tenant).await.expect("devices");
    assert_eq!(records.iter().filter(|d| d.in_scope).count(), 8);
    let page = t.call("GET", "/status/devices?pageSize=500", Some(&t.technician()), None).await;
    let items = page.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), records.len());
    let by_id = |id: u64| {
        items.iter().find(|i| i["deviceId"].as_str() == Some(&id.to_string())).cloned().expect("device listed")
    };
    let failed = by_id(ids[6]);
    assert_eq!((failed["odtStatus"].clone(), failed["attestationPayload"].clone()), (json!("failed"), json!("failed")));
    assert_eq!(failed["lastError"], "managed configuration rejected");
    assert_eq!(by_id(ids[7])["oktaVerifyInstalled"], "no");
    assert_eq!(by_id(ids[0])["oktaVerifyConfigured"], "yes");
    assert_eq!(by_id(ids[1])["oktaVerifyConfigured"], "no");
    assert_eq!(by_id(ids[2])["ssoExtension"], "yes");
    assert_eq!(by_id(ids[0])["ssoExtension"], "n/a");
    assert_eq!(by_id(690)["exclusion"], "owner_not_in_okta_org");
}

/// "Configured" for Okta Verify is about the device's owner (the UEM owner matched to the Okta user): a device
/// Okta links only to another user is not configured for its owner, and is not managed for them either.
#[tokio::test]
async fn okta_verify_configured_is_about_the_devices_owner_not_any_user_okta_links() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    let (own, others) = (ids[2], ids[3]);
    in_okta(&t, own, "MACOS", Some("NOT_MANAGED"));
    // Okta has the other Mac (same serial), linked only to the first Mac's owner, MANAGED for them.
    let first_owner = "00uSTATUS00000000002";
    let serial = format!("SER{others}");
    t.stack.okta.add_device("guoOTHER", "Mac", "MACOS", Some(&serial), None, Some(first_owner), Some("MANAGED"));
    refresh(&t).await;
    let page = t.call("GET", "/status/devices?platform=macos", Some(&t.technician()), None).await;
    let item = |id: u64| {
        let id = id.to_string();
        page.body["items"].as_array().unwrap().iter().find(|i| i["deviceId"].as_str() == Some(&id)).cloned().unwrap()
    };
    assert_eq!(item(own)["oktaVerifyConfigured"], "yes", "{}", page.text);
    let other = item(others);
    assert_eq!(other["oktaVerifyConfigured"], "no", "Okta links it to someone else: {other}");
    assert_eq!(other["odtStatus"], "delivered", "no device in Okta for its owner: {other}");
}

/// Device trust deleted (the same kind as C29: a switch turned off): once its removal is complete, no device
/// shows in scope or pending; each is out of scope.
#[tokio::test]
async fn after_device_trust_is_deleted_no_device_shows_in_scope_or_pending() {
    let t = TestStack::start().await;
    deployed(&t).await;
    let a = t.call("DELETE", "/device-trust", Some(&t.admin()), None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    t.stack.settle().await.expect("the removal completes");
    let d = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    assert_eq!((d.body["deviceTrust"].clone(), d.body["devicesCarryingItems"].clone()), (json!("none"), json!(0)));
    let s = t.call("GET", "/status", Some(&t.technician()), None).await;
    let sum = &s.body["summary"];
    assert_eq!((sum["inScope"].clone(), sum["byState"].clone()), (json!(0), json!({"not_in_scope": 10})), "{sum}");
}

/// Each state tells the admin what to do next, the same short text in the API (`nextStep`), the CSV (its
/// `next_step` column, read with the csv crate) and the PDF (read with pdftotext): managed, awaiting the first
/// FastPass sign-in (NOT_MANAGED, never managed), not managed (managed before), delivered (no Okta device for
/// the owner), failed with the UEM's reason, and out of scope by its reason.
#[tokio::test]
async fn every_state_gives_the_admin_its_next_step_in_the_api_the_csv_and_the_pdf() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    in_okta(&t, ids[0], "IOS", Some("MANAGED"));
    in_okta(&t, ids[2], "MACOS", Some("MANAGED"));
    in_okta(&t, ids[4], "WINDOWS", Some("NOT_MANAGED"));
    t.stack.hexnode.lock().device_status.insert(ids[6], "failed".into());
    t.stack.hexnode.lock().device_status_error.insert(ids[6], "managed configuration rejected".into());
    refresh(&t).await;
    // The Mac Okta reported managed loses it.
    let guo = format!("guo{}", ids[2]);
    for d in t.stack.okta.lock().devices.iter_mut().filter(|d| d.device["id"] == guo.as_str()) {
        d.users[0].management_status = Some("NOT_MANAGED".into());
    }
    refresh(&t).await;
    // The state and next step, and as the PDF report writes the state and reason.
    let expected = [
        (ids[0], "managed", "None: managed", "Managed"),
        (ids[2], "not_managed", "Check the device's payload", "Not managed any more"),
        (ids[4], "awaiting_fastpass", "Owner signs in with FastPass", "Awaiting first FastPass sign-in"),
        (ids[1], "delivered", "Owner sets up Okta Verify", "Delivered, Okta Verify not set up"),
        (ids[6], "failed", "Fix the last error, retry now", "Failed"),
        (690, "not_in_scope", "Match owner email to Okta user", "Not in scope Owner not in the Okta org"),
        (691, "not_in_scope", "Assign an owner in the UEM", "Not in scope No owner in the UEM"),
    ];
    let page = t.call("GET", "/status/devices?pageSize=500", Some(&t.technician()), None).await;
    let items = page.body["items"].as_array().expect("items");
    assert!(items.iter().all(|i| i["nextStep"].as_str().is_some_and(|s| !s.is_empty())), "{}", page.text);
    let rows = csv_rows(&export(&t, "csv").await);
    assert!(rows.iter().all(|r| !r["next_step"].is_empty()), "{rows:?}");
    let pdf = pdf_raw(&export(&t, "pdf").await);
    for (id, state, step, words) in expected {
        let item = items.iter().find(|i| i["deviceId"].as_str() == Some(&id.to_string())).expect("listed");
        assert_eq!((item["odtStatus"].as_str(), item["nextStep"].as_str()), (Some(state), Some(step)), "{item}");
        let row = rows.iter().find(|r| r["device_id"] == id.to_string()).expect("row");
        assert_eq!((row["odt_status"].as_str(), row["next_step"].as_str()), (state, step), "{row:?}");
        let name = item["deviceName"].as_str().expect("name");
        let pdf_row = squash(&format!("{id} {name} {words} {step}"));
        assert!(pdf.contains(&pdf_row), "the PDF's row {pdf_row}: {pdf}");
    }
}

#[tokio::test]
async fn device_pages_filter_by_platform_state_group_and_text() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    in_okta(&t, ids[0], "IOS", Some("MANAGED"));
    refresh(&t).await;
    let get = |q: &str| {
        let q = q.to_string();
        let t = &t;
        async move { t.call("GET", &format!("/status/devices?{q}"), Some(&t.technician()), None).await }
    };
    let ios = get("platform=ios").await;
    assert_eq!(ios.body["total"], 4, "{}", ios.text);
    let managed = get("state=managed").await;
    assert_eq!(managed.body["items"][0]["deviceId"], ids[0].to_string());
    let text = get("q=JOS%C3%89").await;
    assert_eq!(text.body["total"], 1, "owner or name, case-insensitive: {}", text.text);
    let group = get(&format!("group={GROUP}")).await;
    assert_eq!(group.body["total"], 8);
    let p1 = get("pageSize=3&page=1").await;
    let p4 = get("pageSize=3&page=4").await;
    assert_eq!((p1.body["pages"].clone(), p1.body["items"].as_array().map(Vec::len)), (json!(4), Some(3)));
    assert_eq!(p4.body["items"].as_array().map(Vec::len), Some(1));
    for (q, field) in
        [("platform=beos", "platform"), ("state=done", "state"), ("pageSize=0", "pageSize"), ("page=0", "page")]
    {
        let a = get(q).await;
        assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!(field)), "{q}: {}", a.text);
    }
}

#[tokio::test]
async fn csv_export_is_rfc4180_with_bom_and_neutralized_formulas() {
    let t = TestStack::start().await;
    deployed(&t).await;
    refresh(&t).await;
    let a = t.call("POST", "/status/exports", Some(&t.technician()), Some(json!({"format": "csv"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["rows"], 10);
    let bytes = fetch(a.body["url"].as_str().expect("url")).await;
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "C15: the file starts with the UTF-8 BOM");
    assert_eq!(a.body["inline"].as_str().map(str::as_bytes), Some(&bytes[..]), "small exports come back inline too");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(headers[0], "device_id", "C15: the first header is the plain column id");
    assert!(headers.contains(&"odt_status".to_string()) && headers.contains(&"attempts".to_string()));
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 10, "C16: a name with a comma, quotes and a newline stays one row");
    let col = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let names: Vec<&str> = rows.iter().map(|r| &r[col("device_name")]).collect();
    assert!(names.contains(&"Sales, EMEA \"Loaner\"\nMacBook"), "C16: {names:?}");
    assert!(names.contains(&"Ærø-iPad") && names.contains(&"José's Pixel"), "C15: {names:?}");
    assert!(names.contains(&"'=HYPERLINK(\"http://x\",\"y\")"), "C14: {names:?}");
    // The UEM client trims names, so the leading tab is gone by the time it is stored; the writer's own tests
    // cover a cell that starts with a tab (odt-exports, C14).
    assert!(names.contains(&"'=1+1 label"), "C14: {names:?}");
    for r in &rows {
        assert!(r[col("attempts")].parse::<i64>().is_ok(), "numbers stay numbers: {:?}", &r[col("attempts")]);
    }
}

/// The export in `format` (`csv` or `pdf`) as the technician gets it through its presigned link.
pub(crate) async fn export(t: &TestStack, format: &str) -> Vec<u8> {
    let a = t.call("POST", "/status/exports", Some(&t.technician()), Some(json!({"format": format}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    fetch(a.body["url"].as_str().expect("url")).await
}

/// A CSV export's rows, each as column id → value (the BOM stripped, read by the `csv` crate).
pub(crate) fn csv_rows(bytes: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("BOM"));
    let headers: Vec<String> = r.headers().expect("header").iter().map(str::to_string).collect();
    r.records().map(|row| headers.iter().cloned().zip(row.expect("row").iter().map(str::to_string)).collect()).collect()
}

/// A PDF's text as `pdftotext -layout` reads it.
pub(crate) fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = std::env::temp_dir().join(odt_tests::unique("pdf-"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("status.pdf");
    std::fs::write(&file, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/services.sh install puts it there)");
    let _ = std::fs::remove_dir_all(dir);
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A PDF's text as `pdftotext -raw` reads it (in the order it is written: a table row's cells one after the
/// other, each cell's lines together) with no whitespace, so a wrapped value reads whole ([`squash`] what to find).
pub(crate) fn pdf_raw(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(odt_tests::unique("pdf-"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("status.pdf");
    std::fs::write(&file, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", file.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/services.sh install puts it there)");
    let _ = std::fs::remove_dir_all(dir);
    squash(&String::from_utf8_lossy(&out.stdout))
}

/// `s` without whitespace.
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Fails if a device were missing from the PDF, or a device name or a filter text that looks like markup did not
/// show as its own characters.
#[tokio::test]
async fn pdf_export_holds_every_device_with_header_and_page_numbers() {
    let t = TestStack::start().await;
    deployed(&t).await;
    refresh(&t).await;
    let a = t.call("POST", "/status/exports", Some(&t.admin()), Some(json!({"format": "pdf"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let bytes = fetch(a.body["url"].as_str().expect("url")).await;
    let text = pdf_text(&bytes);
    assert!(text.contains(&t.tenant), "{text}");
    assert!(text.contains("Page 1 of"), "{text}");
    for name in ["Ærø-iPad", "José's Pixel", "Büro-PC", "Partner iPhone", "Spare iPad"] {
        assert!(text.contains(name), "{name} in the PDF: {text}");
    }
    assert!(pdf_raw(&bytes).contains(&squash(IMG)), "a name that looks like markup, as written: {text}");
    // Filtered by text that looks like markup: the first page names the filter as written, and one device passes.
    let q = "\"><script>x";
    let body = json!({"format": "pdf", "q": "onerror=alert(1)"});
    let a = t.call("POST", "/status/exports", Some(&t.technician()), Some(body)).await;
    assert_eq!((a.status, a.body["rows"].as_u64()), (200, Some(1)), "{}", a.text);
    let one = pdf_raw(&fetch(a.body["url"].as_str().expect("url")).await);
    assert!(one.contains(&squash("Only devices with: matching \"onerror=alert(1)\"")), "{one}");
    assert!(one.contains(&squash(&format!("607 {IMG}"))), "{one}");
    let a = t.call("POST", "/status/exports", Some(&t.technician()), Some(json!({"format": "pdf", "q": q}))).await;
    assert_eq!((a.status, a.body["rows"].as_u64()), (200, Some(0)), "{}", a.text);
    let none = pdf_raw(&fetch(a.body["url"].as_str().expect("url")).await);
    assert!(none.contains(&squash(&format!("matching \"{q}\""))), "{none}");
}

/// C29: Windows (and iOS: any platform) switched off with its devices deployed. Once the removal is applied,
/// every device of those platforms is out of scope with `platform_disabled` in the device list, the summary, the
/// CSV and the PDF, and in deployment's views; none pending, none in scope; the other platforms are unchanged.
/// No reconciliation runs in between: status goes by the switch as it stands.
#[tokio::test]
async fn c29_a_platform_switched_off_shows_its_devices_out_of_scope_everywhere() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    let (ios, windows) = (&ids[0..2], &ids[4..6]);
    refresh(&t).await;
    for p in ["windows", "ios"] {
        let a =
            t.call("PUT", &format!("/platforms/{p}/enabled"), Some(&t.admin()), Some(json!({"enabled": false}))).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    t.stack.settle().await.expect("the removal is applied");
    for label in ["Windows", "iOS"] {
        let g = t.stack.hexnode.group_named(&format!("Okta Device Trust - {label}")).expect("group");
        assert!(g.members.is_empty(), "{label}: removal applied in the UEM: {:?}", g.members);
    }
    let off: Vec<String> = ios.iter().chain(windows).map(u64::to_string).collect();
    let page = t.call("GET", "/status/devices?pageSize=500", Some(&t.technician()), None).await;
    let items = page.body["items"].as_array().expect("items");
    for i in items.iter().filter(|i| off.contains(&i["deviceId"].as_str().unwrap_or("").to_string())) {
        assert_eq!(
            (i["inScope"].clone(), i["exclusion"].clone(), i["odtStatus"].clone()),
            (json!(false), json!("platform_disabled"), json!("not_in_scope")),
            "{i}"
        );
    }
    let pending_or_in = |p: &str| {
        items.iter().filter(|i| i["platform"] == p && (i["inScope"] == true || i["odtStatus"] == "pending")).count()
    };
    assert_eq!((pending_or_in("windows"), pending_or_in("ios")), (0, 0), "{}", page.text);
    let s = t.call("GET", "/status", Some(&t.technician()), None).await;
    let sum = &s.body["summary"];
    assert_eq!(sum["byPlatform"]["windows"], json!({"not_in_scope": 2}), "{sum}");
    assert_eq!(sum["byPlatform"]["ios"], json!({"not_in_scope": 4}), "two excluded before, two switched off: {sum}");
    assert_eq!(sum["excluded"]["platform_disabled"], 4, "{sum}");
    assert_eq!(sum["inScope"], 4, "Android and macOS only: {sum}");
    let rows = csv_rows(&export(&t, "csv").await);
    for id in &off {
        let r = rows.iter().find(|r| &r["device_id"] == id).expect("row");
        assert_eq!(
            (r["in_scope"].as_str(), r["exclusion"].as_str(), r["odt_status"].as_str()),
            ("no", "platform_disabled", "not_in_scope"),
            "{r:?}"
        );
    }
    let bytes = export(&t, "pdf").await;
    let text = pdf_text(&bytes);
    // The chart's Windows bar: one segment of 2 (not in scope), total 2.
    let windows_bar = text.lines().find(|l| l.trim_start().starts_with("Windows ")).unwrap_or_default();
    assert_eq!(windows_bar.split_whitespace().collect::<Vec<_>>(), ["Windows", "2", "2"], "{text}");
    let pdf = pdf_raw(&bytes);
    let step = "Switch platform on if wanted";
    let summary_row = squash(&format!("Not in scope Platform switched off 4 {step}"));
    assert!(pdf.contains(&summary_row), "what to do next, with the reason's count: {pdf}");
    for name in ["Büro-PC", "Surface 7", "Ærø-iPad"] {
        let row = squash(&format!("{name} Not in scope Platform switched off {step}"));
        assert!(pdf.contains(&row), "{row}: {pdf}");
    }
    let d = t.call("GET", "/deployments", Some(&t.technician()), None).await;
    let overview =
        |p: &str| d.body["platforms"].as_array().unwrap().iter().find(|x| x["platform"] == p).cloned().unwrap();
    assert_eq!((overview("windows")["inScope"].clone(), overview("macos")["inScope"].clone()), (json!(0), json!(2)));
    let one = t.call("GET", &format!("/deployments/devices/{}", windows[0]), Some(&t.technician()), None).await;
    assert_eq!(one.body["inScope"], false, "{}", one.text);
}

#[tokio::test]
async fn c03_devices_still_carrying_the_old_key_show_it() {
    let t = TestStack::start().await;
    let ids = deployed(&t).await;
    // The UEM refuses writes for now: the new iOS key cannot be pushed yet.
    t.stack.hexnode.lock().throttled_writes.extend(std::iter::repeat_n(900.0, 5));
    let a = t.call("PUT", "/platforms/ios", Some(&t.admin()), Some(json!({"secretKey": "K2-new-Secret"}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    t.stack.settle().await.expect("settles");
    let page = t.call("GET", "/status/devices?platform=ios", Some(&t.technician()), None).await;
    let old: Vec<&Value> =
        page.body["items"].as_array().expect("items").iter().filter(|i| i["oldPayload"] == true).collect();
    assert_eq!(old.len(), 2, "the in-scope iOS devices still carry the old key: {}", page.text);
    let android = t.call("GET", "/status/devices?platform=android", Some(&t.technician()), None).await;
    assert!(android.body["items"].as_array().expect("items").iter().all(|i| i["oldPayload"] == false));
    // Once the UEM takes writes again, a retry pushes it and no device carries the old key.
    t.stack.hexnode.lock().throttled_writes.clear();
    let r = t.call("POST", "/deployments/run", Some(&t.admin()), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = t.call("GET", "/status", Some(&t.technician()), None).await;
    assert_eq!(s.body["summary"]["oldPayload"], 0, "{}", s.text);
    let _ = ids;
}

#[tokio::test]
async fn technician_addresses_in_odd_forms_are_refused_and_nothing_is_stored() {
    let t = TestStack::start().await;
    for odd in [
        "victim@evil.com@tena.example.com",
        "x@evil.com(tech@tena.example.com)",
        "x@[127.0.0.1]",
        "Tech <tech@acme.com>",
        "\"a b\"@acme.com",
        "tech@localhost",
        "tech@acme.com, boss@acme.com",
    ] {
        let a = t.call("PUT", "/technicians", Some(&t.admin()), Some(json!({"emails": ["ok@acme.com", odd]}))).await;
        assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("emails")), "{odd}: {}", a.text);
    }
    let g = t.call("GET", "/technicians", Some(&t.admin()), None).await;
    assert_eq!((g.body["emails"].clone(), g.body["version"].clone()), (json!([]), json!(0)), "{}", g.text);
    let a = t
        .call("PUT", "/technicians", Some(&t.admin()), Some(json!({"emails": ["first.last+ops@mail.acme.com"]})))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn exports_are_mailed_only_to_the_tenants_technicians() {
    let t = TestStack::start().await;
    deployed(&t).await;
    let a = t.call("PUT", "/technicians", Some(&t.technician()), Some(json!({"emails": ["a@acme.com"]}))).await;
    assert_eq!(a.status, 403, "only admins keep the list");
    let a = t.call("PUT", "/technicians", Some(&t.admin()), Some(json!({"emails": ["not-an-address"]}))).await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("emails")));
    let a = t
        .call(
            "PUT",
            "/technicians",
            Some(&t.admin()),
            Some(json!({"emails": ["Tech@Acme.com", "ops@acme.com"], "version": 0})),
        )
        .await;
    assert_eq!((a.status, a.body["emails"][0].clone()), (200, json!("tech@acme.com")), "{}", a.text);
    let objects = || async {
        let x = &t.stack.exports;
        let out = x.s3.list_objects_v2().bucket(&x.bucket).prefix(format!("exports/{}/", t.tenant)).send().await;
        out.expect("ListObjectsV2").key_count().unwrap_or(0)
    };
    let refused = t
        .call(
            "POST",
            "/status/exports/share",
            Some(&t.technician()),
            Some(json!({"format": "csv", "emails": ["tech@acme.com", "boss@elsewhere.com"]})),
        )
        .await;
    assert_eq!((refused.status, refused.body["error"]["field"].clone()), (400, json!("emails")), "{}", refused.text);
    assert_eq!(refused.body["error"]["refused"], json!(["boss@elsewhere.com"]));
    assert_eq!(objects().await, 0, "refused: nothing exported, nothing sent");
    let ok = t
        .call(
            "POST",
            "/status/exports/share",
            Some(&t.technician()),
            Some(json!({"format": "pdf", "emails": ["TECH@acme.com"]})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["sentTo"], json!(["tech@acme.com"]));
    assert_eq!(ok.body["notSent"], json!([]));
    assert_eq!(ok.body["messages"][0]["to"], "tech@acme.com");
    assert!(
        ok.body["messages"][0]["messageId"].as_str().is_some_and(|m| !m.is_empty()),
        "SES accepted it: {}",
        ok.text
    );
    assert_eq!(objects().await, 1);
}
