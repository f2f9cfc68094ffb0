//! Secrets Manager adapter. Every secret the product holds (Okta client secret or private key, platform secret
//! keys, SCEP challenges, the hook secret, the UEM API key) lives here under `<prefix>/<tenant>/…`, so IAM can
//! scope each function to the prefix. Records in DynamoDB point at a secret by name and version id; values are
//! only ever held in `SecretString`.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use aws_sdk_secretsmanager::Client;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Where one version of a secret lives: the secret's name and the version id Secrets Manager gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    pub name: String,
    pub version_id: String,
}

/// A Secrets Manager failure (the message never holds a secret value).
#[derive(Debug, thiserror::Error)]
#[error("Secrets Manager {op} failed: {message}")]
pub struct SecretsError {
    pub op: &'static str,
    pub message: String,
}

fn err<E: ProvideErrorMetadata>(op: &'static str) -> impl Fn(E) -> SecretsError {
    move |e| SecretsError {
        op,
        message: format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("no message")),
    }
}

/// The adapter: a client (built once per cold start) and the name prefix (e.g. `odt`).
#[derive(Debug, Clone)]
pub struct Secrets {
    client: Client,
    prefix: String,
    /// Values read by [`Secrets::get_cached`], by (name, version id): a version's value never changes.
    cache: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(String, String), SecretString>>>,
}

/// The label of a version written but not yet named by its record ([`Secrets::put_pending`]).
pub const PENDING_LABEL: &str = "ODT_PENDING";

/// Versions [`Secrets::get_cached`] keeps per warm instance before it starts again from empty.
const CACHED_VERSIONS: usize = 256;

impl Secrets {
    /// The adapter over `client`, naming secrets under `prefix`.
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        Secrets { client, prefix: prefix.into().trim_end_matches('/').to_string(), cache: Default::default() }
    }

    /// The name of a tenant's secret: `<prefix>/<tenant>/<parts joined by '/'>`. Callers pass safe ids only.
    pub fn name(&self, tenant: &str, parts: &[&str]) -> String {
        format!("{}/{}/{}", self.prefix, tenant, parts.join("/"))
    }

    /// Stores `value` as a new version of secret `name` (creating the secret if needed) and returns that version.
    /// The new version becomes current; records point at it by version id.
    pub async fn put(&self, name: &str, value: &SecretString) -> Result<SecretRef, SecretsError> {
        self.put_version(name, value, None).await
    }

    /// Stores `value` as a new version of secret `name` labelled [`PENDING_LABEL`] only: the current version stays
    /// where it is until [`Secrets::make_current`] moves it (a save does once its record names the new version).
    /// A secret's first version is current all the same (Secrets Manager makes it so). Errors: as [`Secrets::put`].
    pub async fn put_pending(&self, name: &str, value: &SecretString) -> Result<SecretRef, SecretsError> {
        self.put_version(name, value, Some(PENDING_LABEL)).await
    }

    /// [`Secrets::put`] with `stage` as the new version's only label (`None`: Secrets Manager's default, current).
    async fn put_version(
        &self,
        name: &str,
        value: &SecretString,
        stage: Option<&str>,
    ) -> Result<SecretRef, SecretsError> {
        let token = uuid::Uuid::new_v4().to_string();
        let stages = stage.map(|s| vec![s.to_string()]);
        let put = self
            .client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value.expose_secret())
            .client_request_token(&token)
            .set_version_stages(stages.clone())
            .send()
            .await;
        match put {
            Ok(out) => Ok(SecretRef { name: name.to_string(), version_id: out.version_id.unwrap_or(token) }),
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                let created = self
                    .client
                    .create_secret()
                    .name(name)
                    .secret_string(value.expose_secret())
                    .client_request_token(&token)
                    .description("Okta Device Trust automation; written through the admin API only")
                    .send()
                    .await;
                match created {
                    Ok(out) => Ok(SecretRef { name: name.to_string(), version_id: out.version_id.unwrap_or(token) }),
                    // A concurrent writer created it first: add this value as a version of that secret.
                    Err(e) if e.code() == Some("ResourceExistsException") => {
                        let out = self
                            .client
                            .put_secret_value()
                            .secret_id(name)
                            .secret_string(value.expose_secret())
                            .client_request_token(uuid::Uuid::new_v4().to_string())
                            .set_version_stages(stages)
                            .send()
                            .await
                            .map_err(err("PutSecretValue"))?;
                        Ok(SecretRef { name: name.to_string(), version_id: out.version_id.unwrap_or_default() })
                    }
                    Err(e) => Err(err("CreateSecret")(e)),
                }
            }
            Err(e) => Err(err("PutSecretValue")(e)),
        }
    }

    /// The value of exactly that version.
    pub async fn get(&self, r: &SecretRef) -> Result<SecretString, SecretsError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(&r.name)
            .version_id(&r.version_id)
            .send()
            .await
            .map_err(err("GetSecretValue"))?;
        out.secret_string
            .map(SecretString::from)
            .ok_or(SecretsError { op: "GetSecretValue", message: "the secret has no string value".into() })
    }

    /// The value of exactly that version, read from Secrets Manager once per warm instance: a secret version's
    /// value is immutable, so the cached value is the stored one, and a rotated secret is a new version id that
    /// is read afresh. For hot paths that a caller outside the product drives (the event hook's secret on every
    /// delivery). Errors: as [`Secrets::get`].
    pub async fn get_cached(&self, r: &SecretRef) -> Result<SecretString, SecretsError> {
        let key = (r.name.clone(), r.version_id.clone());
        if let Some(v) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(v);
        }
        let v = self.get(r).await?;
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHED_VERSIONS {
                c.clear();
            }
            c.insert(key, v.clone());
        }
        Ok(v)
    }

    /// Moves the `AWSCURRENT` label to version `r` (no-op when it is already there).
    pub async fn make_current(&self, r: &SecretRef) -> Result<(), SecretsError> {
        let d = self.client.describe_secret().secret_id(&r.name).send().await.map_err(err("DescribeSecret"))?;
        let current = d
            .version_ids_to_stages
            .unwrap_or_default()
            .into_iter()
            .find_map(|(id, stages)| stages.iter().any(|s| s == "AWSCURRENT").then_some(id));
        if current.as_deref() == Some(r.version_id.as_str()) {
            return Ok(());
        }
        let mut req = self
            .client
            .update_secret_version_stage()
            .secret_id(&r.name)
            .version_stage("AWSCURRENT")
            .move_to_version_id(&r.version_id);
        if let Some(c) = current {
            req = req.remove_from_version_id(c);
        }
        req.send().await.map_err(err("UpdateSecretVersionStage"))?;
        Ok(())
    }

    /// Deletes secret `name` after the 7-day recovery window (a missing secret is not an error).
    pub async fn delete(&self, name: &str) -> Result<(), SecretsError> {
        match self.client.delete_secret().secret_id(name).recovery_window_in_days(7).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(err("DeleteSecret")(e)),
        }
    }
}
