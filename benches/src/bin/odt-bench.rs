//! The load harness: stack-level benchmarks on the local services (DynamoDB Local and moto, as
//! `scripts/services.sh` starts them) and in-process runs with peak memory. Each subcommand prints its figures
//! with the target and the ratio; none fails on a time. `scripts/bench.sh` runs them all.

use clap::{Parser, Subcommand};
use fleet_sync::sync::{reconcile, Budget};
use odt_benches::fleet::{self, cpu_seconds, min_okta_pages, min_uem_calls, snapshot, writes_between};
use odt_benches::{
    alloc, compute_scope, export_row, mb, okta_data, okta_group_id, percentile, report, uem_devices, Figure,
};
use odt_tests::TestStack;
use serde_json::json;
use status_export::status::COLUMNS;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: odt_benches::CountingAlloc = odt_benches::CountingAlloc;

#[derive(Parser)]
#[command(about = "Benchmarks of the Okta Device Trust functions (figures, targets, ratios)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scope computation (100k devices, 200 groups) and the CSV/PDF writers: best time of a few runs and peak heap.
    Inprocess {
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        rows: Vec<usize>,
    },
    /// Full reconciliation of N devices, then the same run with nothing changed; optionally a third run through
    /// an Okta-like rate limiter.
    Reconcile {
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        devices: Vec<usize>,
        /// Okta groups selected (of 200 in the org).
        #[arg(long, default_value_t = 20)]
        groups: usize,
        /// Also run the unchanged reconciliation through a limiter of this many Okta calls per minute.
        #[arg(long)]
        rate_limit: Option<usize>,
        /// The limiter's window in seconds.
        #[arg(long, default_value_t = 60)]
        window_secs: i64,
        /// Then export the reconciled fleet as CSV and as PDF through status-export's own path (DynamoDB
        /// Local, S3 on moto): time and peak heap.
        #[arg(long)]
        exports: bool,
    },
    /// UEM calls deploy-trigger makes when 1,000 devices come into scope on Hexnode.
    ScopeChange {
        #[arg(long, default_value_t = 1000)]
        devices: usize,
    },
    /// Event hook answer times under concurrent deliveries through the local front.
    Hooks {
        #[arg(long, default_value_t = 50)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        events: usize,
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Devices (and owners) in the fleet the events are about.
        #[arg(long, default_value_t = 2000)]
        devices: usize,
        /// Keep deploy-trigger's stream consumer running (it then shares DynamoDB Local with the hooks).
        #[arg(long)]
        with_stream: bool,
    },
    /// A full re-read of N devices at Hexnode's limits (a limiter of 30 calls a minute in front of the Hexnode
    /// double) with deployment membership writes arriving meanwhile, both paced through the tenant's budget in
    /// DynamoDB Local as two invocations; every wait on a clock running `speedup` times real time.
    Pacing {
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        devices: Vec<usize>,
        /// Deployment membership writes spread over the re-read.
        #[arg(long, default_value_t = 40)]
        writes: usize,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 60.0)]
        speedup: f64,
    },
    /// At Hexnode's limits (a limiter of 30 calls a minute in front of the double for the whole stack, every wait
    /// on a clock `speedup` times real time): a full reconciliation of N devices across 15-minute invocations,
    /// event hooks to UEM membership writes while the next one runs (at `hook_speedup`), and the UEM calls a day
    /// in steady state. See `benches/src/convergence.rs`.
    Convergence {
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
        devices: Vec<usize>,
        #[arg(long, default_value_t = 20)]
        hooks: usize,
        #[arg(long, default_value_t = 60.0)]
        speedup: f64,
        #[arg(long, default_value_t = 10.0)]
        hook_speedup: f64,
        /// One owner in this many is in the selected group at the start (0: none, so the first reconciliation
        /// deploys nothing).
        #[arg(long, default_value_t = 10)]
        in_group_every: usize,
    },
    /// Process start to first answered invocation of each function binary through a local Lambda Runtime API.
    ColdStart {
        /// Where the release binaries are.
        #[arg(long, default_value = "target/release")]
        bin_dir: String,
        /// Where `scripts/lambda-build.sh` leaves the arm64 `bootstrap` files (`<dir>/<bin>/bootstrap`).
        #[arg(long, default_value = "target/lambda")]
        lambda_dir: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Installed before the test harness's own (debug-level, in-memory) subscriber, which then stays unused.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    match Cli::parse().cmd {
        Cmd::Inprocess { rows } => inprocess(&rows),
        Cmd::Reconcile { devices, groups, rate_limit, window_secs, exports } => {
            for n in devices {
                reconciliation(n, groups, rate_limit, window_secs, exports).await?;
            }
            Ok(())
        }
        Cmd::ScopeChange { devices } => scope_change(devices).await,
        Cmd::Hooks { concurrency, events, rounds, devices, with_stream } => {
            hooks(concurrency, events, rounds, devices, with_stream).await
        }
        Cmd::ColdStart { bin_dir, lambda_dir, runs } => cold_start(&bin_dir, &lambda_dir, runs).await,
        Cmd::Convergence { devices, hooks, speedup, hook_speedup, in_group_every } => {
            for n in devices {
                let figures = odt_benches::convergence::convergence(n, hooks, speedup, hook_speedup, in_group_every);
                report(&figures.await?);
            }
            Ok(())
        }
        Cmd::Pacing { devices, writes, speedup } => {
            for n in devices {
                pacing(n, writes, speedup).await?;
            }
            Ok(())
        }
    }
}

