//! The Subject of the SCEP certificate: an X.500 distinguished name written in the RFC 4514 string syntax,
//! whose values may hold the documented `{{…}}` variables. The UEM replaces each variable on the device with
//! its own placeholder (see [`Subject::to_apple_subject`] and [`Subject::to_rfc4514`]).

/// The variables a Subject value may hold, as `(variable, meaning)`.
pub const SUBJECT_VARIABLES: [(&str, &str); 7] = [
    ("{{user.email}}", "the device owner's email address"),
    ("{{user.login}}", "the device owner's Okta login"),
    ("{{user.id}}", "the device owner's Okta user id"),
    ("{{device.id}}", "the UEM's id of the device"),
    ("{{device.serial}}", "the device's serial number"),
    ("{{device.udid}}", "the device's UDID (Apple devices)"),
    ("{{device.name}}", "the device's name"),
];

/// Longest Subject string accepted, in characters.
const MAX_LEN: usize = 1024;

/// Attribute short names accepted (case-insensitive), with their OIDs (RFC 4519, RFC 4514 section 3,
/// PKCS #9 for the email address).
const KNOWN_TYPES: [(&str, &str); 12] = [
    ("CN", "2.5.4.3"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("C", "2.5.4.6"),
    ("L", "2.5.4.7"),
    ("ST", "2.5.4.8"),
    ("STREET", "2.5.4.9"),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("UID", "0.9.2342.19200300.100.1.1"),
    ("SERIALNUMBER", "2.5.4.5"),
    ("E", "1.2.840.113549.1.9.1"),
    ("EMAILADDRESS", "1.2.840.113549.1.9.1"),
];

/// The short names Apple's SCEP payload documents as shortcuts; every other type is sent as its OID.
const APPLE_SHORT_NAMES: [&str; 6] = ["C", "L", "ST", "O", "OU", "CN"];

/// Characters RFC 4514 (section 2.4) requires to be escaped anywhere in a value.
const ESCAPED_ANYWHERE: [char; 7] = [',', '+', '"', '\\', '<', '>', ';'];

/// A parsed certificate Subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The relative distinguished names in the order written; each is a list of (attribute type, value): the
    /// type as the upper-cased short name or the dotted OID as given, the value with escapes removed and
    /// `{{…}}` variables kept as written.
    pub rdns: Vec<Vec<(String, String)>>,
}

/// A piece of a value: literal text or a variable name (without braces).
enum Piece<'a> {
    /// Text kept as is.
    Text(&'a str),
    /// A variable's name, e.g. `user.email`.
    Var(&'a str),
}

/// Splits `value` into text and `{{variable}}` pieces, refusing unknown variables and an unclosed `{{`.
fn split_vars(value: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("`{value}` has a `{{{{` that is never closed with `}}}}`"));
        };
        let name = after[..end].trim();
        if !SUBJECT_VARIABLES
            .iter()
            .any(|(var, _)| var.strip_prefix("{{").and_then(|v| v.strip_suffix("}}")) == Some(name))
        {
            let known: Vec<&str> = SUBJECT_VARIABLES.iter().map(|(var, _)| *var).collect();
            return Err(format!("unknown variable `{}`; known: {}", ["{{", name, "}}"].concat(), known.join(", ")));
        }
        out.push(Piece::Var(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// `value` with each `{{variable}}` replaced by `map_var(name)`; a value that does not split (only possible
/// for a hand-built [`Subject`]) is kept as is.
fn render(value: &str, map_var: &impl Fn(&str) -> String) -> String {
    match split_vars(value) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Var(name) => map_var(name),
            })
            .collect(),
        Err(_) => value.to_string(),
    }
}

/// Whether `s` is a dotted-decimal OID such as `2.5.4.3` (at least two arcs).
fn is_oid(s: &str) -> bool {
    let arcs: Vec<&str> = s.split('.').collect();
    arcs.len() >= 2 && arcs.iter().all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
}

