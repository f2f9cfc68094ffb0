//! Applying one hook event: once (its marker), then by type: a membership of a selected group, a user's state,
//! or an Okta device's change, each kept as a fact only when newer than the one stored; the owner's devices are
//! then re-decided ([`super::redecide`]).

use super::context::Context;
use super::redecide::redecide;
use crate::hooks::events::{target, Event};
use odt_shared::deps::Deps;
use odt_shared::error::Error;
use odt_shared::store::FactKey;

/// What became of one event of a delivery.
pub(super) enum Outcome {
    Applied,
    Ignored,
    Duplicate,
}

/// Applies one event unless its marker says it was (case C06), then writes the marker. Errors: the store or a
/// lost re-decision; the inbox record then fails and the stream delivers it again (an event applied but not
/// marked is applied again, which changes nothing).
pub(super) async fn apply_once(
    deps: &Deps,
    tenant: &str,
    ctx: &Context,
    e: &Event,
    at: time::OffsetDateTime,
) -> Result<Outcome, Error> {
    if deps.store.event_applied(tenant, &e.uuid).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = if apply(deps, tenant, ctx, e, at).await? { Outcome::Applied } else { Outcome::Ignored };
    deps.store.mark_event_applied(tenant, &e.uuid, deps.clock.now().unix_timestamp()).await?;
    Ok(outcome)
}

/// One event to apply: its tenant, the event, and its `published` time as the facts keep it (nanoseconds since
/// the epoch, as text).
struct Applying<'a> {
    deps: &'a Deps,
    tenant: &'a str,
    ctx: &'a Context,
    e: &'a Event,
    published: String,
}

/// Applies one event; `false` (counted as ignored) when it does not concern a device of the fleet or is older
/// than what is known.
async fn apply(deps: &Deps, tenant: &str, ctx: &Context, e: &Event, at: time::OffsetDateTime) -> Result<bool, Error> {
    let a = Applying { deps, tenant, ctx, e, published: at.unix_timestamp_nanos().to_string() };
    match e.event_type.as_str() {
        t @ ("group.user_membership.add" | "group.user_membership.remove") => a.membership(t.ends_with(".add")).await,
        t if t.starts_with("user.lifecycle.") => a.user_lifecycle(t).await,
        "user.account.update_profile" => a.user_profile().await,
        t if t.starts_with("device.user.") || t.starts_with("device.lifecycle.") => a.okta_device(t).await,
        _ => Ok(false),
    }
}