/// Best wall time of `runs` runs of `f` (ms) and the largest peak heap any run added (bytes).
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, usize) {
    let (mut best, mut peak) = (f64::INFINITY, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let (out, p) = alloc::measure(&mut f);
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(out);
        peak = peak.max(p);
    }
    (best, peak)
}

fn inprocess(rows: &[usize]) -> anyhow::Result<()> {
    let mut figs = Vec::new();
    let devices = uem_devices(100_000);
    let okta = okta_data(100_000, 200);
    let (ms, peak) = best_of(5, || compute_scope(&devices, &okta));
    figs.push(Figure::at_most("scope, 100,000 devices, 200 groups: time (best of 5)", ms, "ms", 200.0));
    figs.push(Figure::at_most("scope, 100,000 devices, 200 groups: peak heap added", mb(peak), "MB", 100.0));
    let inputs = alloc::current();
    figs.push(Figure::info("scope: heap held by the inputs (devices, Okta users, members)", mb(inputs), "MB"));
    drop((devices, okta));
    for &n in rows {
        let (ms, peak) = best_of(3, || {
            let mut csv = odt_exports::CsvExport::new(std::io::sink(), &COLUMNS).expect("columns");
            for i in 0..n {
                csv.write_row(&export_row(i)).expect("row");
            }
            csv.finish().expect("finish");
        });
        let target = n as f64 / 100_000.0;
        figs.push(Figure::at_most(format!("CSV export, {n} rows: time"), ms, "ms", 2000.0 * target.max(0.01)));
        figs.push(Figure::at_most(format!("CSV export, {n} rows: peak heap"), mb(peak), "MB", 100.0));
        let meta = odt_exports::PdfMeta { title: "bench".into(), tenant: "bench".into(), ..Default::default() };
        let mut size = 0;
        let (ms, peak) = best_of(if n >= 100_000 { 1 } else { 3 }, || {
            let stats = odt_exports::write_pdf(std::io::sink(), &meta, &COLUMNS, (0..n).map(export_row)).expect("pdf");
            size = stats.bytes;
        });
        figs.push(Figure::at_most(format!("PDF export, {n} rows: time"), ms, "ms", 30_000.0 * target.max(0.01)));
        figs.push(Figure::at_most(format!("PDF export, {n} rows: peak heap"), mb(peak), "MB", 100.0));
        figs.push(Figure::info(format!("PDF export, {n} rows: file size"), mb(size as usize), "MB"));
    }
    report(&figs);
    Ok(())
}

/// A stack with device trust, the UEM and every platform, and the secrets prefix it was started with.
async fn ready_stack() -> (TestStack, String) {
    let mut prefix = String::new();
    let t = TestStack::start_with(|cfg| prefix = cfg.secrets_prefix.clone()).await;
    t.ready_fleet().await;
    (t, prefix)
}

fn requests(t: &TestStack) -> (usize, usize, usize) {
    let okta = t.stack.okta.lock();
    let api = okta.requests.iter().filter(|r| r.path_and_query.starts_with("/api/")).count();
    let token = okta.requests.len() - api;
    (api, token, t.stack.hexnode.lock().requests.len())
}

