//! What the device list and exports filter by: read from the query (`GET /status/devices`) or the body
//! (exports), checked, and matched against each device's status.

use crate::state::OdtState;
use crate::status::DeviceStatus;
use odt_shared::api::ApiRequest;
use odt_shared::ids::is_safe_id;
use odt_shared::platform::Platform;
use odt_shared::ApiError;

/// What the device list and exports filter by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub platform: Option<Platform>,
    pub state: Option<OdtState>,
    /// An Okta group id the owner belongs to (of the selected ones).
    pub group: Option<String>,
    /// Case-insensitive text in the device name, id, owner email or OS version.
    pub q: Option<String>,
}

impl Filter {
    /// The filter in the query parameters `platform`, `state`, `group` and `q` (empty ones ignored). Errors: as
    /// [`Filter::parse`].
    pub fn from_query(req: &ApiRequest) -> Result<Filter, ApiError> {
        let text = |name: &str| req.query(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        Filter::parse(text("platform"), text("state"), text("group"), text("q"))
    }

    /// The filter from its parts as the caller sent them. Errors: 400 naming `platform`, `state`, `group` (not a
    /// group id) or `q` (over 200 characters).
    pub fn parse(
        platform: Option<String>,
        state: Option<String>,
        group: Option<String>,
        q: Option<String>,
    ) -> Result<Filter, ApiError> {
        let platform = platform
            .map(|p| {
                Platform::parse(&p).ok_or_else(|| ApiError::invalid("platform", "use ios, android, macos or windows"))
            })
            .transpose()?;
        let state = state
            .map(|s| {
                OdtState::parse(&s).ok_or_else(|| {
                    let all: Vec<&str> = OdtState::ALL.iter().map(|s| s.as_str()).collect();
                    ApiError::invalid("state", format!("use one of {}", all.join(", ")))
                })
            })
            .transpose()?;
        if let Some(g) = &group {
            if !is_safe_id(g) {
                return Err(ApiError::invalid("group", "not a group id"));
            }
        }
        if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::invalid("q", "at most 200 characters"));
        }
        Ok(Filter { platform, state, group, q })
    }

    /// Whether `s` passes.
    pub fn matches(&self, s: &DeviceStatus) -> bool {
        self.platform.is_none_or(|p| s.platform == Some(p))
            && self.state.is_none_or(|st| s.odt_status == st)
            && self.group.as_ref().is_none_or(|g| s.groups.contains(g))
            && self.q.as_ref().is_none_or(|q| {
                let q = q.to_lowercase();
                [Some(&s.device_name), Some(&s.device_id), s.owner_email.as_ref(), Some(&s.os_version)]
                    .into_iter()
                    .flatten()
                    .any(|f| f.to_lowercase().contains(&q))
            })
    }
}
