//! Time as a dependency: handlers and clients ask a [`Clock`] for the time and to sleep, so tests can use a
//! manual clock that advances instantly and records every wait (no real sleeps in tests).

use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// Wall-clock time and sleeping.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    /// Now, UTC.
    fn now(&self) -> OffsetDateTime;
    /// Waits `d`.
    async fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await
    }
}

/// A clock for tests: `sleep` returns at once, advancing the time by the duration and recording it.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<(OffsetDateTime, Vec<Duration>)>>,
}

impl ManualClock {
    /// Starts at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock { inner: Arc::new(Mutex::new((start, Vec::new()))) }
    }
    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.inner.lock().expect("clock lock").1.clone()
    }
    /// Moves the time forward without a sleep.
    pub fn advance(&self, d: Duration) {
        self.inner.lock().expect("clock lock").0 += d;
    }
}

#[async_trait::async_trait]
impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.inner.lock().expect("clock lock").0
    }
    async fn sleep(&self, d: Duration) {
        let mut g = self.inner.lock().expect("clock lock");
        g.0 += d;
        g.1.push(d);
    }
}

/// A clock that runs `factor` times faster than real time from when it was made, for long runs at a stated
/// speed-up (benchmarks at a UEM's real rate): `now` is the start plus the real time elapsed times `factor`, and
/// `sleep(d)` sleeps `d / factor` of real time. [`ScaledClock::set_factor`] changes the speed-up from now on (a
/// sleep already begun keeps the one it began with).
#[derive(Debug, Clone)]
pub struct ScaledClock {
    inner: Arc<std::sync::Mutex<Scale>>,
}

/// Where a [`ScaledClock`] stands: since `real_start` it has run `factor` times real time from `start`.
#[derive(Debug, Clone, Copy)]
struct Scale {
    start: OffsetDateTime,
    real_start: std::time::Instant,
    factor: f64,
}

impl ScaledClock {
    /// Starts now, running `factor` (> 0) times real time.
    pub fn new(factor: f64) -> Self {
        let scale = Scale { start: OffsetDateTime::now_utc(), real_start: std::time::Instant::now(), factor };
        ScaledClock { inner: Arc::new(std::sync::Mutex::new(scale)) }
    }

    /// The speed-up.
    pub fn factor(&self) -> f64 {
        self.inner.lock().expect("clock lock").factor
    }

    /// Runs `factor` (> 0) times real time from now on, going on from the time it shows now.
    pub fn set_factor(&self, factor: f64) {
        let mut s = self.inner.lock().expect("clock lock");
        let real_start = std::time::Instant::now();
        *s = Scale { start: s.start + (real_start - s.real_start).mul_f64(s.factor), real_start, factor };
    }
}

#[async_trait::async_trait]
impl Clock for ScaledClock {
    fn now(&self) -> OffsetDateTime {
        let s = *self.inner.lock().expect("clock lock");
        s.start + s.real_start.elapsed().mul_f64(s.factor)
    }
    async fn sleep(&self, d: Duration) {
        let factor = self.factor();
        tokio::time::sleep(d.div_f64(factor)).await
    }
}

/// The real clock moved on by an offset its holder adds to; sleeps are real. The local stack runs on it, so the
/// walkthrough can show what the product does months later (attestation renewals) without waiting for them.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    offset: Mutex<Duration>,
}

impl ShiftedClock {
    /// Moves the time `d` further on, from now on.
    pub fn shift(&self, d: Duration) {
        *self.offset.lock().expect("clock lock") += d;
    }
}

#[async_trait::async_trait]
impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + *self.offset.lock().expect("clock lock")
    }
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await
    }
}

/// The UTC day of `t` as `YYYY-MM-DD`.
pub fn utc_day(t: OffsetDateTime) -> String {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// RFC 3339 text of a time, as stored and returned.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
