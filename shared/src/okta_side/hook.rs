//! The event hook registered through Okta's Event Hooks API (scope `okta.eventHooks.manage`): created with the
//! product's URL for the tenant, the secret as its `Authorization` header and the event types the product acts
//! on, verified (Okta calls the URL with `x-okta-verification-challenge`, the door answers it) and activated; its
//! secret rotated in Okta and in the product together; deactivated and deleted with device trust.
//!
//! Every change of the `HOOK` record is conditional on the version read. Registration claims the record before
//! it creates anything in Okta, so of two concurrent registrations the second is refused before it calls Okta; a
//! hook created by a registration whose record write then lost is deleted again. A rotation first records the
//! new secret as accepted beside the old one (`rotating_to`), then gives it to Okta, and only then drops the old
//! one: a delivery carrying either secret is accepted throughout. A rotation that did not finish is finished
//! with its own secret by the next one (Okta may already hold it).

use super::{device_trust_client, StepOutcome, EVENT_HOOK};
use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::error::Error;
use crate::okta::{EventHook, HookSpec, OktaClient, OktaError};
use crate::secrets::SecretRef;
use crate::store::{HookRecord, OktaHook, StoreError};
use secrecy::SecretString;

/// The name the product gives its hook in Okta: it says whose it is.
pub const HOOK_NAME: &str = "Okta Device Trust automation (managed by the product)";

/// The URL Okta calls for `tenant`, under the API's base URL (`https://<api host>[/<stage>]`).
pub fn hook_uri(api_base: &str, tenant: &str) -> String {
    format!("{}/hooks/okta/{tenant}", api_base.trim_end_matches('/'))
}

/// A fresh hook secret: 64 hex digits from two random (v4) UUIDs, 244 random bits from the OS's generator.
fn new_secret() -> SecretString {
    SecretString::from(format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple()))
}

/// Writes `rec` if the stored one is at `expected`, and forgets this instance's kept copy (the door reads it
/// afresh). Errors: the store failing, [`StoreError::VersionConflict`] as a conflict.
async fn save(deps: &Deps, rec: &HookRecord, expected: Option<u64>) -> Result<(), Error> {
    let saved = deps.store.put_hook(rec, expected).await;
    deps.warm.forget(&HookRecord::cache_key(rec.pk.trim_start_matches("T#")));
    Ok(saved?)
}

/// Registers the tenant's hook in the device-trust org (or repairs the one it registered: verified and active
/// again, or created anew when Okta no longer has it), with `event_types`, calling `uri`. A secret already set
/// (the admin's, by hand) is kept, so a hook made by hand goes on working beside it. Returns the record and
/// Okta's view. Errors: [`Error::ScopeMissing`]; device trust not configured; a conflict when the record changed
/// meanwhile; Okta's refusal (a verification the URL did not answer: 400 `E0000001`).
pub async fn register(
    deps: &Deps,
    tenant: &str,
    uri: &str,
    event_types: &[&str],
) -> Result<(HookRecord, EventHook), Error> {
    let (org, okta) = device_trust_client(deps, tenant, &EVENT_HOOK).await?;
    let existing = deps.store.get_hook(tenant).await?;
    let recorded = existing.as_ref().and_then(|r| r.okta.as_ref()).filter(|o| o.org_id == org.org_id);
    if let Some(id) = recorded.and_then(|o| o.hook_id.clone()) {
        if okta.get_event_hook(&id).await?.is_some() {
            let rec = existing.clone().expect("a recorded hook has a record");
            return Ok((rec, ready(&okta, &id).await?));
        }
        tracing::warn!(tenant, hook_id = %id, "the product's event hook is gone from Okta; creating it again");
    }
    let now = rfc3339(deps.clock.now());
    let secret = match &existing {
        Some(r) => r.secret.clone(),
        None => deps.secrets.put(&deps.secrets.name(tenant, &["hook", "secret"]), &new_secret()).await?,
    };
    let claim = HookRecord {
        okta: Some(OktaHook { org_id: org.org_id.clone(), hook_id: None, uri: uri.to_string() }),
        rotating_to: None,
        ..match &existing {
            Some(r) => HookRecord { version: r.version + 1, ..r.clone() },
            None => HookRecord::new(tenant, secret.clone(), now, 1),
        }
    };
    save(deps, &claim, existing.as_ref().map(|r| r.version)).await?;
    let value = deps.secrets.get(&secret).await?;
    let spec = HookSpec { name: HOOK_NAME, uri, secret: &value, event_types };
    let created = okta.create_event_hook(&spec).await?;
    let mut rec = HookRecord { version: claim.version + 1, ..claim.clone() };
    rec.okta.as_mut().expect("claimed").hook_id = Some(created.id.clone());
    if let Err(e) = save(deps, &rec, Some(claim.version)).await {
        // Another registration or rotation won the record: this hook is nobody's, take it out of Okta again.
        let _ = remove_in_okta(&okta, &created.id).await;
        return Err(e);
    }
    tracing::info!(tenant, hook_id = %created.id, "event hook registered in Okta");
    Ok((rec.clone(), ready(&okta, &created.id).await?))
}

