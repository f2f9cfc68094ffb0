//! Bad input: a corpus of malformed requests generated from a table of every route with a body, every route
//! with a path id, query parameters and the Okta event hook. Each must answer 4xx with the JSON error naming the
//! field at fault (or `body`), never 5xx, and nothing may be written: the whole table (every item of every
//! tenant) and the list of secrets are compared before and after.

use super::common::{is_error_json, ready, secrets_snapshot, send, table_snapshot, Ready};
use odt_tests::Answer;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What a case expects besides "4xx, JSON error, no 5xx".
#[derive(Debug, Clone)]
enum Expect {
    /// This status and `error.field` equal to the name (or the name followed by `[i]` or `.sub`).
    Field(u16, String),
    /// A 4xx JSON error whose status is one of these.
    Status(&'static [u16]),
}

/// One malformed request.
struct Case {
    kind: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    expect: Expect,
}

/// A route with a JSON body: a valid body, its required fields (dotted), and the string fields a very long
/// value must be refused in.
struct BodyRoute {
    method: &'static str,
    path: String,
    base: Value,
    required: Vec<&'static str>,
    long: Vec<&'static str>,
    /// Field → values that are the right JSON type but not acceptable (ids with path characters, unknown
    /// names).
    bad_values: Vec<(&'static str, Value)>,
}

const ONE_MIB: usize = 1024 * 1024;

fn json_ct() -> Vec<(&'static str, String)> {
    vec![("content-type", "application/json".to_string())]
}

/// The value at a dotted path.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// `v` with the value at `path` replaced (`Some`) or removed (`None`).
fn with(v: &Value, path: &str, new: Option<Value>) -> Value {
    let mut out = v.clone();
    let mut cur = &mut out;
    let parts: Vec<&str> = path.split('.').collect();
    for k in &parts[..parts.len() - 1] {
        cur = cur.get_mut(*k).expect("path exists in the base body");
    }
    let obj = cur.as_object_mut().expect("an object");
    let last = parts[parts.len() - 1];
    match new {
        Some(n) => {
            obj.insert(last.to_string(), n);
        }
        None => {
            obj.remove(last);
        }
    }
    out
}

/// Every field of `v` as dotted paths (objects are descended into; arrays and scalars are leaves).
fn fields(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    if let Value::Object(m) = v {
        for (k, child) in m {
            let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
            out.push((path.clone(), child.clone()));
            fields(child, &path, out);
        }
    }
}

/// A value of another JSON type than `v`.
fn wrong_type(v: &Value) -> Value {
    match v {
        Value::String(_) => json!(12345),
        Value::Number(_) => json!("12"),
        Value::Bool(_) => json!("yes"),
        Value::Array(_) => json!("not-a-list"),
        Value::Object(_) => json!(["not", "an", "object"]),
        Value::Null => json!(1),
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON")
}

fn body_cases(r: &BodyRoute) -> Vec<Case> {
    let mut cases = Vec::new();
    let case = |kind, headers, body: Option<Vec<u8>>, expect| Case {
        kind,
        method: r.method,
        path: r.path.clone(),
        headers,
        body,
        expect,
    };
    let field = |status: u16, f: &str| Expect::Field(status, f.to_string());
    // Not JSON, or not one JSON object.
    let text = serde_json::to_string(&r.base).expect("JSON");
    let first = r.base.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
    let broken = [
        text[..text.len() - 1].to_string(),
        format!("{},}}", &text[..text.len() - 1]),
        text.replacen('"', "'", 2),
        format!("{text} {text}"),
        format!("{text} trailing"),
        format!("{{\"{first}\":NaN}}"),
        format!("{{\"{first}\":01}}"),
        format!("{{{first}:1}}"),
        "{\"".to_string(),
    ];
    for raw in broken {
        cases.push(case("invalid_json", json_ct(), Some(raw.into_bytes()), field(400, "body")));
    }
    for raw in ["", "   ", "[]", "[{}]", "[true]", "\"text\"", "42", "null", "true"] {
        cases.push(case("not_an_object", json_ct(), Some(raw.as_bytes().to_vec()), field(400, "body")));
    }
    // Invalid UTF-8, in a string and outside.
    let mut s = format!("{{\"{first}\":\"").into_bytes();
    s.extend_from_slice(&[0xff, 0xfe, b'"', b'}']);
    cases.push(case("invalid_utf8", json_ct(), Some(s), field(400, "body")));
    cases.push(case("invalid_utf8", json_ct(), Some(vec![0xc3, 0x28, b'{', b'}']), field(400, "body")));
    // Wrong or missing content types.
    for ct in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", "multipart/form-data"] {
        cases.push(case(
            "content_type",
            vec![("content-type", ct.to_string())],
            Some(bytes(&r.base)),
            field(415, "content-type"),
        ));
    }
    cases.push(case("content_type", vec![], Some(bytes(&r.base)), field(415, "content-type")));
    // Over 1 MiB: padding in an unknown field, and a huge value in the first string field.
    let pad = "x".repeat(ONE_MIB + 10);
    cases.push(case(
        "too_large",
        json_ct(),
        Some(bytes(&with(&r.base, "zzPadding", Some(json!(pad))))),
        field(413, "body"),
    ));
    if let Some((f, _)) = {
        let mut all = Vec::new();
        fields(&r.base, "", &mut all);
        all.into_iter().find(|(_, v)| v.is_string())
    } {
        cases.push(case("too_large", json_ct(), Some(bytes(&with(&r.base, &f, Some(json!(pad))))), field(413, "body")));
    }
    // Unknown fields, at the top and in each nested object.
    cases.push(case(
        "unknown_field",
        json_ct(),
        Some(bytes(&with(&r.base, "zzUnknown", Some(json!(1))))),
        field(400, "zzUnknown"),
    ));
    let mut all = Vec::new();
    fields(&r.base, "", &mut all);
    for (f, v) in &all {
        if v.is_object() {
            let p = format!("{f}.zzUnknown");
            cases.push(case(
                "unknown_field",
                json_ct(),
                Some(bytes(&with(&r.base, &p, Some(json!(1))))),
                field(400, &p),
            ));
        }
    }
    // Duplicate fields.
    let dup = format!("{{\"{first}\":{},{}", r.base[&first], &text[1..]);
    cases.push(case("duplicate_field", json_ct(), Some(dup.into_bytes()), field(400, &first)));
    // Missing and null required fields.
    for f in &r.required {
        cases.push(case("missing_field", json_ct(), Some(bytes(&with(&r.base, f, None))), field(400, f)));
        cases.push(case("null_field", json_ct(), Some(bytes(&with(&r.base, f, Some(Value::Null)))), field(400, f)));
    }
    // Wrong types for every field, and wrong element types in lists.
    for (f, v) in &all {
        cases.push(case("wrong_type", json_ct(), Some(bytes(&with(&r.base, f, Some(wrong_type(v))))), field(400, f)));
        if v.is_array() {
            let elems = json!([7, {"a": 1}]);
            cases.push(case("wrong_type", json_ct(), Some(bytes(&with(&r.base, f, Some(elems)))), field(400, f)));
        }
        if v.is_number() {
            for n in [json!(-1), json!(1.5), json!(1e300)] {
                cases.push(case("wrong_type", json_ct(), Some(bytes(&with(&r.base, f, Some(n)))), field(400, f)));
            }
        }
    }
    // Very long strings where the field has a bound (100,000 characters: under the body limit), and values of
    // the right type that are not acceptable; without `version`, so the value itself is what is refused.
    let unversioned = with(&r.base, "version", None);
    for f in &r.long {
        let long = if get(&r.base, f).is_some_and(Value::is_array) {
            json!(["y".repeat(100_000)])
        } else {
            json!("y".repeat(100_000))
        };
        cases.push(case("long_string", json_ct(), Some(bytes(&with(&unversioned, f, Some(long)))), field(400, f)));
    }
    for (f, v) in &r.bad_values {
        cases.push(case("bad_value", json_ct(), Some(bytes(&with(&unversioned, f, Some(v.clone())))), field(400, f)));
    }
    cases
}

/// Ids with path characters, reserved characters, control characters and excessive length.
const BAD_IDS: [&str; 10] = [
    "..%2F..%2Fetc%2Fpasswd",
    "a%2Fb",
    "ORG%23x",
    "x%00y",
    "%20",
    "a%20b",
    "%C3%A9t%C3%A9",
    "x%3Cscript%3E",
    "T%23other-tenant",
    "%25",
];

fn routes(r: &Ready) -> Vec<BodyRoute> {
    let domain = r.t.domain.clone();
    let org = r.org_id.clone();
    let creds = json!({"method": "client_secret_basic", "clientId": "0oaBADINPUT", "clientSecret": "wrong-secret"});
    let scep = format!("https://{domain}/pki/ca/scep");
    let ca = odt_tests::system_ca_pem();
    let path_ids = json!(["../../etc/passwd"]);
    vec![
        BodyRoute {
            method: "POST",
            path: "/okta-orgs".into(),
            base: json!({"domain": domain, "credentials": creds}),
            required: vec![
                "domain",
                "credentials",
                "credentials.clientId",
                "credentials.clientSecret",
                "credentials.method",
            ],
            long: vec!["domain", "credentials.clientId", "credentials.clientSecret"],
            bad_values: vec![
                ("domain", json!("https://127.0.0.1")),
                ("domain", json!("acme.okta.com/../x")),
                ("credentials.method", json!("password")),
            ],
        },
        BodyRoute {
            method: "PUT",
            path: format!("/okta-orgs/{org}/credentials"),
            base: json!({"credentials": creds, "version": 1}),
            required: vec!["credentials", "credentials.clientId", "credentials.clientSecret", "credentials.method"],
            long: vec!["credentials.clientId", "credentials.clientSecret"],
            bad_values: vec![("credentials.method", json!("none"))],
        },
        BodyRoute {
            method: "PUT",
            path: format!("/okta-orgs/{org}/custom-domain"),
            base: json!({"customDomain": "login.acme.example", "version": 1}),
            required: vec![],
            long: vec!["customDomain"],
            bad_values: vec![
                ("customDomain", json!("https://login.acme.example")),
                ("customDomain", json!("login.acme.example/x")),
                ("customDomain", json!("10.0.0.1")),
            ],
        },
        BodyRoute {
            method: "PUT",
            path: "/device-trust".into(),
            base: json!({"oktaOrgId": org, "version": 1}),
            required: vec!["oktaOrgId"],
            long: vec!["oktaOrgId"],
            bad_values: vec![("oktaOrgId", json!("../../x")), ("oktaOrgId", json!("ORG#x")), ("oktaOrgId", json!(""))],
        },
        BodyRoute {
            method: "PUT",
            path: "/uem".into(),
            base: json!({"portalUrl": format!("https://{}", r.t.stack.hexnode_portal), "apiKey": "wrong-key", "version": 1}),
            required: vec!["portalUrl"],
            long: vec!["portalUrl", "apiKey"],
            bad_values: vec![
                ("portalUrl", json!("https://evil.example.com")),
                ("portalUrl", json!("http://acme.hexnodemdm.com")),
                ("portalUrl", json!("https://user@acme.hexnodemdm.com")),
            ],
        },
        BodyRoute {
            method: "PUT",
            path: "/platforms/ios".into(),
            base: json!({"secretKey": "ios-key-bad-input", "enrollmentLink": "https://acme.example.com/enroll", "version": 1}),
            required: vec![],
            long: vec!["secretKey", "enrollmentLink"],
            bad_values: vec![
                ("enrollmentLink", json!("javascript:alert(1)")),
                ("enrollmentLink", json!("http://x.com")),
            ],
        },
        BodyRoute {
            method: "PUT",
            path: "/platforms/macos".into(),
            base: json!({"scepUrl": scep, "challenge": {"type": "static", "secretKey": "macKEY123"},
                "subject": "CN={{user.email}}", "caCertificate": ca, "keySize": 2048, "version": 1}),
            required: vec!["scepUrl", "challenge", "subject", "challenge.type"],
            long: vec!["scepUrl", "subject", "challenge.secretKey", "caCertificate"],
            bad_values: vec![
                ("scepUrl", json!("https://evil.example.com/scep")),
                ("challenge.secretKey", json!("Ab_12!xy")),
                ("challenge.type", json!("guess")),
                ("subject", json!("CN={{user.password}}")),
                ("keySize", json!(1024)),
                ("caCertificate", json!("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")),
            ],
        },
        BodyRoute {
            method: "PUT",
            path: "/platforms/windows/enabled".into(),
            base: json!({"enabled": true, "version": 1}),
            required: vec!["enabled"],
            long: vec![],
            bad_values: vec![],
        },
        BodyRoute {
            method: "PUT",
            path: "/fleet".into(),
            base: json!({"oktaGroupIds": ["00gSALES000000000001"], "uemDeviceGroupIds": ["501"], "version": 1}),
            required: vec!["oktaGroupIds", "uemDeviceGroupIds"],
            long: vec!["oktaGroupIds", "uemDeviceGroupIds"],
            bad_values: vec![("oktaGroupIds", path_ids.clone()), ("uemDeviceGroupIds", path_ids.clone())],
        },
        BodyRoute {
            method: "POST",
            path: "/fleet/preview".into(),
            base: json!({"oktaGroupIds": ["00gSALES000000000001"], "uemDeviceGroupIds": ["501"]}),
            required: vec!["oktaGroupIds", "uemDeviceGroupIds"],
            long: vec!["oktaGroupIds", "uemDeviceGroupIds"],
            bad_values: vec![("oktaGroupIds", path_ids.clone()), ("uemDeviceGroupIds", path_ids.clone())],
        },
        BodyRoute {
            method: "PUT",
            path: "/access-policy-rules".into(),
            base: json!({"policyIds": ["rstBADINPUT000000001"]}),
            required: vec!["policyIds"],
            long: vec!["policyIds"],
            bad_values: vec![("policyIds", path_ids.clone()), ("policyIds", json!([]))],
        },
        BodyRoute {
            method: "POST",
            path: "/access-policy-rules/preview".into(),
            base: json!({"policyIds": ["rstBADINPUT000000001"]}),
            required: vec!["policyIds"],
            long: vec!["policyIds"],
            bad_values: vec![("policyIds", path_ids.clone()), ("policyIds", json!(["rstA", "rstA"]))],
        },
        BodyRoute {
            method: "PUT",
            path: "/event-hook".into(),
            base: json!({"secret": "a-long-enough-hook-secret", "version": 1}),
            required: vec!["secret"],
            long: vec!["secret"],
            bad_values: vec![("secret", json!("short")), ("secret", json!("tab\tinside-a-secret-value"))],
        },
        BodyRoute {
            method: "PUT",
            path: "/okta-verify/ios".into(),
            base: json!({"method": "vpp", "appId": "701", "locationToken": "Acme VPP", "licenses": 10, "version": 1}),
            required: vec!["method"],
            long: vec!["appId", "locationToken"],
            bad_values: vec![("method", json!("sideload")), ("appId", json!("../1"))],
        },
        BodyRoute {
            method: "PUT",
            path: "/technicians".into(),
            base: json!({"emails": ["tech@acme-demo.example"], "version": 1}),
            required: vec!["emails"],
            long: vec!["emails"],
            bad_values: vec![
                ("emails", json!(["not-an-address"])),
                ("emails", json!(["a@b.example\r\nBcc: x@y.example"])),
            ],
        },
        BodyRoute {
            method: "POST",
            path: "/status/exports".into(),
            base: json!({"format": "csv", "platform": "ios", "state": "managed", "group": "00gSALES000000000001", "q": "Mac"}),
            required: vec!["format"],
            long: vec!["platform", "state", "group", "q"],
            bad_values: vec![("format", json!("docx")), ("platform", json!("plan9")), ("state", json!("great"))],
        },
        BodyRoute {
            method: "POST",
            path: "/status/exports/share".into(),
            base: json!({"format": "pdf", "emails": [r.technician_email], "platform": "ios"}),
            required: vec!["format", "emails"],
            long: vec!["emails", "platform"],
            bad_values: vec![("format", json!("docx")), ("emails", json!(["someone@elsewhere.example"]))],
        },
    ]
}

fn path_and_query_cases(r: &Ready) -> Vec<Case> {
    let mut cases = Vec::new();
    let body_route = |method: &'static str, path: String, body: Value| Case {
        kind: "path_id",
        method,
        path,
        headers: json_ct(),
        body: Some(bytes(&body)),
        expect: Expect::Status(&[400, 404]),
    };
    let creds = json!({"credentials": {"method": "client_secret_basic", "clientId": "0oaX", "clientSecret": "y"}});
    let long_id = "z".repeat(2000);
    for id in BAD_IDS.iter().map(|s| s.to_string()).chain([long_id]) {
        for (method, path) in [
            ("GET", format!("/okta-orgs/{id}")),
            ("DELETE", format!("/okta-orgs/{id}")),
            ("GET", format!("/okta-orgs/{id}/groups")),
            ("GET", format!("/platforms/{id}")),
            ("GET", format!("/platforms/{id}/payload")),
            ("GET", format!("/deployments/devices/{id}")),
        ] {
            cases.push(Case {
                kind: "path_id",
                method,
                path,
                headers: vec![],
                body: None,
                expect: Expect::Status(&[400, 404]),
            });
        }
        cases.push(body_route("PUT", format!("/okta-orgs/{id}/credentials"), creds.clone()));
        cases.push(body_route("PUT", format!("/okta-orgs/{id}/custom-domain"), json!({"customDomain": "a.example"})));
        cases.push(body_route("PUT", format!("/platforms/{id}"), json!({"secretKey": "k"})));
        cases.push(body_route("PUT", format!("/platforms/{id}/enabled"), json!({"enabled": true})));
        cases.push(body_route("PUT", format!("/okta-verify/{id}"), json!({"method": "managed_play"})));
    }
    let org = &r.org_id;
    for (method, path, f) in [
        ("DELETE", format!("/okta-orgs/{org}?version=abc"), "version"),
        ("DELETE", format!("/okta-orgs/{org}?version=-1"), "version"),
        ("DELETE", "/device-trust?version=1.5".to_string(), "version"),
        ("DELETE", "/device-trust?version=99999999999999999999999".to_string(), "version"),
        ("GET", "/status/devices?page=abc".to_string(), "page"),
        ("GET", "/status/devices?pageSize=-5".to_string(), "pageSize"),
        ("GET", "/status/devices?pageSize=0".to_string(), "pageSize"),
        ("GET", "/status/devices?pageSize=1000000".to_string(), "pageSize"),
        ("GET", "/status/devices?platform=plan9".to_string(), "platform"),
        ("GET", "/status/devices?state=great".to_string(), "state"),
        ("GET", format!("/status/devices?q={}", "q".repeat(5000)), "q"),
        ("GET", "/uem/apps?platform=plan9".to_string(), "platform"),
        ("GET", "/uem/apps?kind=virus".to_string(), "kind"),
        ("GET", format!("/uem/device-groups?q={}", "q".repeat(5000)), "q"),
        ("GET", format!("/okta-orgs/{org}/groups?q={}", "q".repeat(5000)), "q"),
    ] {
        cases.push(Case {
            kind: "query",
            method,
            path,
            headers: vec![],
            body: None,
            expect: Expect::Field(400, f.to_string()),
        });
    }
    cases
}

fn hook_cases(r: &Ready) -> Vec<Case> {
    let tenant = &r.t.tenant;
    let path = format!("/hooks/okta/{tenant}");
    let auth = |ct: bool| {
        let mut h = vec![("authorization", r.hook_secret.clone())];
        if ct {
            h.push(("content-type", "application/json".to_string()));
        }
        h
    };
    let event = |uuid: Value, published: Value| {
        json!({"data": {"events": [{"uuid": uuid, "published": published, "eventType": "group.user_membership.add",
            "target": [{"id": "00uUSER0000000000020", "type": "User"}, {"id": "00gSALES000000000001", "type": "UserGroup"}]}]}})
    };
    let mut cases = Vec::new();
    let mut push = |kind, headers: Vec<(&'static str, String)>, body: Vec<u8>, expect| {
        cases.push(Case { kind, method: "POST", path: path.clone(), headers, body: Some(body), expect })
    };
    let f = |s: u16, f: &str| Expect::Field(s, f.to_string());
    for raw in [
        "{\"",
        "",
        "[]",
        "\"x\"",
        "42",
        "null",
        "{\"data\":{\"events\":[]}} {}",
        "{\"data\":",
        "{\"data\":{\"events\":[}}",
    ] {
        push("hook", auth(true), raw.as_bytes().to_vec(), f(400, "body"));
    }
    push("hook", auth(true), vec![0xff, 0xfe, b'{', b'}'], f(400, "body"));
    push("hook", auth(true), b"{}".to_vec(), f(400, "data"));
    push("hook", auth(true), b"{\"data\":{}}".to_vec(), f(400, "data.events"));
    push("hook", auth(true), b"{\"data\":{\"events\":\"x\"}}".to_vec(), f(400, "data.events"));
    push("hook", auth(true), b"{\"data\":[]}".to_vec(), f(400, "data"));
    let ok_uuid = json!("6f1a0b8e-1111-2222-3333-444455556666");
    push("hook", auth(true), bytes(&event(ok_uuid.clone(), json!("yesterday"))), f(400, "data.events.published"));
    push("hook", auth(true), bytes(&event(ok_uuid.clone(), json!(12))), f(400, "data.events"));
    push(
        "hook",
        auth(true),
        bytes(&event(json!("../../x"), json!("2026-11-29T10:00:00.000Z"))),
        f(400, "data.events.uuid"),
    );
    push(
        "hook",
        auth(true),
        bytes(&event(json!("x".repeat(5000)), json!("2026-11-29T10:00:00.000Z"))),
        f(400, "data.events.uuid"),
    );
    push("hook", auth(true), bytes(&event(json!(5), json!("2026-11-29T10:00:00.000Z"))), f(400, "data.events"));
    let big = json!({"data": {"events": []}, "pad": "p".repeat(ONE_MIB + 1)});
    push("hook", auth(true), bytes(&big), f(413, "body"));
    let valid = bytes(&event(ok_uuid, json!("2026-11-29T10:00:00.000Z")));
    push("hook", vec![("content-type", "application/json".into())], valid.clone(), Expect::Status(&[401]));
    push("hook", vec![("authorization", "wrong-secret-value".into())], valid.clone(), Expect::Status(&[401]));
    push("hook", vec![("authorization", format!("{}x", r.hook_secret))], valid.clone(), Expect::Status(&[401]));
    let shorter = r.hook_secret[..r.hook_secret.len() - 1].to_string();
    push("hook", vec![("authorization", shorter)], valid.clone(), Expect::Status(&[401]));
    push("hook", vec![("authorization", format!("Bearer {}", r.t.admin()))], valid.clone(), Expect::Status(&[401]));
    for tenant in BAD_IDS.iter().map(|s| s.to_string()).chain(["unknown-tenant".to_string(), "t".repeat(300)]) {
        cases.push(Case {
            kind: "hook",
            method: "POST",
            path: format!("/hooks/okta/{tenant}"),
            headers: auth(true),
            body: Some(valid.clone()),
            expect: Expect::Status(&[400, 404]),
        });
        cases.push(Case {
            kind: "hook",
            method: "GET",
            path: format!("/hooks/okta/{tenant}"),
            headers: vec![("x-okta-verification-challenge", "c".into())],
            body: None,
            expect: Expect::Status(&[400, 404]),
        });
    }
    for headers in [
        vec![],
        vec![("x-okta-verification-challenge", "c".repeat(2000))],
        vec![("x-okta-verification-challenge", String::new())],
    ] {
        cases.push(Case {
            kind: "hook",
            method: "GET",
            path: path.clone(),
            headers,
            body: None,
            expect: Expect::Field(400, "x-okta-verification-challenge".into()),
        });
    }
    cases
}

/// Whether `got` names `want`: equal, or `want` followed by an index or a sub-field.
/// Inside an internally tagged object (`credentials` by `method`, `challenge` by `type`) serde cannot say which
/// field was wrong, so there the object itself is named (the message says what was expected).
fn names(got: &str, want: &str) -> bool {
    let tagged = TAGGED.iter().any(|t| got == *t && want.starts_with(&format!("{t}.")));
    tagged || got == want || got.strip_prefix(want).is_some_and(|r| r.starts_with('[') || r.starts_with('.'))
}

/// The internally tagged objects of the request bodies.
const TAGGED: [&str; 2] = ["credentials", "challenge"];

fn check(c: &Case, a: &Answer) -> Result<(), String> {
    let what = format!(
        "[{}] {} {} → {}: {}",
        c.kind,
        c.method,
        &c.path[..c.path.len().min(120)],
        a.status,
        &a.text[..a.text.len().min(300)]
    );
    if !(400..500).contains(&a.status) {
        return Err(format!("not a 4xx: {what}"));
    }
    if !is_error_json(a) {
        return Err(format!("not a JSON error: {what}"));
    }
    let msg = a.body["error"]["message"].as_str().unwrap_or_default();
    let rust = ["alloc::", "std::", "core::", "serde_json::", "Vec<", "HashMap<", "struct ", "enum ", "Input"];
    if rust.iter().any(|t| msg.contains(t)) {
        return Err(format!("the message names a Rust type: {what}"));
    }
    match &c.expect {
        Expect::Field(status, f) => {
            let got = a.body["error"]["field"].as_str().unwrap_or("<none>");
            if a.status != *status || !names(got, f) {
                return Err(format!("expected {status} naming `{f}`, got field `{got}`: {what}"));
            }
            let code = a.body["error"]["code"].as_str().unwrap_or_default();
            let want = match (*status, f.as_str()) {
                (413, _) => "body_too_large",
                (415, _) => "unsupported_media_type",
                (_, "body") => "invalid_json",
                _ => "invalid_field",
            };
            if code != want && !(want == "invalid_field" && *status == 400 && code != "invalid_json") {
                return Err(format!("expected code {want}: {what}"));
            }
        }
        Expect::Status(s) => {
            if !s.contains(&a.status) {
                return Err(format!("expected one of {s:?}: {what}"));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn malformed_requests_answer_4xx_naming_the_field_and_write_nothing() {
    let r = ready().await;
    let t = &r.t;
    let mut cases: Vec<Case> = routes(&r).iter().flat_map(body_cases).collect();
    cases.extend(path_and_query_cases(&r));
    cases.extend(hook_cases(&r));
    let table_before = table_snapshot(t).await;
    let secrets_before = secrets_snapshot(t).await;
    assert!(table_before.len() > 300, "the stack has state to corrupt: {} items", table_before.len());
    let admin = t.admin();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for c in &cases {
        let mut headers = c.headers.clone();
        if !c.path.starts_with("/hooks/") {
            headers.push(("authorization", format!("Bearer {admin}")));
        }
        let a = send(t, c.method, &c.path, &headers, c.body.clone()).await;
        *per_kind.entry(c.kind).or_default() += 1;
        if let Err(e) = check(c, &a) {
            failures.push(e);
        }
    }
    t.stack.settle().await.expect("stream settles");
    let table_after = table_snapshot(t).await;
    let secrets_after = secrets_snapshot(t).await;
    println!("bad input corpus: {} cases; by kind: {per_kind:?}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases answered wrongly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 200, "at least 200 cases: {}", cases.len());
    let changed: Vec<_> = table_before.iter().filter(|i| !table_after.contains(i)).collect();
    let added: Vec<_> = table_after.iter().filter(|i| !table_before.contains(i)).collect();
    assert!(changed.is_empty() && added.is_empty(), "the table changed: gone/changed {changed:#?}; new {added:#?}");
    assert_eq!(table_before, table_after, "every item is unchanged, byte for byte");
    assert_eq!(secrets_before, secrets_after, "no secret was created, changed or deleted");
}
