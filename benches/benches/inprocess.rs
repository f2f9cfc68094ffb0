//! In-process benchmarks (criterion): the scope computation for 100,000 devices and 200 selected groups, and the
//! CSV and PDF export writers at 1,000, 10,000 and 100,000 rows. Timing only; the peak memory of the same work is
//! measured by `odt-bench inprocess` (a counting global allocator). Run: `cargo bench -p odt-benches`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use odt_benches::{compute_scope, export_row, okta_data, uem_devices};
use odt_exports::{write_pdf, CsvExport, PdfMeta};
use status_export::status::COLUMNS;
use std::hint::black_box;

fn scope(c: &mut Criterion) {
    let devices = uem_devices(100_000);
    let okta = okta_data(100_000, 200);
    let mut g = c.benchmark_group("scope");
    g.sample_size(10);
    g.throughput(Throughput::Elements(devices.len() as u64));
    g.bench_function("100k_devices_200_groups", |b| b.iter(|| black_box(compute_scope(&devices, &okta))));
    g.finish();
}

fn exports(c: &mut Criterion) {
    let mut g = c.benchmark_group("export");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("csv", n), &n, |b, &n| {
            b.iter(|| {
                let mut csv = CsvExport::new(std::io::sink(), &COLUMNS).expect("columns");
                for i in 0..n {
                    csv.write_row(&export_row(i)).expect("row");
                }
                black_box(csv.finish().expect("finish"));
            })
        });
        g.bench_with_input(BenchmarkId::new("pdf", n), &n, |b, &n| {
            let meta = PdfMeta { title: "bench".into(), tenant: "bench".into(), ..Default::default() };
            b.iter(|| black_box(write_pdf(std::io::sink(), &meta, &COLUMNS, (0..n).map(export_row)).expect("pdf")))
        });
    }
    g.finish();
}

criterion_group!(benches, scope, exports);
criterion_main!(benches);
