//! The admin console's hosting as `template.yaml` declares it (a private S3 bucket behind CloudFront with origin
//! access control, security headers, the single-page app's fallback, the API's CORS for the console's origin,
//! the config the console reads) and `scripts/deploy.sh`, which publishes the build and writes that config.
//! Tests only: nothing at run time reads these resources.

use crate::template::{default_path, Template};
use serde_yaml::Value;
use std::collections::BTreeMap;

/// The `Properties` of resource `id`, which must exist and be of `kind`.
fn props<'a>(t: &'a Template, id: &str, kind: &str) -> &'a Value {
    let r = t.resource(id).unwrap_or_else(|| panic!("template.yaml has no {id}"));
    assert_eq!(r["Type"].as_str(), Some(kind), "{id}");
    &r["Properties"]
}

/// A CSP's directives by name, each with its sources (`script-src` → [`'self'`]).
fn directives(csp: &str) -> BTreeMap<String, Vec<String>> {
    csp.split(';')
        .filter_map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            Some((words.next()?, words.collect()))
        })
        .collect()
}

/// The Content-Security-Policy text of the console's response headers policy (the `!Sub` string).
fn csp(t: &Template) -> String {
    let p = props(t, "ConsoleSecurityHeaders", "AWS::CloudFront::ResponseHeadersPolicy");
    let csp = &p["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"];
    assert_eq!(csp["Override"].as_bool(), Some(true), "the CSP replaces any the origin sends");
    let value = &csp["ContentSecurityPolicy"];
    value.as_str().or_else(|| value[0].as_str()).expect("CSP text").to_string()
}

/// Fails if the console's bucket could be read other than through the distribution (public access, an ACL, a
/// policy allowing anyone but CloudFront for this distribution, plain HTTP), or were unencrypted.
#[test]
fn the_console_bucket_is_private_encrypted_and_read_only_by_its_distribution() {
    let t = Template::load(&default_path()).unwrap();
    let b = props(&t, "ConsoleBucket", "AWS::S3::Bucket");
    for flag in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(b["PublicAccessBlockConfiguration"][flag].as_bool(), Some(true), "{flag}");
    }
    let sse = &b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
    assert!(sse["SSEAlgorithm"].as_str().is_some(), "encrypted at rest: {sse:?}");
    assert_eq!(b["OwnershipControls"]["Rules"][0]["ObjectOwnership"].as_str(), Some("BucketOwnerEnforced"));
    assert!(b.get("WebsiteConfiguration").is_none(), "no public website endpoint");

    let p = props(&t, "ConsoleBucketPolicy", "AWS::S3::BucketPolicy");
    assert_eq!(p["Bucket"].as_str(), Some("ConsoleBucket"));
    let statements = p["PolicyDocument"]["Statement"].as_sequence().expect("statements");
    let tls = statements.iter().find(|s| s["Effect"] == "Deny").expect("a TLS-only deny");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"].as_str(), Some("false"));
    let allows: Vec<&Value> = statements.iter().filter(|s| s["Effect"] == "Allow").collect();
    assert_eq!(allows.len(), 1, "only CloudFront reads: {allows:?}");
    let allow = allows[0];
    assert_eq!(allow["Principal"]["Service"].as_str(), Some("cloudfront.amazonaws.com"));
    assert_eq!(allow["Action"].as_str(), Some("s3:GetObject"));
    let source = allow["Condition"]["StringEquals"]["AWS:SourceArn"].as_str().unwrap_or_default();
    assert!(source.ends_with(":distribution/${ConsoleDistribution}"), "this distribution only: {source}");

    let oac =
        &props(&t, "ConsoleOriginAccessControl", "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"];
    assert_eq!(
        (oac["OriginAccessControlOriginType"].as_str(), oac["SigningBehavior"].as_str()),
        (Some("s3"), Some("always"))
    );
    let d = &props(&t, "ConsoleDistribution", "AWS::CloudFront::Distribution")["DistributionConfig"];
    let origin = &d["Origins"][0];
    assert_eq!(origin["DomainName"].as_str(), Some("ConsoleBucket.RegionalDomainName"));
    assert_eq!(origin["OriginAccessControlId"].as_str(), Some("ConsoleOriginAccessControl.Id"));
    assert_eq!(origin["S3OriginConfig"]["OriginAccessIdentity"].as_str(), Some(""), "OAC, no legacy OAI");
}

