//! The committed `openapi.json` is what the code generates, and it describes exactly the template's routes.

use odt_local::template::{default_path, Template};
use std::collections::BTreeSet;

#[test]
fn committed_document_matches_the_generated_one() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json"))
        .expect("openapi.json is committed at the repository root");
    let generated = odt_api_doc::document_json();
    assert!(committed == generated, "openapi.json is stale: run `cargo run -p odt-api-doc` and commit the result");
}

#[test]
fn document_is_openapi_3_1_and_describes_every_template_route() {
    let doc: serde_json::Value = serde_json::from_str(&odt_api_doc::document_json()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let template = Template::load(&default_path()).unwrap();
    let routed: BTreeSet<String> = template.routes().iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    let served_doc = "GET /openapi.json".to_string();
    let expected: BTreeSet<String> = routed.iter().filter(|r| **r != served_doc).cloned().collect();
    assert_eq!(described, expected, "the document and template.yaml name the same routes");
    // Every operation but Okta's hook verification declares its security scheme and a 401: the admin routes
    // the bearer JWT, the hook delivery the hook secret.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if path.starts_with("/hooks/") && method == "get" {
                assert!(op.get("security").is_none());
                continue;
            }
            let scheme = if path.starts_with("/hooks/") { "hookSecret" } else { "bearer" };
            assert!(op["security"].to_string().contains(scheme), "{method} {path} has no {scheme} security");
            assert!(op["responses"]["401"].is_object(), "{method} {path} has no 401");
        }
    }
}