async fn reconciliation(
    n: usize,
    groups: usize,
    rate_limit: Option<usize>,
    window_secs: i64,
    exports: bool,
) -> anyhow::Result<()> {
    let (mut t, prefix) = ready_stack().await;
    let setup = Instant::now();
    fleet::seed(&t, n, 200, groups).await?;
    // Reconciliation alone: deploy-trigger's stream consumer is not part of this measure.
    t.stack.streams.clear();
    let selected: Vec<String> = (0..groups).map(okta_group_id).collect();
    let min_okta = min_okta_pages(&t, &selected);
    let min_uem = min_uem_calls(&t, 1);
    eprintln!("seeded {n} devices in {:.1}s", setup.elapsed().as_secs_f64());
    let mut figs = Vec::new();
    for run in ["full", "unchanged"] {
        let before = snapshot(&t).await?;
        let (okta0, token0, uem0) = requests(&t);
        let cpu0 = cpu_seconds();
        let start = Instant::now();
        let summary = reconcile(&t.stack.deps, &t.tenant, Budget::default())
            .await
            .map_err(|e| anyhow::anyhow!("reconcile: {e:?}"))?;
        let secs = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        let (okta1, token1, uem1) = requests(&t);
        let writes = writes_between(&before, &snapshot(&t).await?);
        anyhow::ensure!(summary.complete, "the run did not complete: {summary:?}");
        let label = format!("reconcile {run}, {n} devices");
        figs.push(Figure::exactly(
            format!("{label}: Okta API calls"),
            (okta1 - okta0) as f64,
            "calls",
            min_okta as f64,
        ));
        figs.push(Figure::info(format!("{label}: Okta token calls"), (token1 - token0) as f64, "calls"));
        figs.push(Figure::exactly(format!("{label}: UEM calls"), (uem1 - uem0) as f64, "calls", min_uem as f64));
        if run == "full" {
            // The target is for 100,000 devices; smaller runs show the curve.
            figs.push(if n >= 100_000 {
                Figure::at_most(format!("{label}: wall time"), secs, "s", 60.0)
            } else {
                Figure::info(format!("{label}: wall time"), secs, "s")
            });
            figs.push(Figure::info(
                format!("{label}: DynamoDB writes (records written {})", summary.written),
                writes as f64,
                "writes",
            ));
        } else {
            figs.push(Figure::info(format!("{label}: wall time"), secs, "s"));
            figs.push(Figure::exactly(format!("{label}: DynamoDB writes"), writes as f64, "writes", 0.0));
        }
        figs.push(Figure::info(format!("{label}: CPU time of the harness process (product + doubles)"), cpu, "s"));
        figs.push(Figure::info(format!("{label}: in scope"), summary.in_scope as f64, "devices"));
    }
    if exports {
        figs.extend(exports_of(&t, n).await?);
    }
    if let Some(limit) = rate_limit {
        figs.extend(rate_limited(&t, &prefix, limit, window_secs).await?);
    }
    report(&figs);
    Ok(())
}

/// The reconciled fleet of `n` devices exported as CSV and as PDF by `status_export::exports::export`, the code
/// behind `POST /exports`: the device, deployment and platform records read page by page from DynamoDB Local,
/// the file uploaded to S3 (moto) in parts. Wall time and the peak heap the export added (the doubles are idle).
async fn exports_of(t: &TestStack, n: usize) -> anyhow::Result<Vec<Figure>> {
    use status_export::exports::{export, Format};
    let mut figs = Vec::new();
    for (format, name) in [(Format::Csv, "CSV"), (Format::Pdf, "PDF")] {
        let base = alloc::current();
        alloc::reset_peak();
        let start = Instant::now();
        let view = export(&t.stack.deps, &t.stack.exports, &t.tenant, format, &Default::default())
            .await
            .map_err(|e| anyhow::anyhow!("{name} export: {e:?}"))?;
        let secs = start.elapsed().as_secs_f64();
        let peak = alloc::peak().saturating_sub(base);
        anyhow::ensure!(view.rows == n, "{name} export: {} rows of {n}", view.rows);
        let label = format!("{name} export through status-export, {n} rows");
        figs.push(Figure::info(format!("{label}: wall time (DynamoDB Local reads and S3 upload included)"), secs, "s"));
        figs.push(Figure::at_most(format!("{label}: peak heap"), mb(peak), "MB", 100.0));
        figs.push(Figure::info(format!("{label}: file size"), mb(view.bytes as usize), "MB"));
    }
    Ok(figs)
}

