//! The PDF export read back with `pdftotext` (Debian's poppler-utils, installed by `scripts/services.sh
//! install`): header block on page 1, the table header and `Page N of M` on every page, each row on the page the
//! layout predicts, non-ASCII and PDF-special characters intact, truncation, shape errors, and a large export.

use std::path::PathBuf;
use std::process::Command;

use odt_exports::{rows_per_page, write_pdf, Cell, Column, ColumnKind, ExportError, PdfMeta};

const COLUMNS: [Column; 6] = [
    Column { id: "device_name", title: "Device", kind: ColumnKind::Text, width: 4.0 },
    Column { id: "owner", title: "Owner", kind: ColumnKind::Text, width: 3.0 },
    Column { id: "platform", title: "Platform", kind: ColumnKind::Text, width: 1.5 },
    Column { id: "os_version", title: "OS version", kind: ColumnKind::Text, width: 1.5 },
    Column { id: "risk_score", title: "Risk score", kind: ColumnKind::Number, width: 1.0 },
    Column { id: "last_seen", title: "Last seen", kind: ColumnKind::Text, width: 2.5 },
];

fn meta() -> PdfMeta {
    PdfMeta {
        title: "Device status report".into(),
        tenant: "acme.okta.com".into(),
        exported_at: "2026-11-29T21:30:00Z".into(),
        summary: vec![("Devices".into(), "all platforms".into()), ("Non-compliant".into(), "7".into())],
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn row(name: &str, owner: &str, risk: i64) -> Vec<Cell> {
    vec![text(name), text(owner), text("macOS"), text("15.1"), Cell::Number(risk), text("2026-11-29T08:00:00Z")]
}

fn temp_pdf(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("odt-exports-{name}.pdf"))
}

/// `pdftotext -layout` of the whole file (pages separated by form feeds) or of one page.
fn pdftotext(path: &PathBuf, page: Option<usize>) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.arg("-layout");
    if let Some(page) = page {
        cmd.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let output = match cmd.arg(path).arg("-").output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "pdftotext is not on the PATH; the PDF export tests need Debian's poppler-utils: run \
             `scripts/services.sh install`"
        ),
        Err(e) => panic!("running pdftotext: {e}"),
    };
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}

/// The 1-based page holding data row `i` (0-based), from the writer's own rows-per-page figures.
fn page_of(i: usize, summary_lines: usize) -> usize {
    let first = rows_per_page(true, summary_lines);
    if i < first {
        1
    } else {
        2 + (i - first) / rows_per_page(false, 0)
    }
}

#[test]
fn rows_per_page_is_fixed() {
    assert_eq!(rows_per_page(false, 0), 42);
    assert_eq!(rows_per_page(false, 9), 42, "summary lines only matter on page 1");
    assert_eq!(rows_per_page(true, 0), 37);
    assert_eq!(rows_per_page(true, 2), 34);
    assert_eq!(rows_per_page(true, 1000), 0);
}

