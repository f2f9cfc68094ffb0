//! The API edge: a Lambda HTTP request parsed into an [`ApiRequest`] (caller, method, path segments, query,
//! body), JSON bodies parsed strictly into domain input types with errors that name the field, and responses.

use crate::auth::Caller;
use crate::error::ApiError;
use http::{Method, StatusCode};
use lambda_http::{Body, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// The largest request body accepted, in bytes (1 MiB); larger answers 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One parsed API request.
#[derive(Debug)]
pub struct ApiRequest {
    pub caller: Caller,
    pub method: Method,
    /// Path segments as received (never decoded), without empty ones: `/okta-orgs/abc` → `["okta-orgs", "abc"]`.
    pub segments: Vec<String>,
    pub query: HashMap<String, String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The API's base URL as API Gateway received this request (`https://<domainName>`, plus `/<stage>` for a
    /// named stage): where Okta reaches the product. `None` for a request built without an event.
    pub api_base: Option<String>,
}

impl TryFrom<lambda_http::Request> for ApiRequest {
    type Error = ApiError;

    fn try_from(req: lambda_http::Request) -> Result<Self, ApiError> {
        let caller = caller_of(&req)?;
        let api_base = api_base_of(&req);
        let segments = path_segments(raw_path(&req));
        let query = req
            .query_string_parameters_ref()
            .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let content_type =
            req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_ascii_lowercase());
        let method = req.method().clone();
        let body = match req.into_body() {
            Body::Empty => Vec::new(),
            Body::Text(t) => t.into_bytes(),
            Body::Binary(b) => b,
            _ => Vec::new(),
        };
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is {} bytes; at most {MAX_BODY_BYTES} are accepted", body.len()),
            )
            .with_field("body"));
        }
        Ok(ApiRequest { caller, method, segments, query, content_type, body, api_base })
    }
}

impl ApiRequest {
    /// The segments as `&str`, for matching routes.
    pub fn path(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }

    /// Parses the JSON body into `T` (which should `deny_unknown_fields`). Errors: 415 unless the content type
    /// is JSON; 400 naming the field for invalid JSON, invalid UTF-8, wrong types, missing or unknown fields.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        parse_json(self.content_type.as_deref(), &self.body)
    }

    /// A whole-number query parameter, if present. Errors: 400 naming it when it is not a `u64`.
    pub fn query_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.query(name)
            .map(|v| v.parse::<u64>().map_err(|_| ApiError::invalid(name, format!("{name} must be a whole number"))))
            .transpose()
    }

    /// A query parameter, if present.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// The API's base URL from the request context: `https://` + `domainName` (API Gateway's own host or the custom
/// domain the request came through), plus `/<stage>` unless the stage is `$default`. `None` without a context or
/// with a domain name that is not a plain host.
fn api_base_of(req: &lambda_http::Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else { return None };
    let domain = ctx.domain_name.as_deref()?;
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !plain(domain) {
        return None;
    }
    match ctx.stage.as_deref() {
        None | Some("$default") | Some("") => Some(format!("https://{domain}")),
        Some(stage) if plain(stage) => Some(format!("https://{domain}/{stage}")),
        Some(_) => None,
    }
}

/// Reads the caller from the JWT authorizer's claims in the request context.
fn caller_of(req: &lambda_http::Request) -> Result<Caller, ApiError> {
    use lambda_http::request::RequestContext;
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|j| &j.claims)
        }
        _ => None,
    };
    let claims = claims.ok_or_else(|| ApiError::unauthorized("no authorizer claims on the request"))?;
    Caller::from_claims(|k| claims.get(k).map(String::as_str))
}

/// The request's path as the event carries it (`rawPath`): the URI lambda_http builds went through a URL parser,
/// which resolves `%2E%2E` as `..`. A request built without an event (a test calling a handler as a library) has
/// none, and its URI's path is used.
pub fn raw_path(req: &lambda_http::Request) -> &str {
    match req.raw_http_path() {
        "" => req.uri().path(),
        raw => raw,
    }
}

/// The path's segments as received, without empty ones. Nothing is decoded: a path parameter is used as sent
/// ([`crate::as_sent::path_param`]).
fn path_segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Parses a JSON body strictly; see [`ApiRequest::json`].
pub fn parse_json<T: DeserializeOwned>(content_type: Option<&str>, body: &[u8]) -> Result<T, ApiError> {
    let is_json = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON with content-type application/json",
        )
        .with_field("content-type"));
    }
    parse_json_bytes(body)
}

