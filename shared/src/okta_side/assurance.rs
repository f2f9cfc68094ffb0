//! The product's device assurance policies (Device Assurance Policies API, scope `okta.deviceAssurance.manage`):
//! one per enabled platform whose `osVersion.minimum` is the product's OS rule ([`crate::scope::os_minimum`]),
//! named as the product's own and recorded (`ASSURANCE#<platform>`, [`AssuranceRecord`]) by Okta's id.
//!
//! The product changes or deletes only a policy it recorded, and only while Okta's `lastUpdate` is still the one
//! its own last write got back. Otherwise it refuses and says why: `changed_in_okta` (someone changed the policy
//! in Okta since: the admin's change wins; to hand it back, delete it in Okta and sync with `recreate`) or `gone`
//! (the recorded policy was deleted in Okta: an admin deleted it on purpose, so it is made again only when the
//! admin asks, `recreate`). A policy the product did not record is never read, changed or deleted, whatever its
//! name.

use super::{device_trust_client, StepOutcome, DEVICE_ASSURANCE};
use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::error::Error;
use crate::okta::{DeviceAssurance, OktaClient, OktaError};
use crate::platform::Platform;
use crate::store::{AssuranceRecord, OrgRecord, StoreError};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The name of the product's policy for `p`: it says whose it is.
pub fn policy_name(p: Platform) -> String {
    let shown = match p {
        Platform::Ios => "iOS",
        Platform::Android => "Android",
        Platform::Macos => "macOS",
        Platform::Windows => "Windows",
    };
    format!("Okta Device Trust automation - {shown} (managed by the product)")
}

/// Okta's `Platform` value for `p`.
fn okta_platform(p: Platform) -> &'static str {
    match p {
        Platform::Ios => "IOS",
        Platform::Android => "ANDROID",
        Platform::Macos => "MACOS",
        Platform::Windows => "WINDOWS",
    }
}

