//! The local stand-in for API Gateway's JWT authorizer, and the token minting that goes with it.
//!
//! Semantics follow the HTTP API JWT authorizer: the `Authorization` header carries `Bearer <JWT>` (the bare
//! token is accepted too, as API Gateway does); the signature (RS256) must verify, `iss` must equal the issuer,
//! `aud` must include the audience, `exp` must be in the future and `nbf`/`iat` not; otherwise 401
//! `{"message":"Unauthorized"}`. Accepted claims are passed on as strings in
//! `requestContext.authorizer.jwt.claims`.

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// Issuer of local tokens.
pub const LOCAL_ISSUER: &str = "https://odt-local.invalid/oauth2/default";
/// Audience of local tokens (the template's `JwtAudience` in AWS).
pub const LOCAL_AUDIENCE: &str = "api://odt";
/// The key id (`kid`) of the local signing key in token headers and the JWKS.
pub const LOCAL_KID: &str = "odt-local-1";

/// A signing key pair, an issuer and an audience.
#[derive(Clone)]
pub struct LocalAuthorizer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub issuer: String,
    pub audience: String,
}

impl LocalAuthorizer {
    /// A fresh RSA key pair (tests).
    pub fn generate() -> anyhow::Result<Self> {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).context("generating the local signing key")?;
        Self::from_pem(&kp.serialize_pem(), &kp.public_key_pem())
    }

    /// The key pair kept in `dir` (`authorizer-key.pem`, `authorizer-pub.pem`), made on first use.
    pub fn persistent(dir: &Path) -> anyhow::Result<Self> {
        let (private, public) = (dir.join("authorizer-key.pem"), dir.join("authorizer-pub.pem"));
        if !private.exists() || !public.exists() {
            std::fs::create_dir_all(dir)?;
            let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
            std::fs::write(&private, kp.serialize_pem())?;
            std::fs::write(&public, kp.public_key_pem())?;
        }
        Self::from_pem(&std::fs::read_to_string(private)?, &std::fs::read_to_string(public)?)
    }

    fn from_pem(private: &str, public: &str) -> anyhow::Result<Self> {
        Ok(LocalAuthorizer {
            encoding: EncodingKey::from_rsa_pem(private.as_bytes()).context("local private key")?,
            decoding: DecodingKey::from_rsa_pem(public.as_bytes()).context("local public key")?,
            issuer: LOCAL_ISSUER.into(),
            audience: LOCAL_AUDIENCE.into(),
        })
    }

    /// The same keys trusting tokens of `issuer` instead (the local OIDC provider's URL).
    pub fn with_issuer(mut self, issuer: &str) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The public signing key as a JSON Web Key Set (`{"keys": [..]}`), for the OIDC provider's JWKS.
    pub fn jwks(&self) -> Value {
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&self.encoding, Algorithm::RS256)
            .expect("an RSA private key has public components");
        jwk.common.key_id = Some(LOCAL_KID.into());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        json!({ "keys": [jwk] })
    }

    /// A token for `tenant` with `role`, valid for `ttl_secs`.
    pub fn token(&self, tenant: &str, role: &str, ttl_secs: i64) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.sign(&json!({
            "iss": self.issuer, "aud": self.audience, "sub": format!("{role}@{tenant}"),
            "iat": now, "nbf": now, "exp": now + ttl_secs, "tenant_id": tenant, "role": role,
            "scp": ["odt.api"],
        }))
    }

    /// [`LocalAuthorizer::token`] that also carries the OpenID Connect `email` claim (the admin's address).
    pub fn token_with_email(&self, tenant: &str, role: &str, email: &str, ttl_secs: i64) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.sign(&json!({
            "iss": self.issuer, "aud": self.audience, "sub": format!("{role}@{tenant}"), "email": email,
            "iat": now, "nbf": now, "exp": now + ttl_secs, "tenant_id": tenant, "role": role,
            "scp": ["odt.api"],
        }))
    }

    /// Signs arbitrary claims with this key (tests use it for expired or wrong-audience tokens).
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(LOCAL_KID.into());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RS256 signing works")
    }

    /// Checks an `Authorization` header value; the claims as strings on success.
    pub fn authorize(&self, header: Option<&str>) -> Option<HashMap<String, String>> {
        let raw = header?.trim();
        let token = raw.strip_prefix("Bearer ").or_else(|| raw.strip_prefix("bearer ")).unwrap_or(raw).trim();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v.validate_nbf = true;
        v.leeway = 0;
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &self.decoding, &v).ok()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if data.claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now + 5) {
            return None;
        }
        Some(
            data.claims
                .into_iter()
                .map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s,
                        Value::Array(a) => format!(
                            "[{}]",
                            a.iter()
                                .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        other => other.to_string(),
                    };
                    (k, s)
                })
                .collect(),
        )
    }
}
