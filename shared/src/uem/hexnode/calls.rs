//! The client room's calls: the [`Uem`] trait on [`HexnodeClient`], one Hexnode call per method. Each method's
//! doc comment says which parts of its call are documented and which are UNVERIFIED against Hexnode's public
//! documentation (`update_policy`, `delete_policy`, `delete_device_group`, `create_enterprise_app` and
//! `policy_device_status` in full).

use super::bodies::{enterprise_app_body, group_body, membership_body, policy_body};
use super::client::HexnodeClient;
use super::mapping::{refused_as_sent, user_emails};
use super::wire::{HxApp, HxDevice, HxGroup, HxGroupDetail, HxPolicyDevice, HxPolicyRef, HxUser};
use crate::uem::{
    DeploymentPolicy, DeviceGroup, NewEnterpriseApp, PolicyDeviceStatus, PolicyRef, Uem, UemApp, UemDevice, UemError,
};
use reqwest::Method;

#[async_trait::async_trait]
impl Uem for HexnodeClient {
    /// One `GET devicegroups/?page=1&per_page=1`. Errors: as [`HexnodeClient`]'s requests; a refused key is
    /// [`UemError::Unauthorized`].
    async fn verify(&self) -> Result<(), UemError> {
        let url = self.api_url("devicegroups/?page=1&per_page=1")?;
        self.get(&url).await.map(|_| ())
    }

    /// All pages of `GET devices/` joined with all pages of `GET users/` by the device's `user.id`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a device without an id.
    async fn devices(&self) -> Result<Vec<UemDevice>, UemError> {
        let devices: Vec<HxDevice> = self.list_all("devices/").await?;
        let users: Vec<HxUser> = self.list_all("users/").await?;
        let emails = user_emails(users);
        devices.into_iter().map(|d| d.into_device(&emails)).collect()
    }

    /// All pages of `GET devicegroups/`, as `{id, name: groupname}`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a group without an id.
    async fn device_groups(&self) -> Result<Vec<DeviceGroup>, UemError> {
        let groups: Vec<HxGroup> = self.list_all("devicegroups/").await?;
        groups.into_iter().map(HxGroup::into_group).collect()
    }

    /// `GET devicegroups/{id}/` → the ids in its `devices` list, in order, each once.
    /// Errors: [`UemError::NotFound`] for an unknown group (404, or an id that cannot name one),
    /// [`UemError::Protocol`] when the answer has no `devices` list.
    async fn device_group_members(&self, group_id: &str) -> Result<Vec<String>, UemError> {
        let body = self.send_item(Method::GET, "devicegroups/", "device group", group_id, None).await?;
        let detail: HxGroupDetail =
            serde_json::from_slice(&body).map_err(|e| UemError::Protocol(format!("device group answer: {e}")))?;
        detail.into_member_ids(group_id)
    }

    /// All pages of `GET applications/` (documented: the apps list), each item read by `HxApp`: `id`, `name`,
    /// `platform` (mapped by [`platform_from_os_name`]), `app_type` (mapped by [`app_kind`]), `bundle_id`,
    /// `version`, `category`, `description`, `success_criteria`, `uninstall_parameters`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: every item field except `id` and `name` (the docs list
    /// the endpoint, not the fields); a missing field reads as `None` / [`AppKind::Other`].
    /// Errors: as the requests, and [`UemError::Protocol`] for an app without an id.
    ///
    /// [`platform_from_os_name`]: super::platform_from_os_name
    /// [`app_kind`]: super::app_kind
    /// [`AppKind::Other`]: crate::uem::AppKind::Other
    async fn apps(&self) -> Result<Vec<UemApp>, UemError> {
        let apps: Vec<HxApp> = self.list_all("applications/").await?;
        apps.into_iter().map(HxApp::into_app).collect()
    }

