//! Lambda's event-filtering pattern language, as the template's `FilterCriteria` uses it: exact values,
//! `prefix`, `anything-but`, `exists` and `numeric`, nested objects and arrays in the record; anything else is
//! refused when the pattern is parsed rather than silently matching.

use anyhow::{anyhow, bail, Context};
use serde_json::Value;

/// A node of a parsed pattern: an object whose keys must all match, or a leaf list of alternatives.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Object(Vec<(String, Node)>),
    Leaf(Vec<Matcher>),
}

/// One alternative of a leaf.
#[derive(Debug, Clone, PartialEq)]
enum Matcher {
    /// A string, number, boolean or null, compared for equality (numbers by value).
    Exact(Value),
    Prefix(String),
    AnythingBut(Vec<Value>),
    AnythingButPrefix(String),
    Exists(bool),
    Numeric(Vec<(Cmp, f64)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

/// One parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Node);

impl Pattern {
    /// Parses and validates a pattern: an object whose values are objects (recursing into the record) or
    /// non-empty arrays of alternatives: strings, numbers, booleans, null, `{"prefix": "…"}`,
    /// `{"anything-but": value | [values] | {"prefix": "…"}}`, `{"exists": bool}`,
    /// `{"numeric": [op, n(, op, n)]}` with op one of `<`, `<=`, `=`, `>=`, `>`. Anything else (`suffix`,
    /// `equals-ignore-case`, `wildcard`, `cidr`, `$or`, …) is an error rather than a silent match.
    pub fn parse(pattern: &Value) -> anyhow::Result<Pattern> {
        match pattern {
            Value::Object(_) => Ok(Pattern(parse_node(pattern, "")?)),
            other => bail!("a filter pattern must be a JSON object, not {other}"),
        }
    }

    /// Whether `event_record` (one record of the Lambda event, as JSON) matches.
    pub fn matches(&self, event_record: &Value) -> bool {
        node_matches(&self.0, Some(event_record))
    }
}

/// Parsed `FilterCriteria.Filters`: a record passes when any pattern matches; no patterns pass everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    patterns: Vec<Pattern>,
}

impl Filters {
    /// Whether the record passes (any pattern matches, or there are none).
    pub fn matches(&self, event_record: &Value) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(event_record))
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// No patterns: everything passes.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Parses and validates filter patterns once (see [`Pattern::parse`]); the error names the filter's index.
pub fn parse_filters(patterns: &[Value]) -> anyhow::Result<Filters> {
    let patterns = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| Pattern::parse(p).with_context(|| format!("Filters[{i}]")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Filters { patterns })
}

/// Whether `event_record` matches `pattern` with Lambda's event-filtering semantics. A pattern that does not
/// parse ([`Pattern::parse`]) matches nothing; validate patterns up front with [`parse_filters`].
pub fn pattern_matches(pattern: &Value, event_record: &Value) -> bool {
    match Pattern::parse(pattern) {
        Ok(p) => p.matches(event_record),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "invalid filter pattern matches nothing");
            false
        }
    }
}

