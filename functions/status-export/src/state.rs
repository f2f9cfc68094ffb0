//! The device-trust states a device's status shows, what people read for them and the admin's next step: per
//! state its label ([`OdtState::label`]) and next step, and per reason out of scope its label
//! ([`exclusion_label`]) and next step. The one place the API's `nextStep`, the CSV's `next_step` column and the
//! PDF report's labels and next steps take them from.
//!
//! A new state is its variant here plus one more line in each `match` (the compiler asks for them).

use odt_shared::scope::Exclusion;
use serde::Serialize;
use utoipa::ToSchema;

/// A device's device-trust state, from the evidence ([`crate::status`] decides it). Each has its next step for
/// the admin ([`next_step`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OdtState {
    /// Okta reports the device managed for its owner (`managementStatus` MANAGED): done.
    Managed,
    /// Okta has the device for its owner, not managed (`NOT_MANAGED`), though it reported it managed before:
    /// the device lost its management attestation (e.g. the certificate revoked after 90 days without a FastPass
    /// sign-in, or the payload taken off the device).
    NotManaged,
    /// Okta deleted the device's Okta device record (case C27: a `device.lifecycle.delete` event, or no Okta device
    /// at a refresh for a device that had one): the owner must enroll Okta Verify again; the attestation is
    /// delivered again so the new enrollment can complete. Left once Okta reports a device for it again.
    MustEnrollAgain,
    /// The UEM delivered the items and Okta has the device for its owner, not managed yet (`NOT_MANAGED`) and
    /// never reported managed: Okta checks the attestation at the owner's first FastPass sign-in on it.
    AwaitingFastpass,
    /// The UEM delivered the items, but Okta has no device linked to the owner yet: the owner has not set up
    /// Okta Verify on it.
    Delivered,
    /// In scope; the items are not all on the device yet (deployment under way, or the UEM does not report the
    /// payload applied yet).
    Pending,
    /// The last deployment attempt failed, or the UEM reports the payload failed (`lastError` says why).
    Failed,
    /// The UEM portal refused a call its public API does not document (e.g. the policy's payload): no automatic
    /// retry; `unsupported` names the call and the manual step that replaces it.
    Unsupported,
    /// Items are coming off (out of scope, platform off, or device trust deleted).
    Removing,
    /// Not in scope (see the exclusion; none when device trust is deleted or being deleted), carrying nothing.
    NotInScope,
}

impl OdtState {
    /// Every state, in display order.
    pub const ALL: [OdtState; 10] = [
        OdtState::Managed,
        OdtState::NotManaged,
        OdtState::MustEnrollAgain,
        OdtState::AwaitingFastpass,
        OdtState::Delivered,
        OdtState::Pending,
        OdtState::Failed,
        OdtState::Unsupported,
        OdtState::Removing,
        OdtState::NotInScope,
    ];

    /// The state's name (`managed`, `not_managed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            OdtState::Managed => "managed",
            OdtState::NotManaged => "not_managed",
            OdtState::MustEnrollAgain => "must_enroll_again",
            OdtState::AwaitingFastpass => "awaiting_fastpass",
            OdtState::Delivered => "delivered",
            OdtState::Pending => "pending",
            OdtState::Failed => "failed",
            OdtState::Unsupported => "unsupported",
            OdtState::Removing => "removing",
            OdtState::NotInScope => "not_in_scope",
        }
    }

    /// The state named `s`.
    pub fn parse(s: &str) -> Option<OdtState> {
        OdtState::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The state as people read it (the PDF report): `Managed`, `Awaiting first FastPass sign-in`, ….
    pub fn label(self) -> &'static str {
        match self {
            OdtState::Managed => "Managed",
            OdtState::NotManaged => "Not managed any more",
            OdtState::MustEnrollAgain => "Must enroll again",
            OdtState::AwaitingFastpass => "Awaiting first FastPass sign-in",
            OdtState::Delivered => "Delivered, Okta Verify not set up",
            OdtState::Pending => "Pending",
            OdtState::Failed => "Failed",
            OdtState::Unsupported => "Refused by the UEM",
            OdtState::Removing => "Removing",
            OdtState::NotInScope => "Not in scope",
        }
    }
}

