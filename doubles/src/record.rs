//! The record every double keeps of the requests it receives.

/// One request the double received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query as sent.
    pub path_and_query: String,
    /// Seconds since the epoch when it arrived.
    pub at: i64,
}

impl Recorded {
    /// `method` on `path_and_query`, arriving now.
    pub(crate) fn now(method: &str, path_and_query: String) -> Recorded {
        Recorded { method: method.into(), path_and_query, at: time::OffsetDateTime::now_utc().unix_timestamp() }
    }
}
