//! A platform's side in the UEM: its managed device group and the one policy that targets it (Okta Verify by the
//! admin's method, the attestation payload rendered with the real secrets, and on macOS the SSO extension, which
//! the macOS profile carries). Made once, updated only when what it carries changes.

use odt_shared::attestation::render::{render, DEVICE_CHALLENGE};
use odt_shared::deps::Deps;
use odt_shared::platform::Platform;
use odt_shared::store::{
    ChallengeKind, DeploymentRecord, OktaVerifyRecord, OrgRecord, PlatformRecord, PlatformSettings, StoreError,
};
use odt_shared::uem::{DeploymentPolicy, PolicyApp, PolicyPayload, Uem, UemError};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Okta Verify's iOS bundle id (the app its managed app configuration is for).
pub const IOS_BUNDLE_ID: &str = "com.okta.mobile";
/// Okta Verify's Android package name (managed Google Play).
pub const ANDROID_PACKAGE: &str = "com.okta.android.auth";

/// The name of a platform's managed device group (and policy) in the UEM; also how a lost one is found again.
pub fn managed_name(p: Platform) -> String {
    format!("Okta Device Trust - {}", p.label())
}

/// The description the product puts on what it manages in the UEM.
pub const MANAGED_DESCRIPTION: &str =
    "Managed by Okta Device Trust automation: membership follows the fleet; do not edit by hand.";

/// Why a platform could not be made ready; the devices of the platform fail with this reason.
#[derive(Debug, Clone)]
pub struct PlatformFailure {
    pub reason: String,
    pub retry_after: Option<std::time::Duration>,
}

impl From<UemError> for PlatformFailure {
    fn from(e: UemError) -> Self {
        PlatformFailure { reason: e.to_string(), retry_after: e.retry_after() }
    }
}

fn failure(reason: impl std::fmt::Display) -> PlatformFailure {
    PlatformFailure { reason: reason.to_string(), retry_after: None }
}

/// The policy key: a hash over what the policy carries, without any secret (the platform's payload hash already
/// stands for its secrets by version id), so a change of any part updates the policy once.
pub fn policy_key(payload_hash: &str, method: Option<&OktaVerifyRecord>, group_id: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        payload_hash,
        method.map(|m| m.method.app_id()).unwrap_or("-"),
        method.and_then(|m| m.method.vpp_location()).unwrap_or("-"),
        group_id,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// Whether platform `rec` uses Okta's dynamic SCEP challenge: its document is made per device (one challenge
/// Okta issued for that device), so it travels in a per-device policy ([`build_for_device`]), never in the
/// group's policy.
pub fn per_device(rec: &PlatformRecord) -> bool {
    matches!(&rec.settings, PlatformSettings::Desktop { challenge: ChallengeKind::Dynamic, .. })
}

/// The name of device `device_id`'s own policy on platform `p` (dynamic SCEP challenge).
pub fn device_policy_name(p: Platform, device_id: &str) -> String {
    format!("{} - device {device_id}", managed_name(p))
}

/// The policy for platform `rec`'s managed group `group_id`, rendered with the real secret values (read here,
/// held only for the call).
pub async fn build(
    deps: &Deps,
    tenant: &str,
    rec: &PlatformRecord,
    org: &OrgRecord,
    method: Option<&OktaVerifyRecord>,
    group_id: &str,
) -> Result<DeploymentPolicy, PlatformFailure> {
    let mut p = document_policy(deps, tenant, rec, org, method, None).await?;
    p.device_group_ids = vec![group_id.to_string()];
    Ok(p)
}

/// Device `device_id`'s own policy on platform `rec` (dynamic SCEP challenge): the app and the document carrying
/// `challenge`, the one Okta issued for this device; it targets the device alone (`policy_targets.devices`).
pub async fn build_for_device(
    deps: &Deps,
    tenant: &str,
    rec: &PlatformRecord,
    org: &OrgRecord,
    method: Option<&OktaVerifyRecord>,
    device_id: &str,
    challenge: &secrecy::SecretString,
) -> Result<DeploymentPolicy, PlatformFailure> {
    let mut p = document_policy(deps, tenant, rec, org, method, Some(challenge)).await?;
    p.name = device_policy_name(rec.platform, device_id);
    p.device_ids = vec![device_id.to_string()];
    Ok(p)
}

/// The policy of platform `rec` without targets: the app by `method` and the document rendered with the real
/// secrets (and `challenge` in the per-device challenge's place).
async fn document_policy(
    deps: &Deps,
    tenant: &str,
    rec: &PlatformRecord,
    org: &OrgRecord,
    method: Option<&OktaVerifyRecord>,
    challenge: Option<&secrecy::SecretString>,
) -> Result<DeploymentPolicy, PlatformFailure> {
    let mut values: BTreeMap<String, secrecy::SecretString> = BTreeMap::new();
    for (name, r) in &rec.secrets {
        let v = deps.secrets.get(r).await.map_err(failure)?;
        values.insert(name.clone(), v);
    }
    if let Some(c) = challenge {
        values.insert(DEVICE_CHALLENGE.to_string(), c.clone());
    }
    let secret = move |name: &str| values.get(name).map(|v| v.expose_secret().to_string()).unwrap_or_default();
    let doc = render(tenant, rec, org, &secret).map_err(|_| failure("the payload could not be rendered"))?;
    let payload = match rec.platform {
        Platform::Ios => PolicyPayload::AppConfig { bundle_id: IOS_BUNDLE_ID.into(), document: doc.text },
        Platform::Android => PolicyPayload::AppConfig { bundle_id: ANDROID_PACKAGE.into(), document: doc.text },
        Platform::Macos => PolicyPayload::ConfigurationProfile { document: doc.text },
        Platform::Windows => PolicyPayload::SyncMl { document: doc.text },
    };
    Ok(DeploymentPolicy {
        name: managed_name(rec.platform),
        description: MANAGED_DESCRIPTION.into(),
        platform: rec.platform,
        app: method.map(|m| PolicyApp {
            app_id: m.method.app_id().to_string(),
            vpp_location: m.method.vpp_location().map(str::to_string),
        }),
        payload,
        device_group_ids: vec![],
        device_ids: vec![],
    })
}

/// Writes a deployment record, moving it to the next version; on a conflict (a concurrent run) the stored one is
/// returned as `Err(Some(stored))`.
async fn save(deps: &Deps, rec: &mut DeploymentRecord) -> Result<(), PlatformFailure> {
    let expected = (rec.version > 0).then_some(rec.version);
    rec.version += 1;
    rec.updated_at = odt_shared::clock::rfc3339(deps.clock.now());
    match deps.store.put_deployment(rec, expected).await {
        Ok(()) => Ok(()),
        Err(StoreError::VersionConflict { .. }) => Err(failure("another run changed the deployment meanwhile")),
        Err(e) => Err(failure(e)),
    }
}

/// What [`ensure`] did in the UEM.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ensured {
    pub group_created: bool,
    pub policy_written: bool,
}