/// The unchanged reconciliation again, with Okta behind a limiter of `limit` calls per `window_secs`: the time
/// against the ideal `calls / rate` (and against the fixed-window bound Okta's resets allow).
async fn rate_limited(t: &TestStack, prefix: &str, limit: usize, window_secs: i64) -> anyhow::Result<Vec<Figure>> {
    let okta_addr = t.stack.test_routes[&t.domain];
    let limiter = odt_benches::ratelimit::Limiter::new(okta_addr, limit, window_secs);
    let served = odt_doubles::Served::start(limiter.router(), 0).await?;
    let mut routes = t.stack.test_routes.clone();
    routes.insert(t.domain.clone(), served.addr);
    let sdk = odt_shared::aws::load_config().await;
    let mut deps = odt_shared::deps::Deps::new(
        &sdk,
        t.stack.deps.store.table().to_string(),
        prefix.to_string(),
        odt_shared::outbound::Outbound::with_test_routes(routes),
        Arc::new(odt_shared::outbound::StaticResolver::default()),
        Arc::new(odt_shared::clock::SystemClock),
    );
    // Okta is the limited side here; the Hexnode double keeps the stack's pace.
    deps.uem_limits = t.stack.deps.uem_limits;
    let start = Instant::now();
    let summary =
        reconcile(&deps, &t.tenant, Budget::default()).await.map_err(|e| anyhow::anyhow!("reconcile: {e:?}"))?;
    let secs = start.elapsed().as_secs_f64();
    anyhow::ensure!(summary.complete, "the rate-limited run did not complete");
    let calls = limiter.passed.load(std::sync::atomic::Ordering::Relaxed);
    let rate = limit as f64 / window_secs as f64;
    let ideal = calls as f64 / rate;
    let windows = calls.div_ceil(limit).max(1) - 1;
    let label = format!("reconcile unchanged, {} devices, Okta limited to {limit}/{window_secs}s", summary.devices);
    Ok(vec![
        Figure::info(format!("{label}: Okta API calls"), calls as f64, "calls"),
        Figure::info(
            format!("{label}: calls answered 429"),
            limiter.throttled.load(std::sync::atomic::Ordering::Relaxed) as f64,
            "calls",
        ),
        Figure::at_most(format!("{label}: wall time vs calls/rate"), secs, "s", ideal * 1.1),
        Figure::info(
            format!("{label}: fixed-window bound ((ceil(calls/limit)-1) x window)"),
            (windows as i64 * window_secs) as f64,
            "s",
        ),
    ])
}

/// The Okta Verify apps of the UEM inventory and a method per platform (as tests/e2e/api/deploy.rs does).
async fn okta_verify_methods(t: &TestStack) -> anyhow::Result<()> {
    use odt_doubles::hexnode::HexnodeApp;
    let h = &t.stack.hexnode;
    h.add_app(HexnodeApp::new(501, "Okta Verify", "ios", "vpp", Some("com.okta.mobile")));
    h.add_app(HexnodeApp::new(502, "Okta Verify", "macos", "vpp", Some("com.okta.mobile.auth-service")));
    let mut exe = HexnodeApp::new(503, "Okta Verify for Windows", "windows", "enterprise", None);
    exe.success_criteria = Some("exit code 0".into());
    exe.uninstall_parameters = Some("/uninstall /quiet".into());
    h.add_app(exe);
    h.add_app(HexnodeApp::new(504, "Okta Verify", "android", "managed_google_play", Some("com.okta.android.auth")));
    for (p, body) in [
        ("ios", json!({"method": "vpp", "appId": "501", "locationToken": "Acme VPP", "licenses": 100_000})),
        ("macos", json!({"method": "vpp", "appId": "502", "locationToken": "Acme VPP", "licenses": 100_000})),
        ("windows", json!({"method": "exe", "appId": "503"})),
        ("android", json!({"method": "managed_play"})),
    ] {
        let a = t.call("PUT", &format!("/okta-verify/{p}"), Some(&t.admin()), Some(body)).await;
        anyhow::ensure!(a.status == 200, "{p}: {}", a.text);
    }
    Ok(())
}

