//! Okta resources as the Management API returns them (only the fields the product reads; others ignored).

use serde::{Deserialize, Serialize};

/// An Okta group (`GET /api/v1/groups`): id `00g…`, type `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    pub profile: GroupProfile,
}

/// A group's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupProfile {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// An Okta user (`GET /api/v1/groups/{id}/users`): id `00u…`, status `ACTIVE`, `SUSPENDED`, `DEPROVISIONED`, ….
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub status: String,
    pub profile: UserProfile,
}

/// A user's profile: `login` and primary `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub email: Option<String>,
}