/// Verifies hook `id` when Okta has not verified it, then activates it when it is not active; Okta's view after.
async fn ready(okta: &OktaClient, id: &str) -> Result<EventHook, Error> {
    let mut hook = okta.get_event_hook(id).await?.ok_or(Error::NotFound("event hook"))?;
    if hook.verification_status != "VERIFIED" {
        hook = okta.verify_event_hook(id).await?;
    }
    if hook.status != "ACTIVE" {
        hook = okta.activate_event_hook(id).await?;
    }
    Ok(hook)
}

/// Rotates the secret of the hook the product registered: the new secret is accepted beside the old one, given
/// to Okta (`replaceEventHook`), the hook verified and active again, and only then the old secret dropped. A
/// rotation left unfinished is finished with its own secret. Errors: 409 `hook_not_registered` for a hook set up
/// by hand (rotate it with `PUT /event-hook`); as [`register`]. When Okta refused the new secret, the old one
/// alone stays accepted; when Okta's answer was lost, both stay accepted until the next rotation.
pub async fn rotate(deps: &Deps, tenant: &str, event_types: &[&str]) -> Result<(HookRecord, EventHook), Error> {
    let (org, okta) = device_trust_client(deps, tenant, &EVENT_HOOK).await?;
    let rec = deps.store.get_hook(tenant).await?;
    let registered = rec.as_ref().and_then(|r| r.okta.clone()).and_then(|o| o.hook_id.clone().map(|id| (o, id)));
    let (Some(rec), Some((okta_hook, id))) = (rec, registered) else {
        return Err(Error::Conflict {
            code: "hook_not_registered",
            message: "the product did not register this tenant's event hook in Okta: register it with POST \
                      /event-hook/register, or rotate a hook set up by hand with PUT /event-hook"
                .into(),
        });
    };
    if okta_hook.org_id != org.org_id {
        return Err(Error::Conflict {
            code: "hook_in_other_org",
            message: "the event hook was registered in another Okta org; register it again".into(),
        });
    }
    let (accepting, next) = accept_both(deps, tenant, rec).await?;
    let value = deps.secrets.get(&next).await?;
    let spec = HookSpec { name: HOOK_NAME, uri: &okta_hook.uri, secret: &value, event_types };
    match okta.replace_event_hook(&id, &spec).await {
        Ok(_) => {}
        Err(e @ OktaError::Api { status: 400..=499, .. }) if e.code() != Some("E0000047") => {
            // Okta refused: it keeps the old secret, which alone stays accepted.
            let back = HookRecord { rotating_to: None, version: accepting.version + 1, ..accepting.clone() };
            save(deps, &back, Some(accepting.version)).await?;
            return Err(Error::from(e));
        }
        Err(e) => return Err(Error::from(e)),
    }
    let hook = ready(&okta, &id).await?;
    let done = HookRecord {
        secret: next.clone(),
        rotating_to: None,
        secret_updated_at: rfc3339(deps.clock.now()),
        version: accepting.version + 1,
        ..accepting.clone()
    };
    save(deps, &done, Some(accepting.version)).await?;
    deps.secrets.make_current(&next).await?;
    tracing::info!(tenant, hook_id = %id, "event hook secret rotated in Okta and in the product");
    Ok((done, hook))
}

