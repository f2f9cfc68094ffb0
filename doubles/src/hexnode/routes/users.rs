//! `GET users/` (paged).

use crate::hexnode::edge::Call;
use crate::hexnode::json::user_json;
use crate::hexnode::paging::paged_with;
use axum::response::Response;

/// `GET users/`: the users in id order, each with how many devices they own; only the page served is built.
pub(super) async fn list(call: Call) -> Response {
    call.answer(|s| {
        let s = &*s;
        Ok(paged_with(s, &call.uri, s.users.len(), |skip, take| {
            s.users.values().skip(skip).take(take).map(|u| user_json(u, s.devices.of_user(u.id))).collect()
        }))
    })
    .await
}
