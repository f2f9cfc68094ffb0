//! The validating chain in front of the Okta double: a path router (axum) that sends `/oauth2/…` to a Stoplight
//! Prism proxy started on Okta's `oauth.yaml` and everything else to one started on `management.yaml`, both
//! proxying to the double with `--errors`. The router records every exchange, every `sl-violations` header
//! (Prism's report of request and response violations) and every answer Prism made itself
//! (`application/problem+json`: a refused request, a response that broke the spec, an unknown path).

use anyhow::{bail, Context};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use odt_doubles::Served;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};

/// One exchange that went through the chain.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub status: u16,
}

/// One mismatch Prism reported.
#[derive(Debug, Clone)]
pub struct Finding {
    pub method: String,
    /// Path and query as sent.
    pub path_and_query: String,
    pub status: u16,
    /// The `sl-violations` header, or Prism's own problem answer.
    pub report: String,
}

#[derive(Default)]
struct Record {
    exchanges: Vec<Exchange>,
    findings: Vec<Finding>,
}

struct Upstreams {
    oauth: SocketAddr,
    management: SocketAddr,
    /// The double itself (the dynamic SCEP challenge URL, which Okta's spec does not describe).
    double: SocketAddr,
    http: reqwest::Client,
    record: Arc<Mutex<Record>>,
}

/// A running chain; the Prism processes end when it is dropped.
pub struct Chain {
    /// Where the org host is routed (the path router).
    pub addr: SocketAddr,
    /// Prism's logs (one file per proxy), for reading when a finding needs more context.
    pub logs: Vec<PathBuf>,
    record: Arc<Mutex<Record>>,
    _prism: Vec<Child>,
    _router: Served,
}

/// The repository root (tests/ is one level down).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The Prism binary: `ODT_PRISM` (written by `scripts/services.sh start`) or the one `install` puts in .local/npm.
fn prism_bin() -> anyhow::Result<PathBuf> {
    let p = std::env::var_os("ODT_PRISM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".local/npm/node_modules/.bin/prism"));
    if !p.exists() {
        bail!("Prism not found at {} (run `bash scripts/services.sh install`)", p.display());
    }
    Ok(p)
}

/// Okta's spec, as the fixtures hold it byte for byte.
pub fn spec_path(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures/okta-spec").join(name)
}

/// Removes every `example` / `examples` member (not a property of that name under `properties`).
fn strip_examples(v: &mut serde_yaml::Value, under_properties: bool) -> usize {
    let mut removed = 0;
    match v {
        serde_yaml::Value::Mapping(m) => {
            if !under_properties {
                for k in ["example", "examples"] {
                    if m.remove(k).is_some() {
                        removed += 1;
                    }
                }
            }
            for (k, child) in m.iter_mut() {
                removed += strip_examples(child, k.as_str() == Some("properties"));
            }
        }
        serde_yaml::Value::Sequence(s) => {
            for child in s {
                removed += strip_examples(child, false);
            }
        }
        _ => {}
    }
    removed
}

/// Replaces, in every `security` list, each requirement that names one of `schemes` with the empty requirement
/// (Prism then checks nothing for it); returns how many were replaced.
fn open_requirements(v: &mut serde_yaml::Value, schemes: &[String]) -> usize {
    let mut replaced = 0;
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, child) in m.iter_mut() {
                if let (Some("security"), serde_yaml::Value::Sequence(reqs)) = (k.as_str(), &mut *child) {
                    for r in reqs.iter_mut() {
                        let names = r
                            .as_mapping()
                            .is_some_and(|m| m.keys().any(|k| schemes.iter().any(|s| k.as_str() == Some(s))));
                        if names {
                            *r = serde_yaml::Value::Mapping(serde_yaml::Mapping::new());
                            replaced += 1;
                        }
                    }
                } else {
                    replaced += open_requirements(child, schemes);
                }
            }
        }
        serde_yaml::Value::Sequence(s) => {
            for child in s {
                replaced += open_requirements(child, schemes);
            }
        }
        _ => {}
    }
    replaced
}

