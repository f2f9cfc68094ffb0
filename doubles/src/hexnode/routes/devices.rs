//! `GET devices/` (paged) and `GET devices/{id}/`.

use crate::hexnode::edge::{not_found, path_id, Call};
use crate::hexnode::json::device_json;
use crate::hexnode::paging::paged_with;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// `GET devices/`: the inventory in id order; only the page served is built.
pub(super) async fn list(call: Call) -> Response {
    call.answer(|s| {
        let s = &*s;
        Ok(paged_with(s, &call.uri, s.devices.len(), |skip, take| {
            s.devices.values().skip(skip).take(take).map(|d| device_json(s, d)).collect()
        }))
    })
    .await
}

/// `GET devices/{id}/`; 404 for an unknown device.
pub(super) async fn get(call: Call, Path(id): Path<String>) -> Response {
    call.answer(|s| match path_id(&id).and_then(|id| s.devices.get(&id)) {
        Some(d) => Ok(Json(device_json(s, d)).into_response()),
        None => Ok(not_found()),
    })
    .await
}
