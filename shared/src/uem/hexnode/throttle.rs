//! The client room's throttle wait: how long a Hexnode `429` asks to wait, from its text or `Retry-After`.

use serde_json::Value;
use std::time::Duration;

/// The wait after a `429` that states no time, neither in its text nor in `Retry-After` (60 s).
pub const DEFAULT_THROTTLE_WAIT: Duration = Duration::from_secs(60);

/// The whole seconds to wait after a `429`, never less than asked: the number in Hexnode's text `Request was
/// throttled. Expected available in 57.0 seconds.` (plain or as JSON `{"detail": …}`, fractions rounded up), else
/// `retry_after` (the `Retry-After` header, in seconds), else [`DEFAULT_THROTTLE_WAIT`]; at least 1 s.
pub fn throttle_wait_secs(body: &str, retry_after: Option<u64>) -> u64 {
    let detail = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string));
    let text = detail.as_deref().unwrap_or(body);
    seconds_in_throttle_text(text).or(retry_after).unwrap_or(DEFAULT_THROTTLE_WAIT.as_secs()).max(1)
}

/// The number after "available in" in a throttle text, rounded up; `None` when there is none.
fn seconds_in_throttle_text(text: &str) -> Option<u64> {
    const MARK: &str = "available in";
    let lower = text.to_ascii_lowercase();
    let rest = lower[lower.find(MARK)? + MARK.len()..].trim_start();
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let secs: f64 = number.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| secs.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_text_plain_json_header_and_default() {
        assert_eq!(throttle_wait_secs("Request was throttled. Expected available in 57.0 seconds.", None), 57);
        assert_eq!(
            throttle_wait_secs(r#"{"detail": "Request was throttled. Expected available in 2.3 seconds."}"#, Some(9)),
            3
        );
        assert_eq!(throttle_wait_secs("Request was throttled. Expected available in 1 second.", None), 1);
        assert_eq!(throttle_wait_secs("slow down", Some(12)), 12);
        assert_eq!(throttle_wait_secs(r#"{"detail": "Request was throttled."}"#, None), 60);
        assert_eq!(throttle_wait_secs("", Some(0)), 1, "never a zero wait");
    }
}

/// Properties of the wait read from a Hexnode `429` (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Fails if the wait were shorter than Hexnode asked, longer than its number rounded up to the next whole
        /// second, or zero; plain text and the JSON `detail` form alike.
        #[test]
        fn the_wait_is_what_hexnode_asked_rounded_up(tenths in 0u64..10_000_000, json in any::<bool>(),
            header in proptest::option::of(any::<u64>())) {
            let asked = tenths as f64 / 10.0;
            let text = format!("Request was throttled. Expected available in {asked:.1} seconds.");
            let body = if json { serde_json::json!({ "detail": text }).to_string() } else { text };
            let wait = throttle_wait_secs(&body, header);
            prop_assert!(wait >= 1);
            prop_assert!(wait as f64 >= asked, "{} < {}", wait, asked);
            prop_assert!((wait as f64) < asked.max(1.0) + 1.0, "{} for {}", wait, asked);
        }

        /// Fails if a body without Hexnode's sentence gave anything but `Retry-After` (at least 1 s) or the
        /// default.
        #[test]
        fn without_the_sentence_the_header_or_the_default_decides(body in "[^vV]{0,60}",
            header in proptest::option::of(any::<u64>())) {
            let want = header.unwrap_or(DEFAULT_THROTTLE_WAIT.as_secs()).max(1);
            prop_assert_eq!(throttle_wait_secs(&body, header), want);
        }

        /// Fails on a panic for any body (non-ASCII text around "available in", huge or odd numbers), or a zero
        /// wait.
        #[test]
        fn never_panics_and_never_zero(body in prop_oneof![any::<String>(),
            "(\u{e9}|x| ){0,3}[Aa]vailable [Ii]n ?[0-9.eE+\\-]{0,30}( seconds)?\u{1F600}?"],
            header in proptest::option::of(any::<u64>())) {
            prop_assert!(throttle_wait_secs(&body, header) >= 1);
        }
    }
}