/// The names of the `securitySchemes` declared as `type: http`, `scheme: postBody`.
fn post_body_schemes(doc: &serde_yaml::Value) -> Vec<String> {
    doc["components"]["securitySchemes"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v["type"].as_str() == Some("http") && v["scheme"].as_str() == Some("postBody"))
                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The document Prism is started on: a JSON copy of the fixture with three changes, each explained here and in
/// docs/ARCHITECTURE.md ("Contract test"); every schema, parameter, path and other security requirement is kept
/// as published.
///
/// 1. No `example` / `examples` members. Prism 5's reference resolver dereferences `$ref`s inside example values
///    (Okta's examples include JSON Schema documents such as `DefaultAppUserSchemaResponse`, whose
///    `$ref: '#/definitions/base'` points into the example itself) and refuses to start; examples play no part in
///    validating requests and responses.
/// 2. oauth.yaml declares the form-body client authentications (client_secret_post, client_secret_jwt,
///    private_key_jwt) as `type: http` with `scheme: postBody`, which is no HTTP authentication scheme; Prism has
///    no check for it and refuses every such request (401). Requirements naming these schemes are opened here and
///    the router checks them instead, as the schemes' descriptions say: `client_assertion_type` =
///    `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` with a `client_assertion`, or `client_id` with
///    `client_secret` ([`post_body_auth_problem`]).
/// 3. Each `oneOf` with a `discriminator` mapping requires, in each mapped alternative, the discriminator's value
///    that maps to it ([`super::discriminator`]): Prism ignores `discriminator`, and the alternatives are open
///    objects sharing one base (the policy rule types; the device assurance platforms, which all have `platform`
///    and `osVersion`), so without this a valid body matches several alternatives and `oneOf` refuses it.
fn prism_document(name: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let src = spec_path(name);
    let text = std::fs::read_to_string(&src).with_context(|| src.display().to_string())?;
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).with_context(|| name.to_string())?;
    strip_examples(&mut doc, false);
    let schemes = post_body_schemes(&doc);
    open_requirements(&mut doc, &schemes);
    super::discriminator::explicit_discriminators(&mut doc);
    let out = dir.join(name.replace(".yaml", ".json"));
    std::fs::write(&out, serde_json::to_string(&doc)?)?;
    Ok(out)
}