#[test]
fn three_pages_read_back_with_pdftotext() {
    let meta = meta();
    let first = rows_per_page(true, meta.summary.len());
    let later = rows_per_page(false, 0);
    let total = first + later + 20;
    let specials = [
        (0, "José Müller"),
        (1, "Ærø-iPad"),
        (first - 1, "Sales, EMEA \"Loaner\"\nMacBook"),
        (first, "(paren)\\back"),
        (first + 1, "Sales (EMEA) \\ (unbalanced"),
        (first + later, "日本 iPad €5"),
        (total - 1, "last-device"),
    ];
    let name_of = |i: usize| -> String {
        specials.iter().find(|(at, _)| *at == i).map_or_else(|| format!("device-{i:04}"), |(_, n)| n.to_string())
    };
    // How each name reads back: newlines become spaces, characters outside Windows-1252 become `?`.
    let shown_of = |i: usize| -> String {
        match i {
            i if i == first - 1 => "Sales, EMEA \"Loaner\" MacBook".to_string(),
            i if i == first + later => "?? iPad €5".to_string(),
            i => name_of(i),
        }
    };
    let rows = (0..total).map(|i| row(&name_of(i), if i == 2 { "José Müller" } else { "Ana" }, i as i64 - 3));
    let path = temp_pdf("three-pages");
    let file = std::fs::File::create(&path).expect("create");
    let stats = write_pdf(std::io::BufWriter::new(file), &meta, &COLUMNS, rows).expect("write_pdf");
    assert_eq!((stats.pages, stats.rows), (3, total));
    assert_eq!(stats.bytes, std::fs::metadata(&path).expect("metadata").len());

    let all = pdftotext(&path, None);
    assert_eq!(all.trim_end_matches('\x0c').split('\x0c').count(), 3, "three pages");
    let pages: Vec<String> = (1..=3).map(|p| pdftotext(&path, Some(p))).collect();

    let page1 = &pages[0];
    for expected in [
        "Device status report",
        "Tenant: acme.okta.com",
        "Exported: 2026-11-29T21:30:00Z",
        "Devices: all platforms",
        "Non-compliant: 7",
    ] {
        assert!(page1.contains(expected), "page 1 lacks {expected:?}:\n{page1}");
    }
    for (p, page) in pages.iter().enumerate() {
        assert!(p == 0 || !page.contains("Tenant:"), "header block only on page 1");
        for column in &COLUMNS {
            assert!(page.contains(column.title), "page {} lacks header {:?}:\n{page}", p + 1, column.title);
        }
        let footer = format!("Page {} of 3", p + 1);
        assert!(page.contains(&footer), "page {} lacks {footer:?}:\n{page}", p + 1);
    }
    for i in 0..total {
        let (shown, expected) = (shown_of(i), page_of(i, meta.summary.len()));
        for (p, page) in pages.iter().enumerate() {
            assert_eq!(page.contains(&shown), p + 1 == expected, "row {i} {shown:?} expected on page {expected} only");
        }
    }
    assert_eq!(pages[0].matches("device-").count(), first - 3, "page 1 holds rows 0..{first}, 3 specials");
    assert_eq!(pages[1].matches("device-").count(), later - 2);
    assert_eq!(pages[2].matches("device-").count(), 20 - 2);
    assert!(pages[0].contains("José Müller"), "owner column too");
    assert!(pages[0].contains("-3"), "numbers render");
}

#[test]
fn long_text_is_truncated_with_an_ellipsis() {
    let long = "A device name far too long for its column, it goes on and on and on and on and on and on";
    let path = temp_pdf("truncated");
    let file = std::fs::File::create(&path).expect("create");
    let stats = write_pdf(file, &meta(), &COLUMNS, std::iter::once(row(long, "Ana", 1))).expect("write_pdf");
    assert_eq!((stats.pages, stats.rows), (1, 1));
    let page = pdftotext(&path, Some(1));
    assert!(!page.contains(long), "{page}");
    assert!(page.contains("A device name far too long for its column"), "{page}");
    assert!(page.contains("..."), "{page}");
    assert!(page.contains("Page 1 of 1"), "{page}");
}

#[test]
fn no_rows_is_one_page_with_the_header() {
    let path = temp_pdf("empty");
    let file = std::fs::File::create(&path).expect("create");
    let stats = write_pdf(file, &meta(), &COLUMNS, std::iter::empty()).expect("write_pdf");
    assert_eq!((stats.pages, stats.rows), (1, 0));
    let page = pdftotext(&path, None);
    assert!(page.contains("Last seen") && page.contains("Page 1 of 1"), "{page}");
}

