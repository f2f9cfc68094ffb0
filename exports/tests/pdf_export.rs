//! The PDF export read back with poppler's `pdftotext` and `pdfinfo` (Debian's poppler-utils, installed by
//! `scripts/services.sh install`): A4 landscape pages; the first page's facts, chart and small table; the table's
//! header and `Page N of M` on every page; every value whole however long (wrapped, a word too long for its
//! column broken, a row taller than a page continued); text that looks like markup or PDF syntax shown as written;
//! shape errors; a large export.

use std::path::{Path, PathBuf};
use std::process::Command;

use odt_exports::{
    words_fit, write_pdf, Bar, BarChart, Cell, Column, ColumnKind, ExportError, PdfMeta, PdfReport, PdfTable, Series,
};

const COLUMNS: [Column; 6] = [
    Column { id: "device_name", title: "Device", kind: ColumnKind::Text, width: 4.0 },
    Column { id: "owner", title: "Owner", kind: ColumnKind::Text, width: 3.0 },
    Column { id: "platform", title: "Platform", kind: ColumnKind::Text, width: 1.5 },
    Column { id: "os_version", title: "OS version", kind: ColumnKind::Text, width: 1.5 },
    Column { id: "risk_score", title: "Risk score", kind: ColumnKind::Number, width: 1.0 },
    Column { id: "last_seen", title: "Last seen", kind: ColumnKind::Text, width: 2.5 },
];