/// For a token request without an `Authorization` header: what is missing from the form-body client
/// authentication (the `postBody` schemes of oauth.yaml), or `None` when it is there.
fn post_body_auth_problem(body: &[u8]) -> Option<String> {
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let present = |k: &str| form.get(k).is_some_and(|v| !v.is_empty());
    let jwt = form.get("client_assertion_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        && present("client_assertion");
    let secret_post = present("client_id") && present("client_secret");
    if jwt || secret_post {
        None
    } else {
        Some("token request without client authentication: no Basic authorization, no client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer with a client_assertion, no client_id with client_secret (oauth.yaml postBody schemes, checked by the contract router)".into())
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `prism proxy <document> http://<upstream> --errors` and waits until it listens (the 3.4 MB management
/// document takes many seconds to load). Errors: Prism exits, or does not listen within 5 minutes.
async fn start_prism(document: &Path, upstream: SocketAddr, log: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    let port = free_port()?;
    let out = std::fs::File::create(log)?;
    let mut child = Command::new(prism_bin()?)
        .arg("proxy")
        .arg(document)
        .arg(format!("http://{upstream}"))
        .args(["--errors", "-h", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .kill_on_drop(true)
        .spawn()
        .context("starting prism")?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..1500 {
        if let Some(status) = child.try_wait()? {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            bail!("prism on {} exited ({status}):\n{text}", document.display());
        }
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok((child, addr));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("prism on {} did not listen on {addr}", document.display())
}

const HOP_BY_HOP: [&str; 6] = ["connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"];

async fn forward(State(up): State<Arc<Upstreams>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let pq = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| path.clone());
    // The dynamic SCEP challenge URL is no Management API endpoint (Okta's spec does not describe it, nor its
    // answer's shape, see `odt_shared::okta::challenge`): it goes to the double itself, unchecked by Prism.
    let upstream = if path == odt_doubles::okta::CHALLENGE_PATH {
        up.double
    } else if path.starts_with("/oauth2/") {
        up.oauth
    } else {
        up.management
    };
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), 16 << 20).await {
        Ok(b) => b,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("contract router: body: {e}")),
    };
    let auth_problem = (method == axum::http::Method::POST
        && path == "/oauth2/v1/token"
        && !headers.contains_key(axum::http::header::AUTHORIZATION))
    .then(|| post_body_auth_problem(&body))
    .flatten();
    let mut out = up.http.request(method.clone(), format!("http://{upstream}{pq}")).body(body);
    for (k, v) in &headers {
        if !HOP_BY_HOP.contains(&k.as_str()) {
            out = out.header(k, v);
        }
    }
    let resp = match out.send().await {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_GATEWAY, format!("contract router: prism: {e}")),
    };
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    {
        let mut rec = up.record.lock().expect("record lock");
        rec.exchanges.push(Exchange { method: method.to_string(), path: path.clone(), status: status.as_u16() });
        let finding = |report: String| Finding {
            method: method.to_string(),
            path_and_query: pq.clone(),
            status: status.as_u16(),
            report,
        };
        if let Some(p) = auth_problem {
            rec.findings.push(finding(p));
        }
        for v in resp_headers.get_all("sl-violations") {
            rec.findings.push(finding(format!("sl-violations: {}", String::from_utf8_lossy(v.as_bytes()))));
        }
        let problem = resp_headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/problem+json"));
        if problem {
            rec.findings.push(finding(format!("prism answered: {}", String::from_utf8_lossy(&bytes))));
        }
    }
    let mut r = Response::builder().status(status);
    for (k, v) in &resp_headers {
        if !HOP_BY_HOP.contains(&k.as_str()) && !k.as_str().starts_with("access-control-") {
            r = r.header(HeaderName::from(k), v);
        }
    }
    r.body(Body::from(bytes)).unwrap_or_else(|e| text(StatusCode::BAD_GATEWAY, format!("contract router: {e}")))
}

fn text(status: StatusCode, msg: String) -> Response {
    let mut r = Response::new(Body::from(msg));
    *r.status_mut() = status;
    r
}

impl Chain {
    /// Starts both Prism proxies (in parallel) in front of the double at `double` and the router in front of them.
    pub async fn start(double: SocketAddr) -> anyhow::Result<Chain> {
        let dir = std::env::temp_dir().join(format!("odt-contract-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let management = tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || prism_document("management.yaml", &dir)
        })
        .await??;
        let oauth = prism_document("oauth.yaml", &dir)?;
        let (mlog, olog) = (dir.join("prism-management.log"), dir.join("prism-oauth.log"));
        let (m, o) = tokio::try_join!(start_prism(&management, double, &mlog), start_prism(&oauth, double, &olog))?;
        // Prism holds the documents in memory once it listens; only its logs stay.
        let _ = std::fs::remove_file(&management);
        let _ = std::fs::remove_file(&oauth);
        let record = Arc::new(Mutex::new(Record::default()));
        let up = Arc::new(Upstreams {
            oauth: o.1,
            management: m.1,
            double,
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            record: record.clone(),
        });
        let router = axum::Router::new().fallback(forward).with_state(up);
        let served = Served::start(router, 0).await?;
        Ok(Chain { addr: served.addr, logs: vec![mlog, olog], record, _prism: vec![m.0, o.0], _router: served })
    }

    /// Every mismatch reported so far.
    pub fn findings(&self) -> Vec<Finding> {
        self.record.lock().expect("record lock").findings.clone()
    }

    /// Every exchange so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.record.lock().expect("record lock").exchanges.clone()
    }

    /// Forgets the findings so far (after a deliberate mismatch).
    pub fn clear_findings(&self) {
        self.record.lock().expect("record lock").findings.clear();
    }
}
