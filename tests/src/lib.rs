//! Test harness: a fresh local stack per test (its own table, secrets prefix, Okta double host and tenant) on
//! the DynamoDB Local and moto endpoints that `scripts/test.sh` starts, plus log capture for secret scans.

use odt_local::authorizer::LocalAuthorizer;
use odt_local::stack::{Stack, StackConfig};
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

pub use odt_local::stack;

/// Every log line of this test binary (all tests share it).
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,hyper=info,h2=info,aws=info,rustls=info"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    })
    .clone()
}

/// Everything logged so far by this test binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&init_logs().lock().expect("log lock")).to_string()
}

/// Panics with the way to run the tests when the local services are not there.
pub fn require_services() {
    if std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_err() || std::env::var("AWS_ENDPOINT_URL_SECRETS_MANAGER").is_err()
    {
        panic!("the local services are not running: run the tests with scripts/test.sh (it starts DynamoDB Local and moto)");
    }
}

/// A short random suffix.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// One test's stack and identity.
pub struct TestStack {
    pub stack: Stack,
    pub tenant: String,
    pub domain: String,
    http: reqwest::Client,
}

/// An answer: status and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl TestStack {
    /// A stack with the system clock.
    pub async fn start() -> TestStack {
        Self::start_with(|_| {}).await
    }

    /// A stack whose config `f` may change (clock, resolver).
    pub async fn start_with(f: impl FnOnce(&mut StackConfig)) -> TestStack {
        require_services();
        init_logs();
        let domain = format!("{}.okta.com", unique("t"));
        let mut cfg = StackConfig::new(
            &unique("odt-test-"),
            &unique("odt-test-"),
            &domain,
            LocalAuthorizer::generate().expect("key"),
        );
        f(&mut cfg);
        let stack = Stack::start(cfg).await.expect("stack starts");
        TestStack { stack, tenant: unique("tenant-"), domain, http: reqwest::Client::new() }
    }

    /// An admin token of this test's tenant.
    pub fn admin(&self) -> String {
        self.stack.token(&self.tenant, "admin")
    }

    /// An admin token of this test's tenant carrying the `email` claim.
    pub fn admin_as(&self, email: &str) -> String {
        self.stack.authorizer.token_with_email(&self.tenant, "admin", email, 3600)
    }

    /// A technician token of this test's tenant.
    pub fn technician(&self) -> String {
        self.stack.token(&self.tenant, "technician")
    }

    /// Calls the front. `token` `None` sends no Authorization header.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method.parse().expect("method"), format!("{}{path}", self.stack.base_url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Self::answer(req.send().await.expect("front answers")).await
    }

    /// Sends raw bytes with a content type.
    pub async fn call_raw(&self, method: &str, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let req = self
            .http
            .request(method.parse().expect("method"), format!("{}{path}", self.stack.base_url))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body);
        Self::answer(req.send().await.expect("front answers")).await
    }

    async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Answer { status, body, text }
    }

    /// Registers an OIN-style app on the double and returns `(client_id, secret)`.
    pub fn oin_client(&self, granted: &[&str]) -> (String, String) {
        let id = unique("0oa");
        let secret = unique("secret-");
        self.stack.okta.add_secret_client(&id, &secret, granted);
        (id, secret)
    }

    /// Connects an org with a client that has every scope; returns the org JSON and the secret.
    pub async fn connect(&self) -> (Value, String) {
        let (id, secret) = self.oin_client(&ALL_SCOPES);
        let a =
            self.call("POST", "/okta-orgs", Some(&self.admin()), Some(connect_body(&self.domain, &id, &secret))).await;
        assert_eq!(a.status, 201, "connect: {}", a.text);
        (a.body, secret)
    }

    /// The secret value stored under `name` (the `AWSCURRENT` version), read straight from the emulator. The
    /// stage is named explicitly: moto's default read does not follow a moved `AWSCURRENT` label (AWS does).
    pub async fn stored_secret(&self, name: &str) -> Option<String> {
        let sm = aws_sdk_secretsmanager::Client::new(&odt_shared::aws::load_config().await);
        sm.get_secret_value()
            .secret_id(name)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .ok()
            .and_then(|o| o.secret_string)
    }

    /// How many secrets exist under this stack's prefix for this tenant (deleted ones excluded).
    pub async fn secret_names(&self) -> Vec<String> {
        let sm = aws_sdk_secretsmanager::Client::new(&odt_shared::aws::load_config().await);
        let prefix = self.stack.deps.secrets.name(&self.tenant, &[]);
        let mut names = Vec::new();
        let mut next = None;
        loop {
            let out = sm.list_secrets().set_next_token(next).send().await.expect("ListSecrets");
            for s in out.secret_list() {
                if s.deleted_date().is_none() && s.name().is_some_and(|n| n.starts_with(&prefix)) {
                    names.push(s.name().unwrap_or_default().to_string());
                }
            }
            next = out.next_token().map(str::to_string);
            if next.is_none() {
                return names;
            }
        }
    }

    /// Every item stored for this tenant.
    pub async fn tenant_items(&self) -> usize {
        let ddb = aws_sdk_dynamodb::Client::new(&odt_shared::aws::load_config().await);
        let out = ddb
            .query()
            .table_name(self.stack.deps.store.table())
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("T#{}", self.tenant)),
            )
            .send()
            .await
            .expect("Query");
        out.count() as usize
    }
}

