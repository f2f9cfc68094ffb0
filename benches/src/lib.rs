//! Benchmark support shared by the criterion benches (`benches/inprocess.rs`) and the `odt-bench` load harness:
//! a counting global allocator for peak heap, synthetic fleets (UEM devices, Okta users and groups), export rows,
//! and the result table every run prints (figure, target, ratio). Benchmarks never fail on a time: they print.

pub mod convergence;
pub mod fleet;
pub mod hexnode_limit;
pub mod ratelimit;

use odt_exports::Cell;
use odt_shared::platform::Platform;
use odt_shared::scope::{decide, Exclusion, ScopeFacts};
use odt_shared::uem::{Enrollment, UemDevice};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

pub mod alloc {
    //! Peak heap, measured by counting every allocation of the process (the binary installs
    //! [`CountingAlloc`](super::CountingAlloc) as its `#[global_allocator]`).
    use super::*;

    pub(crate) static CURRENT: AtomicUsize = AtomicUsize::new(0);
    pub(crate) static PEAK: AtomicUsize = AtomicUsize::new(0);

    /// Bytes allocated and not yet freed now.
    pub fn current() -> usize {
        CURRENT.load(Ordering::Relaxed)
    }

    /// The highest [`current`] since the last [`reset_peak`] (bytes).
    pub fn peak() -> usize {
        PEAK.load(Ordering::Relaxed)
    }

    /// Starts a new peak window at the current level.
    pub fn reset_peak() {
        PEAK.store(CURRENT.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Runs `f` and returns its value with the peak heap it added above the level at its start (bytes). Only
    /// meaningful when the binary's global allocator is [`CountingAlloc`](super::CountingAlloc).
    pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let base = current();
        reset_peak();
        let out = f();
        (out, peak().saturating_sub(base))
    }
}

/// A global allocator that forwards to the system allocator and keeps the live and the peak byte counts.
pub struct CountingAlloc;

// SAFETY: every call forwards to `System` with the same arguments; the counters are plain atomics.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = alloc::CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            alloc::PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        alloc::CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now =
                    alloc::CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                alloc::PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                alloc::CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// The OS and version of synthetic device `i`: a mix of the four platforms, mostly supported versions, some too
/// old, some tvOS (platform unsupported).
pub fn device_os(i: usize) -> (&'static str, &'static str) {
    match i % 20 {
        0..=5 => ("iOS", "17.2"),
        6..=9 => ("Android", "14"),
        10..=13 => ("macOS", "14.1"),
        14..=17 => ("Windows", "10.0.22631"),
        18 => ("iOS", "15.7"),
        _ => ("tvOS", "17.0"),
    }
}

/// The email of synthetic owner `i`.
pub fn owner_email(i: usize) -> String {
    format!("user{i}@acme.example")
}

/// The Okta user id of synthetic owner `i` (20 characters, as Okta's).
pub fn okta_user_id(i: usize) -> String {
    format!("00u{i:017}")
}

/// The Okta group id of synthetic group `g` (20 characters).
pub fn okta_group_id(g: usize) -> String {
    format!("00g{g:017}")
}

/// Whether synthetic owner `i` is in Okta at all (1 in 25 is not: a contractor only the UEM knows).
pub fn owner_in_okta(i: usize) -> bool {
    i % 25 != 7
}

/// The Okta status of synthetic owner `i` (1 in 50 suspended).
pub fn owner_status(i: usize) -> &'static str {
    if i % 50 == 3 {
        "SUSPENDED"
    } else {
        "ACTIVE"
    }
}

/// The selected Okta group synthetic owner `i` is in among `groups` (owners 1 in 10 are in none).
pub fn owner_group(i: usize, groups: usize) -> Option<usize> {
    (i % 10 != 9 && groups > 0).then(|| i % groups)
}

