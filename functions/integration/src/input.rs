//! Request bodies of the integration routes, parsed strictly (unknown fields refused) and then validated into
//! domain types at the edge.

use odt_shared::okta::{ClientAuth, OktaCredentials};
use odt_shared::outbound::HostError;
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /okta-orgs`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"domain": "acme.okta.com", "customDomain": "login.acme.example",
    "credentials": {"method": "client_secret_basic",
    "clientId": "0oa1b2c3d4e5f6g7h8i9", "clientSecret": "<client secret shown once in Okta>"}}))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectOrg {
    /// `acme.okta.com` or `https://acme.okta.com`, or a custom domain.
    pub domain: String,
    /// The org's custom URL domain, if it has one: a bare host such as `login.acme.example` (no `https://`).
    /// The macOS SSO extension lists it next to the org host, and a SCEP URL may use it (Okta help,
    /// "Configure Okta Verify SSO extension for macOS").
    #[schema(max_length = 253)]
    pub custom_domain: Option<String>,
    pub credentials: CredentialsInput,
}

/// `PUT /okta-orgs/{id}/custom-domain`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"customDomain": "login.acme.example", "version": 1}))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SetCustomDomain {
    /// A bare host such as `login.acme.example` (no `https://`), or `null` when the org has none.
    #[schema(max_length = 253)]
    pub custom_domain: Option<String>,
    /// The version the admin last read; a different stored version answers 409.
    pub version: Option<u64>,
}

/// The custom URL domain as it will be stored: a bare host (lower case), different from the org host, or `None`.
/// Errors: 400 naming `customDomain` for a scheme (`https://…`), a path, a port, an IP address or a reserved name.
pub fn custom_domain(value: Option<&str>, org_domain: &str) -> Result<Option<String>, ApiError> {
    const FIELD: &str = "customDomain";
    let Some(v) = value.map(str::trim) else { return Ok(None) };
    if v.contains("://") {
        return Err(ApiError::invalid(
            FIELD,
            "customDomain must be a bare host such as login.acme.example, without https://",
        ));
    }
    if v.contains('/') || v.contains(':') {
        return Err(ApiError::invalid(FIELD, "customDomain must be a bare host, without a path or port"));
    }
    let host = match odt_shared::outbound::parse_host(v) {
        Ok(host) => host,
        // The product never sends a request to this host (it is only written into documents for devices), so
        // the outbound rules' reserved names (e.g. `.example`, `.internal`) are accepted; every other check of
        // the host syntax passed before this one.
        Err(HostError::Reserved) => v.trim_end_matches('.').to_string(),
        Err(e) => {
            return Err(ApiError::invalid(
                FIELD,
                format!("customDomain must be a bare host such as login.acme.example: {e}"),
            ))
        }
    };
    let host = host.to_ascii_lowercase();
    if host == org_domain {
        return Err(ApiError::invalid(FIELD, "customDomain must differ from the org's domain"));
    }
    Ok(Some(host))
}

/// `PUT /okta-orgs/{id}/credentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"credentials": {"method": "private_key_jwt", "clientId": "0oa1b2c3d4e5f6g7h8i9",
    "privateKey": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n", "keyId": "key-2026"}, "version": 1}))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RotateCredentials {
    pub credentials: CredentialsInput,
    /// The version the admin last read; a different stored version answers 409.
    pub version: Option<u64>,
}

/// `PUT /device-trust`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"oktaOrgId": "org_5f1c0d2e9a8b4c7d8e9f0a1b2c3d4e5f", "version": 0}))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChooseOrg {
    pub okta_org_id: String,
    pub version: Option<u64>,
}

/// Credentials as an admin sends them, by `method`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialsInput {
    /// An Okta Integration Network API service integration: client ID + client secret.
    ClientSecretBasic {
        #[serde(rename = "clientId")]
        #[schema(min_length = 1, max_length = 128)]
        client_id: String,
        #[serde(rename = "clientSecret")]
        #[schema(value_type = String, format = Password, min_length = 1, max_length = 512)]
        client_secret: SecretString,
    },
    /// A customer-made API Services app: client ID + PEM private key (+ key id when the app has several keys).
    PrivateKeyJwt {
        #[serde(rename = "clientId")]
        #[schema(min_length = 1, max_length = 128)]
        client_id: String,
        #[serde(rename = "privateKey")]
        #[schema(value_type = String, format = Password, min_length = 1)]
        private_key: SecretString,
        #[serde(rename = "keyId", default)]
        key_id: Option<String>,
    },
}

fn printable(field: &str, v: &str, max: usize) -> Result<(), ApiError> {
    if v.is_empty() {
        return Err(ApiError::invalid(field, format!("{field} must not be empty")));
    }
    if v.len() > max {
        return Err(ApiError::invalid(field, format!("{field} is longer than {max} characters")));
    }
    if !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(field, format!("{field} may hold only printable ASCII without spaces")));
    }
    Ok(())
}

impl CredentialsInput {
    /// Validates lengths and characters, and that a private key can sign. Errors: 400 naming the field.
    pub fn validate(self) -> Result<OktaCredentials, ApiError> {
        match self {
            CredentialsInput::ClientSecretBasic { client_id, client_secret } => {
                printable("credentials.clientId", &client_id, 128)?;
                printable("credentials.clientSecret", client_secret.expose_secret(), 512)?;
                Ok(OktaCredentials::ClientSecret { client_id, client_secret })
            }
            CredentialsInput::PrivateKeyJwt { client_id, private_key, key_id } => {
                printable("credentials.clientId", &client_id, 128)?;
                if let Some(k) = &key_id {
                    printable("credentials.keyId", k, 128)?;
                }
                if private_key.expose_secret().len() > 16 * 1024 {
                    return Err(ApiError::invalid("credentials.privateKey", "the private key is longer than 16 KiB"));
                }
                OktaCredentials::signing_key(&private_key).map_err(|why| {
                    ApiError::invalid("credentials.privateKey", format!("the private key is unusable: {why}"))
                })?;
                Ok(OktaCredentials::PrivateKey { client_id, private_key_pem: private_key, key_id })
            }
        }
    }
}

/// The method name as the API shows it.
pub fn method_name(m: ClientAuth) -> &'static str {
    match m {
        ClientAuth::ClientSecretBasic => "client_secret_basic",
        ClientAuth::PrivateKeyJwt => "private_key_jwt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c22_custom_domain_is_a_bare_host() {
        assert_eq!(
            custom_domain(Some("login.acme.example"), "acme.okta.com").unwrap().as_deref(),
            Some("login.acme.example")
        );
        assert_eq!(
            custom_domain(Some(" Login.Acme.Example "), "acme.okta.com").unwrap().as_deref(),
            Some("login.acme.example")
        );
        assert_eq!(custom_domain(None, "acme.okta.com").unwrap(), None);
        for bad in [
            "https://login.acme.example",
            "http://login.acme.example",
            "login.acme.example/x",
            "login.acme.example:8443",
            "10.0.0.1",
            "localhost",
            "a..b",
            "-x.example",
            "acme.okta.com",
            "",
        ] {
            let e = custom_domain(Some(bad), "acme.okta.com").unwrap_err();
            assert_eq!(e.field.as_deref(), Some("customDomain"), "{bad}: {}", e.message);
            assert_eq!(e.status, http::StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
