//! No outbound request to a host the domain rules refuse: Okta orgs, UEM portals, installer URLs and SCEP URLs
//! at IP literals (in every spelling), loopback (a listener on a loopback port that must receive nothing),
//! `localhost`, the metadata address, non-Okta domains, look-alikes, user info tricks, other ports and custom
//! domains that resolve to private addresses. Each answers 400 naming the field; the doubles' request logs show
//! no call was made and the listener accepted no connection.

use super::common::{is_error_json, send};
use odt_local::stack::StackConfig;
use odt_shared::outbound::StaticResolver;
use odt_tests::TestStack;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

#[tokio::test]
async fn refused_hosts_get_no_request_and_a_400_naming_the_field() {
    // A listener on loopback: any connection to it is an outbound request that should not have happened.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    trap.set_nonblocking(true).expect("non-blocking");
    let port = trap.local_addr().expect("addr").port();
    // Custom domains the (closed) resolver answers with addresses the rules refuse.
    let resolved: HashMap<String, Vec<IpAddr>> = [
        ("sso.loopback-acme.com", "127.0.0.1"),
        ("sso.metadata-acme.com", "169.254.169.254"),
        ("sso.private-acme.com", "10.0.0.5"),
        ("sso.mapped-acme.com", "::ffff:127.0.0.1"),
        ("sso.cgnat-acme.com", "100.64.0.1"),
    ]
    .into_iter()
    .map(|(h, ip)| (h.to_string(), vec![ip.parse().expect("ip")]))
    .collect();
    let t = TestStack::start_with(|c: &mut StackConfig| c.resolver = Arc::new(StaticResolver(resolved))).await;
    let org = t.ready_fleet().await;
    let org_domain = org["domain"].as_str().expect("domain").to_string();
    let admin = t.admin();
    let (okta_before, hexnode_before) = (t.stack.okta.lock().requests.len(), t.stack.hexnode.lock().requests.len());
    let portal = t.stack.hexnode_portal.clone();

    let hosts = [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        format!("localhost:{port}"),
        "169.254.169.254".to_string(),
        "2130706433".to_string(),
        "0x7f.0.0.1".to_string(),
        "017700000001".to_string(),
        "[::1]".to_string(),
        format!("[::ffff:127.0.0.1]:{port}"),
        "metadata.google.internal".to_string(),
        "sso.loopback-acme.com".to_string(),
        "sso.metadata-acme.com".to_string(),
        "sso.private-acme.com".to_string(),
        "sso.mapped-acme.com".to_string(),
        "sso.cgnat-acme.com".to_string(),
        "evil.com".to_string(),
        format!("{org_domain}.evil.com"),
        format!("{org_domain}:{port}"),
    ];
    let mut cases: Vec<(&str, &str, Value, &str)> = Vec::new();
    let creds = json!({"method": "client_secret_basic", "clientId": "0oaOUTBOUND", "clientSecret": "outbound-secret"});
    let mut domains: Vec<String> = hosts.iter().map(|h| format!("https://{h}")).collect();
    domains.extend([
        format!("http://{org_domain}"),
        format!("https://user:pass@{org_domain}"),
        format!("https://{org_domain}@127.0.0.1:{port}"),
        format!("https://{org_domain}/api/v1"),
        format!("https://{org_domain}?x=1"),
        "ftp://acme.okta.com".to_string(),
        "acme.okta.com.local".to_string(),
        "acme.okta.com.example".to_string(),
    ]);
    for d in &domains {
        cases.push(("POST", "/okta-orgs", json!({"domain": d, "credentials": creds}), "domain"));
    }
    let mut portals: Vec<String> = hosts.iter().map(|h| format!("https://{h}")).collect();
    portals.extend([
        format!("http://{portal}"),
        format!("https://{portal}:{port}"),
        format!("https://user@{portal}"),
        format!("https://{portal}@127.0.0.1:{port}"),
        format!("https://{portal}.evil.com"),
        "https://acme.hexnodemdm.com.evil.com".to_string(),
    ]);
    for p in &portals {
        cases.push(("PUT", "/uem", json!({"portalUrl": p, "apiKey": "outbound-key"}), "portalUrl"));
    }
    // URLs the UEM or devices fetch (never the product) must name a public host on the standard port; the
    // rules for them are syntactic (a name resolving elsewhere is the fetcher's to judge), so the custom names
    // and public domains above are not refused there.
    let syntactic = hosts.iter().filter(|h| !h.starts_with("sso.") && !h.starts_with("evil") && !h.contains(".evil."));
    let mut urls: Vec<String> = syntactic.map(|h| format!("https://{h}/okta-verify.pkg")).collect();
    urls.extend([
        "http://downloads.okta.com/okta-verify.pkg".to_string(),
        format!("https://downloads.okta.com:{port}/okta-verify.pkg"),
        "https://user:pass@downloads.okta.com/okta-verify.pkg".to_string(),
        "file:///etc/passwd".to_string(),
    ]);
    for u in &urls {
        let body = json!({"method": "pkg_upload", "installerUrl": u, "name": "Okta Verify"});
        cases.push(("PUT", "/okta-verify/macos", body, "installerUrl"));
        let body = json!({"scepUrl": format!("https://{org_domain}/pki/ca/scep"), "subject": "CN={{user.email}}",
            "challenge": {"type": "dynamic", "challengeUrl": u, "username": "scep", "password": "outbound-password"}});
        cases.push(("PUT", "/platforms/macos", body, "challenge.challengeUrl"));
    }
    for h in &hosts {
        let body = json!({"scepUrl": format!("https://{h}/pki/ca/scep"), "subject": "CN={{user.email}}",
            "challenge": {"type": "static", "secretKey": "OutboundKey1"}});
        cases.push(("PUT", "/platforms/macos", body, "scepUrl"));
    }

    let mut wrong = Vec::new();
    for (method, path, body, field) in &cases {
        let headers = [("authorization", format!("Bearer {admin}")), ("content-type", "application/json".to_string())];
        let a = send(&t, method, path, &headers, Some(serde_json::to_vec(body).expect("JSON"))).await;
        if a.status != 400 || !is_error_json(&a) || a.body["error"]["field"] != *field {
            wrong.push(format!("{method} {path} {body}: {} {}", a.status, a.text));
        }
    }
    let (okta_after, hexnode_after) = (t.stack.okta.lock().requests.len(), t.stack.hexnode.lock().requests.len());
    let accepted = match trap.accept() {
        Ok((_, from)) => Some(from),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("the trap listener: {e}"),
    };
    println!(
        "outbound: {} refused hosts and URLs, {} requests to the doubles, trap: {accepted:?}",
        cases.len(),
        okta_after + hexnode_after - okta_before - hexnode_before
    );
    assert!(wrong.is_empty(), "{} of {} answered wrongly:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    assert_eq!(okta_after, okta_before, "no request reached the Okta double");
    assert_eq!(hexnode_after, hexnode_before, "no request reached the Hexnode double");
    assert_eq!(accepted, None, "no connection reached the loopback listener");
    // The same calls at the allowed hosts do reach the doubles: the logs would have shown a request.
    let ok = t.call("PUT", "/uem", Some(&admin), Some(json!({"portalUrl": format!("https://{portal}")}))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(t.stack.hexnode.lock().requests.len() > hexnode_after, "an allowed portal is called");
}