    /// `POST applications/` with `enterprise_app_body` → `201` with the app (read as in
    /// [`HexnodeClient::apps`]).
    ///
    /// UNVERIFIED against Hexnode's public documentation: the whole call. The docs list `GET /applications/` only;
    /// uploading an enterprise app by URL through the API, and every field of the body, are this product's
    /// assumption (kept in `enterprise_app_body`).
    /// Errors: as the requests ([`UemError::Api`] with status 400 for a body the UEM refuses), and
    /// [`UemError::Protocol`] for an answer that is not an app with an id.
    async fn create_enterprise_app(&self, app: &NewEnterpriseApp) -> Result<UemApp, UemError> {
        let created: HxApp = self.create("applications/", &enterprise_app_body(app)).await?;
        created.into_app()
    }

    /// `POST devicegroups/` with `group_body` (`{"groupname", "description"}`) → `201` with the group (`id`,
    /// `groupname`, …).
    ///
    /// Documented (FACTS.md: `POST /devicegroups/` to create); the field names of the body are those of the
    /// documented group list (`groupname`, `description`). Errors: as the requests ([`UemError::Api`] with
    /// status 400 when the name is taken or empty), and [`UemError::Protocol`] for an answer without an id.
    async fn create_device_group(&self, name: &str, description: &str) -> Result<DeviceGroup, UemError> {
        let created: HxGroup = self.create("devicegroups/", &group_body(name, description)).await?;
        created.into_created_group(name)
    }

    /// `DELETE devicegroups/{id}/` → `204`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list no device group delete; this is the
    /// REST form the rest of the API follows. Errors: [`UemError::NotFound`] for an unknown group (404, or an id
    /// that cannot name one, without a request), else as the requests.
    async fn delete_device_group(&self, group_id: &str) -> Result<(), UemError> {
        self.send_item(Method::DELETE, "devicegroups/", "device group", group_id, None).await.map(|_| ())
    }

    /// `POST devicegroups/{id}/` with `{"add_devices": [...], "remove_devices": [...]}` (each id a JSON number
    /// when it reads as one, else a string) → `200`. No request when both lists are empty.
    ///
    /// Documented (FACTS.md: `POST /devicegroups/{id}/` with `add_devices` / `remove_devices`). UNVERIFIED: the
    /// refusal of unknown ids as `400 {"detail": "Invalid device id(s): <a>, <b>"}` with nothing changed (the
    /// double's behaviour, read by [`invalid_device_ids`]). Errors: [`UemError::InvalidDevices`] with the refused
    /// ids as the caller spelled them, [`UemError::NotFound`] for an unknown group, else as the requests.
    ///
    /// [`invalid_device_ids`]: super::invalid_device_ids
    async fn change_group_members(&self, group_id: &str, add: &[String], remove: &[String]) -> Result<(), UemError> {
        let url = self.item_url("devicegroups/", "device group", group_id)?;
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        match self.send(Method::POST, &url, Some(&membership_body(add, remove))).await {
            Ok(_) => Ok(()),
            Err(UemError::NotFound(_)) => Err(UemError::NotFound(format!("device group {group_id}"))),
            Err(UemError::InvalidDevices(refused)) => {
                Err(UemError::InvalidDevices(refused_as_sent(refused, add, remove)))
            }
            Err(e) => Err(e),
        }
    }

    /// All pages of `GET policy/` (documented), each item as `{id, name}`.
    /// Errors: as the requests, and [`UemError::Protocol`] for a policy without an id.
    async fn policies(&self) -> Result<Vec<PolicyRef>, UemError> {
        let policies: Vec<HxPolicyRef> = self.list_all("policy/").await?;
        policies.into_iter().map(HxPolicyRef::into_policy_ref).collect()
    }

