//! A validator for configuration profiles that reads Apple's own schema files (apple/device-management,
//! `tests/fixtures/apple-profiles/`): every key known, type right, required keys present, values within
//! `rangelist`, `repetition` bounds kept, no key Apple marks `n/a` on macOS; `PayloadContent` items validated by
//! their `PayloadType`'s schema plus `CommonPayloadKeys`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One key of a schema file.
#[derive(Debug, Deserialize, Clone)]
pub struct KeySpec {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub presence: Option<String>,
    #[serde(default)]
    pub rangelist: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    pub subkeys: Vec<KeySpec>,
    #[serde(default)]
    pub repetition: Option<Repetition>,
    #[serde(rename = "supportedOS", default)]
    pub supported_os: Option<BTreeMap<String, serde_yaml::Value>>,
}

/// How many times an array item may repeat.
#[derive(Debug, Deserialize, Clone)]
pub struct Repetition {
    pub min: Option<usize>,
    pub max: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct PayloadHeader {
    payloadtype: String,
}

#[derive(Debug, Deserialize)]
struct SchemaFile {
    payload: PayloadHeader,
    payloadkeys: Vec<KeySpec>,
}

/// Apple's schemas, by payload type (`TopLevel`, `CommonPayloadKeys`, `com.apple.security.scep`, ...).
pub struct Schemas(BTreeMap<String, Vec<KeySpec>>);

/// The fixture folder of Apple's schema files.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/apple-profiles")
}

impl Schemas {
    /// Reads every `*.yaml` of the fixture folder.
    pub fn load() -> Schemas {
        let mut map = BTreeMap::new();
        for entry in std::fs::read_dir(dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let file: SchemaFile = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                map.insert(file.payload.payloadtype, file.payloadkeys);
            }
        }
        Schemas(map)
    }

    /// The keys of a payload of type `t`: its own, then the common ones it does not redefine.
    fn payload_keys(&self, t: &str) -> Option<Vec<KeySpec>> {
        let own = self.0.get(t)?.clone();
        let mut keys = own.clone();
        for common in &self.0["CommonPayloadKeys"] {
            if !own.iter().any(|k| k.key == common.key) {
                keys.push(common.clone());
            }
        }
        Some(keys)
    }

    /// Every violation of Apple's schema in the macOS profile `doc` (an XML plist), as `path: reason`.
    pub fn validate_macos_profile(&self, doc: &str) -> Vec<String> {
        let mut errors = Vec::new();
        let value = match plist::Value::from_reader_xml(doc.as_bytes()) {
            Ok(v) => v,
            Err(e) => return vec![format!("not a property list: {e}")],
        };
        let Some(top) = value.as_dictionary() else { return vec!["the profile is not a dictionary".into()] };
        let top_keys: Vec<KeySpec> = self.0["TopLevel"].clone();
        // PayloadContent's items are payloads: checked below by their own type.
        check_dict(top, &top_keys, "", &mut errors, &["PayloadContent"]);
        match top.get("PayloadContent").and_then(plist::Value::as_array) {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("PayloadContent[{i}]");
                    let Some(d) = item.as_dictionary() else {
                        errors.push(format!("{path}: not a dictionary"));
                        continue;
                    };
                    let t = d.get("PayloadType").and_then(plist::Value::as_string).unwrap_or_default();
                    match self.payload_keys(t) {
                        Some(keys) => check_dict(d, &keys, &path, &mut errors, &[]),
                        None => errors.push(format!("{path}: PayloadType {t:?} has no schema")),
                    }
                }
            }
            None => errors.push("PayloadContent: missing or not an array".into()),
        }
        errors
    }
}

/// The schema's name for the type of `v`.
fn type_of(v: &plist::Value) -> &'static str {
    match v {
        plist::Value::String(_) => "<string>",
        plist::Value::Integer(_) => "<integer>",
        plist::Value::Real(_) => "<real>",
        plist::Value::Boolean(_) => "<boolean>",
        plist::Value::Data(_) => "<data>",
        plist::Value::Date(_) => "<date>",
        plist::Value::Array(_) => "<array>",
        plist::Value::Dictionary(_) => "<dictionary>",
        _ => "<unknown>",
    }
}

/// Whether Apple marks the key unavailable on macOS (`supportedOS: macOS: introduced: n/a`).
fn not_on_macos(spec: &KeySpec) -> bool {
    spec.supported_os
        .as_ref()
        .and_then(|os| os.get("macOS"))
        .and_then(|m| m.get("introduced"))
        .and_then(serde_yaml::Value::as_str)
        .is_some_and(|v| v == "n/a")
}

/// Checks `d` against `keys`; keys named in `skip_values` are checked for presence and type only.
fn check_dict(d: &plist::Dictionary, keys: &[KeySpec], path: &str, errors: &mut Vec<String>, skip_values: &[&str]) {
    let at = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    // A dictionary whose only subkey is ANY takes any keys.
    if keys.len() == 1 && keys[0].key == "ANY" {
        return;
    }
    for (k, v) in d {
        match keys.iter().find(|s| s.key == *k) {
            None => errors.push(format!("{}: not a key of Apple's schema", at(k))),
            Some(spec) => {
                if not_on_macos(spec) {
                    errors.push(format!("{}: Apple marks it unavailable on macOS", at(k)));
                }
                if skip_values.contains(&k.as_str()) {
                    if type_of(v) != spec.kind {
                        errors.push(format!("{}: {} where Apple's schema says {}", at(k), type_of(v), spec.kind));
                    }
                } else {
                    check_value(v, spec, &at(k), errors);
                }
            }
        }
    }
    for spec in keys.iter().filter(|s| s.presence.as_deref() == Some("required") && s.key != "ANY") {
        if !d.contains_key(&spec.key) {
            errors.push(format!("{}: required by Apple's schema, missing", at(&spec.key)));
        }
    }
}

/// Checks one value against its key's spec: type, `rangelist`, and (arrays, dictionaries) its contents.
fn check_value(v: &plist::Value, spec: &KeySpec, path: &str, errors: &mut Vec<String>) {
    if spec.kind == "<any>" {
        return;
    }
    if type_of(v) != spec.kind {
        errors.push(format!("{path}: {} where Apple's schema says {}", type_of(v), spec.kind));
        return;
    }
    if let Some(range) = &spec.rangelist {
        let ok = range.iter().any(|r| match (v, r) {
            (plist::Value::String(s), serde_yaml::Value::String(r)) => s == r,
            (plist::Value::Integer(i), serde_yaml::Value::Number(n)) => i.as_signed() == n.as_i64(),
            (plist::Value::Boolean(b), serde_yaml::Value::Bool(r)) => b == r,
            _ => false,
        });
        if !ok {
            errors.push(format!("{path}: {v:?} is not in Apple's rangelist {range:?}"));
        }
    }
    match v {
        plist::Value::Dictionary(d) if !spec.subkeys.is_empty() => check_dict(d, &spec.subkeys, path, errors, &[]),
        plist::Value::Array(items) => {
            if let Some(item_spec) = spec.subkeys.first() {
                if let Some(rep) = &item_spec.repetition {
                    if rep.min.is_some_and(|m| items.len() < m) || rep.max.is_some_and(|m| items.len() > m) {
                        errors.push(format!("{path}: {} items, Apple's schema allows {rep:?}", items.len()));
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    check_value(item, item_spec, &format!("{path}[{i}]"), errors);
                }
            }
        }
        _ => {}
    }
}
