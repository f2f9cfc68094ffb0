//! Values a warm instance keeps between invocations for a few seconds, so a hot path does not read the same
//! small record once a request (the event hook's record, read for every delivery). Each value is stamped with
//! the [`crate::clock::Clock`] time it was read and is returned only while younger than the caller's bound;
//! callers that must see a change at once (a refused secret) read again and [`Warm::put`] the fresh value.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// Entries kept before the cache starts again from empty (a warm instance serves a handful of tenants).
const MAX_ENTRIES: usize = 1024;

type Entry = (OffsetDateTime, Arc<dyn Any + Send + Sync>);

/// A small per-instance cache of typed values by key, each with the time it was read. Cloning shares it.
#[derive(Clone, Default)]
pub struct Warm {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl Warm {
    /// The value kept under `key` when it is of type `T` and was read less than `max_age` before `now`.
    pub fn get<T: Clone + 'static>(&self, key: &str, now: OffsetDateTime, max_age: Duration) -> Option<T> {
        let entries = self.entries.lock().ok()?;
        let (at, v) = entries.get(key)?;
        if now - *at >= max_age || now < *at {
            return None;
        }
        v.downcast_ref::<T>().cloned()
    }

    /// Keeps `value` under `key`, read at `now` (replacing what was there).
    pub fn put<T: Send + Sync + 'static>(&self, key: &str, now: OffsetDateTime, value: T) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(key) {
                entries.clear();
            }
            entries.insert(key.to_string(), (now, Arc::new(value)));
        }
    }

    /// Drops what is kept under `key` (after this instance changed the record itself).
    pub fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_value_is_returned_only_while_younger_than_the_bound_and_of_its_type() {
        let w = Warm::default();
        let t0 = datetime!(2026-12-01 10:00:00 UTC);
        w.put("HOOK#t1", t0, 7u64);
        let bound = Duration::seconds(5);
        assert_eq!(w.get::<u64>("HOOK#t1", t0 + Duration::seconds(4), bound), Some(7));
        assert_eq!(w.get::<u64>("HOOK#t1", t0 + Duration::seconds(5), bound), None, "expired at the bound");
        assert_eq!(w.get::<u64>("HOOK#t1", t0 - Duration::seconds(1), bound), None, "a clock that went back");
        assert_eq!(w.get::<String>("HOOK#t1", t0, bound), None, "another type");
        assert_eq!(w.get::<u64>("HOOK#t2", t0, bound), None, "another key");
        w.forget("HOOK#t1");
        assert_eq!(w.get::<u64>("HOOK#t1", t0, bound), None, "forgotten");
    }

    #[test]
    fn it_stays_bounded() {
        let w = Warm::default();
        let t0 = datetime!(2026-12-01 10:00:00 UTC);
        for i in 0..=MAX_ENTRIES {
            w.put(&format!("k{i}"), t0, i);
        }
        assert!(w.entries.lock().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(w.get::<usize>(&format!("k{MAX_ENTRIES}"), t0, Duration::seconds(1)), Some(MAX_ENTRIES));
    }
}