/// The OID of a known short name (already upper-cased), if any.
fn oid_of(short: &str) -> Option<&'static str> {
    KNOWN_TYPES.iter().find(|(name, _)| *name == short).map(|(_, oid)| *oid)
}

/// Checks an attribute type and returns its normal form (upper-cased short name, or the OID as given).
fn normal_type(raw: &str) -> Result<String, String> {
    let upper = raw.to_ascii_uppercase();
    if oid_of(&upper).is_some() {
        return Ok(upper);
    }
    if is_oid(raw) {
        return Ok(raw.to_string());
    }
    let known: Vec<&str> = KNOWN_TYPES.iter().map(|(name, _)| *name).collect();
    Err(format!("unknown attribute type `{raw}`; use one of {} or a dotted OID such as 2.5.4.3", known.join(", ")))
}

/// Appends the bytes of consecutive `\XX` escapes to `out` as UTF-8.
fn flush_hex(pending: &mut Vec<u8>, out: &mut String, ty: &str) -> Result<(), String> {
    if pending.is_empty() {
        return Ok(());
    }
    let text = String::from_utf8(std::mem::take(pending))
        .map_err(|_| format!("the `\\XX` escapes in the value of {ty} are not valid UTF-8"))?;
    out.push_str(&text);
    Ok(())
}

/// The message for a backslash not followed by a valid escape.
fn bad_escape(ty: &str, what: &str) -> String {
    format!(
        "`\\{what}` in the value of {ty} is not an escape: use `\\` and two hex digits, or `\\` before one of \
         , + \" \\ < > ; = # or a space"
    )
}

/// The value of one attribute: reads up to an unescaped `,` or `+` (returned) or the end (`None`), removing
/// escapes and the unescaped whitespace at both ends.
fn parse_value(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    ty: &str,
) -> Result<(String, Option<char>), String> {
    let mut out = String::new();
    // Length of `out` up to the end of the last escaped character: trailing whitespace before it is kept.
    let mut kept = 0;
    // Bytes of a run of `\XX` escapes, decoded as UTF-8 once the run ends.
    let mut pending: Vec<u8> = Vec::new();
    let end = loop {
        let Some(c) = chars.next() else { break None };
        if c == '\\' {
            match chars.next() {
                None => return Err(format!("the value of {ty} ends with a lone `\\`")),
                Some(h1) if h1.is_ascii_hexdigit() => {
                    let Some(h2) = chars.next_if(char::is_ascii_hexdigit) else {
                        return Err(bad_escape(ty, &h1.to_string()));
                    };
                    let pair = [h1, h2].iter().collect::<String>();
                    let byte = u8::from_str_radix(&pair, 16).map_err(|e| format!("`\\{pair}`: {e}"))?;
                    pending.push(byte);
                }
                Some(e) if ESCAPED_ANYWHERE.contains(&e) || matches!(e, '=' | '#' | ' ') => {
                    flush_hex(&mut pending, &mut out, ty)?;
                    out.push(e);
                    kept = out.len();
                }
                Some(e) => return Err(bad_escape(ty, &e.to_string())),
            }
            continue;
        }
        if !pending.is_empty() {
            flush_hex(&mut pending, &mut out, ty)?;
            kept = out.len();
        }
        match c {
            ',' | '+' => break Some(c),
            '"' | ';' | '<' | '>' => return Err(format!("`{c}` in the value of {ty} must be escaped as `\\{c}`")),
            _ if out.is_empty() && c.is_whitespace() => {}
            '#' if out.is_empty() => {
                return Err(format!(
                    "the value of {ty} starts with `#` (the BER hex form, not supported); write `\\#` for a literal `#`"
                ));
            }
            _ => out.push(c),
        }
    };
    if !pending.is_empty() {
        flush_hex(&mut pending, &mut out, ty)?;
        kept = out.len();
    }
    let trimmed_len = out.trim_end().len().max(kept);
    out.truncate(trimmed_len);
    Ok((out, end))
}