/// `n` UEM devices as the UEM client returns them: device `i` owned by owner `i` (1 in 100 has no owner).
pub fn uem_devices(n: usize) -> Vec<UemDevice> {
    (0..n)
        .map(|i| {
            let (os, version) = device_os(i);
            let platform = match os {
                "iOS" => Some(Platform::Ios),
                "Android" => Some(Platform::Android),
                "macOS" => Some(Platform::Macos),
                "Windows" => Some(Platform::Windows),
                _ => None,
            };
            UemDevice {
                id: (100_000 + i).to_string(),
                name: format!("Device {i}"),
                platform,
                os_version: version.to_string(),
                serial: Some(format!("SN{i:08}")),
                udid: None,
                enrollment: if os == "Android" { Enrollment::AndroidWorkProfile } else { Enrollment::Other },
                owner_email: (i % 100 != 42).then(|| owner_email(i)),
                owner_id: Some(i.to_string()),
            }
        })
        .collect()
}

/// What gathering reads from Okta for `n` owners and `groups` selected groups: every user (id, status, login)
/// and each group's member ids.
pub struct OktaData {
    /// `(id, status, login)` of every Okta user.
    pub users: Vec<(String, &'static str, String)>,
    /// Member user ids of each selected group.
    pub members: Vec<Vec<String>>,
}

/// The Okta side of a synthetic fleet of `n` owners and `groups` selected groups.
pub fn okta_data(n: usize, groups: usize) -> OktaData {
    let mut users = Vec::with_capacity(n);
    let mut members = vec![Vec::new(); groups];
    for i in (0..n).filter(|i| owner_in_okta(*i)) {
        users.push((okta_user_id(i), owner_status(i), owner_email(i)));
        if let Some(g) = owner_group(i, groups) {
            members[g].push(okta_user_id(i));
        }
    }
    OktaData { users, members }
}

/// The scope computation reconciliation does in process, from data already read: build the facts (users by
/// email, members of the selected groups, enabled platforms) and decide every device. Returns how many are in
/// scope (so the work cannot be optimized away).
pub fn compute_scope(devices: &[UemDevice], okta: &OktaData) -> usize {
    let mut facts = ScopeFacts::default();
    for (id, status, login) in &okta.users {
        facts.add_user(id, status, login, Some(login));
    }
    for group in &okta.members {
        facts.selected_members.extend(group.iter().cloned());
    }
    facts.enabled_platforms.extend(Platform::ALL);
    let mut excluded = [0usize; Exclusion::ALL.len()];
    let mut in_scope = 0;
    for d in devices {
        match decide(d, &facts, None).exclusion {
            None => in_scope += 1,
            Some(e) => excluded[e as usize] += 1,
        }
    }
    in_scope
}

/// Export row `i` in `status_export::status::COLUMNS` order (16 cells, as a status row of a device gives them).
pub fn export_row(i: usize) -> Vec<Cell> {
    let t = |s: String| Cell::Text(s);
    let (os, version) = device_os(i);
    let in_scope = !i.is_multiple_of(5);
    let scep = in_scope && (os == "macOS" || os == "Windows");
    vec![
        t((100_000 + i).to_string()),
        t(format!("Device {i} of {}", owner_email(i))),
        t(os.to_lowercase()),
        t(version.to_string()),
        t(owner_email(i)),
        t(if in_scope { "yes" } else { "no" }.into()),
        if in_scope { Cell::Empty } else { t("not_in_selected_group".into()) },
        t(if in_scope { "managed" } else { "not_in_scope" }.into()),
        t("yes".into()),
        t("yes".into()),
        t(if os == "macOS" { "applied" } else { "n/a" }.into()),
        t("applied".into()),
        t("no".into()),
        Cell::Number((i % 3) as i64),
        t("2026-11-29T10:00:00Z".into()),
        if i.is_multiple_of(97) { t("device offline".into()) } else { Cell::Empty },
        t(if in_scope { "None: managed" } else { "Add owner or device to fleet" }.into()),
        // The attestation's date, certificate age and renewal: SCEP platforms (macOS, Windows) in scope only.
        if scep { t("2026-06-01T10:00:00Z".into()) } else { Cell::Empty },
        if scep { Cell::Number((i % 365) as i64) } else { Cell::Empty },
        if scep { t("2027-02-01T10:00:00Z".into()) } else { Cell::Empty },
        if scep { t("renewal".into()) } else { Cell::Empty },
    ]
}

/// One result: what was measured, the figure, its unit, the target (same unit) and whether smaller is better.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What was measured (one line).
    pub what: String,
    /// The measured value.
    pub value: f64,
    /// Its unit (`ms`, `MB`, `calls`, `writes`, `s`).
    pub unit: &'static str,
    /// The target in the same unit; `None` when the figure is informative only.
    pub target: Option<f64>,
    /// How the target reads (`<= 200 ms`, `= 512 calls`).
    pub target_text: String,
}

