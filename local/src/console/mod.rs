//! The admin console on the local stack: the built single-page app (`console/dist`), its `/config.json`, and
//! the small OIDC provider it signs in with, on one origin of their own (the API stays on the front's). Every
//! answer carries the security headers the console has in AWS, with a Content-Security-Policy that allows no
//! inline script.

mod files;
mod form;
pub mod oidc;

use crate::authorizer::LocalAuthorizer;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use files::Dist;
pub use oidc::{Provider, LOCAL_CLIENT_ID};

/// What the console reads at start (`/config.json`): the API's base URL and the OIDC issuer, client id and
/// audience it signs in with. The same shape is written at deploy time in AWS.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleConfig {
    pub api_url: String,
    pub issuer: String,
    pub client_id: String,
    pub audience: String,
}

/// The Content-Security-Policy of every console answer: scripts, styles' files, fonts and calls only from the
/// console's origin and the API (`api_url`), no inline script, no framing, forms only to the origin.
pub fn content_security_policy(api_url: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         font-src 'self' data:; connect-src 'self' {api_url}; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The console's origin `http://127.0.0.1:<port>` and its OIDC issuer (`<origin>/oidc`).
pub fn origin_and_issuer(addr: std::net::SocketAddr) -> (String, String) {
    let origin = format!("http://{addr}");
    let issuer = format!("{origin}/oidc");
    (origin, issuer)
}

/// The repository's `console/` directory.
pub fn console_dir() -> PathBuf {
    crate::template::default_path().parent().map(|p| p.join("console")).unwrap_or_else(|| PathBuf::from("console"))
}

const OIDC_CSS: &str = "body{font-family:system-ui,sans-serif;margin:3rem auto;max-width:28rem;color:#0f141a}\
label{display:block;margin-top:1rem;font-weight:600}input,select{width:100%;padding:.5rem;margin-top:.25rem}\
button{margin-top:1.5rem;padding:.6rem 1.2rem;background:#006ce0;color:#fff;border:0;border-radius:1rem}";

/// The console's router: the OIDC provider, `/config.json`, the provider's stylesheet and the app's files,
/// each answer with the security headers.
pub fn router(dist: Arc<Dist>, config: &ConsoleConfig, provider: Arc<Provider>) -> axum::Router {
    let csp = HeaderValue::from_str(&content_security_policy(&config.api_url)).expect("the policy is ASCII");
    let config_json = serde_json::to_string(config).expect("the config serializes");
    provider
        .router()
        .route(
            "/config.json",
            axum::routing::get(move || async move {
                ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")], config_json)
            }),
        )
        .route("/oidc.css", axum::routing::get(|| async { ([(header::CONTENT_TYPE, "text/css")], OIDC_CSS) }))
        .fallback(move |uri: http::Uri| {
            let dist = dist.clone();
            async move { dist.serve(uri.path()) }
        })
        .layer(axum::middleware::map_response(move |mut r: Response| {
            let csp = csp.clone();
            async move {
                let h = r.headers_mut();
                h.insert(header::CONTENT_SECURITY_POLICY, csp);
                h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
                r.into_response()
            }
        }))
}

/// A running console: where it is and its configuration.
pub struct ConsoleServer {
    pub url: String,
    pub config: ConsoleConfig,
    _task: tokio::task::JoinHandle<()>,
}

impl Drop for ConsoleServer {
    fn drop(&mut self) {
        self._task.abort();
    }
}

impl ConsoleServer {
    /// Serves `dist` on `listener` for the API at `api_url`, with the OIDC provider signing with `authorizer`'s
    /// key; the authorizer must trust the provider's issuer (see [`origin_and_issuer`]). Errors: the listener's
    /// address cannot be read.
    pub fn start(
        listener: tokio::net::TcpListener,
        dist: Dist,
        api_url: &str,
        authorizer: &LocalAuthorizer,
    ) -> anyhow::Result<ConsoleServer> {
        let (origin, issuer) = origin_and_issuer(listener.local_addr()?);
        let config = ConsoleConfig {
            api_url: api_url.trim_end_matches('/').into(),
            issuer: issuer.clone(),
            client_id: LOCAL_CLIENT_ID.into(),
            audience: authorizer.audience.clone(),
        };
        let provider = Provider::new(&issuer, &origin, authorizer.clone());
        let app = router(Arc::new(dist), &config, provider);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ConsoleServer { url: format!("{origin}/"), config, _task: task })
    }
}

/// Whether `dist` needs building: no `index.html`, or a source file (`src/`, `public/`, `index.html`, `package*.json`,
/// the API description) newer than it.
pub fn needs_build(console: &Path, api_doc: &Path) -> bool {
    let built = match std::fs::metadata(console.join("dist/index.html")).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(_) => return true,
    };
    let mut todo = vec![
        console.join("src"),
        console.join("public"),
        console.join("index.html"),
        console.join("package-lock.json"),
    ];
    todo.push(api_doc.to_path_buf());
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            todo.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
        } else if std::fs::metadata(&p).and_then(|m| m.modified()).is_ok_and(|t| t > built) {
            return true;
        }
    }
    false
}

/// Starts `cfg`'s stack with the console beside it: binds the console's port first, so that the stack's
/// authorizer trusts the console's OIDC issuer and its front answers CORS for the console's origin. The
/// console's part fails alone (e.g. `dist` not built), leaving the stack running.
pub async fn start_with_console(
    mut cfg: crate::stack::StackConfig,
    dist: &Path,
) -> anyhow::Result<(crate::stack::Stack, anyhow::Result<ConsoleServer>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let (origin, issuer) = origin_and_issuer(listener.local_addr()?);
    cfg.authorizer = cfg.authorizer.with_issuer(&issuer);
    cfg.cors_origins.push(origin);
    let stack = crate::stack::Stack::start(cfg).await?;
    let console = Dist::load(dist).and_then(|d| ConsoleServer::start(listener, d, &stack.base_url, &stack.authorizer));
    Ok((stack, console))
}