/// Parses a certificate Subject written in the RFC 4514 string syntax, with `{{…}}` variables
/// ([`SUBJECT_VARIABLES`]) allowed inside values.
///
/// RDNs are separated by unescaped `,`, multi-valued RDNs by unescaped `+`; each attribute is `type=value`.
/// Types are CN, O, OU, C, L, ST, STREET, DC, UID, SERIALNUMBER, E, EMAILADDRESS (any case) or a dotted OID.
/// Values take the RFC 4514 escapes (`\` before `, + " \ < > ; = #` or a space, and `\XX` hex pairs of UTF-8);
/// whitespace around `,`, `+` and `=` is ignored.
///
/// # Errors
/// A human-readable reason (returned to the admin for the field `subject`): empty or longer than 1024
/// characters, an empty RDN, an attribute without `=`, an unknown type, an empty value, a bad escape, an
/// unescaped `" ; < >`, a C that is not 2 letters, no CN, an unknown variable or an unclosed `{{`.
pub fn parse_subject(dn: &str) -> Result<Subject, String> {
    let len = dn.chars().count();
    if len > MAX_LEN {
        return Err(format!("is {len} characters long; at most {MAX_LEN} are allowed"));
    }
    if dn.trim().is_empty() {
        return Err("is empty; write a distinguished name such as CN={{user.email}},O=Example".to_string());
    }
    let mut chars = dn.chars().peekable();
    let mut rdns: Vec<Vec<(String, String)>> = Vec::new();
    let mut rdn: Vec<(String, String)> = Vec::new();
    loop {
        let mut raw_type = String::new();
        let sep = loop {
            match chars.next() {
                None => break None,
                Some(c @ ('=' | ',' | '+')) => break Some(c),
                Some(c) => raw_type.push(c),
            }
        };
        let raw_type = raw_type.trim();
        if sep != Some('=') {
            if raw_type.is_empty() {
                return Err(
                    "has an empty RDN: two separators in a row, or a `,` or `+` at the start or the end".to_string()
                );
            }
            return Err(format!("`{raw_type}` has no `=`; write each attribute as type=value, e.g. CN=…"));
        }
        if raw_type.is_empty() {
            return Err("has an `=` without an attribute type before it".to_string());
        }
        let ty = normal_type(raw_type)?;
        let (value, end) = parse_value(&mut chars, &ty)?;
        if value.is_empty() {
            return Err(format!("the value of {ty} is empty"));
        }
        // Variables are kept in one form (`{{ user.email }}` becomes `{{user.email}}`), so what is written back
        // reads as the same Subject.
        let value: String = split_vars(&value)
            .map_err(|e| format!("in the value of {ty}: {e}"))?
            .into_iter()
            .map(|p| match p {
                Piece::Text(t) => t.to_string(),
                Piece::Var(name) => ["{{", name, "}}"].concat(),
            })
            .collect();
        rdn.push((ty, value));
        match end {
            Some('+') => {}
            Some(_) => rdns.push(std::mem::take(&mut rdn)),
            None => {
                rdns.push(rdn);
                break;
            }
        }
    }
    for (ty, value) in rdns.iter().flatten() {
        if (ty == "C" || ty == "2.5.4.6") && !(value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphabetic())) {
            return Err(format!("C must be a two-letter country code (ISO 3166), not `{value}`"));
        }
    }
    if !rdns.iter().flatten().any(|(ty, _)| ty == "CN" || ty == "2.5.4.3") {
        return Err("has no CN; at least one CN=… is required".to_string());
    }
    Ok(Subject { rdns })
}

