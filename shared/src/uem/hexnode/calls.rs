//! The client room's calls: the [`Uem`] trait on [`HexnodeClient`], one Hexnode call per method (two for a new
//! policy). Each method's doc comment says whether its call is documented (api.yaml's operation id) or one of
//! [`super::undocumented::CALLS`], whose refusal by a portal becomes [`UemError::Unsupported`].

use super::bodies::{group_body, membership_body, policy_body};
use super::client::HexnodeClient;
use super::mapping::{refused_as_sent, user_emails};
use super::undocumented::HxPolicyDevice;
use super::undocumented::{
    enterprise_app_body, policy_payload_body, refusal, DELETE_DEVICE_GROUP, ENTERPRISE_APP_UPLOAD,
    POLICY_DEVICE_STATUS, POLICY_PAYLOAD,
};
use super::wire::{HxApp, HxDevice, HxGroup, HxGroupDetail, HxPolicyRef, HxUser};
use crate::uem::{
    DeploymentPolicy, DeviceGroup, InventoryCursor, InventoryList, InventoryPage, NewEnterpriseApp, PolicyDeviceStatus,
    PolicyRef, Uem, UemApp, UemError,
};
use reqwest::Method;

#[async_trait::async_trait]
impl Uem for HexnodeClient {
    /// Every request [`HexnodeClient::request_count`] counts: each one sent, retries and throttled attempts
    /// included (case C30: what the run reports as `uemCalls`).
    fn calls_made(&self) -> u64 {
        self.request_count()
    }

    /// One `GET devicegroups/?page=1&per_page=1`. Errors: as [`HexnodeClient`]'s requests; a refused key is
    /// [`UemError::Unauthorized`].
    async fn verify(&self) -> Result<(), UemError> {
        let url = self.api_url("devicegroups/?page=1&per_page=1")?;
        self.get(&url).await.map(|_| ())
    }

    /// One page of `GET devices/` (documented: `listDevices`), then of `GET users/` (`listUsers`), from
    /// `?page=1&per_page=100` on, following each page's `next` exactly as given; a device's owner is its `user`
    /// (id), joined by [`join_owners`](crate::uem::join_owners). Errors: as the request, and
    /// [`UemError::Protocol`] for a device without an id or a link that leaves the portal.
    async fn inventory_page(&self, at: &InventoryCursor) -> Result<InventoryPage, UemError> {
        let path = match at.list {
            InventoryList::Devices => "devices/",
            InventoryList::Owners => "users/",
        };
        let url = self.page_url(path, at.next.as_deref())?;
        let then = |next: Option<String>| match (next, at.list) {
            (Some(n), list) => Some(InventoryCursor { list, next: Some(n) }),
            (None, InventoryList::Devices) => Some(InventoryCursor { list: InventoryList::Owners, next: None }),
            (None, InventoryList::Owners) => None,
        };
        Ok(match at.list {
            InventoryList::Devices => {
                let (items, next) = self.page::<HxDevice>(&url).await?;
                let devices = items.into_iter().map(|d| d.into_device()).collect::<Result<_, _>>()?;
                InventoryPage { devices, owners: Vec::new(), next: then(next) }
            }
            InventoryList::Owners => {
                let (items, next) = self.page::<HxUser>(&url).await?;
                InventoryPage { devices: Vec::new(), owners: user_emails(items), next: then(next) }
            }
        })
    }

