//! The local OIDC provider's pages: the sign-in form (tenant, role, token lifetime) and the error page. Plain
//! HTML with every value escaped and no script, served under the console's Content-Security-Policy.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;

/// An authorization request (OIDC Core §3.1.2.1), as the query of `GET /oidc/authorize` and the hidden fields
/// of the sign-in form.
#[derive(Debug, Clone, Deserialize)]
pub struct Authorize {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
    pub nonce: Option<String>,
}

/// `s` escaped for HTML text and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/oidc.css\"></head>\
         <body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    )
}

/// The sign-in form for `req`: the tenant, the role and the token's lifetime; `problem` says what was wrong
/// with the last answer (400 then).
pub fn sign_in_page(req: &Authorize, problem: Option<&str>) -> Response {
    let hidden: String = [
        ("client_id", req.client_id.as_str()),
        ("redirect_uri", &req.redirect_uri),
        ("response_type", &req.response_type),
        ("scope", &req.scope),
        ("state", &req.state),
        ("code_challenge", &req.code_challenge),
        ("code_challenge_method", &req.code_challenge_method),
        ("nonce", req.nonce.as_deref().unwrap_or_default()),
    ]
    .iter()
    .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", escape(v)))
    .collect();
    let alert = problem.map(|p| format!("<p role=\"alert\">{}</p>", escape(p))).unwrap_or_default();
    let body = format!(
        "{alert}<p>Local sign-in of the Okta Device Trust console (odt-local). Choose who you are.</p>\
         <form method=\"post\" action=\"/oidc/authorize\">{hidden}\
         <label for=\"tenant\">Tenant</label>\
         <input id=\"tenant\" name=\"tenant\" required maxlength=\"128\" value=\"my-tenant\">\
         <label for=\"role\">Role</label>\
         <select id=\"role\" name=\"role\"><option value=\"admin\">admin</option>\
         <option value=\"technician\">technician</option></select>\
         <label for=\"ttl\">Token lifetime in seconds</label>\
         <input id=\"ttl\" name=\"ttl\" type=\"number\" min=\"1\" max=\"86400\" value=\"3600\">\
         <button type=\"submit\">Sign in</button></form>"
    );
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, Html(page("Sign in", &body))).into_response()
}

/// A page naming why the request cannot go on (a bad client or redirect URI is never redirected to).
pub fn error_page(problem: &str) -> Response {
    let body = format!("<p role=\"alert\">This sign-in request is refused: {}.</p>", escape(problem));
    (StatusCode::BAD_REQUEST, Html(page("Sign-in refused", &body))).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(super::escape("\"><script>"), "&quot;&gt;&lt;script&gt;");
    }
}