/// `value` escaped for the RFC 4514 string form (section 2.4): `, + " \ < > ;` anywhere, `#` and space at the
/// start, space at the end; other leading/trailing whitespace and control characters as `\XX`.
fn escape_rfc4514(value: &str) -> String {
    let count = value.chars().count();
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.chars().enumerate() {
        let edge = i == 0 || i + 1 == count;
        if ESCAPED_ANYWHERE.contains(&c) || (i == 0 && c == '#') || (edge && c == ' ') {
            out.push('\\');
            out.push(c);
        } else if c.is_control() || (edge && c.is_whitespace()) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` in the CryptoAPI string form Windows reads (`CertStrToName`/`CertNameToStr` remarks): quoted with
/// `"` when it has leading/trailing whitespace or one of `, + = " \n < > # ;`, an inner `"` doubled.
fn quote_windows(value: &str) -> String {
    let needs = value.is_empty()
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace)
        || value.contains([',', '+', '=', '"', '\n', '\r', '<', '>', '#', ';']);
    if needs {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

impl Subject {
    /// The Subject in the shape of Apple's SCEP payload `Subject` key (Apple Device Management, "SCEP"): one
    /// array per RDN, each an array of `[type, value]` pairs, e.g. `[[["CN","x"]],[["O","y"]]]`.
    ///
    /// Each `{{variable}}` becomes `map_var(name)` (the name without braces, e.g. `user.email`). Apple's
    /// documented shortcuts (C, L, ST, O, OU, CN) are kept; every other type is sent as its dotted OID
    /// (E and EMAILADDRESS become 1.2.840.113549.1.9.1).
    pub fn to_apple_subject(&self, map_var: impl Fn(&str) -> String) -> Vec<Vec<Vec<String>>> {
        self.rdns
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|(ty, value)| {
                        let ty = if APPLE_SHORT_NAMES.contains(&ty.as_str()) {
                            ty.clone()
                        } else {
                            oid_of(ty).map_or_else(|| ty.clone(), str::to_string)
                        };
                        vec![ty, render(value, &map_var)]
                    })
                    .collect()
            })
            .collect()
    }

    /// The Subject in the RFC 4514 string form (`CN=a+UID=b,O=Acme\, Inc.`), each `{{variable}}` replaced by
    /// `map_var(name)` before escaping. With `map_var` giving back `{{name}}`, [`parse_subject`] reads it as
    /// the same Subject.
    pub fn to_rfc4514(&self, map_var: impl Fn(&str) -> String) -> String {
        self.rdns
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|(ty, value)| format!("{ty}={}", escape_rfc4514(&render(value, &map_var))))
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The Subject in the CryptoAPI string form Windows documents for ClientCertificateInstall's
    /// `SubjectName` (values quoted rather than backslash-escaped, `CertNameToStr` remarks), e.g.
    /// `CN=a + UID=b, O="Acme, Inc."`, with each `{{variable}}` replaced by `map_var(name)`.
    pub fn to_windows_subject_name(&self, map_var: impl Fn(&str) -> String) -> String {
        self.rdns
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|(ty, value)| format!("{ty}={}", quote_windows(&render(value, &map_var))))
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(name: &str) -> String {
        ["{{", name, "}}"].concat()
    }

    fn pairs(v: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
        v.iter().map(|rdn| rdn.iter().map(|(t, v)| (t.to_string(), v.to_string())).collect()).collect()
    }

    #[test]
    fn three_rdns_with_escaped_comma_and_variables() {
        let s = parse_subject("CN={{user.email}} managementAttestation {{device.id}},O=Acme\\, Inc.,C=US").unwrap();
        assert_eq!(
            s.rdns,
            pairs(&[
                &[("CN", "{{user.email}} managementAttestation {{device.id}}")],
                &[("O", "Acme, Inc.")],
                &[("C", "US")],
            ])
        );
        let apple = s.to_apple_subject(|v| if v == "user.email" { "%email%".into() } else { format!("%{v}%") });
        assert_eq!(
            apple,
            vec![
                vec![vec!["CN".to_string(), "%email% managementAttestation %device.id%".to_string()]],
                vec![vec!["O".to_string(), "Acme, Inc.".to_string()]],
                vec![vec!["C".to_string(), "US".to_string()]],
            ]
        );
        assert_eq!(s.to_rfc4514(identity), "CN={{user.email}} managementAttestation {{device.id}},O=Acme\\, Inc.,C=US");
        assert_eq!(s.to_windows_subject_name(|_| "X".into()), "CN=X managementAttestation X, O=\"Acme, Inc.\", C=US");
    }

    #[test]
    fn multi_valued_rdn() {
        let s = parse_subject("CN=a+UID=b").unwrap();
        assert_eq!(s.rdns, pairs(&[&[("CN", "a"), ("UID", "b")]]));
        assert_eq!(s.to_rfc4514(identity), "CN=a+UID=b");
        assert_eq!(
            s.to_apple_subject(identity),
            vec![vec![
                vec!["CN".to_string(), "a".to_string()],
                vec!["0.9.2342.19200300.100.1.1".to_string(), "b".to_string()]
            ]]
        );
    }

    #[test]
    fn types_whitespace_and_email_oid() {
        let s = parse_subject("  cn = Jane Doe ,  e=jane@example.com , 2.5.4.11=Ops").unwrap();
        assert_eq!(s.rdns, pairs(&[&[("CN", "Jane Doe")], &[("E", "jane@example.com")], &[("2.5.4.11", "Ops")]]));
        let apple = s.to_apple_subject(identity);
        assert_eq!(apple[1][0], vec!["1.2.840.113549.1.9.1".to_string(), "jane@example.com".to_string()]);
        let s = parse_subject("CN=x,EMAILADDRESS={{user.email}}").unwrap();
        assert_eq!(s.to_apple_subject(|_| "%e%".into())[1][0][0], "1.2.840.113549.1.9.1");
    }

    #[test]
    fn escapes() {
        let s = parse_subject(r#"CN=\ lead\,\+\"\\\<\>\;\=\#trail\ ,O=caf\C3\A9,OU=\#1"#).unwrap();
        assert_eq!(s.rdns[0][0].1, " lead,+\"\\<>;=#trail ");
        assert_eq!(s.rdns[1][0].1, "café");
        assert_eq!(s.rdns[2][0].1, "#1");
    }

    #[test]
    fn error_cases() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("   ", "empty"),
            ("CN=a,,O=b", "empty RDN"),
            ("CN=a,", "empty RDN"),
            (",CN=a", "empty RDN"),
            ("CN=a+", "empty RDN"),
            ("CN", "no `=`"),
            ("=a", "without an attribute type"),
            ("FOO=bar,CN=a", "unknown attribute type `FOO`"),
            ("CN=", "value of CN is empty"),
            ("CN=  ,O=x", "value of CN is empty"),
            ("CN=a,C=USA", "two-letter"),
            ("CN=a,C=U1", "two-letter"),
            ("O=Acme", "no CN"),
            ("CN={{user.phone}}", "unknown variable `{{user.phone}}`; known: {{user.email}}"),
            ("CN={{x}}", "unknown variable `{{x}}`"),
            ("CN={{user.email", "never closed"),
            ("CN=a\\", "lone"),
            ("CN=a\\q", "not an escape"),
            ("CN=a\\4", "not an escape"),
            ("CN=\\FF", "UTF-8"),
            ("CN=a;O=b", "must be escaped"),
            ("CN=\"a\"", "must be escaped"),
            ("CN=#04", "starts with `#`"),
            ("1.=a", "unknown attribute type"),
        ];
        for (dn, want) in cases {
            let err = parse_subject(dn).unwrap_err();
            assert!(err.contains(want), "{dn:?}: {err}");
        }
        let long = format!("CN={}", "a".repeat(1022));
        assert!(parse_subject(&long).unwrap_err().contains("at most 1024"));
        assert!(parse_subject(&format!("CN={}", "a".repeat(1021))).is_ok());
    }

    #[test]
    fn every_variable_is_accepted() {
        for (var, meaning) in SUBJECT_VARIABLES {
            assert!(!meaning.is_empty());
            let s = parse_subject(&format!("CN={var}")).unwrap();
            let name = &var[2..var.len() - 2];
            assert_eq!(s.to_apple_subject(|v| format!("<{v}>"))[0][0][1], format!("<{name}>"));
        }
    }

    #[test]
    fn spaces_inside_a_variable_are_dropped() {
        // Found by the fuzz target `subject`: `{{ user.email}}` was kept as written and came back as
        // `{{user.email}}`, a different Subject.
        let s = parse_subject("CN={{ user.email}} tma,O={{device.id  }}").unwrap();
        assert_eq!(s.rdns, pairs(&[&[("CN", "{{user.email}} tma")], &[("O", "{{device.id}}")]]));
        assert_eq!(parse_subject(&s.to_rfc4514(identity)).unwrap(), s);
    }

    #[test]
    fn round_trip_through_rfc4514() {
        for dn in [
            "CN={{user.email}} managementAttestation {{device.id}},O=Acme\\, Inc.,C=US",
            "CN=a+UID=b,DC=example,DC=com",
            r#"CN=\ lead\,\+\"\\\<\>\;\=\#mid trail\ ,OU=\#x,L=caf\C3\A9,ST=a=b"#,
            "CN=\\09tab\\09,SERIALNUMBER={{device.serial}},1.2.3.4=x",
        ] {
            let s = parse_subject(dn).unwrap();
            let text = s.to_rfc4514(identity);
            assert_eq!(parse_subject(&text).unwrap(), s, "{dn} -> {text}");
        }
    }
}

