//! Request bodies of the integration routes, parsed strictly (unknown fields refused) and then validated into
//! domain types at the edge.

use odt_shared::okta::{ClientAuth, OktaCredentials};
use odt_shared::ApiError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /okta-orgs`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"domain": "acme.okta.com", "credentials": {"method": "client_secret_basic",
    "clientId": "0oa1b2c3d4e5f6g7h8i9", "clientSecret": "<client secret shown once in Okta>"}}))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectOrg {
    /// `acme.okta.com` or `https://acme.okta.com`, or a custom domain.
    pub domain: String,
    pub credentials: CredentialsInput,
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
