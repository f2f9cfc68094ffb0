//! Okta's discriminated `oneOf`s made explicit for Prism. Okta's spec lists, for example, every policy rule type
//! as a `oneOf` with a `discriminator` on `type` (`ACCESS_POLICY` → `AccessPolicyRule`, …). The alternatives
//! share one base schema and allow extra members, so an access policy rule Okta answers is valid against several
//! of them; `oneOf` then fails (it needs exactly one), because Prism's validator ignores `discriminator`. Here each
//! alternative a discriminator maps a value to also requires that value of the discriminator's property:
//! exactly what the discriminator says, in plain JSON Schema. Alternatives, schemas and mappings are otherwise
//! kept as published.

use serde_yaml::{Mapping, Value};

/// Rewrites every `oneOf` that has a `discriminator` with a `mapping` (see the module doc); returns how many.
pub fn explicit_discriminators(v: &mut Value) -> usize {
    let mut rewritten = 0;
    match v {
        Value::Mapping(m) => {
            if let Some(values_by_ref) = mapped_values(m) {
                let prop = m["discriminator"]["propertyName"].clone();
                if let Some(Value::Sequence(alternatives)) = m.get_mut("oneOf") {
                    for alt in alternatives.iter_mut() {
                        let Some(values) = alt["$ref"].as_str().and_then(|r| values_by_ref.get(r)) else { continue };
                        *alt = pinned(alt.clone(), &prop, values);
                    }
                    rewritten += 1;
                }
            }
            for (_, child) in m.iter_mut() {
                rewritten += explicit_discriminators(child);
            }
        }
        Value::Sequence(s) => {
            for child in s {
                rewritten += explicit_discriminators(child);
            }
        }
        _ => {}
    }
    rewritten
}

/// For a schema with `oneOf` and `discriminator.mapping`: each mapped `$ref` with the values that map to it.
fn mapped_values(m: &Mapping) -> Option<std::collections::HashMap<String, Vec<Value>>> {
    m.get("oneOf")?;
    let mapping = m.get("discriminator")?.get("mapping")?.as_mapping()?;
    m.get("discriminator")?.get("propertyName")?.as_str()?;
    let mut out: std::collections::HashMap<String, Vec<Value>> = std::collections::HashMap::new();
    for (value, target) in mapping {
        if let Some(r) = target.as_str() {
            out.entry(r.to_string()).or_default().push(value.clone());
        }
    }
    Some(out)
}

/// `alt` that also requires `prop` to be one of `values`.
fn pinned(alt: Value, prop: &Value, values: &[Value]) -> Value {
    let mut props = Mapping::new();
    props.insert(prop.clone(), Value::Mapping(Mapping::from_iter([("enum".into(), Value::Sequence(values.to_vec()))])));
    let pin = Mapping::from_iter([
        ("properties".into(), Value::Mapping(props)),
        ("required".into(), Value::Sequence(vec![prop.clone()])),
    ]);
    Value::Mapping(Mapping::from_iter([("allOf".into(), Value::Sequence(vec![alt, Value::Mapping(pin)]))]))
}