/// Parses `body` as one JSON object into `T` strictly, whatever the content type (for callers that do not get
/// one, such as Okta's event hook). Errors: 400 `invalid_json` naming `body` for invalid UTF-8, invalid JSON,
/// anything but one object, or trailing data; 400 `invalid_field` naming the dotted field for wrong types,
/// missing, unknown or duplicate fields. Messages name no Rust type.
pub fn parse_json_bytes<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()))
            .with_field("body")
    })?;
    // Every body is one JSON object: serde would otherwise read a struct from an array (`[true]`) and name Rust
    // types in its messages.
    let first = text.trim_start().chars().next();
    if first != Some('{') {
        let what = if first.is_none() { "the body is empty" } else { "the body is not a JSON object" };
        return Err(
            ApiError::bad_request("invalid_json", format!("{what}; a JSON object is expected")).with_field("body")
        );
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = plain_message(&inner.to_string());
        // serde_json reports some wrong values (`null` for an enum) as syntax errors: the body is invalid JSON
        // only if it does not parse as JSON at all.
        let not_json =
            (inner.is_syntax() || inner.is_eof()) && serde_json::from_str::<serde_json::Value>(text).is_err();
        if not_json {
            return ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {msg}"))
                .with_field("body");
        }
        ApiError::bad_request("invalid_field", msg.clone()).with_field(field_of(&path, &msg))
    })?;
    // One JSON document and nothing after it (a second document or trailing text is refused, not ignored).
    de.end().map_err(|e| {
        ApiError::bad_request("invalid_json", format!("unexpected data after the JSON body: {e}")).with_field("body")
    })?;
    Ok(value)
}

/// serde's message with Rust type names replaced by what the client sees (`expected struct ConnectOrg` →
/// `expected an object`).
fn plain_message(msg: &str) -> String {
    let mut out = msg.to_string();
    for marker in ["expected internally tagged enum ", "expected struct variant ", "expected struct ", "expected enum "]
    {
        while let Some(at) = out.find(marker) {
            let rest = &out[at + marker.len()..];
            let name_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let mut tail = &rest[name_len..];
            if let Some(t) = tail.strip_prefix(" with ") {
                // `with 2 elements`
                let n = t.find(" element").map(|i| i + " element".len()).unwrap_or(0);
                tail = t[n..].strip_prefix('s').unwrap_or(&t[n..]);
            }
            let what =
                if marker.contains("enum") { "expected one of the documented values" } else { "expected an object" };
            out = format!("{}{what}{tail}", &out[..at]);
        }
    }
    out
}

/// The dotted field an error concerns: serde names unknown and missing fields in the message, not the path.
fn field_of(path: &str, msg: &str) -> String {
    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|p| msg.strip_prefix(p).and_then(|r| r.split('`').next()));
    let base = if path == "." || path == "?" { String::new() } else { path.to_string() };
    match (named, base.is_empty()) {
        (Some(n), true) => n.to_string(),
        (Some(n), false) if !base.ends_with(n) => format!("{base}.{n}"),
        (_, true) => "body".to_string(),
        _ => base,
    }
}

/// A JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("static response parts are valid")
}

/// 204 with no body.
pub fn no_content() -> Response<Body> {
    Response::builder().status(StatusCode::NO_CONTENT).body(Body::Empty).expect("static response parts are valid")
}

/// The response for an error.
pub fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.status, &e.body())
}

/// Runs a handler body and turns its error into the JSON error response; 5xx causes are logged here only.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    match result {
        Ok(r) => r,
        Err(e) => {
            if e.status.is_server_error() {
                tracing::error!(code = e.code, status = e.status.as_u16(), "request failed");
            } else {
                tracing::info!(
                    code = e.code,
                    status = e.status.as_u16(),
                    field = e.field.as_deref(),
                    "request refused"
                );
            }
            error_response(&e)
        }
    }
}

/// Checks that `value` (the request field `field`) is an `https` URL written as it is used
/// ([`crate::as_sent::url_text`]), naming a host, without user info, at most 2048 characters, and (when `host_must_be` is given) on that host and the standard port; returns it normalized. Errors: 400 naming
/// `field` and the reason.
pub fn https_url(field: &str, value: &str, host_must_be: Option<&str>) -> Result<String, ApiError> {
    crate::as_sent::url_text(value.trim()).map_err(|why| ApiError::invalid(field, format!("{field} {why}")))?;
    let url =
        url::Url::parse(value.trim()).map_err(|e| ApiError::invalid(field, format!("{field} is not a URL: {e}")))?;
    if url.scheme() != "https" {
        return Err(ApiError::invalid(field, format!("{field} must be an https URL")));
    }
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() || !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::invalid(field, format!("{field} must name a host and carry no user info")));
    }
    if let Some(expected) = host_must_be {
        if !host.eq_ignore_ascii_case(expected) {
            return Err(ApiError::invalid(
                field,
                format!("{field} must be on the device-trust org's domain {expected}"),
            ));
        }
        // The org serves on the standard port only (as the outbound rules require); another port is another
        // service on that host.
        if url.port().is_some() {
            return Err(ApiError::invalid(field, format!("{field} must use the standard https port")));
        }
    }
    if value.len() > 2048 {
        return Err(ApiError::invalid(field, format!("{field} is longer than 2048 characters")));
    }
    Ok(url.to_string())
}