/// Makes platform `rec`'s managed group and policy exist and carry what they should, recording both in `dep`.
/// A group or policy of the product's name that a stopped run left unrecorded is adopted, not made twice.
pub async fn ensure(
    deps: &Deps,
    uem: &dyn Uem,
    tenant: &str,
    dep: &mut DeploymentRecord,
    rec: &PlatformRecord,
    org: &OrgRecord,
    method: Option<&OktaVerifyRecord>,
) -> Result<Ensured, PlatformFailure> {
    let mut done = Ensured::default();
    let name = managed_name(rec.platform);
    let group_id = match &dep.group_id {
        Some(g) => g.clone(),
        None => {
            let existing = uem.device_groups().await?.into_iter().find(|g| g.name == name);
            let g = match existing {
                Some(g) => g,
                None => {
                    done.group_created = true;
                    uem.create_device_group(&name, MANAGED_DESCRIPTION).await?
                }
            };
            dep.group_id = Some(g.id.clone());
            save(deps, dep).await?;
            g.id
        }
    };
    let key = policy_key(&rec.payload_hash, method, &group_id);
    if per_device(rec) {
        return ensure_per_device(deps, uem, dep, rec, method, key, done).await;
    }
    if dep.policy_key.as_deref() == Some(key.as_str()) && dep.policy_id.is_some() {
        return Ok(done);
    }
    if let Some(refused) = dep.policy_key.as_deref().and_then(|k| refused_at(k, &key)) {
        return Err(refused.into());
    }
    let policy = build(deps, tenant, rec, org, method, &group_id).await?;
    let written = match &dep.policy_id {
        Some(id) => match uem.update_policy(id, &policy).await {
            Ok(()) => Ok(id.clone()),
            Err(UemError::NotFound(_)) => uem.create_policy(&policy).await,
            Err(e) => Err(e),
        },
        None => match uem.policies().await?.into_iter().find(|p| p.name == name) {
            Some(found) => uem.update_policy(&found.id, &policy).await.map(|()| found.id),
            None => uem.create_policy(&policy).await,
        },
    };
    let policy_id = match written {
        Ok(id) => id,
        Err(e @ UemError::Unsupported { .. }) => {
            // The portal refuses the payload: remembered for this policy key, so no run asks again until what the
            // policy carries changes (the admin's manual step replaces it meanwhile).
            dep.policy_key = Some(refused_marker(&e, &key));
            save(deps, dep).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    done.policy_written = true;
    dep.policy_id = Some(policy_id);
    dep.policy_key = Some(key);
    dep.payload_hash = Some(rec.payload_hash.clone());
    dep.app_id = method.map(|m| m.method.app_id().to_string());
    save(deps, dep).await?;
    Ok(done)
}

/// The `policy_key` kept while the portal refuses the policy's payload at policy key `key`:
/// `unsupported:<key>:<the refusal's text>`.
fn refused_marker(e: &UemError, key: &str) -> String {
    format!("unsupported:{key}:{e}")
}

/// The refusal a kept `policy_key` holds for policy key `key` (see [`refused_marker`]); `None` when it holds none,
/// or one for another key (what the policy carries changed: ask the portal again).
fn refused_at(kept: &str, key: &str) -> Option<UemError> {
    let reason = kept.strip_prefix("unsupported:")?.strip_prefix(key)?.strip_prefix(':')?;
    let u = odt_shared::uem::Unsupported::from_reason(reason)?;
    Some(UemError::Unsupported { call: u.call, status: u.status, manual_step: u.manual_step })
}

/// The refusal a platform's deployment record keeps (the portal refused its policy's payload; see
/// [`refused_marker`]), whatever policy key it was for: what `GET /deployments` shows.
pub fn kept_refusal(dep: &DeploymentRecord) -> Option<odt_shared::uem::Unsupported> {
    let (_key, reason) = dep.policy_key.as_deref()?.strip_prefix("unsupported:")?.split_once(':')?;
    odt_shared::uem::Unsupported::from_reason(reason)
}

/// [`ensure`] for a platform whose documents are per device (dynamic SCEP challenge): the group carries no policy
/// (a group policy would give every member the same document, and a challenge is single use), so one a static
/// challenge left is deleted; the deployment record takes the platform's payload hash and `key`, and a change of
/// either counts as a policy written (every member then gets a new per-device document, with a new challenge).
async fn ensure_per_device(
    deps: &Deps,
    uem: &dyn Uem,
    dep: &mut DeploymentRecord,
    rec: &PlatformRecord,
    method: Option<&OktaVerifyRecord>,
    key: String,
    mut done: Ensured,
) -> Result<Ensured, PlatformFailure> {
    if let Some(id) = dep.policy_id.clone() {
        match uem.delete_policy(&id).await {
            Ok(()) | Err(UemError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        dep.policy_id = None;
        dep.policy_key = None;
    }
    if dep.policy_key.as_deref() != Some(key.as_str()) {
        done.policy_written = true;
        dep.policy_key = Some(key);
        dep.payload_hash = Some(rec.payload_hash.clone());
        dep.app_id = method.map(|m| m.method.app_id().to_string());
        save(deps, dep).await?;
    }
    Ok(done)
}

/// Takes a platform's policy, its devices' own policies (dynamic SCEP challenge; found by name, so one whose
/// record was lost goes too) and its group out of the UEM (device trust deleted), tolerating ones already gone,
/// and deletes the deployment record.
pub async fn dismantle(deps: &Deps, uem: &dyn Uem, dep: &DeploymentRecord) -> Result<(), PlatformFailure> {
    if let Some(p) = dep.platform.filter(|_| dep.version > 0) {
        let prefix = device_policy_name(p, "");
        for own in uem.policies().await?.into_iter().filter(|x| x.name.starts_with(&prefix)) {
            match uem.delete_policy(&own.id).await {
                Ok(()) | Err(UemError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    if let Some(id) = &dep.policy_id {
        match uem.delete_policy(id).await {
            Ok(()) | Err(UemError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(id) = &dep.group_id {
        match uem.delete_device_group(id).await {
            Ok(()) | Err(UemError::NotFound(_)) => {}
            // A portal without the (undocumented) group delete: the group stays, empty and targeted by no policy.
            Err(UemError::Unsupported { call, manual_step, .. }) => {
                tracing::warn!(group = %id, call, manual_step, "the UEM portal cannot delete the managed group");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if dep.version > 0 {
        match deps.store.delete_deployment(dep).await {
            Ok(()) | Err(StoreError::VersionConflict { .. }) => {}
            Err(e) => return Err(failure(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_key_changes_with_each_part_and_never_holds_a_secret() {
        let a = policy_key("h1", None, "g1");
        assert_eq!(a, policy_key("h1", None, "g1"));
        assert_ne!(a, policy_key("h2", None, "g1"));
        assert_ne!(a, policy_key("h1", None, "g2"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_refused_payload_is_remembered_for_its_policy_key_only() {
        let e = UemError::Unsupported { call: "policy_payload".into(), status: 405, manual_step: "add it".into() };
        let kept = refused_marker(&e, "k1");
        assert_eq!(refused_at(&kept, "k1"), Some(e));
        assert_eq!(refused_at(&kept, "k2"), None, "what the policy carries changed: ask again");
        assert_eq!(refused_at("k1", "k1"), None);
    }

    #[test]
    fn managed_names_are_per_platform() {
        assert_eq!(managed_name(Platform::Macos), "Okta Device Trust - macOS");
        assert_ne!(managed_name(Platform::Ios), managed_name(Platform::Android));
    }
}