/// The OS minimum as Okta takes it: three components for iOS and macOS, Android as many (at most four),
/// Windows four (`OSVersionFourComponents`).
pub fn minimum_text(p: Platform) -> String {
    crate::scope::os_minimum(p).iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// The body of the product's policy for `p`.
pub fn desired_body(p: Platform) -> Value {
    json!({"name": policy_name(p), "platform": okta_platform(p), "osVersion": {"minimum": minimum_text(p)}})
}

/// The hash the record keeps of a body (serde_json's maps are sorted, so equal bodies hash alike).
fn body_hash(body: &Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// Brings the product's policies in line with the enabled platforms and the OS rule: creates the missing ones,
/// updates those whose rule changed, deletes those of platforms switched off; `recreate` makes again a recorded
/// policy that is gone from Okta. One outcome per platform. Errors: [`Error::ScopeMissing`], device trust not
/// configured, the store failing (Okta's failures are told per platform).
pub async fn sync(deps: &Deps, tenant: &str, recreate: bool) -> Result<Vec<StepOutcome>, Error> {
    let (org, okta) = device_trust_client(deps, tenant, &DEVICE_ASSURANCE).await?;
    let enabled: Vec<Platform> =
        deps.store.list_platforms(tenant).await?.into_iter().filter(|p| p.enabled).map(|p| p.platform).collect();
    let recs = deps.store.list_assurances(tenant).await?;
    let mut out = Vec::new();
    for p in Platform::ALL {
        let rec = recs.iter().find(|r| r.platform == p).cloned();
        let want = enabled.contains(&p);
        let step = Step { deps, tenant, org: &org, okta: &okta, p };
        out.push(step.run(want, rec, recreate).await?);
    }
    Ok(out)
}

/// The scheduled upkeep (fleet-sync's reconciliation, every tenant with active device trust): once the admin
/// has had the product make its policies (`POST /device-assurance/sync`: at least one is recorded) and while the
/// org's app is granted the scope, [`sync`] keeps them in line with the platforms enabled since and with the OS
/// rule of the product's version (a platform switched on or off, a minimum raised by an update), without
/// `recreate`: a policy an admin deleted in Okta stays deleted. `None` when there is nothing to keep (no record,
/// the scope not granted, device trust not active). Errors: as [`sync`].
pub async fn keep(deps: &Deps, tenant: &str) -> Result<Option<Vec<StepOutcome>>, Error> {
    if deps.store.list_assurances(tenant).await?.is_empty() {
        return Ok(None);
    }
    match deps.device_trust_org(tenant).await {
        Ok(org) if super::allowed(&org, &DEVICE_ASSURANCE) => sync(deps, tenant, false).await.map(Some),
        Ok(_) => Ok(None),
        Err(e @ Error::Store(_)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// With device trust deleted: deletes every policy the product recorded (each only while unchanged since its
/// write) and forgets it. Okta's failures and refusals are told per platform, and their records kept, so deleting
/// device trust again tries again. Errors: the store failing.
pub async fn remove_all(deps: &Deps, tenant: &str, org: &OrgRecord) -> Result<Vec<StepOutcome>, Error> {
    let recs = deps.store.list_assurances(tenant).await?;
    if recs.is_empty() {
        return Ok(Vec::new());
    }
    let okta = match super::client(deps, org, &DEVICE_ASSURANCE).await {
        Ok(c) => c,
        Err(e @ Error::ScopeMissing { .. }) => {
            return Ok(recs.iter().map(|r| failed(r.platform, Some(&r.okta_policy_id), e.to_string())).collect());
        }
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for rec in recs {
        let step = Step { deps, tenant, org, okta: &okta, p: rec.platform };
        out.push(step.run(false, Some(rec), false).await?);
    }
    Ok(out)
}

fn failed(p: Platform, id: Option<&str>, why: impl Into<String>) -> StepOutcome {
    StepOutcome::new(p.as_str(), "failed", id).because(why)
}

/// One platform's work against one org.
struct Step<'a> {
    deps: &'a Deps,
    tenant: &'a str,
    org: &'a OrgRecord,
    okta: &'a OktaClient,
    p: Platform,
}

impl Step<'_> {
    /// Brings platform `p`'s policy to `want` (a policy, or none), starting from its record.
    async fn run(&self, want: bool, rec: Option<AssuranceRecord>, recreate: bool) -> Result<StepOutcome, Error> {
        let p = self.p.as_str();
        let current = match rec.as_ref().filter(|r| r.okta_org_id == self.org.org_id) {
            Some(r) => match self.okta.get_device_assurance(&r.okta_policy_id).await {
                Ok(c) => c,
                Err(e) => return Ok(failed(self.p, Some(&r.okta_policy_id), e.to_string())),
            },
            None => None,
        };
        let action = judge(self.p, want, rec.as_ref(), current.as_ref(), &self.org.org_id, recreate);
        let id = rec.as_ref().map(|r| r.okta_policy_id.clone());
        let id = id.as_deref();
        match (action, rec.as_ref()) {
            (Action::Create, replacing) => self.create(replacing).await,
            (Action::Update, Some(r)) => self.update(r).await,
            (Action::Delete, Some(r)) => self.delete(r).await,
            (Action::Forget, Some(r)) => self.forget(r, "deleted", "it was already gone from Okta").await,
            (Action::Gone, _) => Ok(StepOutcome::new(p, "gone", id).because(
                "the product's policy was deleted in Okta; POST /device-assurance/sync?recreate=true makes it again",
            )),
            (Action::ChangedInOkta, _) => Ok(changed(self.p, current.as_ref().expect("judged on Okta's copy"))),
            (Action::OtherOrg, _) => Ok(StepOutcome::new(p, "other_org", id)
                .because("recorded in another Okta org than device trust uses; left as it is")),
            (Action::Unchanged, _) => Ok(StepOutcome::new(p, "unchanged", id)),
            _ => Ok(StepOutcome::new(p, "none", None)),
        }
    }

    /// Creates the policy and records it (`replacing`: the record of one gone from Okta). A policy created by a
    /// run whose record write lost is deleted again.
    async fn create(&self, replacing: Option<&AssuranceRecord>) -> Result<StepOutcome, Error> {
        let body = desired_body(self.p);
        let made = match self.okta.create_device_assurance(&body).await {
            Ok(m) => m,
            Err(e) => return Ok(failed(self.p, None, e.to_string())),
        };
        let version = replacing.map_or(1, |r| r.version + 1);
        let rec = self.record(&made, &body, version);
        match self.deps.store.put_assurance(&rec, replacing.map(|r| r.version)).await {
            Ok(()) => Ok(StepOutcome::new(self.p.as_str(), "created", Some(&made.id))),
            Err(StoreError::VersionConflict { .. }) => {
                let _ = self.okta.delete_device_assurance(&made.id).await;
                let why = "another request recorded this platform's policy meanwhile";
                Ok(StepOutcome::new(self.p.as_str(), "conflict", None).because(why))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the recorded policy with the current rule's body and records Okta's answer.
    async fn update(&self, rec: &AssuranceRecord) -> Result<StepOutcome, Error> {
        let body = desired_body(self.p);
        let made = match self.okta.replace_device_assurance(&rec.okta_policy_id, &body).await {
            Ok(m) => m,
            Err(e) => return Ok(failed(self.p, Some(&rec.okta_policy_id), e.to_string())),
        };
        self.deps.store.put_assurance(&self.record(&made, &body, rec.version + 1), Some(rec.version)).await?;
        Ok(StepOutcome::new(self.p.as_str(), "updated", Some(&made.id)))
    }

    /// Deletes the recorded policy in Okta, then its record.
    async fn delete(&self, rec: &AssuranceRecord) -> Result<StepOutcome, Error> {
        match self.okta.delete_device_assurance(&rec.okta_policy_id).await {
            Ok(()) => self.forget(rec, "deleted", "").await,
            Err(OktaError::Api { status: 409, summary, .. }) => {
                Ok(StepOutcome::new(self.p.as_str(), "in_use", Some(&rec.okta_policy_id))
                    .because(format!("Okta refuses to delete it while an authentication policy uses it: {summary}")))
            }
            Err(e) => Ok(failed(self.p, Some(&rec.okta_policy_id), e.to_string())),
        }
    }

    /// Deletes the record (conditionally) and answers `outcome`.
    async fn forget(&self, rec: &AssuranceRecord, outcome: &str, why: &str) -> Result<StepOutcome, Error> {
        match self.deps.store.delete_assurance(rec).await {
            Ok(()) | Err(StoreError::VersionConflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let step = StepOutcome::new(self.p.as_str(), outcome, Some(&rec.okta_policy_id));
        Ok(if why.is_empty() { step } else { step.because(why) })
    }

    /// The record of policy `made`, written with `body`, at `version`.
    fn record(&self, made: &DeviceAssurance, body: &Value, version: u64) -> AssuranceRecord {
        AssuranceRecord::new(
            self.tenant,
            self.p,
            made.id.clone(),
            self.org.org_id.clone(),
            minimum_text(self.p),
            body_hash(body),
            made.last_update.clone(),
            rfc3339(self.deps.clock.now()),
            version,
        )
    }
}

/// What to do with platform `p`'s policy: the one statement of the rules in this module's header, used by the
/// sync and by the status view alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// No policy wanted and none recorded.
    Nothing,
    /// Create it (none recorded, or the recorded one is gone and the admin asked to recreate it).
    Create,
    /// The rule changed since the product wrote it, and nobody else changed it: replace it.
    Update,
    /// As the product wrote it and as the rule wants it.
    Unchanged,
    /// The platform is off: delete it.
    Delete,
    /// The platform is off and the policy already gone: forget the record.
    Forget,
    /// Wanted, but the recorded policy is gone from Okta: refused until the admin asks to recreate it.
    Gone,
    /// Someone else changed it in Okta since the product's last write: refused.
    ChangedInOkta,
    /// Recorded in another org than device trust uses: left.
    OtherOrg,
}

/// Judges platform `p`'s policy: `want` (the platform is on), its record, Okta's copy of the recorded policy
/// (`None`: gone, or nothing recorded), the org device trust uses, and whether the admin asked to recreate a
/// policy gone from Okta.
pub fn judge(
    p: Platform,
    want: bool,
    rec: Option<&AssuranceRecord>,
    current: Option<&DeviceAssurance>,
    org_id: &str,
    recreate: bool,
) -> Action {
    let Some(rec) = rec else {
        return if want { Action::Create } else { Action::Nothing };
    };
    if rec.okta_org_id != org_id {
        return Action::OtherOrg;
    }
    match current {
        None if !want => Action::Forget,
        None if recreate => Action::Create,
        None => Action::Gone,
        Some(c) if c.last_update != rec.okta_last_update => Action::ChangedInOkta,
        Some(_) if !want => Action::Delete,
        Some(_) if rec.body_hash == body_hash(&desired_body(p)) => Action::Unchanged,
        Some(_) => Action::Update,
    }
}

/// The refusal for a recorded policy someone else changed in Okta since the product's last write.
fn changed(p: Platform, c: &DeviceAssurance) -> StepOutcome {
    let by = c.last_updated_by.as_deref().unwrap_or("someone");
    StepOutcome::new(p.as_str(), "changed_in_okta", Some(&c.id)).because(format!(
        "changed in Okta by {by} at {} since the product wrote it; the product leaves it as it is (delete it in \
         Okta and sync with recreate=true to hand it back)",
        c.last_update.as_deref().unwrap_or("an unknown time")
    ))
}

/// One platform's device assurance policy as the product and Okta see it (`GET /device-assurance`).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    pub platform: Platform,
    /// Whether the platform is switched on (a policy is wanted).
    pub enabled: bool,
    /// The product's OS minimum for the platform (its eligibility rule), as the policy carries it.
    pub os_minimum: String,
    /// The name the product gives its policy.
    pub name: String,
    /// Okta's id of the policy the product recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_policy_id: Option<String>,
    /// The OS minimum Okta's copy carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_os_minimum: Option<String>,
    /// Okta's `lastUpdate` and `lastUpdatedBy` of its copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_last_update: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta_last_updated_by: Option<String>,
    /// `in_sync`, `not_created` (a sync creates it), `rule_changed` (a sync updates it), `platform_off` (a sync
    /// deletes it), `gone` (deleted in Okta: a sync with `recreate` makes it again), `changed_in_okta`
    /// (someone else changed it: left alone), `other_org`, `none` (platform off, no policy), `unknown` (Okta
    /// could not be read: `message`).
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The state name of an [`Action`] for the status view.
fn state_of(a: Action) -> &'static str {
    match a {
        Action::Nothing => "none",
        Action::Create => "not_created",
        Action::Update => "rule_changed",
        Action::Unchanged => "in_sync",
        Action::Delete => "platform_off",
        Action::Forget | Action::Gone => "gone",
        Action::ChangedInOkta => "changed_in_okta",
        Action::OtherOrg => "other_org",
    }
}

/// Every platform's policy as the product and Okta see it; Okta is read only when device trust has an org
/// whose app was granted the scope. Errors: the store failing.
pub async fn status(deps: &Deps, tenant: &str) -> Result<Vec<PolicyStatus>, Error> {
    let enabled: Vec<Platform> =
        deps.store.list_platforms(tenant).await?.into_iter().filter(|p| p.enabled).map(|p| p.platform).collect();
    let recs = deps.store.list_assurances(tenant).await?;
    let okta = match deps.device_trust_org(tenant).await {
        Ok(org) => super::client(deps, &org, &DEVICE_ASSURANCE).await.map(|c| (org, c)),
        Err(e) => Err(e),
    };
    let mut out = Vec::new();
    for p in Platform::ALL {
        let rec = recs.iter().find(|r| r.platform == p);
        let want = enabled.contains(&p);
        let mut st = PolicyStatus {
            platform: p,
            enabled: want,
            os_minimum: minimum_text(p),
            name: policy_name(p),
            okta_policy_id: rec.map(|r| r.okta_policy_id.clone()),
            okta_os_minimum: None,
            okta_last_update: None,
            okta_last_updated_by: None,
            state: "unknown".into(),
            message: None,
        };
        let (org, client) = match &okta {
            Ok(ok) => ok,
            Err(e) => {
                st.message = Some(e.to_string());
                out.push(st);
                continue;
            }
        };
        let current = match rec.filter(|r| r.okta_org_id == org.org_id) {
            Some(r) => match client.get_device_assurance(&r.okta_policy_id).await {
                Ok(c) => c,
                Err(e) => {
                    st.message = Some(e.to_string());
                    out.push(st);
                    continue;
                }
            },
            None => None,
        };
        st.state = state_of(judge(p, want, rec, current.as_ref(), &org.org_id, false)).into();
        if let Some(c) = current {
            st.okta_os_minimum = c.os_version.and_then(|v| v.minimum);
            st.okta_last_update = c.last_update;
            st.okta_last_updated_by = c.last_updated_by;
        }
        out.push(st);
    }
    Ok(out)
}