async fn scope_change(n: usize) -> anyhow::Result<()> {
    let (t, _) = ready_stack().await;
    okta_verify_methods(&t).await?;
    let group = "00gBENCHSCOPE0000001";
    t.stack.okta.add_group(group, "Device Trust");
    let a = t
        .call("PUT", "/fleet", Some(&t.admin()), Some(json!({"oktaGroupIds": [group], "uemDeviceGroupIds": []})))
        .await;
    anyhow::ensure!(a.status == 200, "{}", a.text);
    for i in 0..n {
        let email = format!("scope{i}@acme.example");
        t.stack.okta.add_user(&format!("00uSCOPE{i:012}"), &email, &email, "ACTIVE");
        t.stack.hexnode.add_user(10_000 + i as u64, &format!("User {i}"), &email);
        t.stack.hexnode.add_device(odt_doubles::hexnode::HexnodeDeviceSeed::new(
            20_000 + i as u64,
            &format!("Device {i}"),
            "iOS",
            Some(10_000 + i as u64),
        ));
    }
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    anyhow::ensure!(a.status == 200, "{}", a.text);
    t.stack.settle().await?;
    for i in 0..n {
        t.stack.okta.add_member(group, &format!("00uSCOPE{i:012}"));
    }
    let a = t.call("POST", "/fleet/sync", Some(&t.admin()), None).await;
    anyhow::ensure!(a.body["inScope"] == n, "{}", a.text);
    let before = t.stack.hexnode.lock().requests.len();
    let start = Instant::now();
    t.stack.settle().await?;
    let secs = start.elapsed().as_secs_f64();
    let calls = t.stack.hexnode.lock().requests.len() - before;
    let members = t.stack.hexnode.group_named("Okta Device Trust - iOS").map(|g| g.members.len()).unwrap_or(0);
    anyhow::ensure!(members == n, "the managed group has {members} members, expected {n}");
    report(&[
        Figure::at_most(format!("scope change of {n} devices on Hexnode: UEM calls"), calls as f64, "calls", 10.0),
        Figure::info(format!("scope change of {n} devices: stream to deployed (settle)"), secs, "s"),
    ]);
    Ok(())
}

fn hook_event(uuid: &str, event_type: &str, published: &str, user: &str, group: &str) -> serde_json::Value {
    json!({"uuid": uuid, "published": published, "eventType": event_type, "version": "0", "severity": "INFO",
           "displayMessage": "event", "actor": {"id": "00uADMIN", "type": "User"},
           "target": [{"id": user, "type": "User", "alternateId": "u@acme.example", "displayName": "U"},
                      {"id": group, "type": "UserGroup", "alternateId": "unknown", "displayName": "G"}]})
}

async fn hooks(concurrency: usize, events: usize, rounds: usize, n: usize, with_stream: bool) -> anyhow::Result<()> {
    const SECRET: &str = "bench-hook-secret-0123456789abcdef";
    let (mut t, _) = ready_stack().await;
    if !with_stream {
        // The hook's answer alone, as for reconciliation: the stream consumers (the hook's, which applies the
        // accepted deliveries, and deploy-trigger's) are not part of it.
        t.stack.streams.clear();
    }
    fleet::seed(&t, n, 200, 20).await?;
    reconcile(&t.stack.deps, &t.tenant, Budget::default()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let a = t.call("PUT", "/event-hook", Some(&t.admin()), Some(json!({"secret": SECRET}))).await;
    anyhow::ensure!(a.status == 200, "{}", a.text);
    let url = format!("{}/hooks/okta/{}", t.stack.base_url, t.tenant);
    let http = reqwest::Client::new();
    let mut latencies = Vec::new();
    let mut seq = 0usize;
    let wall = Instant::now();
    for round in 0..rounds {
        let mut tasks = Vec::new();
        for c in 0..concurrency {
            let evs: Vec<serde_json::Value> = (0..events)
                .map(|e| {
                    seq += 1;
                    let owner = (seq * 7919) % n;
                    let kind = if (round + e) % 2 == 0 { "add" } else { "remove" };
                    let published =
                        format!("2026-11-29T10:{:02}:{:02}.{:03}Z", (seq / 60_000) % 60, (seq / 1000) % 60, seq % 1000);
                    hook_event(
                        &format!("bench-{round}-{c}-{e}-{seq}"),
                        &format!("group.user_membership.{kind}"),
                        &published,
                        &odt_benches::okta_user_id(owner),
                        &okta_group_id(owner % 20),
                    )
                })
                .collect();
            let body = serde_json::to_vec(&json!({
                "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
                "source": "https://acme.okta.com/api/v1/eventHooks/whoBENCH", "eventId": uuid::Uuid::new_v4().to_string(),
                "eventTime": "2026-11-29T10:00:05.000Z", "contentType": "application/json", "data": {"events": evs},
            }))?;
            let req =
                http.post(&url).header("content-type", "application/json").header("authorization", SECRET).body(body);
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let r = req.send().await.map(|r| r.status().as_u16());
                (start.elapsed().as_secs_f64() * 1000.0, r)
            }));
        }
        for task in tasks {
            let (ms, status) = task.await?;
            let status = status?;
            anyhow::ensure!(status == 200, "a delivery answered {status}");
            latencies.push(ms);
        }
    }
    let total = wall.elapsed().as_secs_f64();
    // With the consumers running: until every accepted event has been applied (and deploy-trigger has followed).
    let applied = if with_stream {
        t.stack.settle().await?;
        Some(wall.elapsed().as_secs_f64())
    } else {
        None
    };
    latencies.sort_by(|a, b| a.total_cmp(b));
    let stream = if with_stream { ", stream consumers running" } else { "" };
    let label = format!("event hook, {concurrency} concurrent deliveries x {events} events ({rounds} rounds{stream})");
    report(&[
        Figure::info(format!("{label}: p50"), percentile(&latencies, 50.0), "ms"),
        Figure::at_most(format!("{label}: p99"), percentile(&latencies, 99.0), "ms", 100.0),
        Figure::info(format!("{label}: max"), latencies.last().copied().unwrap_or(0.0), "ms"),
        Figure::info(format!("{label}: events per second"), (rounds * concurrency * events) as f64 / total, "events/s"),
    ]);
    if let Some(applied) = applied {
        report(&[Figure::info(
            format!("{label}: events applied per second (first send to the consumers settled)"),
            (rounds * concurrency * events) as f64 / applied,
            "events/s",
        )]);
    }
    Ok(())
}

