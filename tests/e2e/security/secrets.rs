//! No secret value in anything the product shows: the whole walkthrough (as `scripts/demo.sh` runs it) goes
//! through a recording proxy in front of the local front, then a private-key rotation and a dynamic SCEP
//! challenge are added; every response (headers and body), the walkthrough's printed account, every log line and
//! the export files it wrote are scanned for every secret value used.

use super::common::stored_secret_values;
use odt_local::demo::{walkthrough, DEMO_TENANT};
use odt_local::seed::{seed_demo, seed_demo_fleet, DEMO_DOMAIN};
use odt_local::stack::StackConfig;
use odt_tests::{captured_logs, unique, TestStack};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// One request and its answer, as the proxy saw them.
#[derive(Debug, Clone)]
struct Exchange {
    path: String,
    request_headers: Vec<(String, String)>,
    request_body: Vec<u8>,
    status: u16,
    response: String,
}

type Log = Arc<Mutex<Vec<Exchange>>>;

/// A reverse proxy on a loopback port that forwards everything to `upstream` and records each exchange.
async fn recording_proxy(upstream: String) -> (String, Log) {
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let http = reqwest::Client::new();
    let recorded = log.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let (http, upstream, log) = (http.clone(), upstream.clone(), recorded.clone());
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 32 * 1024 * 1024).await.unwrap_or_default();
            let pq = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
            let mut fwd = http.request(parts.method.clone(), format!("{upstream}{pq}"));
            for (k, v) in &parts.headers {
                if k != axum::http::header::HOST && k != axum::http::header::CONTENT_LENGTH {
                    fwd = fwd.header(k, v);
                }
            }
            let resp = fwd.body(body.to_vec()).send().await.expect("the front answers the proxy");
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.unwrap_or_default();
            let mut shown: String =
                headers.iter().map(|(k, v)| format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes()))).collect();
            shown.push_str(&String::from_utf8_lossy(&bytes));
            log.lock().expect("proxy log").push(Exchange {
                path: pq,
                request_headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).to_string()))
                    .collect(),
                request_body: body.to_vec(),
                status: status.as_u16(),
                response: shown,
            });
            let mut out = axum::response::Response::builder().status(status);
            for (k, v) in &headers {
                if k != axum::http::header::CONTENT_LENGTH && k != axum::http::header::TRANSFER_ENCODING {
                    out = out.header(k, v);
                }
            }
            out.body(axum::body::Body::from(bytes)).expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

/// Request fields whose values are secrets.
const SECRET_FIELDS: [&str; 6] = ["clientSecret", "privateKey", "secretKey", "password", "apiKey", "secret"];

fn secret_fields(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                match child {
                    Value::String(s) if SECRET_FIELDS.contains(&k.as_str()) => out.push(s.clone()),
                    _ => secret_fields(child, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| secret_fields(c, out)),
        _ => {}
    }
}

/// The parts of a secret to look for: a PEM private key by each line of its body (the armor is not secret).
fn parts_of(secret: &str) -> Vec<String> {
    if secret.contains("-----BEGIN") {
        secret.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(str::to_string).collect()
    } else {
        vec![secret.to_string()]
    }
}