/// Fails if the console were served without its security headers (a CSP allowing inline or foreign script, or
/// not allowing the API and the issuer; no HSTS, framing allowed, sniffing, a referrer), over plain HTTP, or
/// without the single-page app's fallback to index.html.
#[test]
fn the_console_is_served_over_https_with_security_headers_and_the_spa_fallback() {
    let t = Template::load(&default_path()).unwrap();
    let d = &props(&t, "ConsoleDistribution", "AWS::CloudFront::Distribution")["DistributionConfig"];
    let behavior = &d["DefaultCacheBehavior"];
    assert_eq!(behavior["ViewerProtocolPolicy"].as_str(), Some("redirect-to-https"));
    assert_eq!(behavior["ResponseHeadersPolicyId"].as_str(), Some("ConsoleSecurityHeaders"));
    assert_eq!(d["DefaultRootObject"].as_str(), Some("index.html"));
    for code in [403, 404] {
        let fallback = d["CustomErrorResponses"]
            .as_sequence()
            .and_then(|s| s.iter().find(|e| e["ErrorCode"].as_u64() == Some(code)))
            .unwrap_or_else(|| panic!("no fallback for {code}"));
        assert_eq!(
            (fallback["ResponseCode"].as_u64(), fallback["ResponsePagePath"].as_str()),
            (Some(200), Some("/index.html"))
        );
    }

    let csp = directives(&csp(&t));
    let script = csp.get("script-src").or(csp.get("default-src")).expect("script-src");
    assert_eq!(script, &["'self'"], "scripts from the console's origin only: no inline, no eval, no host");
    assert!(csp["default-src"].iter().all(|s| s == "'none'" || s == "'self'"), "{:?}", csp["default-src"]);
    let connect = &csp["connect-src"];
    assert!(connect.iter().any(|s| s == "https://${IssuerHost}"), "the OIDC issuer: {connect:?}");
    assert!(
        connect.iter().any(|s| s.ends_with(".execute-api.${AWS::Region}.${AWS::URLSuffix}")),
        "the API: {connect:?}"
    );
    assert!(!connect.iter().any(|s| s == "*" || s == "https:"), "{connect:?}");
    for (name, want) in [("frame-ancestors", "'none'"), ("object-src", "'none'"), ("base-uri", "'none'")] {
        assert_eq!(csp.get(name).map(Vec::as_slice), Some(&[want.to_string()][..]), "{name}");
    }
    let p = props(&t, "ConsoleSecurityHeaders", "AWS::CloudFront::ResponseHeadersPolicy");
    let h = &p["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    assert!(h["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_u64() >= Some(31_536_000), "HSTS a year");
    assert_eq!(h["FrameOptions"]["FrameOption"].as_str(), Some("DENY"));
    assert_eq!(h["ContentTypeOptions"]["Override"].as_bool(), Some(true), "nosniff");
    assert!(h["ReferrerPolicy"]["ReferrerPolicy"].as_str().is_some());
}

/// Fails if the API's CORS did not allow exactly the console's origin, or the console's config were not the
/// four values it reads (JSON once the stack's values are put in).
#[test]
fn the_api_allows_the_console_origin_and_the_stack_outputs_its_config() {
    let t = Template::load(&default_path()).unwrap();
    let cors = &props(&t, "HttpApi", "AWS::Serverless::HttpApi")["CorsConfiguration"];
    let origins: Vec<&str> =
        cors["AllowOrigins"].as_sequence().expect("origins").iter().filter_map(Value::as_str).collect();
    assert_eq!(origins, ["https://${ConsoleDistribution.DomainName}"]);
    let headers: Vec<&str> =
        cors["AllowHeaders"].as_sequence().expect("headers").iter().filter_map(Value::as_str).collect();
    assert!(headers.contains(&"authorization") && headers.contains(&"content-type"), "{headers:?}");

    let outputs = &t.doc["Outputs"];
    assert_eq!(outputs["ConsoleUrl"]["Value"].as_str(), Some("https://${ConsoleDistribution.DomainName}"));
    let config = outputs["ConsoleConfig"]["Value"].as_str().expect("ConsoleConfig");
    let filled = [
        ("${HttpApi}", "a1b2c3"),
        ("${AWS::Region}", "eu-west-1"),
        ("${AWS::URLSuffix}", "amazonaws.com"),
        ("${JwtIssuer}", "https://acme.okta.com/oauth2/aus1"),
        ("${ConsoleClientId}", "0oa1console"),
        ("${JwtAudience}", "api://odt"),
    ]
    .iter()
    .fold(config.to_string(), |s, (var, value)| s.replace(var, value));
    let parsed: serde_json::Value = serde_json::from_str(&filled).expect("JSON");
    assert_eq!(
        parsed,
        serde_json::json!({"apiUrl": "https://a1b2c3.execute-api.eu-west-1.amazonaws.com",
            "issuer": "https://acme.okta.com/oauth2/aus1", "clientId": "0oa1console", "audience": "api://odt"})
    );
}