/// One invocation's timing as the local Runtime API saw it.
#[derive(Default)]
struct Invocation {
    event: serde_json::Value,
    /// The first `GET .../invocation/next`: the function's init is done (Lambda's "Init Duration" ends here).
    ready: Option<Instant>,
    answered: Option<Instant>,
    answer: Option<String>,
    handed: bool,
}

type Shared = Arc<std::sync::Mutex<Invocation>>;

/// A local Lambda Runtime API serving one event: `GET /2018-06-01/runtime/invocation/next` hands it once (later
/// calls wait), `POST .../invocation/{id}/response` and `.../error` record the answer and its time.
fn runtime_api(state: Shared) -> axum::Router {
    use axum::extract::State;
    use axum::routing::{get, post};
    async fn next(State(s): State<Shared>) -> axum::response::Response {
        use axum::response::IntoResponse;
        let event = {
            let mut s = s.lock().expect("lock");
            s.ready.get_or_insert_with(Instant::now);
            if s.handed {
                None
            } else {
                s.handed = true;
                Some(s.event.clone())
            }
        };
        let Some(event) = event else {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return axum::http::StatusCode::NO_CONTENT.into_response();
        };
        let deadline = (time::OffsetDateTime::now_utc().unix_timestamp() + 30) * 1000;
        (
            [
                ("lambda-runtime-aws-request-id", "bench-request-1".to_string()),
                ("lambda-runtime-deadline-ms", deadline.to_string()),
                ("lambda-runtime-invoked-function-arn", "arn:aws:lambda:us-east-1:000000000000:function:bench".into()),
                ("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000".into()),
                ("content-type", "application/json".into()),
            ],
            event.to_string(),
        )
            .into_response()
    }
    async fn answer(State(s): State<Shared>, body: String) -> axum::http::StatusCode {
        let mut s = s.lock().expect("lock");
        s.answered.get_or_insert_with(Instant::now);
        s.answer.get_or_insert(body);
        axum::http::StatusCode::ACCEPTED
    }
    axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(answer))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(answer))
        .route("/2018-06-01/runtime/init/error", post(answer))
        .with_state(state)
}

/// An API Gateway HTTP API (payload 2.0) event for `GET path` by an admin of `tenant`.
fn http_event(path: &str, tenant: &str) -> serde_json::Value {
    json!({
        "version": "2.0", "routeKey": format!("GET {path}"), "rawPath": path, "rawQueryString": "",
        "headers": {"host": "localhost", "accept": "application/json"},
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "odt-bench"},
            "requestId": "bench", "routeKey": format!("GET {path}"), "stage": "$default", "time": "0", "timeEpoch": 0,
            "authorizer": {"jwt": {"claims": {"tenant_id": tenant, "role": "admin"}, "scopes": null}},
        },
        "isBase64Encoded": false,
    })
}