/// Every scope the product asks for (its required and optional scopes, `odt_shared::okta`).
pub const ALL_SCOPES: [&str; 10] = [
    "okta.users.read",
    "okta.groups.read",
    "okta.devices.read",
    "okta.logs.read",
    "okta.eventHooks.manage",
    "okta.eventHooks.read",
    "okta.deviceAssurance.manage",
    "okta.deviceAssurance.read",
    "okta.policies.read",
    "okta.policies.manage",
];

/// The body of `POST /okta-orgs` with a client secret.
pub fn connect_body(domain: &str, client_id: &str, secret: &str) -> Value {
    serde_json::json!({
        "domain": domain,
        "credentials": {"method": "client_secret_basic", "clientId": client_id, "clientSecret": secret},
    })
}

/// A real CA certificate (PEM) from the machine's CA bundle, valid now.
pub fn system_ca_pem() -> String {
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").expect("the machine's CA bundle");
    let now = time::OffsetDateTime::now_utc();
    bundle
        .split_inclusive("-----END CERTIFICATE-----")
        .map(|b| b.trim().to_string())
        .filter(|b| b.starts_with("-----BEGIN CERTIFICATE-----"))
        .find(|pem| odt_shared::attestation::cert::parse_ca_certificate(pem, now).is_ok())
        .expect("a valid CA in the bundle")
}

impl TestStack {
    /// Connects an org and makes device trust use it; returns the org JSON.
    pub async fn ready_device_trust(&self) -> Value {
        let (org, _) = self.connect().await;
        let a = self
            .call("PUT", "/device-trust", Some(&self.admin()), Some(serde_json::json!({"oktaOrgId": org["id"]})))
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        org
    }
}

impl TestStack {
    /// Connects the stack's Hexnode double as the tenant's UEM.
    pub async fn connect_uem(&self) -> Value {
        let body = serde_json::json!({
            "portalUrl": format!("https://{}", self.stack.hexnode_portal),
            "apiKey": self.stack.hexnode_api_key,
        });
        let a = self.call("PUT", "/uem", Some(&self.admin()), Some(body)).await;
        assert_eq!(a.status, 200, "connect UEM: {}", a.text);
        a.body
    }

    /// Configures and switches on every platform (Windows with a real CA from the machine's bundle).
    pub async fn enable_all_platforms(&self, org_domain: &str) {
        let ca = system_ca_pem();
        let scep = format!("https://{org_domain}/pki/ca/scep");
        let subject = "CN={{user.email}} managementAttestation {{device.id}}";
        for (p, body) in [
            ("ios", serde_json::json!({"secretKey": unique("ios-")})),
            ("android", serde_json::json!({"secretKey": unique("android-")})),
            (
                "macos",
                serde_json::json!({"scepUrl": scep, "challenge": {"type": "static", "secretKey": unique("mac-")}, "subject": subject}),
            ),
            (
                "windows",
                serde_json::json!({"scepUrl": scep, "challenge": {"type": "static", "secretKey": unique("win-")}, "subject": subject, "caCertificate": ca}),
            ),
        ] {
            let a = self.call("PUT", &format!("/platforms/{p}"), Some(&self.admin()), Some(body)).await;
            assert_eq!(a.status, 200, "{p}: {}", a.text);
            let a = self
                .call(
                    "PUT",
                    &format!("/platforms/{p}/enabled"),
                    Some(&self.admin()),
                    Some(serde_json::json!({"enabled": true})),
                )
                .await;
            assert_eq!(a.status, 200, "{p}: {}", a.text);
        }
    }

    /// Device trust with an org, the UEM connected and every platform on; returns the org JSON.
    pub async fn ready_fleet(&self) -> Value {
        let org = self.ready_device_trust().await;
        self.connect_uem().await;
        self.enable_all_platforms(org["domain"].as_str().expect("domain")).await;
        org
    }
}
