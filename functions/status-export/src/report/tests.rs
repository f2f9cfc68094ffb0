//! The PDF report rendered and read back: every value whole and in words, markup-like names as text, landscape
//! pages; titles and fixed values that wrap between words only.

use super::cells::{attestation, okta_verify, utc_minutes};
use super::*;
use crate::state::{exclusion_label, next_step, parse_exclusion};
use odt_exports::{Cell, Column};
use odt_shared::platform::Platform;
use odt_shared::scope::Exclusion;
use std::path::{Path, PathBuf};
use std::process::Command;

fn device(id: &str, name: &str, state: OdtState, exclusion: Option<Exclusion>) -> DeviceStatus {
    let exclusion = exclusion.map(|e| serde_json::to_value(e).unwrap().as_str().unwrap().to_string());
    DeviceStatus {
        device_id: id.into(),
        device_name: name.into(),
        platform: Some(Platform::ALL[id.parse::<usize>().unwrap_or(0) % Platform::ALL.len()]),
        os_version: "15.1".into(),
        owner_email: Some("ann@acme.example".into()),
        owner_email_mismatch: None,
        in_scope: exclusion.is_none() && state != OdtState::NotInScope,
        next_step: next_step(state, exclusion.as_deref().and_then(parse_exclusion)).into(),
        exclusion,
        odt_status: state,
        okta_verify_installed: "yes".into(),
        okta_verify_configured: "no".into(),
        sso_extension: "no".into(),
        attestation_payload: "pending".into(),
        old_payload: false,
        attempts: 2,
        last_attempt_at: Some("2026-11-29T08:00:00Z".into()),
        last_error: None,
        unsupported: None,
        groups: vec![],
        attested_at: None,
        certificate_age_days: None,
        renewal_due_at: None,
        renewal_reason: None,
    }
}

/// Every state, every reason out of scope, long values of every kind and names from Okta or the UEM that
/// look like markup.
fn fleet() -> Vec<DeviceStatus> {
    let mut out: Vec<DeviceStatus> =
        OdtState::ALL.iter().enumerate().map(|(i, s)| device(&format!("{}", 100 + i), "Mac", *s, None)).collect();
    out.extend(
        Exclusion::ALL
            .iter()
            .enumerate()
            .map(|(i, e)| device(&format!("{}", 200 + i), "Spare", OdtState::NotInScope, Some(*e))),
    );
    let mut long = device("300", LONG_NAME, OdtState::Failed, None);
    long.owner_email = Some(LONG_EMAIL.into());
    long.owner_email_mismatch = Some("ann.renamed@acme.example".into());
    long.last_error = Some(LONG_ERROR.into());
    long.old_payload = true;
    out.push(long);
    let mut word = device("301", LONG_WORD, OdtState::Pending, None);
    word.platform = None;
    word.os_version = "tvOS 18.0".into();
    out.push(word);
    let mut hostile = device("302", IMG, OdtState::Failed, None);
    hostile.last_error = Some(SCRIPT.into());
    hostile.owner_email = Some(SCRIPT.into());
    out.push(hostile);
    out
}

const LONG_NAME: &str = "Conference room presentation MacBook Pro 16-inch (2023) of the Finance and Controlling \
                         department, second floor, east wing";
const LONG_EMAIL: &str = "firstname.middlename.lastname.with.many.parts@subsidiary.division.acme-corporation.example";
const LONG_WORD: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LONG_ERROR: &str = "Hexnode refused the policy update: the payload section custom_configuration could not be \
                          parsed because the certificate chain in the SCEP profile names an issuer that the device \
                          does not trust; check the CA certificate saved for macOS and save the platform again";
const IMG: &str = "<img src=x onerror=alert(1)>";
const SCRIPT: &str = "\"><script>alert(1)</script>";

