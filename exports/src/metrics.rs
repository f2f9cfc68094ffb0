//! Text measurement and encoding for the PDF's standard fonts, in one place: Unicode to WinAnsiEncoding
//! (Windows-1252) bytes, the Helvetica and Helvetica-Bold glyph widths from Adobe's AFM files, and wrapping to a
//! width (nothing is ever cut).

/// The two standard fonts the PDF uses (never embedded; every PDF reader has them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica, for the table cells and the header block.
    Regular,
    /// Helvetica-Bold, for the title and the table's header row.
    Bold,
}

/// Encodes `text` for a WinAnsiEncoding font: one byte per character; characters outside Windows-1252 (and
/// control characters) become `?`, while CR, LF and TAB become spaces so that a cell stays on one line.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(winansi_byte).collect()
}

/// The WinAnsiEncoding byte of one character (see [`encode`]).
fn winansi_byte(c: char) -> u8 {
    let code = c as u32;
    match c {
        '\n' | '\r' | '\t' => b' ',
        ' '..='~' | '\u{A0}'..='\u{FF}' => code as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// The advance width in points of WinAnsi-encoded `bytes` set in `font` at `size` points.
pub(crate) fn width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let units: u32 = bytes.iter().map(|&b| u32::from(glyph_width(b, font))).sum();
    units as f32 * size / 1000.0
}

/// The advance width (1/1000 em) of one WinAnsi code; codes below 0x20 (never produced by [`encode`]) count as a
/// space.
fn glyph_width(byte: u8, font: Font) -> u16 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    byte.checked_sub(0x20).map_or(table[0], |i| table[usize::from(i)])
}

/// Where a word too long for a line may break after: punctuation that ends a part of an email address, a host, a
/// path or an id (`ann@` / `acme.com`, `Okta-` / `Verify`).
const BREAK_AFTER: &[u8] = b"-/.@_,;:)";

/// `bytes` wrapped into lines that each fit `max_width` points in `font` at `size`, nothing left out: words
/// (split at spaces; runs of spaces count as one) fill each line greedily; a word wider than a line is broken,
/// after the last of [`BREAK_AFTER`] that fits, else after its last character that fits (at least one character
/// a line, however narrow). Empty or blank text is no line. Joining the lines with spaces gives the words back;
/// a broken word's parts joined with nothing give the word.
pub(crate) fn wrap(bytes: &[u8], font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let advance = |b: u8| f32::from(glyph_width(b, font)) * size / 1000.0;
    let space = advance(b' ');
    let mut lines = Vec::new();
    let (mut line, mut used) = (Vec::new(), 0.0f32);
    for word in bytes.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
        let w: f32 = word.iter().map(|b| advance(*b)).sum();
        if !line.is_empty() && used + space + w <= max_width {
            line.push(b' ');
            line.extend_from_slice(word);
            used += space + w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        let mut rest_w = w;
        while rest_w > max_width && rest.len() > 1 {
            let cut = break_point(rest, max_width, &advance);
            lines.push(rest[..cut].to_vec());
            rest_w -= rest[..cut].iter().map(|b| advance(*b)).sum::<f32>();
            rest = &rest[cut..];
        }
        line = rest.to_vec();
        used = rest_w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// How many leading bytes of `word` go on a line of `max_width` points: up to the last [`BREAK_AFTER`] byte
/// that fits, else as many as fit; at least 1.
fn break_point(word: &[u8], max_width: f32, advance: &impl Fn(u8) -> f32) -> usize {
    let mut used = 0.0;
    let mut fits = 0;
    for &b in word {
        used += advance(b);
        if used > max_width {
            break;
        }
        fits += 1;
    }
    let at_punct = word[..fits].iter().rposition(|b| BREAK_AFTER.contains(b)).map(|i| i + 1);
    at_punct.filter(|&i| i < word.len()).unwrap_or(fits).max(1)
}

/// Helvetica advance widths (1/1000 em) for WinAnsi codes 0x20..=0xFF, from Adobe's Helvetica AFM.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20..=0x2F
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30..=0x3F
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40..=0x4F
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50..=0x5F
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60..=0x6F
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 350, // 0x70..=0x7F
    556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80..=0x8F
    350, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, // 0x90..=0x9F
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0..=0xAF
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0..=0xBF
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0..=0xCF
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0..=0xDF
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0..=0xEF
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0..=0xFF
];

/// Helvetica-Bold advance widths (1/1000 em) for WinAnsi codes 0x20..=0xFF, from Adobe's Helvetica-Bold AFM.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20..=0x2F
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30..=0x3F
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40..=0x4F
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50..=0x5F
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60..=0x6F
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 350, // 0x70..=0x7F
    556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, // 0x80..=0x8F
    350, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, // 0x90..=0x9F
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0..=0xAF
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0..=0xBF
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0..=0xCF
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0..=0xDF
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0..=0xEF
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0..=0xFF
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_windows_1252_and_replaces_the_rest() {
        assert_eq!(encode("José Müller"), b"Jos\xE9 M\xFCller");
        assert_eq!(encode("Ærø-iPad"), b"\xC6r\xF8-iPad");
        assert_eq!(encode("€ “x” – 日本"), b"\x80 \x93x\x94 \x96 ??");
        assert_eq!(encode("a\nb\tc\rd\u{7}"), b"a b c d?");
    }

    #[test]
    fn measures_with_the_afm_widths() {
        assert_eq!(width(b"W", Font::Regular, 1000.0), 944.0);
        assert!((width(b"Ww", Font::Bold, 10.0) - 17.22).abs() < 1e-4);
        assert_eq!(width(&encode("é"), Font::Regular, 1000.0), 556.0);
        assert_eq!(width(&encode("Æ"), Font::Bold, 1000.0), 1000.0);
    }

    fn joined(lines: &[Vec<u8>]) -> String {
        lines.iter().map(|l| String::from_utf8_lossy(l).to_string()).collect::<Vec<_>>().join("|")
    }

    /// Fails if wrapping cut or dropped a character, let a line pass its width, or broke a word that fits.
    #[test]
    fn wraps_words_and_breaks_only_words_too_long_for_a_line() {
        let fits = |l: &Vec<u8>, w: f32| width(l, Font::Regular, 8.0) <= w;
        let lines = wrap(b"Fix the last error,  retry now", Font::Regular, 8.0, 60.0);
        assert_eq!(joined(&lines), "Fix the last|error, retry now");
        assert!(lines.iter().all(|l| fits(l, 60.0)));
        let email = b"very.long.first.name.lastname@subsidiary.example.com";
        let lines = wrap(email, Font::Regular, 8.0, 60.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| fits(l, 60.0)), "{}", joined(&lines));
        assert_eq!(lines.concat(), email.to_vec(), "every character kept, in order");
        assert!(lines[..lines.len() - 1].iter().all(|l| BREAK_AFTER.contains(l.last().unwrap())), "{}", joined(&lines));
        let hard = wrap(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Font::Regular, 8.0, 30.0);
        assert_eq!(hard.concat().len(), 36);
        assert!(hard.iter().all(|l| fits(l, 30.0)), "{}", joined(&hard));
        assert_eq!(wrap(b"WW", Font::Regular, 8.0, 1.0), vec![b"W".to_vec(), b"W".to_vec()], "a character a line");
        assert!(wrap(b"   ", Font::Regular, 8.0, 50.0).is_empty());
        assert_eq!(wrap(b"short", Font::Regular, 8.0, 500.0), vec![b"short".to_vec()]);
    }
}