fn parse_node(v: &Value, path: &str) -> anyhow::Result<Node> {
    match v {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (k, child) in map {
                let child_path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if k.starts_with('$') {
                    bail!("{child_path}: the operator {k} is not supported");
                }
                fields.push((k.clone(), parse_node(child, &child_path)?));
            }
            Ok(Node::Object(fields))
        }
        Value::Array(alternatives) => {
            if alternatives.is_empty() {
                bail!("{path}: an empty list of alternatives matches nothing");
            }
            Ok(Node::Leaf(alternatives.iter().map(|a| parse_matcher(a, path)).collect::<anyhow::Result<_>>()?))
        }
        other => bail!("{path}: a pattern value must be an object or a list of alternatives, not {other}"),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn parse_matcher(v: &Value, path: &str) -> anyhow::Result<Matcher> {
    let obj = match v {
        Value::Array(_) => bail!("{path}: nested lists are not a valid alternative"),
        Value::Object(obj) => obj,
        scalar => return Ok(Matcher::Exact(scalar.clone())),
    };
    if obj.len() != 1 {
        bail!("{path}: an operator object must have exactly one key, not {v}");
    }
    let (op, arg) = obj.iter().next().expect("one key");
    match (op.as_str(), arg) {
        ("prefix", Value::String(s)) => Ok(Matcher::Prefix(s.clone())),
        ("prefix", other) => bail!("{path}: prefix {other} is not supported (only a string)"),
        ("anything-but", Value::Array(list)) if !list.is_empty() && list.iter().all(is_scalar) => {
            Ok(Matcher::AnythingBut(list.clone()))
        }
        ("anything-but", Value::Object(inner)) => match inner.get("prefix") {
            Some(Value::String(s)) if inner.len() == 1 => Ok(Matcher::AnythingButPrefix(s.clone())),
            _ => bail!("{path}: anything-but {arg} is not supported (only a value, a list or {{\"prefix\": …}})"),
        },
        ("anything-but", scalar) if is_scalar(scalar) => Ok(Matcher::AnythingBut(vec![scalar.clone()])),
        ("anything-but", other) => bail!("{path}: anything-but {other} is not supported"),
        ("exists", Value::Bool(b)) => Ok(Matcher::Exists(*b)),
        ("exists", other) => bail!("{path}: exists takes true or false, not {other}"),
        ("numeric", Value::Array(items)) => {
            if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
                bail!("{path}: numeric takes one or two [operator, number] pairs, not {arg}");
            }
            let mut cmps = Vec::new();
            for pair in items.chunks(2) {
                let cmp = match pair[0].as_str() {
                    Some("<") => Cmp::Lt,
                    Some("<=") => Cmp::Le,
                    Some("=") => Cmp::Eq,
                    Some(">=") => Cmp::Ge,
                    Some(">") => Cmp::Gt,
                    _ => bail!("{path}: numeric operator {} is not one of <, <=, =, >=, >", pair[0]),
                };
                let n =
                    pair[1].as_f64().ok_or_else(|| anyhow!("{path}: numeric operand {} is not a number", pair[1]))?;
                cmps.push((cmp, n));
            }
            Ok(Matcher::Numeric(cmps))
        }
        ("numeric", other) => bail!("{path}: numeric takes a list, not {other}"),
        (op, _) => bail!("{path}: the filter operator {op:?} is not supported"),
    }
}

fn node_matches(node: &Node, value: Option<&Value>) -> bool {
    match node {
        Node::Leaf(alternatives) => alternatives.iter().any(|m| matcher_matches(m, value)),
        Node::Object(fields) => {
            if let Some(Value::Array(items)) = value {
                return items.iter().any(|item| node_matches(node, Some(item)));
            }
            let obj = value.and_then(Value::as_object);
            fields.iter().all(|(k, child)| node_matches(child, obj.and_then(|o| o.get(k))))
        }
    }
}

/// `exists` applies to leaves only: an object (an intermediate node) does not "exist" as a leaf.
fn leaf_exists(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Object(_)) => false,
        Some(Value::Array(items)) => items.iter().any(|i| !matches!(i, Value::Object(_))),
        Some(_) => true,
    }
}

