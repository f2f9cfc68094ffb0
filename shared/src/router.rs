//! A function's routes in one table: each entry a method, a path pattern and the operation it names. The table is
//! the only list of paths: [`resolve`] finds the operation and its path parameters, each checked as sent
//! ([`crate::as_sent::path_param`]), and answers 405 for a known path with another method and 404 (as API Gateway
//! does) for an unknown one.

use crate::ApiError;
use http::Method;

/// One route: `method`, the path's segments (`"{name}"` matches any one segment, the path parameter `name`, handed
/// to the operation), and the operation `T` (a function's own enum of its operations).
pub type Route<T> = (Method, &'static [&'static str], T);

/// The operation for `method` on `path` and the values of its `{name}` segments, in order, each a path parameter
/// as sent. Errors: 400 `invalid_field` naming the parameter when one is encoded or not an id
/// ([`crate::as_sent::path_param`]); 405 `method_not_allowed` when another method serves the path; 404 `not_found`
/// when no route does.
pub fn resolve<'p, T: Copy>(
    table: &[Route<T>],
    method: &Method,
    path: &[&'p str],
) -> Result<(T, Vec<&'p str>), ApiError> {
    let mut path_known = false;
    for (m, pattern, op) in table {
        let Some(params) = matches(pattern, path) else { continue };
        if m == method {
            let names = pattern.iter().filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')));
            for (name, value) in names.zip(&params) {
                crate::as_sent::path_param(name, value)?;
            }
            return Ok((*op, params));
        }
        path_known = true;
    }
    if path_known {
        Err(ApiError::new(
            http::StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed on this route",
        ))
    } else {
        Err(ApiError::not_found("route"))
    }
}

fn matches<'p>(pattern: &[&str], path: &[&'p str]) -> Option<Vec<&'p str>> {
    if pattern.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (want, got) in pattern.iter().zip(path) {
        match *want {
            w if w.starts_with('{') => params.push(*got),
            w if w == *got => {}
            _ => return None,
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Op {
        List,
        Get,
        Rotate,
    }

    const TABLE: &[Route<Op>] = &[
        (Method::GET, &["orgs"], Op::List),
        (Method::GET, &["orgs", "{orgId}"], Op::Get),
        (Method::PUT, &["orgs", "{orgId}", "credentials"], Op::Rotate),
    ];

    #[test]
    fn finds_the_operation_and_its_parameters() {
        assert_eq!(resolve(TABLE, &Method::GET, &["orgs"]).unwrap(), (Op::List, vec![]));
        assert_eq!(resolve(TABLE, &Method::PUT, &["orgs", "o1", "credentials"]).unwrap(), (Op::Rotate, vec!["o1"]));
    }

    /// Fails if a path parameter reached an operation encoded or not as an id, or the 400 did not name it.
    #[test]
    fn path_parameters_are_checked_as_sent_and_named() {
        for raw in ["o%31", "a%2Fb", "%2E%2E", "..", "o%25%31"] {
            let e = resolve(TABLE, &Method::PUT, &["orgs", raw, "credentials"]).unwrap_err();
            assert_eq!((e.status.as_u16(), e.field.as_deref()), (400, Some("orgId")), "{raw}");
        }
        assert_eq!(resolve(TABLE, &Method::DELETE, &["orgs", "o%31"]).unwrap_err().status.as_u16(), 405);
    }

    #[test]
    fn a_known_path_with_another_method_is_405_and_an_unknown_one_404() {
        assert_eq!(resolve(TABLE, &Method::DELETE, &["orgs"]).unwrap_err().status.as_u16(), 405);
        assert_eq!(resolve(TABLE, &Method::GET, &["orgs", "o1", "groups"]).unwrap_err().status.as_u16(), 404);
        assert_eq!(resolve(TABLE, &Method::GET, &[]).unwrap_err().status.as_u16(), 404);
    }
}