/// The report of [`fleet`] written to a file (kept under the target dir, to look at with pdftoppm).
fn render(name: &str) -> PathBuf {
    let mut report = DeviceReport::new().unwrap();
    for d in fleet() {
        report.add(&d).unwrap();
    }
    let filter = Filter { platform: None, state: None, group: Some("00g1SALES".into()), q: None };
    let (out, stats, summary) = report.finish("acme", "2026-12-07T06:49:21Z", &filter).unwrap();
    assert_eq!((stats.rows, summary.devices), (fleet().len(), fleet().len()));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/report-pdf");
    let dir = std::env::var_os("CARGO_TARGET_DIR").map_or(dir, |t| PathBuf::from(t).join("report-pdf"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

fn run(cmd: &str, args: &[&str], path: &Path) -> String {
    let to_stdout: &[&str] = if cmd == "pdftotext" { &["-"] } else { &[] };
    let out = Command::new(cmd)
        .args(args)
        .arg(path)
        .args(to_stdout)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} (poppler-utils; `scripts/services.sh install` puts it there): {e}"));
    assert!(out.status.success(), "{cmd}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Text without any whitespace: a wrapped value's lines joined again.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn column(columns: &[Column], id: &str) -> usize {
    columns.iter().position(|c| c.id == id).expect("column")
}

/// Fails if wrapping would break a word of a column title, of a state's or reason's label or next step, or
/// of the other values the report writes in words, in the columns that show them (`Attestatio` / `n`).
#[test]
fn titles_and_fixed_values_wrap_between_words_only() {
    let mut broken = Vec::new();
    let mut check = |columns: &[Column], id: &str, value: &str, heading: bool| {
        if !odt_exports::words_fit(columns, column(columns, id), value, heading) {
            broken.push(format!("{id}: {value:?}"));
        }
    };
    let in_words = [
        ("okta_verify", okta_verify("no", "no")),
        ("attestation_payload", attestation("", true)),
        ("platform", "Windows 10.0.22631.4460".to_string()),
        ("last_attempt_at", utc_minutes("2026-11-29T08:00:00Z")),
    ];
    let row = PDF_COLUMNS.iter().zip(cells(&fleet()[0])).filter_map(|(c, cell)| match cell {
        Cell::Text(t) if !["device_name", "owner_email"].contains(&c.id) => Some((c.id, t)),
        _ => None,
    });
    for (id, value) in in_words.into_iter().chain(row) {
        check(&PDF_COLUMNS, id, &value, false);
    }
    for columns in [&PDF_COLUMNS[..], &STEP_COLUMNS[..]] {
        for c in columns {
            check(columns, c.id, c.title, true);
        }
        for s in OdtState::ALL {
            check(columns, "odt_status", s.label(), false);
        }
        for e in Exclusion::ALL {
            check(columns, "exclusion", exclusion_label(e), false);
        }
        for step in crate::state::all_next_steps() {
            check(columns, "next_step", step, false);
        }
    }
    assert!(broken.is_empty(), "words broken: {broken:#?}");
}

/// Fails if a value were cut or left out in the PDF report (each state's and reason's label and next step,
/// long names, emails, errors and an 88-character word), if a name that looks like markup did not show as its
/// own characters, if the first page lacked its chart's legend or the steps table, or if a page were not
/// landscape. Read back with `pdftotext -raw` (the page's text in the order it is written: a cell's lines one
/// after the other).
#[test]
fn the_report_shows_every_value_whole_in_words_on_landscape_pages() {
    let path = render("report.pdf");
    let raw = squash(&run("pdftotext", &["-raw"], &path));
    let mut whole: Vec<String> = vec![LONG_NAME.into(), LONG_EMAIL.into(), LONG_WORD.into(), LONG_ERROR.into()];
    whole.extend(
        [IMG, SCRIPT, "ann.renamed@acme.example", "Other tvOS 18.0", "Pending, older payload"].map(String::from),
    );
    whole.extend(OdtState::ALL.iter().map(|s| s.label().to_string()));
    whole.extend(Exclusion::ALL.iter().map(|e| exclusion_label(*e).to_string()));
    whole.extend(crate::state::all_next_steps().into_iter().map(String::from));
    for value in &whole {
        assert!(raw.contains(&squash(value)), "{value:?} is not whole in the PDF:\n{raw}");
    }
    assert!(!raw.contains("..."), "nothing is cut");
    for (id, state) in OdtState::ALL.iter().enumerate().map(|(i, s)| (100 + i, s)) {
        let row = squash(&format!("{id} Mac {} {}", state.label(), next_step(*state, None)));
        assert!(raw.contains(&row), "the row of {id} names its state and next step: {row}");
    }
    for (i, e) in Exclusion::ALL.iter().enumerate() {
        let row = format!(
            "{} Spare Not in scope {} {}",
            200 + i,
            exclusion_label(*e),
            next_step(OdtState::NotInScope, Some(*e))
        );
        assert!(raw.contains(&squash(&row)), "the row of {} names its reason and next step: {row}", 200 + i);
    }
    let first = run("pdftotext", &["-layout", "-f", "1", "-l", "1"], &path);
    for text in [
        "Devices by platform and state",
        "What to do next",
        "Tenant: acme",
        "Exported: 2026-12-07 06:49 UTC",
        "owners in Okta group 00g1SALES",
        "Managed (1)",
        "Other",
    ] {
        assert!(first.contains(text), "page 1 lacks {text:?}:\n{first}");
    }
    // Every platform, state and reason at once: the chart and the whole steps table still fit page 1.
    for text in Platform::ALL.iter().map(|p| p.label()).chain(Exclusion::ALL.iter().map(|e| exclusion_label(*e))) {
        assert!(first.contains(text), "page 1 lacks {text:?}:\n{first}");
    }
    let second = run("pdftotext", &["-layout", "-f", "2", "-l", "2"], &path);
    assert!(second.contains("Okta Verify"), "the device table starts on page 2:\n{second}");
    let info = run("pdfinfo", &["-f", "1", "-l", "99"], &path);
    let sizes: Vec<&str> = info.lines().filter(|l| l.starts_with("Page") && l.contains("size:")).collect();
    assert!(sizes.len() >= 2, "{info}");
    for line in sizes {
        assert!(line.contains("842 x 595 pts"), "landscape A4: {line}");
    }
}