/// A directory of its own under the system's temp dir.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("odt-hosting-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `scripts/deploy.sh --no-confirm-changeset` with `sam` and `aws` replaced by fakes that log their
/// arguments (the stack's outputs: `outputs`; `aws s3 cp` keeps what it uploads), on a console build in
/// `console/dist` with no package.json. Returns whether it succeeded, the log and the uploaded config.json.
fn deploy_with_fakes(outputs: &serde_json::Value) -> (bool, Vec<String>, Option<String>, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("deploy");
    let (bin, console) = (dir.join("bin"), dir.join("console"));
    std::fs::create_dir_all(console.join("dist/assets")).unwrap();
    std::fs::write(console.join("dist/index.html"), "<!doctype html>").unwrap();
    std::fs::write(console.join("dist/assets/index-1a2b3c.js"), "").unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(dir.join("outputs.json"), outputs.to_string()).unwrap();
    let fakes = [
        ("sam", "echo \"sam $*\" >> \"$FAKE/log\"\n"),
        (
            "aws",
            "echo \"aws $*\" >> \"$FAKE/log\"\ncase \"$1 $2\" in\n  \"cloudformation describe-stacks\") cat \
             \"$FAKE/outputs.json\" ;;\n  \"s3 cp\") cp \"$3\" \"$FAKE/uploaded-$(basename \"$4\")\" ;;\nesac\n",
        ),
    ];
    for (name, body) in fakes {
        let path = bin.join(name);
        std::fs::write(&path, format!("#!/usr/bin/env bash\nset -e\n{body}")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let script = default_path().parent().unwrap().join("scripts/deploy.sh");
    let status = std::process::Command::new("bash")
        .arg(script)
        .arg("--no-confirm-changeset")
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .env("FAKE", &dir)
        .env("STACK_NAME", "odt-test")
        .env("CONSOLE_DIR", &console)
        .status()
        .unwrap();
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default().lines().map(str::to_string).collect();
    let config = std::fs::read_to_string(dir.join("uploaded-config.json")).ok();
    (status.success(), log, config, console)
}

fn stack_outputs(config: &str) -> serde_json::Value {
    let out = |k: &str, v: &str| serde_json::json!({"OutputKey": k, "OutputValue": v});
    serde_json::json!([
        out("ApiUrl", "https://a1b2c3.execute-api.eu-west-1.amazonaws.com"),
        out("ConsoleUrl", "https://d111.cloudfront.net"),
        out("ConsoleBucketName", "odt-test-consolebucket"),
        out("ConsoleDistributionId", "E2CONSOLE"),
        out("ConsoleConfig", config),
    ])
}

/// Fails if the deploy script did not, after `sam deploy`, upload the build (hashed assets cached, the rest not,
/// stale files deleted), write config.json from the stack's ConsoleConfig output as it is, and invalidate the
/// distribution; or if it uploaded a config that is not the console's four values.
#[test]
fn the_deploy_script_publishes_the_console_and_writes_its_config_from_the_stack() {
    let config = r#"{"apiUrl":"https://a1b2c3.execute-api.eu-west-1.amazonaws.com","issuer":"https://acme.okta.com/oauth2/aus1","clientId":"0oa1console","audience":"api://odt"}"#;
    let (ok, log, uploaded, console) = deploy_with_fakes(&stack_outputs(config));
    assert!(ok, "{log:?}");
    let dist = console.join("dist");
    let expected = [
        "sam deploy --no-confirm-changeset".to_string(),
        "aws cloudformation describe-stacks --stack-name odt-test --query Stacks[0].Outputs --output json".into(),
        format!(
            "aws s3 sync {}/assets/ s3://odt-test-consolebucket/assets/ --cache-control public, max-age=31536000, \
             immutable",
            dist.display()
        ),
        format!(
            "aws s3 sync {}/ s3://odt-test-consolebucket/ --delete --exclude assets/* --exclude config.json \
             --cache-control no-cache",
            dist.display()
        ),
    ];
    assert_eq!(log[..4], expected, "{log:#?}");
    assert!(
        log[4].starts_with("aws s3 cp ")
            && log[4].contains("s3://odt-test-consolebucket/config.json --cache-control no-cache"),
        "{log:#?}"
    );
    assert_eq!(
        log[5],
        "aws cloudfront create-invalidation --distribution-id E2CONSOLE --paths /index.html /config.json"
    );
    assert_eq!(uploaded.as_deref().map(str::trim), Some(config));

    let extra = r#"{"apiUrl":"https://x","issuer":"https://i","clientId":"c","audience":"a","secret":"s"}"#;
    let (ok, log, uploaded, _) = deploy_with_fakes(&stack_outputs(extra));
    assert!(!ok && uploaded.is_none(), "a config with other keys is refused: {log:?}");
    assert!(!log.iter().any(|l| l.starts_with("aws s3")), "nothing uploaded: {log:?}");
}