impl Figure {
    /// A figure with an upper-bound target (`value <= target` meets it).
    pub fn at_most(what: impl Into<String>, value: f64, unit: &'static str, target: f64) -> Figure {
        Figure { what: what.into(), value, unit, target: Some(target), target_text: format!("<= {target} {unit}") }
    }

    /// A figure with an exact target (`value == target` meets it; the ratio shows how far).
    pub fn exactly(what: impl Into<String>, value: f64, unit: &'static str, target: f64) -> Figure {
        Figure { what: what.into(), value, unit, target: Some(target), target_text: format!("= {target} {unit}") }
    }

    /// An informative figure without a target.
    pub fn info(what: impl Into<String>, value: f64, unit: &'static str) -> Figure {
        Figure { what: what.into(), value, unit, target: None, target_text: "-".into() }
    }

    /// `value / target` (1.00 for 0 / 0), `None` without a target.
    pub fn ratio(&self) -> Option<f64> {
        self.target.map(|t| {
            if t == 0.0 {
                if self.value == 0.0 {
                    1.0
                } else {
                    f64::INFINITY
                }
            } else {
                self.value / t
            }
        })
    }

    /// Whether the target is met (`None` without one).
    pub fn met(&self) -> Option<bool> {
        let t = self.target?;
        Some(if self.target_text.starts_with('=') { (self.value - t).abs() < 1e-9 } else { self.value <= t })
    }

    /// One line of the table: what | figure | target | ratio | met.
    pub fn line(&self) -> String {
        let ratio = self.ratio().map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".into());
        let met = match self.met() {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        format!(
            "| {} | {} {} | {} | {} | {} |",
            self.what,
            fmt_value(self.value),
            self.unit,
            self.target_text,
            ratio,
            met
        )
    }
}

fn fmt_value(v: f64) -> String {
    if (v.fract() == 0.0 && v.abs() < 1e12) || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Prints figures as a Markdown table and appends them to the file named by `ODT_BENCH_OUT` (when set), one
/// table line each, so `scripts/bench.sh` can gather every run's lines.
/// The `p`-th percentile (nearest rank) of `sorted` (ascending); 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn report(figures: &[Figure]) {
    let mut out = String::new();
    for f in figures {
        out.push_str(&f.line());
        out.push('\n');
    }
    println!("| what | figure | target | ratio | |\n| --- | --- | --- | --- | --- |\n{out}");
    if let Ok(path) = std::env::var("ODT_BENCH_OUT") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
            let _ = f.write_all(out.as_bytes());
        }
    }
}

/// Megabytes (10^6 bytes) of `bytes`.
pub fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_fleet_has_every_kind_of_device() {
        let devices = uem_devices(1000);
        let okta = okta_data(1000, 20);
        let in_scope = compute_scope(&devices, &okta);
        assert!(in_scope > 500 && in_scope < 900, "{in_scope}");
        assert_eq!(export_row(0).len(), status_export::status::COLUMNS.len());
    }

    #[test]
    fn ratios_and_targets() {
        assert_eq!(Figure::exactly("w", 0.0, "writes", 0.0).met(), Some(true));
        assert_eq!(Figure::at_most("t", 250.0, "ms", 200.0).met(), Some(false));
        assert_eq!(Figure::at_most("t", 100.0, "ms", 200.0).ratio(), Some(0.5));
    }
}
