//! Okta's Device Assurance Policies API (`/api/v1/device-assurances`): the calls the product makes for its own
//! policies, one per platform, carrying the product's OS minimum. Shapes follow `DeviceAssurance` and its
//! platform variants in `../shared/okta/spec/management.yaml` (`name`, `platform`: `IOS` | `ANDROID` | `MACOS` |
//! `WINDOWS`, `osVersion.minimum`; Okta adds `id`, `createdBy`, `createdDate`, `lastUpdate`, `lastUpdatedBy`).

use super::client::OktaClient;
use super::error::OktaError;
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// A device assurance policy as Okta reports it (the fields the product reads; the rest ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceAssurance {
    /// Okta's id of the policy (`dae…`).
    pub id: String,
    pub name: String,
    /// `IOS`, `ANDROID`, `MACOS`, `WINDOWS` (or `CHROMEOS`).
    pub platform: String,
    #[serde(default)]
    pub os_version: Option<OsVersion>,
    /// When Okta last changed the policy (whoever changed it): the product compares it with the value its own
    /// last write got back.
    #[serde(default)]
    pub last_update: Option<String>,
    #[serde(default)]
    pub last_updated_by: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
}

/// `OSVersion` with a static `minimum` (the device's OS must be at least this version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsVersion {
    #[serde(default)]
    pub minimum: Option<String>,
}

fn assurance_path(id: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("api/v1/device-assurances/{id}")
}

impl OktaClient {
    /// Creates a policy from `body` (`POST /api/v1/device-assurances`, `createDeviceAssurancePolicy`; scope
    /// `okta.deviceAssurance.manage`). Not repeated on a 5xx or a lost answer. Errors: [`OktaError::Api`] (400
    /// `E0000001` for a body Okta refuses, 403 without the scope).
    pub async fn create_device_assurance(&self, body: &serde_json::Value) -> Result<DeviceAssurance, OktaError> {
        self.send_json(Method::POST, "api/v1/device-assurances", Some(body), "a device assurance policy").await
    }

    /// Reads a policy (`GET /api/v1/device-assurances/{id}`, `getDeviceAssurancePolicy`; scope
    /// `okta.deviceAssurance.read`); `None` when Okta has no such policy (404).
    pub async fn get_device_assurance(&self, id: &str) -> Result<Option<DeviceAssurance>, OktaError> {
        match self.send_json(Method::GET, &assurance_path(id), None, "a device assurance policy").await {
            Ok(p) => Ok(Some(p)),
            Err(OktaError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces a policy with `body` (`PUT /api/v1/device-assurances/{id}`, `replaceDeviceAssurancePolicy`;
    /// scope `okta.deviceAssurance.manage`). Errors: as [`OktaClient::create_device_assurance`] (404 when gone).
    pub async fn replace_device_assurance(
        &self,
        id: &str,
        body: &serde_json::Value,
    ) -> Result<DeviceAssurance, OktaError> {
        self.send_json(Method::PUT, &assurance_path(id), Some(body), "a device assurance policy").await
    }

    /// Deletes a policy (`DELETE /api/v1/device-assurances/{id}`, `deleteDeviceAssurancePolicy`; scope
    /// `okta.deviceAssurance.manage`); one already gone (404) is not an error. Errors: 409 when an authentication
    /// policy still uses it (Okta refuses the deletion); as [`OktaClient::create_device_assurance`].
    pub async fn delete_device_assurance(&self, id: &str) -> Result<(), OktaError> {
        match self.send(Method::DELETE, &self.url(&assurance_path(id))?, None, true).await {
            Ok(_) | Err(OktaError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
