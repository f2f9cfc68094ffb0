//! The fleet's Okta users as the rules would see them: the ACTIVE members of the fleet's Okta groups, which of
//! them have a device Okta reports `MANAGED` today (Okta's device user links) and which the product's own
//! records say are managed (an in-scope device whose evidence Okta reported `MANAGED`), and whether the rules
//! could lock out the admin who asks.
//!
//! **Lockout.** The rules name only the fleet's groups, so they can refuse the calling admin only if the admin
//! is one of those users. The admin is matched by the token's `email` claim against each fleet user's Okta
//! `login` and primary `email` (case-insensitive). A match without a device Okta reports `MANAGED` would be
//! refused once the deny rule is active: activation is refused. A token without an `email` claim cannot be
//! matched, so activation is refused too (the product cannot tell).

use super::context::Context;
use odt_shared::deps::Deps;
use odt_shared::okta::User;
use odt_shared::ApiError;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The fleet's users and their managed devices.
pub struct FleetUsers {
    /// ACTIVE members of the fleet's groups, by Okta user id.
    pub users: BTreeMap<String, User>,
    /// Users with a device Okta reports `MANAGED` for them.
    pub managed_in_okta: HashSet<String>,
    /// Users whose in-scope device the product's evidence shows `MANAGED`.
    pub managed_by_product: HashSet<String>,
}

/// What the rules would do to the calling admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum CallerVerdict {
    /// The token carries no `email` claim: the product cannot tell (activation refused).
    NoEmail,
    /// No fleet user has this login or email: the rules do not apply to the caller.
    NotInFleet,
    /// The caller is fleet user `oktaUserId` with a managed device: the allow rule lets them in.
    HasManagedDevice {
        #[serde(rename = "oktaUserId")]
        okta_user_id: String,
    },
    /// The caller is fleet user `oktaUserId` without a managed device: the deny rule would refuse them
    /// (activation refused).
    WouldBeLockedOut {
        #[serde(rename = "oktaUserId")]
        okta_user_id: String,
    },
}

impl CallerVerdict {
    /// Whether activation must be refused, with the reason.
    pub fn refusal(&self) -> Option<(&'static str, String)> {
        match self {
            CallerVerdict::NoEmail => Some((
                "caller_unknown",
                "your token carries no email claim, so the product cannot tell whether the rules would lock you \
out of Okta; sign in with a token that carries your email"
                    .to_string(),
            )),
            CallerVerdict::WouldBeLockedOut { okta_user_id } => Some((
                "would_lock_out_caller",
                format!(
                    "you are Okta user {okta_user_id}, in the fleet's groups, and Okta reports no managed device of \
yours: the deny rule would refuse you; enroll a managed device first or take yourself out of the fleet's groups"
                ),
            )),
            _ => None,
        }
    }
}

/// Reads the fleet's users (every page of each group's members) and Okta's devices (every page), and the
/// product's device and evidence records.
pub async fn read(deps: &Deps, tenant: &str, ctx: &Context) -> Result<FleetUsers, ApiError> {
    let mut users = BTreeMap::new();
    for g in &ctx.group_ids {
        for u in ctx.okta.list_group_members(g).await? {
            if u.status == "ACTIVE" {
                users.insert(u.id.clone(), u);
            }
        }
    }
    let managed_in_okta: HashSet<String> = ctx
        .okta
        .list_devices()
        .await?
        .into_iter()
        .filter(|d| d.status == "ACTIVE")
        .flat_map(|d| d.users.into_iter())
        .filter(|l| l.is_managed())
        .map(|l| l.user_id)
        .collect();
    let managed_devices: HashSet<String> = deps
        .store
        .list_evidence(tenant)
        .await?
        .into_iter()
        .filter(|e| e.management_status.as_deref() == Some("MANAGED"))
        .map(|e| e.device_id)
        .collect();
    let managed_by_product = deps
        .store
        .list_devices(tenant)
        .await?
        .into_iter()
        .filter(|d| d.in_scope && managed_devices.contains(&d.device_id))
        .filter_map(|d| d.okta_user_id)
        .collect();
    Ok(FleetUsers { users, managed_in_okta, managed_by_product })
}

impl FleetUsers {
    /// The fleet users Okta reports no managed device for: the deny rule would refuse them.
    pub fn refused(&self) -> Vec<&User> {
        self.users.values().filter(|u| !self.managed_in_okta.contains(&u.id)).collect()
    }

    /// What the rules would do to a caller whose token says `email`.
    pub fn verdict(&self, email: Option<&str>) -> CallerVerdict {
        let Some(email) = email else { return CallerVerdict::NoEmail };
        let same = |v: &str| v.eq_ignore_ascii_case(email);
        let found =
            self.users.values().find(|u| same(&u.profile.login) || u.profile.email.as_deref().is_some_and(same));
        match found {
            None => CallerVerdict::NotInFleet,
            Some(u) if self.managed_in_okta.contains(&u.id) => {
                CallerVerdict::HasManagedDevice { okta_user_id: u.id.clone() }
            }
            Some(u) => CallerVerdict::WouldBeLockedOut { okta_user_id: u.id.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odt_shared::okta::UserProfile;

    fn user(id: &str, login: &str, email: &str) -> User {
        User {
            id: id.into(),
            status: "ACTIVE".into(),
            profile: UserProfile { login: login.into(), email: Some(email.into()) },
        }
    }

    #[test]
    fn the_caller_is_matched_by_login_or_email_and_refused_without_a_managed_device() {
        let fleet = FleetUsers {
            users: BTreeMap::from([
                ("00u1".to_string(), user("00u1", "ana", "ana@acme.com")),
                ("00u2".to_string(), user("00u2", "ben@acme.com", "ben.alt@acme.com")),
            ]),
            managed_in_okta: HashSet::from(["00u1".to_string()]),
            managed_by_product: HashSet::new(),
        };
        assert_eq!(fleet.verdict(None), CallerVerdict::NoEmail);
        assert_eq!(fleet.verdict(Some("cy@acme.com")), CallerVerdict::NotInFleet);
        assert_eq!(
            fleet.verdict(Some("ANA@acme.com")),
            CallerVerdict::HasManagedDevice { okta_user_id: "00u1".into() }
        );
        assert_eq!(
            fleet.verdict(Some("ben@acme.com")),
            CallerVerdict::WouldBeLockedOut { okta_user_id: "00u2".into() }
        );
        assert!(fleet.verdict(Some("ben.alt@acme.com")).refusal().is_some());
        assert!(fleet.verdict(None).refusal().is_some());
        assert!(fleet.verdict(Some("ana@acme.com")).refusal().is_none());
        assert_eq!(fleet.refused().iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), vec!["00u2"]);
    }
}