#[tokio::test]
async fn no_secret_value_in_any_response_log_line_or_export_of_the_walkthrough() {
    let exports = std::env::temp_dir().join(unique("odt-security-exports-"));
    std::env::set_var("ODT_EXPORTS_DIR", &exports);
    let mut t = TestStack::start_with(|c: &mut StackConfig| {
        c.okta_domain = DEMO_DOMAIN.into();
        c.table = unique("odt-security-");
    })
    .await;
    let org = seed_demo(&t.stack.okta);
    seed_demo_fleet(&t.stack.hexnode);
    let (proxy, log) = recording_proxy(t.stack.base_url.clone()).await;
    t.stack.base_url = proxy;
    let mut out = Vec::new();
    let outcome = walkthrough(&t.stack, &org, &mut out).await.expect("walkthrough succeeds");
    let printed = String::from_utf8(out).expect("UTF-8");

    // Two secrets the walkthrough does not use: a private key (rotation to private_key_jwt) and a dynamic SCEP
    // challenge password.
    let admin = t.stack.token(DEMO_TENANT, "admin");
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("key");
    let key_client = unique("0oakey");
    t.stack.okta.add_key_client(
        &key_client,
        &[("kid-1", &kp.public_key_pem())],
        &["okta.users.read", "okta.groups.read", "okta.devices.read"],
    );
    let rotate = json!({"credentials": {"method": "private_key_jwt", "clientId": key_client, "privateKey": kp.serialize_pem(), "keyId": "kid-1"}});
    let a = t.call("PUT", &format!("/okta-orgs/{}/credentials", outcome.org_id), Some(&admin), Some(rotate)).await;
    assert_eq!(a.status, 200, "rotation to private_key_jwt: {}", a.text);
    let a = t.call("PUT", "/device-trust", Some(&admin), Some(json!({"oktaOrgId": outcome.org_id}))).await;
    assert_eq!(a.status, 200, "device trust again: {}", a.text);
    let dynamic = json!({"scepUrl": format!("https://{DEMO_DOMAIN}/pki/ca/scep"), "subject": "CN={{user.email}}",
        "challenge": {"type": "dynamic", "challengeUrl": "https://scep-challenge.acme-corp.com/challenge",
            "username": "scep-service", "password": unique("scep-password-")}});
    let a = t.call("PUT", "/platforms/macos", Some(&admin), Some(dynamic)).await;
    assert_eq!(a.status, 200, "dynamic challenge: {}", a.text);
    for path in ["/platforms/macos", "/platforms/macos/payload", "/okta-orgs", "/platforms", "/uem", "/event-hook"] {
        assert_eq!(t.call("GET", path, Some(&admin), None).await.status, 200, "{path}");
    }
    t.stack.settle().await.expect("settles");

    // The secrets: every secret field of every request, the hook's Authorization values, what the stack made,
    // every version stored in Secrets Manager, and the access tokens the Okta double issued.
    let exchanges = log.lock().expect("proxy log").clone();
    let mut secrets = vec![org.client_secret.clone(), t.stack.hexnode_api_key.clone()];
    // Values the API refused never became secrets; the walkthrough prints one it sends on purpose (a challenge
    // with characters Okta refuses). They are still looked for everywhere but in that printed account.
    let mut refused = Vec::new();
    for e in &exchanges {
        if let Ok(v) = serde_json::from_slice::<Value>(&e.request_body) {
            secret_fields(&v, if e.status >= 400 { &mut refused } else { &mut secrets });
        }
        if e.path.starts_with("/hooks/") {
            secrets.extend(e.request_headers.iter().filter(|(k, _)| k == "authorization").map(|(_, v)| v.clone()));
        }
    }
    let stored = stored_secret_values(&t, DEMO_TENANT).await;
    assert!(stored.len() >= 8, "the stored secrets are read: {}", stored.len());
    secrets.extend(stored);
    secrets.extend(t.stack.okta.lock().tokens.keys().cloned());
    secrets.sort();
    secrets.dedup();
    refused.retain(|r| !secrets.contains(r));
    let needles: Vec<String> = secrets.iter().flat_map(|s| parts_of(s)).filter(|n| n.len() >= 8).collect();
    let refused: Vec<String> = refused.iter().flat_map(|s| parts_of(s)).filter(|n| n.len() >= 8).collect();

    // What was shown: responses, the printed account, logs, exports.
    let responses: String = exchanges.iter().map(|e| e.response.as_str()).collect::<Vec<_>>().join("\n");
    let logs = captured_logs();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&exports).expect("the exports folder") {
        let path = entry.expect("entry").path();
        files.push((path.clone(), String::from_utf8_lossy(&std::fs::read(&path).expect("export")).to_string()));
    }
    // The scan is real: each source holds known non-secret values.
    assert!(exchanges.len() >= 50, "the proxy saw the walkthrough: {} exchanges", exchanges.len());
    assert!(responses.contains(&outcome.org_id) && logs.contains(&outcome.org_id), "org id in responses and logs");
    assert!(printed.contains(&outcome.org_id), "org id in the printed account");
    assert_eq!(files.len(), 2, "the CSV and the PDF: {files:?}");
    let csv = files.iter().find(|(p, _)| p.extension().is_some_and(|e| e == "csv")).expect("the CSV");
    assert!(csv.1.contains("@acme-demo.example"), "owner emails in the CSV");
    assert!(responses.contains("\"set\":true"), "secret status views were answered");
    let mut found = Vec::new();
    for (n, is_secret) in needles.iter().map(|n| (n, true)).chain(refused.iter().map(|n| (n, false))) {
        let short = format!("{}…", n.chars().take(6).collect::<String>());
        if responses.contains(n.as_str()) {
            found.push(format!("{short} in a response"));
        }
        if is_secret && printed.contains(n.as_str()) {
            found.push(format!("{short} in the printed account"));
        }
        if logs.contains(n.as_str()) {
            found.push(format!("{short} in the logs"));
        }
        for (p, text) in &files {
            if text.contains(n.as_str()) {
                found.push(format!("{short} in {}", p.display()));
            }
        }
    }
    println!(
        "secret scan: {} secret values ({} needles, {} refused values) over {} responses ({} bytes), {} log bytes, {} export files",
        secrets.len(),
        needles.len(),
        refused.len(),
        exchanges.len(),
        responses.len(),
        logs.len(),
        files.len()
    );
    assert!(secrets.len() >= 12, "every kind of secret is in the scan: {}", secrets.len());
    assert!(found.is_empty(), "secret values shown: {found:#?}");
    let _ = std::fs::remove_dir_all(&exports);
}