fn meta() -> PdfMeta {
    let series = |label: &str, color| Series { label: label.into(), color };
    PdfMeta {
        title: "Device status report".into(),
        tenant: "acme.okta.com".into(),
        exported_at: "2026-11-29 21:30 UTC".into(),
        summary: vec![("Devices".into(), "all platforms".into()), ("Non-compliant".into(), "7".into())],
        chart: Some(BarChart {
            title: "Devices by platform".into(),
            series: vec![series("Compliant", [0.2, 0.6, 0.3]), series("Failing", [0.8, 0.1, 0.1])],
            bars: vec![
                Bar { label: "macOS".into(), values: vec![12, 3] },
                Bar { label: "Windows".into(), values: vec![0, 4] },
            ],
        }),
        tables: vec![PdfTable {
            title: "What to do".into(),
            columns: vec![
                Column { id: "what", title: "Finding", kind: ColumnKind::Text, width: 1.0 },
                Column { id: "step", title: "Step", kind: ColumnKind::Text, width: 2.0 },
            ],
            rows: vec![vec![text("Failing"), text("Patch the OS, then check again")]],
        }],
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn row(name: &str, owner: &str, risk: i64) -> Vec<Cell> {
    vec![text(name), text(owner), text("macOS"), text("15.1"), Cell::Number(risk), text("2026-11-29 08:00 UTC")]
}

fn temp_pdf(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("odt-exports-{name}.pdf"))
}

fn write(name: &str, meta: &PdfMeta, columns: &[Column], rows: Vec<Vec<Cell>>) -> (PathBuf, odt_exports::PdfStats) {
    let path = temp_pdf(name);
    let file = std::fs::File::create(&path).expect("create");
    let stats = write_pdf(std::io::BufWriter::new(file), meta, columns, rows.into_iter()).expect("write_pdf");
    assert_eq!(stats.bytes, std::fs::metadata(&path).expect("metadata").len());
    (path, stats)
}

/// A poppler tool's output (`pdftotext` with `args` to stdout, or `pdfinfo`).
fn poppler(tool: &str, args: &[&str], path: &Path) -> String {
    let mut cmd = Command::new(tool);
    cmd.args(args).arg(path);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{tool} is not on the PATH; the PDF export tests need Debian's poppler-utils: run `scripts/services.sh \
             install`"
        ),
        Err(e) => panic!("running {tool}: {e}"),
    };
    assert!(output.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// `pdftotext -layout` of page `page`.
fn page_text(path: &Path, page: usize) -> String {
    let p = page.to_string();
    poppler("pdftotext", &["-layout", "-f", &p, "-l", &p], path)
}

/// The text in the order it is written (`-raw`: a cell's lines one after the other), without whitespace.
fn raw_squashed(path: &Path) -> String {
    squash(&poppler("pdftotext", &["-raw"], path))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Fails if a page were not A4 landscape.
fn assert_landscape(path: &Path, pages: usize) {
    let info = poppler("pdfinfo", &["-f", "1", "-l", &pages.to_string()], path);
    let sizes: Vec<&str> = info.lines().filter(|l| l.starts_with("Page") && l.contains("size:")).collect();
    assert_eq!(sizes.len(), pages, "{info}");
    assert!(sizes.iter().all(|l| l.contains("842 x 595 pts")), "{info}");
}

#[test]
fn the_first_page_then_the_table_on_landscape_pages_with_headers_and_footers() {
    let total = 150;
    let rows =
        (0..total).map(|i| row(&format!("device-{i:04}"), if i == 2 { "José Müller" } else { "Ana" }, i as i64 - 3));
    let (path, stats) = write("pages", &meta(), &COLUMNS, rows.collect());
    assert_eq!(stats.rows, total);
    assert!(stats.pages >= 4, "{stats:?}");
    assert_landscape(&path, stats.pages);
    let first = page_text(&path, 1);
    for expected in [
        "Device status report",
        "Tenant: acme.okta.com",
        "Exported: 2026-11-29 21:30 UTC",
        "Devices: all platforms",
        "Non-compliant: 7",
        "Devices by platform",
        "Compliant (12)",
        "Failing (7)",
        "What to do",
        "Patch the OS, then check again",
    ] {
        assert!(first.contains(expected), "page 1 lacks {expected:?}:\n{first}");
    }
    assert!(!first.contains("device-0000"), "the table starts on page 2");
    let mut seen = 0;
    for p in 1..=stats.pages {
        let page = page_text(&path, p);
        assert!(page.contains(&format!("Page {p} of {}", stats.pages)), "page {p}:\n{page}");
        if p > 1 {
            assert!(COLUMNS.iter().all(|c| page.contains(c.title)), "page {p} lacks the header:\n{page}");
            seen += page.matches("device-").count();
        }
    }
    assert_eq!(seen, total, "each row once");
    let raw = raw_squashed(&path);
    assert!(raw.contains("device-0002JoséMüllermacOS15.1-1"), "a row's cells in order, numbers as written");
}

#[test]
fn long_values_wrap_and_show_whole() {
    let long = "A device name far too long for its column, it goes on and on and on and on and on and on";
    let email = "firstname.middlename.lastname@subsidiary.division.acme-corporation.example";
    let word = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let rows = vec![row(long, email, 1), row(word, "Ana", 2), row("short", "Ana", 3)];
    let (path, stats) = write("wrapped", &meta(), &COLUMNS, rows);
    assert_eq!((stats.pages, stats.rows), (2, 3));
    let raw = raw_squashed(&path);
    for value in [long, email, word] {
        assert!(raw.contains(&squash(value)), "{value:?} whole:\n{raw}");
    }
    assert!(!raw.contains("..."), "nothing cut: {raw}");
    let table = page_text(&path, 2);
    assert!(!table.contains(long) && table.contains("A device name far too"), "wrapped over lines:\n{table}");
}

/// Fails if `words_fit` said a word fits that wrapping breaks (or the reverse), or measured a heading in the
/// cells' font: read back from the page, a word that fits stays whole on its line.
#[test]
fn words_fit_tells_whether_wrapping_breaks_a_word() {
    let narrow = [
        Column { id: "a", title: "Attestation", kind: ColumnKind::Text, width: 45.0 },
        Column { id: "b", title: "Rest", kind: ColumnKind::Text, width: 725.0 },
    ];
    // 39 pt of room: `Attestation` is 42 pt wide in bold, 38 pt in the regular font.
    assert!(!words_fit(&narrow, 0, "Attestation", true));
    assert!(words_fit(&narrow, 0, "Attestation", false));
    assert!(words_fit(&narrow, 0, "Pending, older payload", false));
    assert!(!words_fit(&narrow, 2, "x", false) && !words_fit(&[], 0, "x", false), "no such column");
    let (path, _) = write("words", &PdfMeta::default(), &narrow, vec![vec![text("Pending, older payload"), text("x")]]);
    let table = page_text(&path, 2);
    assert!(table.contains("Attestatio") && !table.contains("Attestation"), "the heading broke:\n{table}");
    assert!(table.contains("Pending,") && table.contains("older") && table.contains("payload"), "{table}");
}

/// Fails if a cell taller than a page were cut at the page's end instead of going on over the next pages.
#[test]
fn a_row_taller_than_a_page_goes_on_over_the_next() {
    let columns = [Column { id: "error", title: "Error", kind: ColumnKind::Text, width: 1.0 }];
    let words: Vec<String> = (0..4000).map(|i| format!("w{i}")).collect();
    let huge = words.join(" ");
    let (path, stats) = write("tall", &PdfMeta::default(), &columns, vec![vec![text(&huge)], vec![text("after")]]);
    assert!(stats.pages >= 3, "{stats:?}");
    let pages: Vec<String> = (2..=stats.pages).map(|p| page_text(&path, p)).collect();
    let shown: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.split_whitespace())
        .filter(|w| w.starts_with('w') && w[1..].chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(shown, words.iter().map(String::as_str).collect::<Vec<_>>(), "every word once, in order");
    assert!(pages.last().unwrap().contains("after"));
    assert!(pages.iter().all(|p| p.contains("Error")), "the header on every page");
}

/// Names from Okta or the UEM are text: markup, quotes and PDF string syntax show as their own characters.
#[test]
fn text_that_looks_like_markup_or_pdf_syntax_shows_as_written() {
    let names = [
        "<img src=x onerror=alert(1)>",
        "\"><script>alert(1)</script>",
        "(paren)\\back",
        "Sales (EMEA) \\ (unbalanced",
        "Ærø-iPad",
        "José Müller",
    ];
    let rows = names.iter().map(|n| row(n, "Ana", 1)).chain([row("日本 iPad €5", "Ana", 1)]).collect();
    let (path, _) = write("hostile", &meta(), &COLUMNS, rows);
    let raw = raw_squashed(&path);
    for name in names {
        assert!(raw.contains(&squash(name)), "{name:?} as written:\n{raw}");
    }
    assert!(raw.contains("??iPad€5"), "outside Windows-1252: ?");
}

#[test]
fn no_rows_is_the_first_page_and_an_empty_table() {
    let (path, stats) = write("empty", &meta(), &COLUMNS, vec![]);
    assert_eq!((stats.pages, stats.rows), (2, 0));
    let table = page_text(&path, 2);
    assert!(table.contains("Last seen") && table.contains("Page 2 of 2"), "{table}");
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
    let err = write_pdf(&mut out, &meta(), &[], std::iter::empty());
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
    let mut bad_table = meta();
    bad_table.tables[0].rows.push(vec![Cell::Number(1), text("x")]);
    let err = write_pdf(&mut out, &bad_table, &COLUMNS, std::iter::empty());
    assert!(matches!(err, Err(ExportError::Shape(_))), "{err:?}");
    assert!(out.is_empty(), "nothing written on error");
}

#[test]
fn a_hundred_thousand_rows() {
    let total = 100_000;
    let path = temp_pdf("100k");
    let file = std::fs::File::create(&path).expect("create");
    let rows = (0..total).map(|i| row(&format!("device-{i:06}"), "José Müller", i as i64 % 100));
    let stats = write_pdf(std::io::BufWriter::new(file), &meta(), &COLUMNS, rows).expect("write_pdf");
    assert_eq!(stats.rows, total);
    assert!(stats.bytes < 100 * 1024 * 1024, "{} bytes", stats.bytes);
    eprintln!("100,000 rows: {} pages, {} bytes", stats.pages, stats.bytes);
    let last = page_text(&path, stats.pages);
    assert!(last.contains(&format!("Page {0} of {0}", stats.pages)), "{last}");
    assert!(last.contains("device-099999"), "{last}");
}

/// Fails if a report built a row at a time with its first page given at the end differed from `write_pdf`, or
/// its bytes taken whole (`into_bytes`) from the file `finish` writes.
#[test]
fn a_report_built_row_by_row_takes_its_first_page_at_the_end() {
    let rows: Vec<Vec<Cell>> = (0..150).map(|i| row(&format!("Mac-{i:03}"), "ann@acme.com", i)).collect();
    let (whole, _) = write("late-whole", &meta(), &COLUMNS, rows.clone());
    let mut report = PdfReport::new(&COLUMNS).unwrap();
    for r in &rows {
        report.row(r).unwrap();
    }
    assert_eq!(report.rows(), 150);
    let late = temp_pdf("late-report");
    let stats = report.finish(std::fs::File::create(&late).unwrap(), &meta()).unwrap();
    assert_eq!(stats.rows, 150);
    let all = |p: &Path| poppler("pdftotext", &["-layout"], p);
    assert_eq!(all(&late), all(&whole), "the same report either way");
    let mut again = PdfReport::new(&COLUMNS).unwrap();
    for r in &rows {
        again.row(r).unwrap();
    }
    let (bytes, same) = again.into_bytes(&meta()).unwrap();
    assert_eq!((same, bytes), (stats, std::fs::read(&late).unwrap()), "into_bytes is the file finish writes");
}
