//! RFC 8288 `Link` header parsing, for Okta's `rel="next"` paging.

/// The target of the first link whose `rel` includes `next`, exactly as given (no re-encoding), from every
/// `Link` header value. Returns `None` when there is none (the last page).
pub fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    values.into_iter().flat_map(split_links).find_map(|(target, params)| {
        params
            .iter()
            .any(|(k, v)| {
                k.eq_ignore_ascii_case("rel") && v.split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_string())
    })
}

/// Splits one header value into `(target, params)` links. Commas inside `<…>` or quoted strings do not split.
fn split_links(value: &str) -> Vec<(&str, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(after_lt) = rest.strip_prefix('<') else { break };
        let Some(end) = after_lt.find('>') else { break };
        let target = &after_lt[..end];
        rest = &after_lt[end + 1..];
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            let Some(p) = rest.strip_prefix(';') else { break };
            rest = p.trim_start();
            let key_end = rest.find(['=', ';', ',']).unwrap_or(rest.len());
            let key = rest[..key_end].trim().to_string();
            rest = &rest[key_end..];
            let mut val = String::new();
            if let Some(v) = rest.strip_prefix('=') {
                let v = v.trim_start();
                if let Some(q) = v.strip_prefix('"') {
                    let mut chars = q.char_indices();
                    let mut close = q.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, e)) = chars.next() {
                                    val.push(e);
                                }
                            }
                            '"' => {
                                close = i + 1;
                                break;
                            }
                            c => val.push(c),
                        }
                    }
                    rest = &q[close.min(q.len())..];
                } else {
                    let e = v.find([';', ',']).unwrap_or(v.len());
                    val = v[..e].trim().to_string();
                    rest = &v[e..];
                }
            }
            params.push((key, val));
        }
        out.push((target, params));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okta_style_links() {
        let self_link = r#"<https://acme.okta.com/api/v1/groups?limit=200>; rel="self""#;
        let next = r#"<https://acme.okta.com/api/v1/groups?after=00g%2Fx%3D&limit=200>; rel="next""#;
        assert_eq!(
            next_link([self_link, next]).as_deref(),
            Some("https://acme.okta.com/api/v1/groups?after=00g%2Fx%3D&limit=200")
        );
        let combined = format!("{self_link}, {next}");
        assert_eq!(
            next_link([combined.as_str()]).as_deref(),
            Some("https://acme.okta.com/api/v1/groups?after=00g%2Fx%3D&limit=200")
        );
        assert_eq!(next_link([self_link]), None);
        assert_eq!(next_link(Vec::<&str>::new()), None);
    }

    #[test]
    fn unusual_but_valid_forms() {
        assert_eq!(next_link([r#"<https://a/x?a=1,2>; title="a, b"; rel=next"#]).as_deref(), Some("https://a/x?a=1,2"));
        assert_eq!(next_link([r#"<https://a/1>; rel="prev next""#]).as_deref(), Some("https://a/1"));
        assert_eq!(next_link([r#"<https://a/1>;REL="NEXT""#]).as_deref(), Some("https://a/1"));
        assert_eq!(next_link(["garbage", "<unterminated; rel=next"]), None);
    }
}

/// Properties of the `Link` parser (proptest). Each names the change that makes it fail.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// A page URL as Okta writes it, with the characters that trip naive parsers (`,` `;` `"` `=` `%`) in the
    /// cursor; never `>` or whitespace, which cannot appear inside `<…>` (RFC 8288 section 3).
    fn url() -> impl Strategy<Value = String> {
        (
            "[a-z0-9-]{1,12}",
            select(vec!["groups", "users", "devices", "groups/00g1/users"]),
            "[A-Za-z0-9%=,;\"'._~-]{0,24}",
            1u32..1000,
        )
            .prop_map(|(host, path, after, limit)| {
                format!("https://{host}.okta.com/api/v1/{path}?after={after}&limit={limit}")
            })
    }

    /// A link that is not `next`: `self`, `prev`, `first`, with a title holding commas, quotes and semicolons.
    fn other_link() -> impl Strategy<Value = String> {
        (
            url(),
            select(vec!["self", "prev", "first", "\"self\"", "\"prev first\""]),
            proptest::option::of("[a-z ,;]{0,10}"),
        )
            .prop_map(|(u, rel, title)| match title {
                Some(t) => format!("<{u}>; title=\"{}\"; rel={rel}", t.replace(['"', '\\'], "")),
                None => format!("<{u}>; rel={rel}"),
            })
    }

    /// `rel=next` as servers write it: quoted or not, any case, alone or among other relation types.
    fn next_rel() -> impl Strategy<Value = String> {
        select(vec![
            "rel=\"next\"",
            "rel=next",
            "REL=\"NEXT\"",
            "rel=\"prev next\"",
            "rel = \"next\"",
            "rel=\"next last\"",
        ])
        .prop_map(str::to_string)
    }

    proptest! {
        /// Fails if the target were re-encoded or cut at a `,` `;` or `"`, if a `self`/`prev` link before it (in
        /// the same header value or an earlier one) were taken, or if the relation were matched case-sensitively.
        #[test]
        fn a_generated_next_link_comes_back_unchanged(target in url(), rel in next_rel(),
            before in proptest::collection::vec(other_link(), 0..3), after in proptest::collection::vec(other_link(), 0..2),
            one_value in any::<bool>(), space in "[ ]{0,2}") {
            let next = format!("<{target}>;{space}{rel}");
            let links: Vec<String> = before.into_iter().chain(std::iter::once(next)).chain(after).collect();
            let found = if one_value {
                next_link([links.join(&format!(",{space}")).as_str()])
            } else {
                next_link(links.iter().map(String::as_str))
            };
            prop_assert_eq!(found, Some(target));
        }

        /// Fails if a page without a `next` link (the last page) produced one.
        #[test]
        fn without_next_there_is_no_next_link(links in proptest::collection::vec(other_link(), 0..4)) {
            prop_assert_eq!(next_link(links.iter().map(String::as_str)), None);
        }

        /// Fails on a panic (slicing inside a multi-byte character, an unterminated quote or `<`), or if the
        /// link returned were not text of the input.
        #[test]
        fn never_panics_and_returns_only_input_text(values in proptest::collection::vec(
            prop_oneof![any::<String>(), "[<>;,=\" \\\\a-z\u{e9}\u{1F600}]{0,40}"], 0..3)) {
            if let Some(next) = next_link(values.iter().map(String::as_str)) {
                prop_assert!(values.iter().any(|v| v.contains(&next)), "{:?}", next);
            }
        }
    }
}