fn matcher_matches(m: &Matcher, value: Option<&Value>) -> bool {
    match (m, value) {
        (Matcher::Exists(want), v) => leaf_exists(v) == *want,
        (_, None) => false,
        (_, Some(Value::Array(items))) => items.iter().any(|i| scalar_matches(m, i)),
        (_, Some(v)) => scalar_matches(m, v),
    }
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn scalar_matches(m: &Matcher, v: &Value) -> bool {
    if !is_scalar(v) {
        return false;
    }
    match m {
        Matcher::Exact(p) => json_eq(p, v),
        Matcher::Prefix(p) => v.as_str().is_some_and(|s| s.starts_with(p.as_str())),
        Matcher::AnythingBut(list) => !list.iter().any(|p| json_eq(p, v)),
        Matcher::AnythingButPrefix(p) => v.as_str().is_some_and(|s| !s.starts_with(p.as_str())),
        Matcher::Numeric(cmps) => v.as_f64().is_some_and(|x| {
            cmps.iter().all(|(c, n)| match c {
                Cmp::Lt => x < *n,
                Cmp::Le => x <= *n,
                Cmp::Eq => x == *n,
                Cmp::Ge => x >= *n,
                Cmp::Gt => x > *n,
            })
        }),
        Matcher::Exists(_) => unreachable!("handled by matcher_matches"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{default_path, Template};
    use serde_json::json;

    fn p(v: Value) -> Pattern {
        Pattern::parse(&v).unwrap_or_else(|e| panic!("{v}: {e:#}"))
    }

    fn m(pattern: Value, record: Value) -> bool {
        p(pattern).matches(&record)
    }

    #[test]
    fn exact_values() {
        let r = json!({"a": "x", "n": 5, "b": true, "z": null, "o": {"s": "y"}});
        assert!(m(json!({"a": ["x"]}), r.clone()));
        assert!(m(json!({"a": ["w", "x"]}), r.clone()));
        assert!(!m(json!({"a": ["w"]}), r.clone()));
        assert!(m(json!({"n": [5]}), r.clone()));
        assert!(m(json!({"n": [5.0]}), r.clone()));
        assert!(!m(json!({"n": ["5"]}), r.clone()), "a string does not equal a number");
        assert!(m(json!({"b": [true]}), r.clone()));
        assert!(!m(json!({"b": [false]}), r.clone()));
        assert!(!m(json!({"b": ["true"]}), r.clone()));
        assert!(m(json!({"z": [null]}), r.clone()));
        assert!(!m(json!({"missing": [null]}), r.clone()), "null does not match a missing key");
        assert!(m(json!({"o": {"s": ["y"]}}), r.clone()));
        assert!(!m(json!({"o": ["y"]}), r.clone()), "an object is not a leaf value");
        assert!(!m(json!({"a": {"s": ["x"]}}), r.clone()), "a string has no keys");
        assert!(m(json!({"a": ["x"], "n": [5]}), r.clone()), "all keys must match");
        assert!(!m(json!({"a": ["x"], "n": [6]}), r.clone()));
        assert!(m(json!({}), r), "an empty pattern matches everything");
    }

    #[test]
    fn prefix_and_anything_but() {
        let r = json!({"sk": "DEVICE#1", "n": 3});
        assert!(m(json!({"sk": [{"prefix": "DEVICE#"}]}), r.clone()));
        assert!(m(json!({"sk": [{"prefix": ""}]}), r.clone()));
        assert!(!m(json!({"sk": [{"prefix": "device#"}]}), r.clone()));
        assert!(!m(json!({"n": [{"prefix": "3"}]}), r.clone()), "prefix applies to strings");
        assert!(!m(json!({"x": [{"prefix": ""}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": "ORG#x"}]}), r.clone()));
        assert!(!m(json!({"sk": [{"anything-but": "DEVICE#1"}]}), r.clone()));
        assert!(!m(json!({"sk": [{"anything-but": ["A", "DEVICE#1"]}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": ["A", "B"]}]}), r.clone()));
        assert!(!m(json!({"n": [{"anything-but": [3]}]}), r.clone()));
        assert!(m(json!({"n": [{"anything-but": [4]}]}), r.clone()));
        assert!(!m(json!({"x": [{"anything-but": "A"}]}), r.clone()), "anything-but needs a value");
        assert!(!m(json!({"sk": [{"anything-but": {"prefix": "DEVICE#"}}]}), r.clone()));
        assert!(m(json!({"sk": [{"anything-but": {"prefix": "ORG#"}}]}), r.clone()));
        assert!(m(json!({"sk": [{"prefix": "ORG#"}, "DEVICE#1"]}), r), "alternatives are OR'ed");
    }

    #[test]
    fn exists_and_numeric() {
        let r = json!({"a": "x", "z": null, "o": {"s": "y"}, "l": [1, 2], "e": [], "n": 10});
        assert!(m(json!({"a": [{"exists": true}]}), r.clone()));
        assert!(!m(json!({"a": [{"exists": false}]}), r.clone()));
        assert!(m(json!({"q": [{"exists": false}]}), r.clone()));
        assert!(!m(json!({"q": [{"exists": true}]}), r.clone()));
        assert!(m(json!({"z": [{"exists": true}]}), r.clone()), "null is a present leaf");
        assert!(!m(json!({"o": [{"exists": true}]}), r.clone()), "exists applies to leaves only");
        assert!(m(json!({"o": {"q": [{"exists": false}]}}), r.clone()));
        assert!(m(json!({"nope": {"q": [{"exists": false}]}}), r.clone()));
        assert!(m(json!({"l": [{"exists": true}]}), r.clone()));
        assert!(!m(json!({"e": [{"exists": true}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": [">", 5]}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": [">=", 10, "<", 11]}]}), r.clone()));
        assert!(!m(json!({"n": [{"numeric": [">", 10]}]}), r.clone()));
        assert!(m(json!({"n": [{"numeric": ["=", 10]}]}), r.clone()));
        assert!(!m(json!({"a": [{"numeric": ["=", 10]}]}), r.clone()));
        assert!(m(json!({"l": [{"numeric": ["<=", 1]}]}), r), "any array element");
    }

    #[test]
    fn arrays_in_records() {
        let r = json!({"tags": ["a", "b"], "items": [{"k": "x"}, {"k": "y"}]});
        assert!(m(json!({"tags": ["b"]}), r.clone()));
        assert!(!m(json!({"tags": ["c"]}), r.clone()));
        assert!(m(json!({"tags": [{"prefix": "a"}]}), r.clone()));
        assert!(m(json!({"tags": [{"anything-but": "a"}]}), r.clone()), "some element is not a");
        assert!(m(json!({"items": {"k": ["y"]}}), r.clone()));
        assert!(!m(json!({"items": {"k": ["z"]}}), r));
    }

    #[test]
    fn unsupported_operators_are_errors() {
        for bad in [
            json!({"a": [{"suffix": "x"}]}),
            json!({"a": [{"equals-ignore-case": "x"}]}),
            json!({"a": [{"wildcard": "x*"}]}),
            json!({"a": [{"cidr": "10.0.0.0/8"}]}),
            json!({"a": [{"prefix": {"equals-ignore-case": "x"}}]}),
            json!({"a": [{"anything-but": {"suffix": "x"}}]}),
            json!({"a": [{"anything-but": []}]}),
            json!({"a": [{"exists": "yes"}]}),
            json!({"a": [{"numeric": [">"]}]}),
            json!({"a": [{"numeric": ["!=", 1]}]}),
            json!({"a": [{"numeric": [">", "1"]}]}),
            json!({"a": [{"prefix": "x", "suffix": "y"}]}),
            json!({"a": []}),
            json!({"a": "x"}),
            json!({"a": [["x"]]}),
            json!({"$or": [{"a": ["x"]}]}),
            json!(["x"]),
        ] {
            assert!(Pattern::parse(&bad).is_err(), "{bad} should not parse");
            assert!(!pattern_matches(&bad, &json!({"a": "x"})), "{bad} matches nothing");
        }
        let e = parse_filters(&[json!({"a": ["x"]}), json!({"dynamodb": {"Keys": [{"suffix": "x"}]}})]).unwrap_err();
        let msg = format!("{e:#}");
        assert!(msg.contains("Filters[1]") && msg.contains("dynamodb.Keys") && msg.contains("suffix"), "{msg}");
    }

    /// A Lambda event record of an item with `pk = T#t`, `sk`, and the given images (attribute maps).
    fn rec(event_name: &str, sk: &str, new: Option<Value>, old: Option<Value>) -> Value {
        let mut d = json!({
            "Keys": {"pk": {"S": "T#t"}, "sk": {"S": sk}},
            "SequenceNumber": "100",
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        let image = |extra: Value| {
            let mut img = json!({"pk": {"S": "T#t"}, "sk": {"S": sk}});
            for (k, v) in extra.as_object().unwrap() {
                img[k] = v.clone();
            }
            img
        };
        if let Some(n) = new {
            d["NewImage"] = image(n);
        }
        if let Some(o) = old {
            d["OldImage"] = image(o);
        }
        json!({"eventID": "1", "eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": d})
    }

    /// The consumer of `function` in the real template.
    fn consumer(function: &str) -> crate::template::StreamConsumer {
        let all = Template::load(&default_path()).unwrap().stream_consumers().unwrap();
        all.into_iter().find(|c| c.function == function).unwrap()
    }

    #[test]
    fn the_hook_consumers_filter_passes_only_new_inbox_records() {
        let f = parse_filters(&consumer("FleetSyncHookFunction").filters).unwrap();
        let events = json!({"events": {"L": []}});
        let cases = [
            (rec("INSERT", "HOOKINBOX#0123#0", Some(events.clone()), None), true),
            (rec("REMOVE", "HOOKINBOX#0123#0", None, Some(events.clone())), false),
            (rec("MODIFY", "HOOKINBOX#0123#0", Some(events.clone()), Some(events.clone())), false),
            (rec("INSERT", "HOOKEVENT#u1", Some(json!({})), None), false),
            (rec("INSERT", "HOOK", Some(json!({})), None), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"in_scope": {"BOOL": true}})), None), false),
        ];
        for (record, want) in cases {
            assert_eq!(f.matches(&record), want, "{record}");
        }
    }

    #[test]
    fn the_templates_filters() {
        let f = parse_filters(&consumer("DeployTriggerStreamFunction").filters).unwrap();
        assert_eq!(f.len(), 4);
        let yes = json!({"in_scope": {"BOOL": true}});
        let no = json!({"in_scope": {"BOOL": false}});
        let cases = [
            (rec("INSERT", "DEVICE#1", Some(yes.clone()), None), true),
            (rec("INSERT", "DEVICE#1", Some(no.clone()), None), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"name": {"S": "x"}})), None), false),
            (rec("MODIFY", "DEVICE#1", Some(yes.clone()), Some(yes.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(no.clone()), Some(yes.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(yes.clone()), Some(no.clone())), true),
            (rec("MODIFY", "DEVICE#1", Some(no.clone()), Some(no.clone())), false),
            (rec("REMOVE", "DEVICE#1", None, Some(yes.clone())), true),
            (rec("REMOVE", "DEVICE#1", None, Some(no.clone())), false),
            (rec("INSERT", "DEVICE#1", Some(json!({"in_scope": {"S": "true"}})), None), false),
            (rec("INSERT", "PLATFORM#ios", Some(json!({"enabled": {"BOOL": true}})), None), true),
            (rec("MODIFY", "PLATFORM#ios", Some(json!({})), Some(json!({}))), true),
            (rec("REMOVE", "PLATFORM#ios", None, Some(json!({}))), true),
            (rec("INSERT", "OKTAVERIFY#android", Some(json!({})), None), true),
            (rec("INSERT", "DEVICETRUST", Some(json!({"status": {"S": "active"}})), None), true),
            (rec("REMOVE", "DEVICETRUST", None, Some(json!({}))), true),
            (rec("INSERT", "DEVICETRUSTX", Some(json!({})), None), false),
            (rec("INSERT", "ORG#x", Some(yes.clone()), None), false),
            (rec("MODIFY", "ORG#x", Some(yes.clone()), Some(yes.clone())), false),
            (rec("INSERT", "FLEET", Some(json!({})), None), false),
            (rec("INSERT", "XDEVICE#1", Some(yes.clone()), None), false),
            (rec("INSERT", "HOOKINBOX#0123#0", Some(json!({})), None), false),
            // Case C27: evidence of a deleted Okta device record, and no other evidence.
            (rec("MODIFY", "EVIDENCE#1", Some(json!({"okta_record_lost": {"S": "guo1"}})), Some(json!({}))), true),
            (rec("INSERT", "EVIDENCE#1", Some(json!({"managed_before": {"BOOL": true}})), None), false),
            (rec("MODIFY", "EVIDENCE#1", Some(json!({"okta_record_lost": {"NULL": true}})), Some(json!({}))), false),
        ];
        for (record, want) in cases {
            assert_eq!(f.matches(&record), want, "{record}");
        }
        assert!(Filters::default().matches(&json!({"anything": 1})), "no filters pass everything");
        assert!(parse_filters(&[]).unwrap().is_empty());
    }
}