/// Why a device is out of scope, as people read it (the PDF report): `No owner in the UEM`, ….
pub fn exclusion_label(exclusion: Exclusion) -> &'static str {
    match exclusion {
        Exclusion::NoOwner => "No owner in the UEM",
        Exclusion::OwnerNotInOktaOrg => "Owner not in the Okta org",
        Exclusion::OwnerAmbiguous => "Owner email shared by several Okta users",
        Exclusion::NotInSelectedGroup => "Neither owner nor device in a selected group",
        Exclusion::OwnerNotActive => "Owner not active in Okta",
        Exclusion::PlatformUnsupported => "Platform not covered by device trust",
        Exclusion::PlatformDisabled => "Platform switched off",
        Exclusion::OsTooOld => "OS version too old",
        Exclusion::NotAndroidEnterprise => "Not enrolled with Android Enterprise",
    }
}

/// The reason out of scope named `name` (its API form, `no_owner`, …).
pub fn parse_exclusion(name: &str) -> Option<Exclusion> {
    Exclusion::ALL
        .into_iter()
        .find(|e| serde_json::to_value(e).ok().and_then(|v| v.as_str().map(|s| s == name)) == Some(true))
}

/// The next step for a device in `state`; `exclusion` is why it is out of scope (`None` in scope, or when only
/// device trust being off leaves it out).
pub fn next_step(state: OdtState, exclusion: Option<Exclusion>) -> &'static str {
    match state {
        OdtState::Managed => "None: managed",
        OdtState::NotManaged => "Check the device's payload",
        OdtState::MustEnrollAgain => "Owner enrolls Okta Verify again",
        OdtState::AwaitingFastpass => "Owner signs in with FastPass",
        OdtState::Delivered => "Owner sets up Okta Verify",
        OdtState::Pending => "None: wait for the UEM to apply; Refresh evidence reads its report",
        OdtState::Failed => "Fix the last error, retry now",
        OdtState::Unsupported => "Do the manual step in the UEM",
        OdtState::Removing => "None: items coming off",
        OdtState::NotInScope => out_of_scope(exclusion),
    }
}

/// The next step for a device out of scope because of `exclusion` (`None`: device trust is off).
fn out_of_scope(exclusion: Option<Exclusion>) -> &'static str {
    match exclusion {
        None => "None: device trust is off",
        Some(Exclusion::NoOwner) => "Assign an owner in the UEM",
        Some(Exclusion::OwnerNotInOktaOrg) => "Match owner email to Okta user",
        Some(Exclusion::OwnerAmbiguous) => "Give owner email to one user",
        Some(Exclusion::NotInSelectedGroup) => "Add owner or device to fleet",
        Some(Exclusion::OwnerNotActive) => "Reactivate the owner in Okta",
        Some(Exclusion::PlatformUnsupported) => "None: platform not covered",
        Some(Exclusion::PlatformDisabled) => "Switch platform on if wanted",
        Some(Exclusion::OsTooOld) => "Update the OS",
        Some(Exclusion::NotAndroidEnterprise) => "Enroll via Android Enterprise",
    }
}

/// Every next step there is, each once.
pub fn all_next_steps() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = OdtState::ALL.iter().map(|s| next_step(*s, None)).collect();
    out.extend(Exclusion::ALL.iter().map(|e| out_of_scope(Some(*e))));
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if two states, or two reasons out of scope, read the same in the report, or a reason's API name is
    /// not found again.
    #[test]
    fn each_state_and_reason_has_its_own_label() {
        let mut labels: Vec<&str> = OdtState::ALL.iter().map(|s| s.label()).collect();
        labels.extend(Exclusion::ALL.iter().map(|e| exclusion_label(*e)));
        let n = labels.len();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), n, "{labels:?}");
        for e in Exclusion::ALL {
            let name = serde_json::to_value(e).unwrap();
            assert_eq!(parse_exclusion(name.as_str().unwrap()), Some(e));
        }
        assert_eq!(parse_exclusion("not_a_reason"), None);
    }

    /// Fails if two states (or two reasons out of scope) tell the admin the same thing, or a text is empty.
    #[test]
    fn each_state_and_reason_has_its_own_step() {
        let n = OdtState::ALL.len() - 1 + 1 + Exclusion::ALL.len();
        assert_eq!(all_next_steps().len(), n, "{:?}", all_next_steps());
        assert!(all_next_steps().iter().all(|s| !s.trim().is_empty()));
    }
}
