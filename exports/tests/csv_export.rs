//! The CSV export read back with the `csv` crate: BOM and header (C15), non-ASCII text (C15), RFC 4180 quoting
//! (C16), formula neutralization (C14), shape errors, and a large streaming export.

use odt_exports::{Cell, Column, ColumnKind, CsvExport, ExportError};

const COLUMNS: [Column; 4] = [
    Column { id: "device_name", title: "Device", kind: ColumnKind::Text, width: 3.0 },
    Column { id: "owner", title: "Owner", kind: ColumnKind::Text, width: 2.0 },
    Column { id: "platform", title: "Platform", kind: ColumnKind::Text, width: 1.0 },
    Column { id: "risk_score", title: "Risk", kind: ColumnKind::Number, width: 1.0 },
];

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn export(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut csv = CsvExport::new(Vec::new(), &COLUMNS).expect("header");
    for row in rows {
        csv.write_row(row).expect("row");
    }
    csv.finish().expect("finish")
}

/// The header and the data rows of an export, parsed with the `csv` crate after checking and stripping the BOM.
fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("starts with the UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(body);
    let header = reader.headers().expect("header").iter().map(String::from).collect();
    let rows = reader.records().map(|r| r.expect("record").iter().map(String::from).collect()).collect();
    (header, rows)
}

#[test]
fn header_is_the_column_ids_after_a_bom_and_non_ascii_survives() {
    let bytes = export(&[
        vec![text("Ærø-iPad"), text("José Müller"), text("iOS"), Cell::Number(12)],
        vec![text("MacBook"), Cell::Empty, text("macOS"), Cell::Empty],
    ]);
    assert!(bytes.starts_with(b"\xEF\xBB\xBFdevice_name,owner,platform,risk_score\r\n"), "{bytes:?}");
    let (header, rows) = parse(&bytes);
    assert_eq!(header, ["device_name", "owner", "platform", "risk_score"]);
    assert_eq!(header[0], "device_name", "BOM must not leak into the first header");
    assert_eq!(rows[0], ["Ærø-iPad", "José Müller", "iOS", "12"]);
    assert_eq!(rows[1], ["MacBook", "", "macOS", ""]);
}

#[test]
fn commas_quotes_and_newlines_stay_in_one_field() {
    let name = "Sales, EMEA \"Loaner\"\nMacBook";
    let bytes = export(&[
        vec![text(name), text("a\r\nb"), text("macOS"), Cell::Number(1)],
        vec![text("next"), text("x"), text("iOS"), Cell::Number(2)],
    ]);
    let raw = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(raw.contains("\"Sales, EMEA \"\"Loaner\"\"\nMacBook\""), "{raw}");
    assert!(raw.ends_with("next,x,iOS,2\r\n"), "CRLF line ends: {raw:?}");
    let (_, rows) = parse(&bytes);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], name);
    assert_eq!(rows[0][1], "a\r\nb");
    assert_eq!(rows[1][0], "next");
}

#[test]
fn formulas_in_text_cells_are_neutralized_and_numbers_are_not() {
    let cases = [
        ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("+1", "'+1"),
        ("-x", "'-x"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        (" =1", " =1"),
    ];
    let rows: Vec<Vec<Cell>> =
        cases.iter().map(|(input, _)| vec![text(input), text("o"), text("p"), Cell::Number(-3)]).collect();
    let bytes = export(&rows);
    let raw = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(raw.contains("o,p,-3\r\n"), "numbers are plain: {raw}");
    let (_, parsed) = parse(&bytes);
    assert_eq!(parsed.len(), cases.len());
    for ((input, expected), row) in cases.iter().zip(&parsed) {
        assert_eq!(&row[0], expected, "input {input:?}");
        assert_eq!(row[3], "-3");
    }
}

#[test]
fn rows_of_the_wrong_shape_are_errors() {
    let mut csv = CsvExport::new(Vec::new(), &COLUMNS).expect("header");
    let short = csv.write_row(&[text("a"), text("b"), text("c")]);
    assert!(matches!(short, Err(ExportError::Shape(_))), "{short:?}");
    let long = csv.write_row(&[text("a"), text("b"), text("c"), Cell::Number(1), Cell::Empty]);
    assert!(matches!(long, Err(ExportError::Shape(_))), "{long:?}");
    let number_in_text = csv.write_row(&[Cell::Number(1), text("b"), text("c"), Cell::Number(1)]);
    assert!(matches!(number_in_text, Err(ExportError::Shape(_))), "{number_in_text:?}");
    let text_in_number = csv.write_row(&[text("a"), text("b"), text("c"), text("1")]);
    assert!(matches!(text_in_number, Err(ExportError::Shape(_))), "{text_in_number:?}");
    csv.write_row(&[text("a"), text("b"), text("c"), Cell::Number(1)]).expect("a good row still works");
    assert_eq!(csv.rows(), 1);
    let (_, rows) = parse(&csv.finish().expect("finish"));
    assert_eq!(rows, [["a", "b", "c", "1"]], "rejected rows wrote nothing");
    assert!(matches!(CsvExport::new(Vec::new(), &[]), Err(ExportError::Shape(_))));
}

#[test]
fn a_hundred_thousand_rows_stream_through() {
    let mut csv = CsvExport::new(std::io::sink(), &COLUMNS).expect("header");
    for i in 0..100_000i64 {
        let row = [text(&format!("device-{i}")), text("José Müller"), text("macOS"), Cell::Number(i % 100)];
        csv.write_row(&row).expect("row");
    }
    assert_eq!(csv.rows(), 100_000);
    csv.finish().expect("finish");
}
