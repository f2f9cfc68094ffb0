//! The validating chain in front of the Hexnode double: a router (axum) that sends every request Hexnode's
//! description documents to a Stoplight Prism proxy on `tests/fixtures/hexnode-api/api.yaml` (`prism proxy
//! --errors`, forwarding to the double), and every request `odt_shared::uem::hexnode::undocumented::classify`
//! names straight to the double, so the proxy does not judge what the description cannot know. Each bypassed
//! request is also sent to a Prism mock on the same description (`prism mock --errors`, which never forwards), and
//! its answer recorded: the test asserts the description refuses it (unknown path or method, or a body it forbids).
//! The router records every exchange, every `sl-violations` header (Prism's report of request and response
//! violations) and every answer Prism made itself (`application/problem+json`).

use anyhow::{bail, Context};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use odt_doubles::Served;
use odt_shared::uem::hexnode::undocumented::classify;
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
    /// The undocumented call it is (bypassed the proxy), with the Prism mock's status for it.
    pub undocumented: Option<(&'static str, u16, String)>,
}

/// One mismatch Prism reported.
#[derive(Debug, Clone)]
pub struct Finding {
    pub method: String,
    pub path_and_query: String,
    pub status: u16,
    pub report: String,
}

#[derive(Default)]
struct Record {
    exchanges: Vec<Exchange>,
    findings: Vec<Finding>,
}

struct Upstreams {
    proxy: SocketAddr,
    mock: SocketAddr,
    double: SocketAddr,
    http: reqwest::Client,
    record: Arc<Mutex<Record>>,
}

/// A running chain; the Prism processes end when it is dropped.
pub struct Chain {
    /// Where the portal host is routed (the router).
    pub addr: SocketAddr,
    /// Prism's logs.
    pub logs: Vec<PathBuf>,
    record: Arc<Mutex<Record>>,
    _prism: Vec<Child>,
    _router: Served,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Hexnode's description, as the fixtures hold it byte for byte.
pub fn spec_path() -> PathBuf {
    repo_root().join("tests/fixtures/hexnode-api/api.yaml")
}

/// The document Prism is started on: a JSON copy of the fixture with one change, its path keys prefixed with the
/// server's base path `/api/v1` (api.yaml's `servers` is `https://{portal}.hexnodemdm.com/api/v1` and its paths are
/// relative to it; Prism matches request paths against the path keys alone). Every schema, parameter and
/// response is kept as published.
fn prism_document(dir: &Path) -> anyhow::Result<PathBuf> {
    let src = spec_path();
    let text = std::fs::read_to_string(&src).with_context(|| src.display().to_string())?;
    let mut doc: serde_yaml::Value = serde_yaml::from_str(&text).context("api.yaml")?;
    let paths = doc["paths"].as_mapping().cloned().context("api.yaml has paths")?;
    let mut prefixed = serde_yaml::Mapping::new();
    for (k, v) in paths {
        let key = k.as_str().context("a path key")?;
        prefixed.insert(serde_yaml::Value::String(format!("/api/v1{key}")), v);
    }
    doc["paths"] = serde_yaml::Value::Mapping(prefixed);
    if let Some(m) = doc.as_mapping_mut() {
        m.remove("servers");
    }
    let out = dir.join("hexnode-api.json");
    std::fs::write(&out, serde_json::to_string(&doc)?)?;
    Ok(out)
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

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `prism <args…> --errors` on a free port and waits until it listens.
async fn start_prism(args: &[String], log: &Path) -> anyhow::Result<(Child, SocketAddr)> {
    let port = free_port()?;
    let out = std::fs::File::create(log)?;
    let mut child = Command::new(prism_bin()?)
        .args(args)
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
            bail!("prism {args:?} exited ({status}):\n{text}");
        }
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok((child, addr));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("prism {args:?} did not listen on {addr}")
}

const HOP_BY_HOP: [&str; 6] = ["connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"];

async fn send(
    http: &reqwest::Client,
    to: SocketAddr,
    method: &axum::http::Method,
    pq: &str,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> reqwest::Result<reqwest::Response> {
    let mut out = http.request(method.clone(), format!("http://{to}{pq}")).body(body);
    for (k, v) in headers {
        if !HOP_BY_HOP.contains(&k.as_str()) {
            out = out.header(k, v);
        }
    }
    out.send().await
}

async fn forward(State(up): State<Arc<Upstreams>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let pq = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| path.clone());
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), 16 << 20).await {
        Ok(b) => b,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("contract router: body: {e}")),
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let undocumented = classify(method.as_str(), &path, json.as_ref());
    let judged = match undocumented {
        None => None,
        Some(call) => match send(&up.http, up.mock, &method, &pq, &headers, body.clone()).await {
            Ok(r) => {
                let status = r.status().as_u16();
                Some((call.name, status, r.text().await.unwrap_or_default()))
            }
            Err(e) => return text(StatusCode::BAD_GATEWAY, format!("contract router: prism mock: {e}")),
        },
    };
    let to = if undocumented.is_some() { up.double } else { up.proxy };
    let resp = match send(&up.http, to, &method, &pq, &headers, body).await {
        Ok(r) => r,
        Err(e) => return text(StatusCode::BAD_GATEWAY, format!("contract router: {e}")),
    };
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap_or_default();
    {
        let mut rec = up.record.lock().expect("record lock");
        rec.exchanges.push(Exchange {
            method: method.to_string(),
            path: path.clone(),
            status: status.as_u16(),
            undocumented: judged,
        });
        if undocumented.is_none() {
            let finding = |report: String| Finding {
                method: method.to_string(),
                path_and_query: pq.clone(),
                status: status.as_u16(),
                report,
            };
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
    /// Starts the Prism proxy (forwarding to `double`) and the Prism mock on the description, and the router.
    pub async fn start(double: SocketAddr) -> anyhow::Result<Chain> {
        let dir = std::env::temp_dir().join(format!("odt-hexnode-contract-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let spec = prism_document(&dir)?.display().to_string();
        let (plog, mlog) = (dir.join("prism-proxy.log"), dir.join("prism-mock.log"));
        let proxy_args = ["proxy".to_string(), spec.clone(), format!("http://{double}")];
        let mock_args = ["mock".to_string(), spec];
        let (p, m) = tokio::try_join!(start_prism(&proxy_args, &plog), start_prism(&mock_args, &mlog))?;
        let record = Arc::new(Mutex::new(Record::default()));
        let up = Arc::new(Upstreams {
            proxy: p.1,
            mock: m.1,
            double,
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            record: record.clone(),
        });
        let router = axum::Router::new().fallback(forward).with_state(up);
        let served = Served::start(router, 0).await?;
        Ok(Chain { addr: served.addr, logs: vec![plog, mlog], record, _prism: vec![p.0, m.0], _router: served })
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