/// Properties of the Subject parser (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    fn keep(name: &str) -> String {
        ["{{", name, "}}"].concat()
    }

    /// A value: text with any characters but braces (control characters, RFC 4514 specials, spaces at the
    /// edges, non-ASCII) and documented variables between.
    fn value() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => "[^{}]{1,6}",
            2 => "[ ,+\"\\\\<>;=#\t\u{a0}a\u{e9}]{1,4}",
            1 => select(SUBJECT_VARIABLES.iter().map(|(v, _)| v.to_string()).collect::<Vec<_>>()),
        ];
        proptest::collection::vec(piece, 1..4).prop_map(|p| p.concat())
    }

    /// An attribute type in its normal form: a known short name (not C, which takes only country codes) or an OID.
    fn attr_type() -> impl Strategy<Value = String> {
        prop_oneof![
            select(KNOWN_TYPES.iter().map(|(t, _)| t.to_string()).filter(|t| t != "C").collect::<Vec<_>>()),
            "[1-2]\\.[0-9]{1,2}(\\.[0-9]{1,3}){0,3}".prop_filter("not C", |o| o != "2.5.4.6"),
        ]
    }

    /// A Subject as parsing makes it: a CN first, then other RDNs, some multi-valued.
    fn subject() -> impl Strategy<Value = Subject> {
        (value(), proptest::collection::vec(proptest::collection::vec((attr_type(), value()), 1..3), 0..4)).prop_map(
            |(cn, rest)| {
                let mut rdns = vec![vec![("CN".to_string(), cn)]];
                rdns.extend(rest);
                Subject { rdns }
            },
        )
    }

    proptest! {
        /// Fails if a value lost or gained characters through escaping (a special, a space at an edge, a control
        /// character, non-ASCII), if multi-valued RDNs or OID types did not survive, or if variables were not kept.
        #[test]
        fn parses_what_it_writes(s in subject()) {
            let text = s.to_rfc4514(keep);
            prop_assume!(text.chars().count() <= MAX_LEN);
            prop_assert_eq!(parse_subject(&text), Ok(s.clone()), "{}", text);
        }

        /// Fails on a panic (a multi-byte character after `\`, a hex escape cut short, an unclosed `{{`).
        #[test]
        fn never_panics(dn in prop_oneof![any::<String>(), "[CNOU=,+\\\\\"#; a{}.0-9\u{e9}]{0,40}",
            "CN=[\\\\0-9A-Fa-f{}]{0,12}"]) {
            if let Ok(s) = parse_subject(&dn) {
                let _ = s.to_apple_subject(|v| format!("%{v}%"));
                let _ = s.to_windows_subject_name(|v| format!("%{v}%"));
                prop_assert_eq!(parse_subject(&s.to_rfc4514(keep)), Ok(s));
            }
        }
    }
}
