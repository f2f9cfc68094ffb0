//! How the product authenticates to an Okta org's authorization server.

use secrecy::{ExposeSecret, SecretString};

/// The client authentication method, as Okta names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// Client ID + client secret as HTTP Basic (an Okta Integration Network API service integration).
    ClientSecretBasic,
    /// A JWT client assertion signed with the app's private key (a customer-made API Services app).
    PrivateKeyJwt,
}

/// The credentials of an Okta API service app. Secret parts are `SecretString`: redacted in `Debug`, never
/// serialized.
#[derive(Debug, Clone)]
pub enum OktaCredentials {
    ClientSecret { client_id: String, client_secret: SecretString },
    PrivateKey { client_id: String, private_key_pem: SecretString, key_id: Option<String> },
}

impl OktaCredentials {
    /// The app's client id.
    pub fn client_id(&self) -> &str {
        match self {
            OktaCredentials::ClientSecret { client_id, .. } | OktaCredentials::PrivateKey { client_id, .. } => {
                client_id
            }
        }
    }

    /// The method.
    pub fn method(&self) -> ClientAuth {
        match self {
            OktaCredentials::ClientSecret { .. } => ClientAuth::ClientSecretBasic,
            OktaCredentials::PrivateKey { .. } => ClientAuth::PrivateKeyJwt,
        }
    }

    /// The key id, for private_key_jwt.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            OktaCredentials::PrivateKey { key_id, .. } => key_id.as_deref(),
            _ => None,
        }
    }

    /// The secret part (client secret or private key PEM), for storing in Secrets Manager.
    pub fn secret(&self) -> &SecretString {
        match self {
            OktaCredentials::ClientSecret { client_secret, .. } => client_secret,
            OktaCredentials::PrivateKey { private_key_pem, .. } => private_key_pem,
        }
    }

    /// Rebuilds credentials from their stored parts.
    pub fn from_parts(method: ClientAuth, client_id: String, secret: SecretString, key_id: Option<String>) -> Self {
        match method {
            ClientAuth::ClientSecretBasic => OktaCredentials::ClientSecret { client_id, client_secret: secret },
            ClientAuth::PrivateKeyJwt => OktaCredentials::PrivateKey { client_id, private_key_pem: secret, key_id },
        }
    }

    /// The signing key and algorithm of a PEM private key: RSA (RS256) or EC P-256 (ES256), PKCS#1, PKCS#8 or
    /// SEC1. Errors: a description of why the key is unusable (never the key itself).
    pub fn signing_key(pem: &SecretString) -> Result<(jsonwebtoken::EncodingKey, jsonwebtoken::Algorithm), String> {
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        let bytes = pem.expose_secret().as_bytes();
        // A PEM parses as either kind; only a trial signature shows which one it is.
        let signs = |k: &EncodingKey, alg| jsonwebtoken::encode(&Header::new(alg), &serde_json::json!({}), k).is_ok();
        if let Ok(k) = EncodingKey::from_rsa_pem(bytes) {
            if signs(&k, Algorithm::RS256) {
                return Ok((k, Algorithm::RS256));
            }
        }
        if let Ok(k) = EncodingKey::from_ec_pem(bytes) {
            if signs(&k, Algorithm::ES256) {
                return Ok((k, Algorithm::ES256));
            }
        }
        Err("not a PEM RSA or EC P-256 private key".into())
    }
}