impl Applying<'_> {
    /// A user joined (`member`) or left a group: kept when the group is selected, then the user's devices
    /// re-decided with the newest membership; `false` (ignored) when no device of the fleet is the user's (a user
    /// Okta does not have, or one who owns none yet: the fact is kept all the same, for the order of later events).
    async fn membership(&self, member: bool) -> Result<bool, Error> {
        let (Some(user), Some(group)) = (target(self.e, "User"), target(self.e, "UserGroup")) else {
            return Ok(false);
        };
        if !self.ctx.selected_groups.iter().any(|g| g == group) {
            return Ok(false);
        }
        let fact = FactKey::Membership { group, user };
        if !self.deps.store.keep_fact(self.tenant, fact, &self.published, member.to_string()).await? {
            return Ok(false);
        }
        let devices = redecide(self.deps, self.tenant, self.ctx, user, fact, |r, value| {
            r.owner_selected_groups.retain(|g| g != group);
            if value == "true" {
                r.owner_selected_groups.push(group.to_string());
                r.owner_selected_groups.sort();
            }
        })
        .await?;
        Ok(devices > 0)
    }

    /// A user's lifecycle event (`event_type`): the state it leaves the user in kept, then the user's devices
    /// re-decided with the newest state; `false` (ignored) when no device of the fleet is the user's (a new user's
    /// devices come in with the next reconciliation, case C11).
    async fn user_lifecycle(&self, event_type: &str) -> Result<bool, Error> {
        let Some(user) = target(self.e, "User") else { return Ok(false) };
        let status = match event_type {
            "user.lifecycle.create"
            | "user.lifecycle.activate"
            | "user.lifecycle.reactivate"
            | "user.lifecycle.unsuspend" => "ACTIVE",
            "user.lifecycle.suspend" => "SUSPENDED",
            "user.lifecycle.deactivate" => "DEPROVISIONED",
            "user.lifecycle.delete.initiated" => "DELETED",
            _ => return Ok(false),
        };
        let fact = FactKey::UserStatus { user };
        if !self.deps.store.keep_fact(self.tenant, fact, &self.published, status.to_string()).await? {
            return Ok(false);
        }
        let devices =
            redecide(self.deps, self.tenant, self.ctx, user, fact, |r, value| r.owner_status = Some(value.to_string()))
                .await?;
        Ok(devices > 0)
    }

    /// A user's profile changed (C28: a login or email renamed): the user's login and email are read from Okta
    /// and kept, then each of the user's devices notes whether its UEM owner's email still names the user
    /// (`owner_email_mismatch`); scope does not change, since devices stay with the user they are linked to by
    /// id. Not applied (ignored) when the user has no device of the fleet or Okta no longer has the user.
    async fn user_profile(&self) -> Result<bool, Error> {
        let Some(user) = target(self.e, "User") else { return Ok(false) };
        if self.deps.store.devices_of_user(self.tenant, user).await?.is_empty() {
            return Ok(false);
        }
        let (_, okta) = self.deps.device_trust_okta(self.tenant, &crate::facts::SCOPES).await?;
        let Some(found) = okta.get_user(user).await? else { return Ok(false) };
        let value = serde_json::json!({"login": found.profile.login, "email": found.profile.email}).to_string();
        let fact = FactKey::UserProfile { user };
        if !self.deps.store.keep_fact(self.tenant, fact, &self.published, value).await? {
            return Ok(false);
        }
        redecide(self.deps, self.tenant, self.ctx, user, fact, |r, value| {
            r.owner_email_mismatch = email_mismatch(r.owner_email.as_deref(), value);
        })
        .await?;
        Ok(true)
    }

    /// Okta's own device record changed (its user link, or the device itself). Scope does not depend on it; the
    /// latest state is kept per Okta device as evidence for the status report. A deleted record
    /// (`device.lifecycle.delete`, case C27) marks the fleet devices that had it ([`super::lost::mark_lost`]);
    /// `false` (ignored) when none did.
    async fn okta_device(&self, event_type: &str) -> Result<bool, Error> {
        let Some(device) = target(self.e, "Device") else { return Ok(false) };
        let value = format!("{event_type} {}", target(self.e, "User").unwrap_or("-"));
        let fact = FactKey::OktaDevice { device };
        let kept = self.deps.store.keep_fact(self.tenant, fact, &self.published, value).await?;
        if event_type != "device.lifecycle.delete" {
            return Ok(kept);
        }
        // Case C27: applied only when a device of the fleet had that Okta device (C30's rule for users).
        Ok(kept && super::lost::mark_lost(self.deps, self.tenant, device).await? > 0)
    }
}

/// The note a device record carries when its UEM owner's `owner_email` names neither the login nor the primary
/// email of the kept profile `profile` (JSON, [`FactKey::UserProfile`]): the login the owner should read.
fn email_mismatch(owner_email: Option<&str>, profile: &str) -> Option<String> {
    let p: serde_json::Value = serde_json::from_str(profile).ok()?;
    let login = p["login"].as_str()?;
    let owner = odt_shared::scope::normalize_email(owner_email?);
    let names = [Some(login), p["email"].as_str()];
    let matches = names.into_iter().flatten().any(|e| odt_shared::scope::normalize_email(e) == owner);
    (!matches).then(|| login.to_string())
}
