//! The admin's next step for each device state: one short text per state, and per reason for a device out of
//! scope. The one place the API's `nextStep` and the exports' `next_step` column take it from; short enough to
//! show uncut in the PDF's column (a test checks each).
//!
//! A new state is one more line in [`next_step`]'s `match` (the compiler asks for it), e.g. a state for a
//! device whose Okta device record was deleted (case C27): `OdtState::MustEnrollAgain => "Owner enrolls Okta
//! Verify again",`.

use crate::status::OdtState;
use odt_shared::scope::Exclusion;

/// The next step for a device in `state`; `exclusion` is why it is out of scope (`None` in scope, or when only
/// device trust being off leaves it out).
pub fn next_step(state: OdtState, exclusion: Option<Exclusion>) -> &'static str {
    match state {
        OdtState::Managed => "None: managed",
        OdtState::NotManaged => "Check the device's payload",
        OdtState::AwaitingFastpass => "Owner signs in with FastPass",
        OdtState::Delivered => "Owner sets up Okta Verify",
        OdtState::Pending => "None: deployment under way",
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
        Some(Exclusion::NotInSelectedGroup) => "Add owner or device to fleet",
        Some(Exclusion::OwnerNotActive) => "Reactivate the owner in Okta",
        Some(Exclusion::PlatformUnsupported) => "None: platform not covered",
        Some(Exclusion::PlatformDisabled) => "Switch platform on if wanted",
        Some(Exclusion::OsTooOld) => "Update the OS",
        Some(Exclusion::NotAndroidEnterprise) => "Enroll via Android Enterprise",
    }
}

/// Every next step there is, each once.
pub fn all() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = OdtState::ALL.iter().map(|s| next_step(*s, None)).collect();
    out.extend(Exclusion::ALL.iter().map(|e| out_of_scope(Some(*e))));
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails if two states (or two reasons out of scope) tell the admin the same thing, or a text is empty.
    #[test]
    fn each_state_and_reason_has_its_own_step() {
        let n = OdtState::ALL.len() - 1 + 1 + Exclusion::ALL.len();
        assert_eq!(all().len(), n, "{:?}", all());
        assert!(all().iter().all(|s| !s.trim().is_empty()));
    }
}
