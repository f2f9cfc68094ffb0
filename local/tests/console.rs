//! The local console's server without the rest of the stack: the OIDC provider's code flow with PKCE (the
//! token it issues is one the front's authorizer accepts, signed with the key its JWKS publishes), its refusals,
//! the security headers and `/config.json`; and the front's CORS for the console's origin.

use odt_local::authorizer::LocalAuthorizer;
use odt_local::console::{oidc::s256, ConsoleServer, Dist, LOCAL_CLIENT_ID};
use serde_json::Value;

struct Served {
    server: ConsoleServer,
    authorizer: LocalAuthorizer,
    http: reqwest::Client,
}

async fn serve() -> Served {
    let dir = std::env::temp_dir().join(format!("odt-console-test-{}", uuid_like()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><script type=module src=/assets/a.js></script>").unwrap();
    std::fs::write(dir.join("assets/a.js"), "export {}").unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let (_, issuer) = odt_local::console::origin_and_issuer(listener.local_addr().unwrap());
    let authorizer = LocalAuthorizer::generate().unwrap().with_issuer(&issuer);
    let server = ConsoleServer::start(listener, Dist::load(&dir).unwrap(), "http://127.0.0.1:9/", &authorizer).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Served { server, authorizer, http }
}

fn uuid_like() -> String {
    format!("{}-{:?}", std::process::id(), std::time::SystemTime::now())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

impl Served {
    fn issuer(&self) -> &str {
        &self.server.config.issuer
    }

    fn redirect(&self) -> String {
        format!("{}callback", self.server.url)
    }

    /// The sign-in form's answer for `tenant` and `role`; the redirect's `Location`.
    async fn sign_in(&self, tenant: &str, role: &str, challenge: &str) -> reqwest::Response {
        let form = [
            ("client_id", LOCAL_CLIENT_ID),
            ("redirect_uri", &self.redirect()),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "st<>"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("nonce", "n1"),
            ("tenant", tenant),
            ("role", role),
            ("ttl", "600"),
        ];
        self.http.post(format!("{}/authorize", self.issuer())).form(&form).send().await.unwrap()
    }

    async fn code(&self, tenant: &str, role: &str) -> String {
        let r = self.sign_in(tenant, role, &s256(VERIFIER)).await;
        assert_eq!(r.status(), 303);
        let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
        assert!(loc.as_str().starts_with(&self.redirect()), "{loc}");
        let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
        assert_eq!(q["state"], "st<>");
        q["code"].clone()
    }

    async fn token(&self, code: &str, verifier: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect()),
            ("client_id", LOCAL_CLIENT_ID),
            ("code_verifier", verifier),
        ];
        let r = self.http.post(format!("{}/token", self.issuer())).form(&form).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }
}

#[tokio::test]
async fn code_flow_with_pkce_issues_a_token_the_authorizer_accepts() {
    let s = serve().await;
    let d: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.issuer()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], s.issuer());
    assert_eq!(d["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    let page = s
        .http
        .get(format!("{}/authorize", s.issuer()))
        .query(&[
            ("client_id", LOCAL_CLIENT_ID),
            ("redirect_uri", &s.redirect()),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "\"><script>"),
            ("code_challenge", &s256(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"tenant\"") && !html.contains("\"><script>"), "values escaped: {html}");

    let code = s.code("acme", "technician").await;
    let (status, body) = s.token(&code, VERIFIER).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    let claims = s.authorizer.authorize(Some(&format!("Bearer {access}"))).expect("the front's authorizer accepts it");
    assert_eq!((claims["tenant_id"].as_str(), claims["role"].as_str()), ("acme", "technician"));
    assert_eq!(claims["iss"], s.issuer());
    // The JWKS publishes the key that signed it.
    let jwks: jsonwebtoken::jwk::JwkSet =
        s.http.get(format!("{}/keys", s.issuer())).send().await.unwrap().json().await.unwrap();
    let kid = jsonwebtoken::decode_header(access).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[s.authorizer.audience.as_str()]);
    jsonwebtoken::decode::<Value>(access, &key, &v).expect("verifies with the JWKS key");
    // A code is good once.
    assert_eq!(s.token(&code, VERIFIER).await.0, 400);
}

#[tokio::test]
async fn a_wrong_verifier_or_a_foreign_redirect_gets_nothing() {
    let s = serve().await;
    let code = s.code("acme", "admin").await;
    let (status, body) = s.token(&code, &"x".repeat(43)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(s.token(&code, VERIFIER).await.0, 400, "the code was spent by the failed attempt");
    // A challenge that is not S256 text, a bad tenant or role: no code.
    let r = s.sign_in("acme", "admin", "plain").await;
    assert!(r.headers()["location"].to_str().unwrap().contains("error=invalid_request"));
    assert_eq!(s.sign_in("bad tenant", "admin", &s256(VERIFIER)).await.status(), 400);
    assert_eq!(s.sign_in("acme", "root", &s256(VERIFIER)).await.status(), 400);
    // A redirect off the console's origin is refused on the page, never redirected to.
    let r = s
        .http
        .get(format!("{}/authorize", s.issuer()))
        .query(&[
            ("client_id", LOCAL_CLIENT_ID),
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn every_answer_has_the_csp_and_config_json_has_the_four_keys() {
    let s = serve().await;
    for path in ["", "status", "devices/1", "config.json", "oidc/keys", "assets/a.js"] {
        let r = s.http.get(format!("{}{path}", s.server.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    let c: Value = s.http.get(format!("{}config.json", s.server.url)).send().await.unwrap().json().await.unwrap();
    let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["apiUrl", "audience", "clientId", "issuer"]);
    assert_eq!(c["apiUrl"], "http://127.0.0.1:9");
    assert_eq!(s.http.get(format!("{}nope.js", s.server.url)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn the_front_answers_cors_for_the_console_origin_only() {
    let template = odt_local::template::Template::load(&odt_local::template::default_path()).unwrap();
    let front = std::sync::Arc::new(odt_local::front::Front {
        routes: template.routes(),
        handlers: std::collections::HashMap::new(),
        authorizer: LocalAuthorizer::generate().unwrap(),
        cors_origins: vec!["http://127.0.0.1:5555".into()],
        domain_name: "api.odt.local".into(),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, front.router()).await });
    let http = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        http.request(reqwest::Method::OPTIONS, format!("{base}/status"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let ok = preflight("http://127.0.0.1:5555").await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://127.0.0.1:5555");
    assert!(ok.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A real request still meets the authorizer, and its answer names the allowed origin.
    let r = http.get(format!("{base}/status")).header("origin", "http://127.0.0.1:5555").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], "http://127.0.0.1:5555");
}
