//! How often the schedule re-reads a tenant's whole UEM inventory (issue 18, "Large fleets"): never more often
//! than the schedule runs, and less often as the fleet grows: one re-read takes its calls at the re-reads' part of
//! the per-minute share (half; the other half stays with deployment in every minute), so re-reads follow each
//! other at most back to back, and stay within their part of the day's budget. Okta-side changes keep arriving through event hooks in seconds whatever the
//! cadence.

use odt_shared::pacing::{CallClass, Share};
use std::time::Duration;

/// The schedule's period: `template.yaml`'s `FleetSyncScheduledFunction` runs `rate(15 minutes)`.
pub const SCHEDULE_PERIOD: Duration = Duration::from_secs(15 * 60);

/// Items per UEM list page (Hexnode's `per_page` as the client asks).
const PAGE: u64 = odt_shared::uem::hexnode::PER_PAGE as u64;

/// The UEM calls one full re-read of `managed` devices costs, estimated: the device pages and the user pages
/// (owners; at most one user per device), and two more for the device groups and a selected group's members.
pub fn reread_calls(managed: u64) -> u64 {
    2 * managed.div_ceil(PAGE).max(1) + 2
}

/// The least time between two scheduled full re-reads of a fleet of `managed` devices (`None`: not counted
/// yet) within `share`: the longest of [`SCHEDULE_PERIOD`], one re-read's calls at the re-reads' per-minute part
/// (half the share: a re-read runs back to back at most), and the day divided by how many re-reads the re-reads'
/// part of the day pays for.
pub fn reread_interval(managed: Option<u64>, share: Share) -> Duration {
    let calls = reread_calls(managed.unwrap_or(0));
    let rate = f64::from(share.class_per_minute(CallClass::Reread));
    let by_rate = Duration::from_secs_f64(calls as f64 / rate * 60.0);
    let by_day = match share.class_per_day(managed, CallClass::Reread) {
        Some(part) if part > 0 => Duration::from_secs_f64(86_400.0 * calls as f64 / part as f64),
        Some(_) => Duration::from_secs(86_400),
        None => Duration::ZERO,
    };
    SCHEDULE_PERIOD.max(by_rate).max(by_day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use odt_shared::pacing::UemLimits;

    /// Fails if the cadence did not grow with the fleet at Hexnode's limits and the default share (15 calls a
    /// minute for the product, 7 of them for re-reads).
    #[test]
    fn the_cadence_grows_with_the_fleet() {
        let share = Share::new(UemLimits::HEXNODE, None);
        let minutes = |n: u64| reread_interval(Some(n), share).as_secs() / 60;
        assert_eq!(minutes(1_000), 15, "22 calls: the schedule's own period");
        assert_eq!(reread_calls(10_000), 202);
        assert_eq!(minutes(10_000), 28, "202 calls at 7 a minute");
        assert_eq!(minutes(100_000), 286, "2,002 calls at 7 a minute: about every 4.8 hours");
        assert_eq!(minutes(1), 1_920, "one device: 10 calls a day for the account, re-reads 3 of them, 4 a re-read");
        assert_eq!(reread_interval(None, share), SCHEDULE_PERIOD);
    }

    /// Fails if a small fleet's daily part were not what bounds it when it is the tighter limit.
    #[test]
    fn a_tight_day_spaces_rereads_out() {
        // 10 calls a device a day, 1 % share: 50 devices → 5 calls a day, re-reads 3; one re-read costs 4.
        let share = Share::new(UemLimits::HEXNODE, Some(1));
        let i = reread_interval(Some(50), share);
        assert!(i >= Duration::from_secs(86_400), "{i:?}");
    }
}