/// [`https_url`], and the host a public name (no IP address, no reserved name such as `localhost`, the outbound
/// rules' [`crate::outbound::parse_host`]) on the standard port: for URLs the UEM or devices fetch. Errors: 400
/// naming `field`.
pub fn public_https_url(field: &str, value: &str) -> Result<String, ApiError> {
    let url = https_url(field, value, None)?;
    let parsed = url::Url::parse(&url).map_err(|_| ApiError::invalid(field, format!("{field} is not a URL")))?;
    crate::outbound::parse_host(&format!("https://{}", parsed.host_str().unwrap_or_default()))
        .map_err(|e| ApiError::invalid(field, format!("the host of {field} {e}")))?;
    if parsed.port().is_some() {
        return Err(ApiError::invalid(field, format!("{field} must use the standard https port")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct In {
        domain: String,
        inner: Option<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    fn err(body: &str) -> ApiError {
        parse_json::<In>(Some("application/json"), body.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(err(r#"{"domain":"a","extra":1}"#).field.as_deref(), Some("extra"));
        assert_eq!(err(r#"{}"#).field.as_deref(), Some("domain"));
        assert_eq!(err(r#"{"domain":5}"#).field.as_deref(), Some("domain"));
        assert_eq!(err(r#"{"domain":"a","inner":{"n":"x"}}"#).field.as_deref(), Some("inner.n"));
        assert_eq!(err(r#"{"domain":"a","inner":{"n":1,"m":2}}"#).field.as_deref(), Some("inner.m"));
        assert_eq!(err(r#"{"domain":"#).code, "invalid_json");
        assert_eq!(err(r#"{"domain":"a"}{"domain":"b"}"#).code, "invalid_json", "a second document is refused");
        assert_eq!(err(r#"{"domain":"a"} xyz"#).field.as_deref(), Some("body"));
        assert!(parse_json::<In>(Some("application/json"), b"{\"domain\":\"a\"}  \n").is_ok(), "whitespace is fine");
        let e = parse_json::<In>(Some("text/plain"), b"{}").unwrap_err();
        assert_eq!(e.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let e = parse_json::<In>(Some("application/json"), b"{\"domain\":\"\xff\"}").unwrap_err();
        assert_eq!(e.code, "invalid_json");
        assert_eq!(err(r#"{"domain":"a","domain":"b"}"#).field.as_deref(), Some("domain"), "duplicates are named");
        for body in ["[]", "[\"a\"]", "\"a\"", "null", "1", "", "  "] {
            let e = err(body);
            assert_eq!((e.code, e.field.as_deref()), ("invalid_json", Some("body")), "{body:?}: {}", e.message);
        }
        assert_eq!(err(r#"{"domain":"a","inner":null,"#).field.as_deref(), Some("body"), "invalid JSON is the body's");
    }

    #[test]
    fn wrong_values_are_invalid_fields_and_messages_name_no_rust_type() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "snake_case")]
        #[allow(dead_code)]
        enum Format {
            Csv,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct F {
            format: Format,
            inner: Option<Inner>,
        }
        let e = parse_json::<F>(Some("application/json"), br#"{"format": null}"#).unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), ("invalid_field", Some("format")), "{}", e.message);
        let e = parse_json::<F>(Some("application/json"), br#"{"format": "csv", "inner": []}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner"));
        assert!(!e.message.contains("Inner") && !e.message.contains("struct"), "{}", e.message);
        assert_eq!(
            plain_message("invalid length 0, expected struct In with 2 elements"),
            "invalid length 0, expected an object"
        );
        assert_eq!(
            plain_message("invalid type: string, expected internally tagged enum Creds"),
            "invalid type: string, expected one of the documented values"
        );
    }

    #[test]
    fn org_urls_stay_on_the_org_and_its_port() {
        let ok = https_url("scepUrl", "https://acme.okta.com/pki/ca/scep", Some("acme.okta.com"));
        assert!(ok.is_ok());
        assert!(https_url("scepUrl", "https://acme.okta.com:443/pki/ca/scep", Some("acme.okta.com")).is_ok());
        for bad in ["https://acme.okta.com:8443/scep", "https://evil.com/scep", "https://u@acme.okta.com/scep"] {
            assert_eq!(https_url("scepUrl", bad, Some("acme.okta.com")).unwrap_err().field.as_deref(), Some("scepUrl"));
        }
    }

    #[test]
    fn segments_are_taken_as_received() {
        assert_eq!(path_segments("/okta-orgs/a%2Fb/"), vec!["okta-orgs", "a%2Fb"]);
        assert_eq!(path_segments("/a+b"), vec!["a+b"]);
    }
}