    /// The documented `GET devices/{id}/` (api.yaml `retrieveDevice`): `false` on a `404`. Errors: as the request.
    async fn device_exists(&self, device_id: &str) -> Result<bool, UemError> {
        self.item_exists("devices/", "device", device_id).await
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
    /// Undocumented: [`ENTERPRISE_APP_UPLOAD`]. Errors: [`UemError::Unsupported`] when the portal refuses the
    /// call (404, 405, 400 naming an unknown field), as the requests ([`UemError::Api`] with status 400 for a
    /// body the UEM refuses otherwise), and
    /// [`UemError::Protocol`] for an answer that is not an app with an id.
    async fn create_enterprise_app(&self, app: &NewEnterpriseApp) -> Result<UemApp, UemError> {
        let created: HxApp = self
            .create("applications/", &enterprise_app_body(app))
            .await
            .map_err(|e| refusal(&ENTERPRISE_APP_UPLOAD, e, None))?;
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
    /// Undocumented: [`DELETE_DEVICE_GROUP`]. A `404` is checked with the documented `GET devicegroups/{id}/`:
    /// a group that is there means the portal has no such call. Errors: [`UemError::NotFound`] for an unknown
    /// group (or an id that cannot name one, without a request), [`UemError::Unsupported`] when the portal
    /// refuses the call, else as the requests.
    async fn delete_device_group(&self, group_id: &str) -> Result<(), UemError> {
        match self.send_item(Method::DELETE, "devicegroups/", "device group", group_id, None).await {
            Ok(_) => Ok(()),
            Err(e @ UemError::NotFound(_)) => {
                let exists = self.item_exists("devicegroups/", "device group", group_id).await?;
                Err(refusal(&DELETE_DEVICE_GROUP, e, Some(exists)))
            }
            Err(e) => Err(refusal(&DELETE_DEVICE_GROUP, e, None)),
        }
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

    /// `POST policy/` with the documented `policy_body` (api.yaml `createPolicy`: name, description, Okta Verify
    /// in `app_management.mandatory_apps.app`, the group in `policy_targets.devicegroups`) → `201` with `{id, …}`;
    /// then the payload with [`HexnodeClient::update_policy`] (undocumented: [`POLICY_PAYLOAD`]).
    ///
    /// Errors: as the requests ([`UemError::Api`] with status 400 for a body the UEM refuses: an unknown app or
    /// group, a payload that does not fit the platform), [`UemError::Protocol`] for an answer without an id, and
    /// [`UemError::Unsupported`] when the portal refuses the payload: the policy then exists (found again by
    /// name) with Okta Verify and its targets, without the payload.
    async fn create_policy(&self, policy: &DeploymentPolicy) -> Result<String, UemError> {
        let created: HxPolicyRef = self.create("policy/", &policy_body(policy)).await?;
        let id = created.into_created_id()?;
        self.update_policy(&id, policy).await?;
        Ok(id)
    }

    /// `PUT policy/{id}/` (api.yaml `editPolicy`) with the documented body plus the payload, the platform and the
    /// VPP location (undocumented: [`POLICY_PAYLOAD`], body by `policy_payload_body`) → `200`. A `404` is
    /// checked with the documented `GET policy/{id}/`.
    ///
    /// Errors: [`UemError::NotFound`] for an unknown policy (or an id that cannot name one, without a request),
    /// [`UemError::Unsupported`] when the portal refuses the undocumented keys (400 naming an unknown field, 405,
    /// or 404 for a policy that is there), else as [`HexnodeClient::create_policy`].
    async fn update_policy(&self, policy_id: &str, policy: &DeploymentPolicy) -> Result<(), UemError> {
        let body = policy_payload_body(policy);
        match self.send_item(Method::PUT, "policy/", "policy", policy_id, Some(&body)).await {
            Ok(_) => Ok(()),
            Err(e @ UemError::NotFound(_)) => {
                let exists = self.item_exists("policy/", "policy", policy_id).await?;
                Err(refusal(&POLICY_PAYLOAD, e, Some(exists)))
            }
            Err(e) => Err(refusal(&POLICY_PAYLOAD, e, None)),
        }
    }

    /// `DELETE policy/{id}/` → `204` (api.yaml `deletePolicy`).
    ///
    /// Errors: [`UemError::NotFound`] for an unknown policy (404, or an id that cannot name one, without a
    /// request), else as the requests.
    async fn delete_policy(&self, policy_id: &str) -> Result<(), UemError> {
        self.send_item(Method::DELETE, "policy/", "policy", policy_id, None).await.map(|_| ())
    }

    /// All pages of `GET policy/{id}/devices/?page=1&per_page=100` (paged as every list), each item read by
    /// `HxPolicyDevice`: `{"device_id": 12, "status": "success"|"pending"|"failed", "error": text|null, "apps":
    /// [{"app_id": 701, "installed": true}]}` → [`PolicyDeviceStatus`] (`success` → [`PayloadState::Applied`],
    /// `pending` → `Pending`, `failed` → `Failed`, anything else or none → `Unknown`).
    ///
    /// Undocumented: [`POLICY_DEVICE_STATUS`] (the item shape is read in `HxPolicyDevice`). A `404` is checked
    /// with the documented `GET policy/{id}/`. Errors: [`UemError::NotFound`] for an unknown policy (or an id that
    /// cannot name one, without a request), [`UemError::Unsupported`] when the portal refuses the call,
    /// [`UemError::Protocol`] for an item without a `device_id` or an app without an `app_id`, else as the
    /// requests.
    ///
    /// [`PayloadState::Applied`]: crate::uem::PayloadState::Applied
    async fn policy_device_status(&self, policy_id: &str) -> Result<Vec<PolicyDeviceStatus>, UemError> {
        let url = self.item_list_url("policy/", "policy", policy_id, "devices")?;
        let items: Vec<HxPolicyDevice> = match self.list_from(url, "policy/{id}/devices/").await {
            Ok(items) => items,
            Err(UemError::NotFound(_)) => {
                let e = UemError::NotFound(format!("policy {policy_id}"));
                let exists = self.item_exists("policy/", "policy", policy_id).await?;
                return Err(refusal(&POLICY_DEVICE_STATUS, e, Some(exists)));
            }
            Err(e) => return Err(refusal(&POLICY_DEVICE_STATUS, e, None)),
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
