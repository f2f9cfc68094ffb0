//! The checks of `PUT /okta-verify/{platform}`'s input that need no UEM: the method fits the platform, only the
//! fields it takes are given, and each field is present when required, short enough and free of control
//! characters (400 naming the field otherwise).

use super::model::{methods_for, MethodName, OktaVerifyInput};
use odt_shared::api::public_https_url;
use odt_shared::platform::Platform;
use odt_shared::ApiError;

/// The input's fields, checked and trimmed (absent or blank optional ones are `None`).
pub(super) struct Fields {
    pub method: MethodName,
    pub app_id: Option<String>,
    /// Uploads: the new app's name (empty otherwise).
    pub name: String,
    /// Uploads: the installer's public https URL (empty otherwise).
    pub installer_url: String,
    pub location_token: Option<String>,
    /// `vpp`: 1 to 10,000,000 (0 otherwise).
    pub licenses: u64,
    pub category: Option<String>,
    pub description: Option<String>,
    pub success_criteria: Option<String>,
    pub uninstall_parameters: Option<String>,
}

/// Checks `input` for platform `p`. Errors: 400 naming the first field that is wrong (in the order of the
/// method, a field the method does not take, then each field).
pub(super) fn check(p: Platform, input: &OktaVerifyInput) -> Result<Fields, ApiError> {
    let m = input.method;
    if !methods_for(p).contains(&m) {
        let allowed: Vec<&str> = methods_for(p).iter().map(|m| m.as_str()).collect();
        return Err(ApiError::invalid(
            "method",
            format!("`{}` does not fit {}; use {}", m.as_str(), p.as_str(), allowed.join(" or ")),
        ));
    }
    if let Some(extra) = given_fields(input).into_iter().find(|f| !allowed_fields(m).contains(f)) {
        return Err(ApiError::invalid(extra, format!("{extra} does not apply to method {}", m.as_str())));
    }
    let app_id =
        text("appId", input.app_id.as_ref(), matches!(m, MethodName::Vpp | MethodName::Pkg | MethodName::Exe), 128)?;
    let (name, installer_url) = match m {
        MethodName::PkgUpload | MethodName::ExeUpload => {
            let name = text("name", input.name.as_ref(), true, 128)?.unwrap_or_default();
            let url = input.installer_url.as_deref().unwrap_or_default();
            if url.trim().is_empty() {
                return Err(ApiError::invalid("installerUrl", "installerUrl is required for this method"));
            }
            (name, public_https_url("installerUrl", url)?)
        }
        _ => (String::new(), String::new()),
    };
    let location_token = text("locationToken", input.location_token.as_ref(), m == MethodName::Vpp, 128)?;
    if m == MethodName::Vpp && input.licenses.is_none_or(|n| n == 0 || n > 10_000_000) {
        return Err(ApiError::invalid("licenses", "licenses is required for vpp: a number from 1 to 10000000"));
    }
    let upload_exe = m == MethodName::ExeUpload;
    Ok(Fields {
        method: m,
        app_id,
        name,
        installer_url,
        location_token,
        licenses: input.licenses.unwrap_or_default(),
        category: text("category", input.category.as_ref(), false, 128)?,
        description: text("description", input.description.as_ref(), false, 1024)?,
        success_criteria: text("successCriteria", input.success_criteria.as_ref(), upload_exe, 512)?,
        uninstall_parameters: text("uninstallParameters", input.uninstall_parameters.as_ref(), upload_exe, 512)?,
    })
}

/// A text field: trimmed; 400 when `required` and absent or blank, longer than `max` characters, or with control
/// characters.
fn text(field: &str, v: Option<&String>, required: bool, max: usize) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim()) {
        None | Some("") if required => Err(ApiError::invalid(field, format!("{field} is required for this method"))),
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => {
            Err(ApiError::invalid(field, format!("{field} is longer than {max} characters")))
        }
        Some(s) if s.chars().any(char::is_control) => {
            Err(ApiError::invalid(field, format!("{field} must not contain control characters")))
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}

/// The fields each method takes; any other given field is refused, naming it.
fn allowed_fields(m: MethodName) -> &'static [&'static str] {
    match m {
        MethodName::Vpp => &["appId", "locationToken", "licenses"],
        MethodName::Pkg | MethodName::Exe => &["appId"],
        MethodName::PkgUpload => &["name", "category", "description", "installerUrl"],
        MethodName::ExeUpload => {
            &["name", "category", "description", "installerUrl", "successCriteria", "uninstallParameters"]
        }
        MethodName::ManagedPlay => &["appId"],
    }
}

/// The fields `i` gives, by their API names.
fn given_fields(i: &OktaVerifyInput) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&'static str, bool); 10] = [
        ("appId", i.app_id.is_some()),
        ("locationToken", i.location_token.is_some()),
        ("licenses", i.licenses.is_some()),
        ("name", i.name.is_some()),
        ("category", i.category.is_some()),
        ("description", i.description.is_some()),
        ("installerUrl", i.installer_url.is_some()),
        ("successCriteria", i.success_criteria.is_some()),
        ("uninstallParameters", i.uninstall_parameters.is_some()),
        ("version", false),
    ];
    for (name, given) in pairs {
        if given {
            out.push(name);
        }
    }
    out
}