/// The record accepting both the current secret and the next one, and the next one: a new secret version
/// (labelled pending until the rotation ends), or the one an unfinished rotation recorded.
async fn accept_both(deps: &Deps, tenant: &str, rec: HookRecord) -> Result<(HookRecord, SecretRef), Error> {
    if let Some(next) = rec.rotating_to.clone() {
        return Ok((rec, next));
    }
    let next = deps.secrets.put_pending(&rec.secret.name, &new_secret()).await?;
    let accepting = HookRecord { rotating_to: Some(next.clone()), version: rec.version + 1, ..rec.clone() };
    save(deps, &accepting, Some(rec.version)).await?;
    tracing::info!(tenant, "event hook rotation: both secrets accepted until Okta has the new one");
    Ok((accepting, next))
}

/// Deactivates and deletes hook `id` in Okta (Okta deletes only inactive hooks); one already gone is no error.
async fn remove_in_okta(okta: &OktaClient, id: &str) -> Result<(), OktaError> {
    match okta.deactivate_event_hook(id).await {
        Ok(_) | Err(OktaError::Api { status: 404, .. }) => {}
        Err(e) => return Err(e),
    }
    okta.delete_event_hook(id).await
}

/// With device trust deleted: deactivates and deletes the hook the product registered (none: `none`) in the org
/// it was registered in, and forgets it (the secret stays for a hook made by hand). Errors: the store failing;
/// Okta's failures are told in the outcome (the record is kept, so deleting device trust again tries again).
pub async fn remove(deps: &Deps, tenant: &str) -> Result<StepOutcome, Error> {
    let Some(rec) = deps.store.get_hook(tenant).await? else {
        return Ok(StepOutcome::new("event_hook", "none", None));
    };
    let Some(okta_hook) = rec.okta.clone() else {
        return Ok(StepOutcome::new("event_hook", "none", None));
    };
    let id = okta_hook.hook_id.clone();
    if let Some(id) = &id {
        let Some(org) = deps.store.get_org(tenant, &okta_hook.org_id).await? else {
            return Ok(StepOutcome::new("event_hook", "failed", Some(id)).because("its Okta org is disconnected"));
        };
        let removed = match super::client(deps, &org, &EVENT_HOOK).await {
            Ok(okta) => remove_in_okta(&okta, id).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        if let Err(e) = removed {
            return Ok(StepOutcome::new("event_hook", "failed", Some(id)).because(e.to_string()));
        }
    }
    let forgot = HookRecord { okta: None, rotating_to: None, version: rec.version + 1, ..rec.clone() };
    match save(deps, &forgot, Some(rec.version)).await {
        Ok(()) | Err(Error::Store(StoreError::VersionConflict { .. })) => {}
        Err(e) => return Err(e),
    }
    tracing::info!(tenant, hook_id = ?id, "event hook deactivated and deleted in Okta");
    Ok(StepOutcome::new("event_hook", "deleted", id.as_deref()))
}

/// Okta's own view of the hook the product registered (`None` when it registered none, or Okta has it no
/// more). Errors: as [`register`].
pub async fn okta_view(deps: &Deps, tenant: &str, rec: &HookRecord) -> Result<Option<EventHook>, Error> {
    let Some(id) = rec.okta.as_ref().and_then(|o| o.hook_id.clone()) else { return Ok(None) };
    let (_, okta) = device_trust_client(deps, tenant, &EVENT_HOOK).await?;
    okta.get_event_hook(&id).await.map_err(Error::from)
}