async fn cold_start(bin_dir: &str, lambda_dir: &str, runs: usize) -> anyhow::Result<()> {
    let t = TestStack::start().await;
    let table = t.stack.deps.store.table().to_string();
    let bucket = t.stack.exports.bucket.clone();
    let scheduled = json!({"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": "2026-11-29T10:00:00Z", "region": "us-east-1", "resources": [], "detail": {}});
    let functions: Vec<(&str, serde_json::Value)> = vec![
        ("integration", http_event("/okta-orgs", &t.tenant)),
        ("platform-config", http_event("/platforms", &t.tenant)),
        ("fleet-sync", http_event("/fleet", &t.tenant)),
        ("fleet-sync-scheduled", scheduled.clone()),
        ("fleet-sync-hooks", json!({"Records": []})),
        ("deploy-trigger", http_event("/deployments", &t.tenant)),
        ("deploy-trigger-stream", json!({"Records": []})),
        ("deploy-trigger-scheduled", scheduled),
        ("status-export", http_event("/technicians", &t.tenant)),
    ];
    let mut figs = Vec::new();
    for (bin, event) in functions {
        let path = std::path::Path::new(bin_dir).join(bin);
        anyhow::ensure!(path.exists(), "{} is missing: run cargo build --release first", path.display());
        let mut times = Vec::new();
        let mut inits = Vec::new();
        let mut last_answer = String::new();
        for _ in 0..runs {
            let state: Shared =
                Arc::new(std::sync::Mutex::new(Invocation { event: event.clone(), ..Default::default() }));
            let served = odt_doubles::Served::start(runtime_api(state.clone()), 0).await?;
            let spawned = Instant::now();
            let mut child = tokio::process::Command::new(&path)
                .env("AWS_LAMBDA_RUNTIME_API", served.addr.to_string())
                .env("AWS_LAMBDA_FUNCTION_NAME", bin)
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
                .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
                .env("TABLE_NAME", &table)
                .env("SECRETS_PREFIX", "odt-bench")
                .env("EXPORTS_BUCKET", &bucket)
                .env("SENDER_EMAIL", odt_local::stack::LOCAL_SENDER)
                .env("SES_CONFIGURATION_SET", odt_local::stack::LOCAL_CONFIGURATION_SET)
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()?;
            let answered = loop {
                if let Some(at) = state.lock().expect("lock").answered {
                    break Some(at);
                }
                if spawned.elapsed() > Duration::from_secs(20) || child.try_wait()?.is_some() {
                    break None;
                }
                tokio::time::sleep(Duration::from_micros(200)).await;
            };
            child.kill().await.ok();
            let at = answered.ok_or_else(|| anyhow::anyhow!("{bin} never answered"))?;
            times.push((at - spawned).as_secs_f64() * 1000.0);
            if let Some(ready) = state.lock().expect("lock").ready {
                inits.push((ready - spawned).as_secs_f64() * 1000.0);
            }
            last_answer = state.lock().expect("lock").answer.clone().unwrap_or_default();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let status = serde_json::from_str::<serde_json::Value>(&last_answer)
            .ok()
            .and_then(|v| v.get("statusCode").cloned())
            .map(|s| format!(", answer {s}"))
            .unwrap_or_default();
        figs.push(Figure::at_most(
            format!("cold start {bin} (median of {runs}{status})"),
            times[times.len() / 2],
            "ms",
            50.0,
        ));
        inits.sort_by(|a, b| a.total_cmp(b));
        if let Some(init) = inits.get(inits.len() / 2) {
            figs.push(Figure::info(format!("{bin}: of which init (process start to first next, median)"), *init, "ms"));
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        figs.push(Figure::info(format!("{bin}: release binary for this machine"), mb(size as usize), "MB"));
        let bootstrap = std::path::Path::new(lambda_dir).join(bin).join("bootstrap");
        if let Ok(m) = std::fs::metadata(&bootstrap) {
            figs.push(Figure::at_most(format!("{bin}: arm64 bootstrap"), mb(m.len() as usize), "MB", 15.0));
        }
    }
    report(&figs);
    Ok(())
}

/// Another invocation of the functions on `t`'s table, its Hexnode calls routed through `limiter`.
fn invocation(t: &TestStack, limiter: std::net::SocketAddr) -> odt_shared::deps::Deps {
    let mut routes = t.stack.test_routes.clone();
    routes.insert(t.stack.hexnode_portal.clone(), limiter);
    let mut d = t.stack.deps.as_ref().clone();
    d.outbound = odt_shared::outbound::Outbound::with_test_routes(routes);
    d.uem_pace = odt_shared::pacing::LocalPace::default();
    d
}

/// `pacing` (see the subcommand): the re-read's calls, its simulated time against calls at the re-reads' part of
/// the share, the limiter's 429s, and each deployment write's simulated time from its arrival to its answer.
async fn pacing(n: usize, writes: usize, speedup: f64) -> anyhow::Result<()> {
    use odt_shared::clock::Clock;
    use odt_shared::pacing::{CallClass, Share, UemLimits};
    let clock = Arc::new(odt_shared::clock::ScaledClock::new(speedup));
    let c: Arc<dyn Clock> = clock.clone();
    let t = TestStack::start_with(|cfg| {
        cfg.clock = c.clone();
        cfg.uem_limits = UemLimits::HEXNODE;
    })
    .await;
    for i in 0..n as u64 {
        t.stack.hexnode.add_user(1_000_000 + i, &format!("User {i}"), &format!("u{i}@acme.example"));
        t.stack.hexnode.add_device(odt_doubles::hexnode::HexnodeDeviceSeed::new(
            2_000_000 + i,
            &format!("Device {i}"),
            "iOS",
            Some(1_000_000 + i),
        ));
    }
    t.connect_uem().await;
    let group = t.stack.hexnode.add_group(900, "Okta Device Trust - iOS").to_string();
    let limiter =
        odt_benches::hexnode_limit::HexnodeLimiter::new(t.stack.test_routes[&t.stack.hexnode_portal], 30, c.clone());
    let served = odt_doubles::Served::start(limiter.router(), 0).await?;
    let (reread_deps, deploy_deps) = (invocation(&t, served.addr), invocation(&t, served.addr));
    let reread = reread_deps.connected_uem(&t.tenant, CallClass::Reread).await?;
    let deploy = deploy_deps.connected_uem(&t.tenant, CallClass::Deployment).await?;
    let share = Share::new(UemLimits::HEXNODE, None);
    let pages = 2 * n.div_ceil(100);
    let expected_secs = pages as f64 / f64::from(share.class_per_minute(CallClass::Reread)) * 60.0;
    let start = clock.now();
    let reading = async {
        let devices = reread.devices().await?;
        anyhow::ensure!(devices.len() == n, "read {} of {n} devices", devices.len());
        Ok((clock.now() - start).as_seconds_f64())
    };
    let writing = async {
        let mut latencies = Vec::new();
        for w in 0..writes {
            // Arrivals spread over the re-read's expected time.
            let due = start + time::Duration::seconds_f64(expected_secs * (w as f64 + 0.5) / writes as f64);
            let wait = (due - clock.now()).as_seconds_f64();
            if wait > 0.0 {
                clock.sleep(Duration::from_secs_f64(wait)).await;
            }
            let arrived = clock.now();
            let device = (2_000_000 + w as u64).to_string();
            deploy.change_group_members(&group, &[device], &[]).await?;
            latencies.push((clock.now() - arrived).as_seconds_f64());
        }
        Ok::<_, anyhow::Error>(latencies)
    };
    let (read_secs, mut latencies) = tokio::try_join!(reading, writing)?;
    latencies.sort_by(f64::total_cmp);
    let passed = limiter.passed.load(std::sync::atomic::Ordering::Relaxed);
    let throttled = limiter.throttled.load(std::sync::atomic::Ordering::Relaxed);
    let reread_calls = passed - writes;
    report(&[
        Figure::exactly(
            format!("pacing, {n} devices at Hexnode's 30/min: full re-read UEM calls"),
            reread_calls as f64,
            "calls",
            pages as f64,
        ),
        Figure::at_most(
            format!("pacing, {n} devices: re-read time (simulated, x{speedup}) against calls at 7/min + 5 %"),
            read_secs / 60.0,
            "min",
            (expected_secs / 60.0 * 1.05 * 100.0).round() / 100.0,
        ),
        Figure::exactly(format!("pacing, {n} devices: calls the limiter answered 429"), throttled as f64, "calls", 0.0),
        Figure::at_most(
            format!("pacing, {n} devices: deployment write during the re-read, p99 wait (simulated)"),
            percentile(&latencies, 99.0),
            "s",
            60.0,
        ),
        Figure::info(
            format!("pacing, {n} devices: deployment write, median wait (simulated)"),
            percentile(&latencies, 50.0),
            "s",
        ),
    ]);
    Ok(())
}