#[test]
fn bad_rows_and_columns_are_errors_and_write_nothing() {
    let mut out = Vec::new();
    let rows = vec![row("ok", "Ana", 1), vec![text("short")]];
    let err = write_pdf(&mut out, &meta(), &COLUMNS, rows.into_iter());
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
    let mut wrong_kind = row("ok", "Ana", 1);
    wrong_kind[4] = text("12");
    let err = write_pdf(&mut out, &meta(), &COLUMNS, std::iter::once(wrong_kind));
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
    assert!(out.is_empty(), "nothing written on error");
    let err = write_pdf(&mut out, &meta(), &[], std::iter::empty());
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
    let mut tall = meta();
    tall.summary = (0..60).map(|i| (format!("line {i}"), "x".to_string())).collect();
    let err = write_pdf(&mut out, &tall, &COLUMNS, std::iter::empty());
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
}

#[test]
fn a_hundred_thousand_rows() {
    let meta = meta();
    let total = 100_000;
    let path = temp_pdf("100k");
    let file = std::fs::File::create(&path).expect("create");
    let rows = (0..total).map(|i| row(&format!("device-{i:06}"), "José Müller", i as i64 % 100));
    let stats = write_pdf(std::io::BufWriter::new(file), &meta, &COLUMNS, rows).expect("write_pdf");
    let expected_pages = page_of(total - 1, meta.summary.len());
    assert_eq!((stats.pages, stats.rows), (expected_pages, total));
    assert!(stats.bytes < 100 * 1024 * 1024, "{} bytes", stats.bytes);
    eprintln!("100,000 rows: {} pages, {} bytes", stats.pages, stats.bytes);
    let last = pdftotext(&path, Some(stats.pages));
    assert!(last.contains(&format!("Page {0} of {0}", stats.pages)), "{last}");
    assert!(last.contains("device-099999"), "{last}");
}

/// Fails if a report built a row at a time with its header block given at the end differed in what it shows from
/// `write_pdf` with the header first, if page 1 did not keep the reserved room, or if a summary longer than
/// reserved were accepted.
#[test]
fn a_report_built_row_by_row_takes_its_summary_at_the_end() {
    use odt_exports::PdfReport;
    let rows: Vec<Vec<Cell>> = (0..150).map(|i| row(&format!("Mac-{i:03}"), "ann@acme.com", i)).collect();
    let whole = temp_pdf("late-whole");
    write_pdf(std::fs::File::create(&whole).unwrap(), &meta(), &COLUMNS, rows.clone().into_iter()).unwrap();
    let mut report = PdfReport::new(&COLUMNS, meta().summary.len()).unwrap();
    for r in &rows {
        report.row(r).unwrap();
    }
    assert_eq!(report.rows(), 150);
    let late = temp_pdf("late-report");
    let stats = report.finish(std::fs::File::create(&late).unwrap(), &meta()).unwrap();
    assert_eq!(stats.rows, 150);
    assert_eq!(pdftotext(&late, None), pdftotext(&whole, None), "the same report either way");
    let first = pdftotext(&late, Some(1));
    assert!(first.contains("Device status report") && first.contains("Non-compliant: 7"), "{first}");

    let (roomy_first, tight_first) = (rows_per_page(true, 4), rows_per_page(true, meta().summary.len()));
    assert!(roomy_first < tight_first, "4 reserved lines take room from the table");
    let mut reserved = PdfReport::new(&COLUMNS, 4).unwrap();
    for r in &rows[..=roomy_first] {
        reserved.row(r).unwrap();
    }
    let roomy = temp_pdf("late-roomy");
    reserved.finish(std::fs::File::create(&roomy).unwrap(), &meta()).unwrap();
    let (page1, page2) = (pdftotext(&roomy, Some(1)), pdftotext(&roomy, Some(2)));
    let name = |i: usize| format!("Mac-{i:03}");
    assert!(page1.contains(&name(roomy_first - 1)) && !page1.contains(&name(roomy_first)), "{page1}");
    assert!(page2.contains(&name(roomy_first)), "page 1 kept the room of 4 summary lines: {page2}");

    let mut short = PdfReport::new(&COLUMNS, 1).unwrap();
    short.row(&rows[0]).unwrap();
    let mut out = Vec::new();
    assert!(matches!(short.finish(&mut out, &meta()), Err(ExportError::Shape(_))));
    assert!(out.is_empty(), "nothing written");
}