    /// `POST policy/` with `policy_body` → `201` with `{id, name, …}` → the id.
    ///
    /// Documented (FACTS.md: `POST /policy/` with name, description, platform sections, `app_management`,
    /// `policy_targets {users, devices, usergroups, devicegroups}`). UNVERIFIED: the fields inside
    /// `app_management` and the per-platform payload sections (see `policy_body`).
    /// Errors: as the requests ([`UemError::Api`] with status 400 for a body the UEM refuses: an unknown app or
    /// group, a payload that does not fit the platform), and [`UemError::Protocol`] for an answer without an id.
    async fn create_policy(&self, policy: &DeploymentPolicy) -> Result<String, UemError> {
        let created: HxPolicyRef = self.create("policy/", &policy_body(policy)).await?;
        created.into_created_id()
    }

    /// `PUT policy/{id}/` with `policy_body` → `200`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list `GET/POST /policy/` only; the update is
    /// the REST form of the documented create, with the same body (whose unverified parts `policy_body` names).
    /// Errors: [`UemError::NotFound`] for an unknown policy (404, or an id that cannot name one, without a
    /// request), else as [`HexnodeClient::create_policy`].
    async fn update_policy(&self, policy_id: &str, policy: &DeploymentPolicy) -> Result<(), UemError> {
        let body = policy_body(policy);
        self.send_item(Method::PUT, "policy/", "policy", policy_id, Some(&body)).await.map(|_| ())
    }

    /// `DELETE policy/{id}/` → `204`.
    ///
    /// UNVERIFIED against Hexnode's public documentation: the docs list no policy delete; this is the REST form
    /// of the documented policy endpoint. Errors: [`UemError::NotFound`] for an unknown policy (404, or an id
    /// that cannot name one, without a request), else as the requests.
    async fn delete_policy(&self, policy_id: &str) -> Result<(), UemError> {
        self.send_item(Method::DELETE, "policy/", "policy", policy_id, None).await.map(|_| ())
    }

    /// All pages of `GET policy/{id}/devices/?page=1&per_page=100` (paged as every list), each item read by
    /// `HxPolicyDevice`: `{"device_id": 12, "status": "success"|"pending"|"failed", "error": text|null, "apps":
    /// [{"app_id": 701, "installed": true}]}` → [`PolicyDeviceStatus`] (`success` → [`PayloadState::Applied`],
    /// `pending` → `Pending`, `failed` → `Failed`, anything else or none → `Unknown`).
    ///
    /// UNVERIFIED against Hexnode's public documentation: the whole call (the docs list `GET/POST /policy/` only;
    /// the per-device status path and every item field are this product's assumption, read in the one private
    /// struct `HxPolicyDevice`). Errors: [`UemError::NotFound`] for an unknown policy (404, or an id that cannot
    /// name one, without a request), [`UemError::Protocol`] for an item without a `device_id` or an app without an
    /// `app_id`, else as the requests.
    ///
    /// [`PayloadState::Applied`]: crate::uem::PayloadState::Applied
    async fn policy_device_status(&self, policy_id: &str) -> Result<Vec<PolicyDeviceStatus>, UemError> {
        let url = self.item_list_url("policy/", "policy", policy_id, "devices")?;
        let items: Vec<HxPolicyDevice> = match self.list_from(url, "policy/{id}/devices/").await {
            Err(UemError::NotFound(_)) => return Err(UemError::NotFound(format!("policy {policy_id}"))),
            other => other?,
        };
        items.into_iter().map(HxPolicyDevice::into_status).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::unrouted_test_client as client;
    use super::*;

    #[tokio::test]
    async fn an_unrouted_portal_is_unreachable_without_a_request() {
        let c = client();
        assert!(matches!(c.verify().await, Err(UemError::Unreachable(_))));
        assert_eq!(c.request_count(), 0);
        assert!(matches!(c.device_group_members("..").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.delete_policy(".").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.policy_device_status("..").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.delete_device_group(" ").await, Err(UemError::NotFound(_))));
        assert!(matches!(c.change_group_members("", &["1".into()], &[]).await, Err(UemError::NotFound(_))));
        assert_eq!(c.change_group_members("5", &[], &[]).await, Ok(()), "nothing to change: no request");
        assert_eq!(c.request_count(), 0);
    }
}
