//! Rate-limit headers read the safe way (case C25). A server may send a header more than once, or several values
//! in one separated by commas (RFC 9110 §5.3, one field line per value or a comma-separated list), as an Okta
//! answer governed by two limits at once does with `X-Rate-Limit-Reset`. Whichever of them binds is the one to
//! obey: the wait is the longest any value asks for, the calls left the fewest any value allows. A value that
//! does not read is left out, never taken as zero.

use reqwest::header::{HeaderMap, RETRY_AFTER};
use time::OffsetDateTime;

/// Every number in every `name` header (each field line, each comma-separated item).
fn numbers<'a, T: std::str::FromStr>(headers: &'a HeaderMap, name: &str) -> impl Iterator<Item = T> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|v| v.trim().parse().ok())
}

/// The latest of Okta's `X-Rate-Limit-Reset` values (epoch seconds: when the window ends).
/// Source: <https://developer.okta.com/docs/reference/rl-best-practices/> (the headers).
pub fn latest_reset(headers: &HeaderMap) -> Option<OffsetDateTime> {
    numbers::<i64>(headers, "x-rate-limit-reset").max().and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
}

/// The fewest of Okta's `X-Rate-Limit-Remaining` values (calls left in the window).
pub fn least_remaining(headers: &HeaderMap) -> Option<u64> {
    numbers::<u64>(headers, "x-rate-limit-remaining").min()
}

/// The longest `Retry-After` (RFC 9110 §10.2.3) in whole seconds: each field line a number of seconds (rounded up)
/// or an HTTP date relative to `now` (a date holds a comma, so field lines are not split).
pub fn retry_after_secs(headers: &HeaderMap, now: OffsetDateTime) -> Option<u64> {
    headers
        .get_all(RETRY_AFTER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| one_retry_after(v.trim(), now))
        .max()
}

fn one_retry_after(value: &str, now: OffsetDateTime) -> Option<u64> {
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64);
    }
    let at = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some((at - now).as_seconds_f64().max(0.0).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_numbers_and_dates() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after_secs(&h, now), Some(7));
        h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after_secs(&h, now), Some(2));
        // 1_700_000_000 is Tue, 14 Nov 2023 22:13:20 GMT.
        h.insert(RETRY_AFTER, HeaderValue::from_static("Tue, 14 Nov 2023 22:14:00 GMT"));
        assert_eq!(retry_after_secs(&h, now), Some(40));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after_secs(&h, now), None);
        h.append(RETRY_AFTER, HeaderValue::from_static("3"));
        h.append(RETRY_AFTER, HeaderValue::from_static("9"));
        assert_eq!(retry_after_secs(&h, now), Some(9), "the longest of several");
    }

    #[test]
    fn c25_two_resets_the_later_binds_and_the_fewest_calls_left() {
        let mut h = HeaderMap::new();
        h.append("x-rate-limit-reset", HeaderValue::from_static("1700000002"));
        h.append("x-rate-limit-reset", HeaderValue::from_static("1700000005"));
        assert_eq!(latest_reset(&h).map(|t| t.unix_timestamp()), Some(1_700_000_005));
        let mut one_line = HeaderMap::new();
        one_line.insert("x-rate-limit-reset", HeaderValue::from_static("1700000005, 1700000002, soon"));
        assert_eq!(latest_reset(&one_line).map(|t| t.unix_timestamp()), Some(1_700_000_005));
        h.append("x-rate-limit-remaining", HeaderValue::from_static("40"));
        h.append("x-rate-limit-remaining", HeaderValue::from_static("0"));
        assert_eq!(least_remaining(&h), Some(0));
        assert_eq!(least_remaining(&HeaderMap::new()), None);
    }
}
