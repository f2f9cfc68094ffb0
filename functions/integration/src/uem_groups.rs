//! The UEM's own device groups, for choosing the fleet: `GET /uem/device-groups?q=`.

use http::StatusCode;
use lambda_http::{Body, Response};
use odt_shared::api::{json_response, ApiRequest};
use odt_shared::deps::Deps;
use odt_shared::error::responses::Unauthorized;
use odt_shared::error::ErrorBody;
use odt_shared::pacing::CallClass;
use odt_shared::ApiError;
use serde::Serialize;
use utoipa::ToSchema;

/// One UEM device group. The id is the key the fleet takes (`uemDeviceGroupIds`); the name is for display only.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UemDeviceGroupView {
    pub id: String,
    pub name: String,
}

/// `GET /uem/device-groups`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UemDeviceGroupList {
    /// The groups, by name (then id).
    pub items: Vec<UemDeviceGroupView>,
    pub count: usize,
}

/// The longest `q` taken, in characters.
pub const MAX_Q: usize = 100;

/// Whether `name` matches the search `q` (already lower-cased): contains it, ignoring case.
fn matches(name: &str, q: Option<&str>) -> bool {
    q.is_none_or(|q| name.to_lowercase().contains(q))
}

/// `GET /uem/device-groups?q=`: every device group of the tenant's UEM (all pages), or those whose name contains
/// `q` (ignoring case).
#[utoipa::path(get, path = "/uem/device-groups", tag = "uem", operation_id = "listUemDeviceGroups",
    description = "Roles: admin, technician. The UEM's device groups (all pages), to choose the fleet from; q keeps \
those whose name contains it, ignoring case.",
    params(("q" = Option<String>, Query, description = "Part of the name, at most 100 characters")),
    security(("bearer" = [])),
    responses((status = 200, description = "The device groups", body = UemDeviceGroupList),
        (status = 400, description = "Invalid q", body = ErrorBody),
        (status = 409, description = "No UEM connected, or its key is refused", body = ErrorBody),
        (status = 502, description = "The UEM failed", body = ErrorBody),
        (status = 503, description = "The UEM is throttling", body = ErrorBody),
        Unauthorized))]
pub async fn list(deps: &Deps, req: &ApiRequest) -> Result<Response<Body>, ApiError> {
    let q = req.query("q").map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > MAX_Q || q.chars().any(char::is_control)) {
        return Err(ApiError::invalid("q", "q must be at most 100 printable characters"));
    }
    let q = q.map(str::to_lowercase);
    let uem = deps.connected_uem(req.caller.tenant.as_str(), CallClass::Deployment).await?;
    let mut items: Vec<UemDeviceGroupView> = uem
        .device_groups()
        .await?
        .into_iter()
        .filter(|g| matches(&g.name, q.as_deref()))
        .map(|g| UemDeviceGroupView { id: g.id, name: g.name })
        .collect();
    by_name(&mut items);
    Ok(json_response(StatusCode::OK, &UemDeviceGroupList { count: items.len(), items }))
}

/// Sorts groups as a person reads a list: by name ignoring case, then by the name as written, then by id.
fn by_name(items: &mut [UemDeviceGroupView]) {
    items.sort_by_cached_key(|g| (g.name.to_lowercase(), g.name.clone(), g.id.clone()));
}

#[cfg(test)]
mod tests {
    use super::{by_name, matches, UemDeviceGroupView};

    #[test]
    fn groups_are_listed_by_name_ignoring_case() {
        let g = |id: &str, name: &str| UemDeviceGroupView { id: id.into(), name: name.into() };
        let mut items = vec![g("3", "sales"), g("1", "Windows"), g("2", "Apple"), g("4", "Sales")];
        by_name(&mut items);
        let names: Vec<&str> = items.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["Apple", "Sales", "sales", "Windows"]);
    }

    #[test]
    fn search_is_a_part_of_the_name_ignoring_case() {
        assert!(matches("Sales Laptops", Some("laptop")));
        assert!(matches("Sales Laptops", None));
        assert!(!matches("Sales Laptops", Some("desk")));
    }
}
