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
