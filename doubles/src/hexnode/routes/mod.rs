//! The routes, by resource; each handler takes a [`Call`](super::edge::Call) and states only its own work.

mod apps;
mod devices;
mod groups;
mod policies;
mod users;

use super::edge::Shared;
use axum::routing::get;
use axum::Router;

/// The axum router over `state` (every path under `/api/v1/` ends in `/`).
pub(super) fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v1/devices/", get(devices::list))
        .route("/api/v1/devices/{id}/", get(devices::get))
        .route("/api/v1/users/", get(users::list))
        .route("/api/v1/devicegroups/", get(groups::list).post(groups::create))
        .route("/api/v1/devicegroups/{id}/", get(groups::get).post(groups::update_members).delete(groups::delete))
        .route("/api/v1/applications/", get(apps::list).post(apps::create))
        .route("/api/v1/policy/", get(policies::list).post(policies::create))
        .route("/api/v1/policy/{id}/", get(policies::get).put(policies::update).delete(policies::delete))
        .route("/api/v1/policy/{id}/devices/", get(policies::devices))
        .with_state(state)
}
