//! The wire room's answers: Hexnode's JSON as the client reads it. Every field is optional and read leniently (a
//! number or a string, surrounding space trimmed); the mapping room (`mapping.rs`) turns these into the domain
//! types, and what is required is checked there. The request bodies are in `bodies.rs`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One page of a Hexnode list.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    #[serde(default)]
    pub(super) next: Option<String>,
    pub(super) results: Vec<T>,
}

/// A device as `GET devices/` lists it; only the fields the product reads.
#[derive(Deserialize)]
pub(super) struct HxDevice {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) device_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) model_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) os_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) os_version: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) serial_number: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) udid: Option<String>,
    #[serde(default, deserialize_with = "user_ref")]
    pub(super) user: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) android_enrollment_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) enrollment_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) device_ownership_type: Option<String>,
}

/// A user as `GET users/` lists it.
#[derive(Deserialize)]
pub(super) struct HxUser {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) email: Option<String>,
}

/// A device group as `GET devicegroups/` lists it.
#[derive(Deserialize)]
pub(super) struct HxGroup {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) groupname: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) name: Option<String>,
}

/// `GET devicegroups/{id}/`: only the member list is read.
#[derive(Deserialize)]
pub(super) struct HxGroupDetail {
    #[serde(default)]
    pub(super) devices: Option<Vec<HxMember>>,
}

/// A member in a group's `devices` list.
#[derive(Deserialize)]
pub(super) struct HxMember {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
}

/// An app as `GET applications/` lists it (and `POST applications/` answers). UNVERIFIED: every field but `id`
/// and `name` (see `apps` in `calls.rs`).
#[derive(Deserialize)]
pub(super) struct HxApp {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) name: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) platform: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) app_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) bundle_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) version: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) category: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) description: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) success_criteria: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) uninstall_parameters: Option<String>,
}

/// A policy as `GET policy/` lists it (and `POST policy/` answers): only `id` and `name` are read.
#[derive(Deserialize)]
pub(super) struct HxPolicyRef {
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub(super) name: Option<String>,
}

/// The ids of a refused membership change: the list after `Invalid device id(s):` in the `detail` of a JSON
/// answer (`{"detail": "Invalid device id(s): 77, \"abc\""}`), each as text with JSON quotes stripped; `None` for any
/// other answer or an empty list. The list is read as JSON values when it is one (so a quoted id may hold a
/// comma), else split on commas.
pub fn invalid_device_ids(body: &[u8]) -> Option<Vec<String>> {
    const MARK: &str = "invalid device id(s):";
    let v: Value = serde_json::from_slice(body).ok()?;
    let detail = v.get("detail")?.as_str()?.trim();
    let head = detail.get(..MARK.len())?;
    if !head.eq_ignore_ascii_case(MARK) {
        return None;
    }
    let rest = detail[MARK.len()..].trim().trim_end_matches('.');
    let ids: Vec<String> = match serde_json::from_str::<Vec<Value>>(&format!("[{rest}]")) {
        Ok(values) => values.iter().filter_map(text_of).collect(),
        Err(_) => {
            rest.split(',').map(|t| t.trim().trim_matches('"').trim().to_string()).filter(|t| !t.is_empty()).collect()
        }
    };
    (!ids.is_empty()).then_some(ids)
}

/// Text from a JSON string (trimmed; empty is `None`) or number; anything else is `None`.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim()).filter(|t| !t.is_empty()).map(str::to_string),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field read by [`text_of`] from whatever JSON it holds.
pub(super) fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_of(&Value::deserialize(d)?))
}

/// A device's `user`: `{id, name}`, a bare id, or `null`.
fn user_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match &v {
        Value::Object(o) => o.get("id").and_then(text_of),
        other => text_of(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_device_ids_read_from_the_detail() {
        let ids = |b: &str| invalid_device_ids(b.as_bytes());
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): 77, \"abc\""}"#), Some(vec!["77".into(), "abc".into()]));
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): \"a, b\""}"#), Some(vec!["a, b".into()]));
        assert_eq!(ids(r#"{"detail": "invalid device id(s): abc, 12."}"#), Some(vec!["abc".into(), "12".into()]));
        assert_eq!(ids(r#"{"detail": "Invalid device id(s): "}"#), None);
        assert_eq!(ids(r#"{"detail": "Not found."}"#), None);
        assert_eq!(ids(r#"{"add_devices": ["Invalid device id(s): 1"]}"#), None);
        assert_eq!(ids("Invalid device id(s): 1"), None, "not JSON");
    }
}
