//! Values are checked in the form they will be used in (issue 19): a path parameter, host or URL that only becomes
//! a valid id, host or path once decoded is refused with a 4xx naming the field, never decoded into one, and
//! nothing changes. Paths go out byte for byte (a URL library would resolve `%2E%2E` itself before sending).

use super::common::{is_error_json, ready, secrets_snapshot, table_snapshot, Ready};
use odt_tests::Answer;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one HTTP/1.1 request with `path` exactly as given (no client normalizes it), a JSON `body` when given,
/// and `headers`; reads the answer.
async fn send_raw(r: &Ready, method: &str, path: &str, headers: &[(&str, String)], body: Option<&Value>) -> Answer {
    let addr = r.t.stack.base_url.trim_start_matches("http://").to_string();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len()));
    let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("the front listens");
    stream.write_all(req.as_bytes()).await.expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("answer read");
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, text) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, body: serde_json::from_str(text).unwrap_or(Value::Null), text: text.to_string() }
}

/// One request: method, path as sent, headers, JSON body, and the field its answer must name.
type Case<'a> = (&'a str, String, &'a [(&'a str, String)], Option<Value>, &'a str);

/// `id` with its first character percent-encoded once (`ios` → `%69os`): the id itself once decoded.
fn encoded(id: &str) -> String {
    let first = id.as_bytes()[0];
    format!("%{first:02X}{}", &id[1..])
}

/// Fails if any value that only decodes into a valid id, host or URL was decoded into one (answered other than a
/// 4xx JSON error naming its field), or if one of them changed anything stored.
#[tokio::test]
async fn values_that_only_decode_into_valid_ids_hosts_or_urls_are_refused_naming_the_field() {
    let r = ready().await;
    let (org, device, tenant) = (r.org_id.clone(), r.device_id.clone(), r.t.tenant.clone());
    let admin = vec![("authorization", format!("Bearer {}", r.t.admin()))];
    let hook = vec![("authorization", r.hook_secret.clone())];
    let okta = |d: &str| json!({"domain": d, "credentials": {"method": "client_secret_basic", "clientId": "0oaX", "clientSecret": "y"}});
    let dotted = |host: &str| host.replacen('.', "%2E", 1);
    let mac = |scep: String, challenge: Value| json!({"scepUrl": scep, "challenge": challenge, "subject": "CN={{user.email}}"});
    let scep = format!("https://{}/pki/ca/scep", r.t.domain);
    let dynamic = |url: &str| json!({"type": "dynamic", "challengeUrl": url, "username": "u", "password": "p"});
    let cases: Vec<Case> = vec![
        ("GET", format!("/platforms/{}", encoded("ios")), &admin, None, "platform"),
        ("GET", "/platforms/%2569os".into(), &admin, None, "platform"),
        ("PUT", format!("/platforms/{}", encoded("ios")), &admin, Some(json!({"secretKey": "k"})), "platform"),
        (
            "PUT",
            format!("/platforms/{}/enabled", encoded("macos")),
            &admin,
            Some(json!({"enabled": false})),
            "platform",
        ),
        ("GET", format!("/platforms/{}/payload", encoded("android")), &admin, None, "platform"),
        (
            "PUT",
            format!("/okta-verify/{}", encoded("android")),
            &admin,
            Some(json!({"method": "managed_play"})),
            "platform",
        ),
        ("GET", format!("/okta-orgs/{}", encoded(&org)), &admin, None, "orgId"),
        ("DELETE", format!("/okta-orgs/{}", encoded(&org)), &admin, None, "orgId"),
        ("GET", "/okta-orgs/%2E%2E".into(), &admin, None, "orgId"),
        ("GET", format!("/okta-orgs/..%2F{org}"), &admin, None, "orgId"),
        (
            "PUT",
            format!("/okta-orgs/{}/custom-domain", encoded(&org)),
            &admin,
            Some(json!({"customDomain": "login.acme.com"})),
            "orgId",
        ),
        ("GET", format!("/deployments/devices/{}", encoded(&device)), &admin, None, "deviceId"),
        (
            "GET",
            format!("/deployments/devices/%25{}", encoded(&device).trim_start_matches('%')),
            &admin,
            None,
            "deviceId",
        ),
        ("POST", format!("/hooks/okta/{}", encoded(&tenant)), &hook, Some(json!({"data": {"events": []}})), "tenant"),
        ("GET", format!("/hooks/okta/{}", encoded(&tenant)), &hook, None, "tenant"),
        ("POST", "/okta-orgs".into(), &admin, Some(okta(&dotted(&r.t.domain))), "domain"),
        ("POST", "/okta-orgs".into(), &admin, Some(okta(&format!("https://{}", dotted(&r.t.domain)))), "domain"),
        (
            "PUT",
            format!("/okta-orgs/{org}/custom-domain"),
            &admin,
            Some(json!({"customDomain": "login%2Eacme.com"})),
            "customDomain",
        ),
        (
            "PUT",
            "/uem".into(),
            &admin,
            Some(json!({"portalUrl": format!("https://{}", dotted(&r.t.stack.hexnode_portal)), "apiKey": "k"})),
            "portalUrl",
        ),
        (
            "PUT",
            "/okta-verify/macos".into(),
            &admin,
            Some(
                json!({"method": "pkg_upload", "name": "Okta Verify", "installerUrl": "https://cdn.acme.com/a/%2E%2E/okta.pkg"}),
            ),
            "installerUrl",
        ),
        (
            "PUT",
            "/okta-verify/windows".into(),
            &admin,
            Some(
                json!({"method": "exe_upload", "name": "Okta Verify", "installerUrl": "https://cdn%2Eacme.com/okta.exe"}),
            ),
            "installerUrl",
        ),
        (
            "PUT",
            "/platforms/macos".into(),
            &admin,
            Some(mac(
                format!("https://{}/pki/ca/scep", dotted(&r.t.domain)),
                json!({"type": "static", "secretKey": "K"}),
            )),
            "scepUrl",
        ),
        (
            "PUT",
            "/platforms/macos".into(),
            &admin,
            Some(mac(scep.clone(), dynamic("https://scep.acme.com/x/%2e%2e/challenge"))),
            "challenge.challengeUrl",
        ),
        (
            "PUT",
            "/platforms/ios".into(),
            &admin,
            Some(json!({"enrollmentLink": "https://acme%2Ecom/enroll"})),
            "enrollmentLink",
        ),
    ];
    let (table, secrets) = (table_snapshot(&r.t).await, secrets_snapshot(&r.t).await);
    let mut wrong = Vec::new();
    for (method, path, headers, body, field) in &cases {
        let a = send_raw(&r, method, path, headers, body.as_ref()).await;
        let named = a.body["error"]["field"].as_str() == Some(*field);
        if !((400..500).contains(&a.status) && is_error_json(&a) && named) {
            wrong.push(format!("{method} {path} (want {field}) → {}: {}", a.status, &a.text[..a.text.len().min(240)]));
        }
    }
    assert!(wrong.is_empty(), "{} of {} answered wrongly:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    r.t.stack.settle().await.expect("stream settles");
    assert_eq!(table, table_snapshot(&r.t).await, "the table is unchanged");
    assert_eq!(secrets, secrets_snapshot(&r.t).await, "no secret was written");
    // The same requests as they should be written pass the check (so the refusals above are about the encoding).
    let a = send_raw(&r, "GET", "/platforms/ios", &admin, None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = send_raw(&r, "GET", &format!("/deployments/devices/{device}"), &admin, None).await;
    assert_eq!(a.status, 200, "{}", a.text);
}
