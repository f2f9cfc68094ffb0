//! Okta's Event Hooks API (`/api/v1/eventHooks`), the calls the product makes to register, verify, activate,
//! re-key, deactivate and delete its own event hook. Shapes follow `EventHook` in
//! `../shared/okta/spec/management.yaml`: `name`, `events {type: EVENT_TYPE, items}`, `channel {type: HTTP,
//! version: 1.0.0, config {uri, authScheme {type: HEADER, key: Authorization, value}}}`; Okta answers with `id`,
//! `status` (`ACTIVE` | `INACTIVE`) and `verificationStatus` (`UNVERIFIED` | `VERIFIED`), never the
//! `authScheme.value` (write-only).

use super::client::OktaClient;
use super::error::OktaError;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An event hook as Okta reports it (only what the product reads or shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHook {
    /// Okta's id of the hook (`who…`).
    pub id: String,
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(default)]
    pub status: String,
    /// `UNVERIFIED` or `VERIFIED`: Okta delivers only to a hook that is both `ACTIVE` and `VERIFIED`.
    #[serde(default)]
    pub verification_status: String,
    #[serde(default)]
    pub channel: HookChannel,
    #[serde(default)]
    pub events: HookEvents,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// `EventHook.channel` as read back (its `authScheme.value` is never returned).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookChannel {
    #[serde(default)]
    pub config: HookChannelConfig,
}

/// `EventHookChannelConfig`: the URI Okta calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookChannelConfig {
    #[serde(default)]
    pub uri: String,
}

/// `EventSubscriptions`: the event types the hook is subscribed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookEvents {
    #[serde(default)]
    pub items: Vec<String>,
}

/// What the product asks Okta to call: the hook's display name, the product's URL for the tenant, the secret
/// Okta sends as `Authorization`, and the event types.
pub struct HookSpec<'a> {
    pub name: &'a str,
    pub uri: &'a str,
    pub secret: &'a SecretString,
    pub event_types: &'a [&'a str],
}

impl HookSpec<'_> {
    /// The `EventHook` request body (the secret goes only into `channel.config.authScheme.value`).
    fn body(&self) -> serde_json::Value {
        json!({
            "name": self.name,
            "description": "Registered by Okta Device Trust automation; its secret is kept by the product.",
            "events": {"type": "EVENT_TYPE", "items": self.event_types},
            "channel": {
                "type": "HTTP",
                "version": "1.0.0",
                "config": {
                    "uri": self.uri,
                    "headers": [],
                    "authScheme": {"type": "HEADER", "key": "Authorization", "value": self.secret.expose_secret()},
                },
            },
        })
    }
}

fn hook_path(id: &str, tail: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("api/v1/eventHooks/{id}{tail}")
}

impl OktaClient {
    /// Creates the hook (`POST /api/v1/eventHooks`, `createEventHook`; scope `okta.eventHooks.manage`). Okta
    /// creates it `ACTIVE` and `UNVERIFIED`. Not repeated on a 5xx or a lost answer (a create sent twice would
    /// create twice). Errors: [`OktaError::Api`] (400 `E0000001` for a body Okta refuses, 403 without the scope).
    pub async fn create_event_hook(&self, spec: &HookSpec<'_>) -> Result<EventHook, OktaError> {
        self.send_json(Method::POST, "api/v1/eventHooks", Some(&spec.body()), "an event hook").await
    }

    /// Reads the hook (`GET /api/v1/eventHooks/{id}`, `getEventHook`; scope `okta.eventHooks.read`); `None` when
    /// Okta has no such hook (404). Errors: as [`OktaClient::create_event_hook`].
    pub async fn get_event_hook(&self, id: &str) -> Result<Option<EventHook>, OktaError> {
        match self.send_json(Method::GET, &hook_path(id, ""), None, "an event hook").await {
            Ok(h) => Ok(Some(h)),
            Err(OktaError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the hook (`PUT /api/v1/eventHooks/{id}`, `replaceEventHook`; scope `okta.eventHooks.manage`):
    /// the product re-keys its hook this way (a changed channel must be verified again). Errors: as
    /// [`OktaClient::create_event_hook`] (404 when the hook is gone).
    pub async fn replace_event_hook(&self, id: &str, spec: &HookSpec<'_>) -> Result<EventHook, OktaError> {
        self.send_json(Method::PUT, &hook_path(id, ""), Some(&spec.body()), "an event hook").await
    }

    /// Okta's one-time verification (`POST /api/v1/eventHooks/{id}/lifecycle/verify`, `verifyEventHook`; scope
    /// `okta.eventHooks.manage`): Okta calls the hook's URI with a GET and `x-okta-verification-challenge` and
    /// expects the challenge back as `{"verification": …}` within 3 seconds. Errors: 400 `E0000001` when the
    /// product's URL did not answer it; as [`OktaClient::create_event_hook`].
    pub async fn verify_event_hook(&self, id: &str) -> Result<EventHook, OktaError> {
        self.send_json(Method::POST, &hook_path(id, "/lifecycle/verify"), None, "an event hook").await
    }

    /// Activates the hook (`POST …/lifecycle/activate`, `activateEventHook`; scope `okta.eventHooks.manage`).
    pub async fn activate_event_hook(&self, id: &str) -> Result<EventHook, OktaError> {
        self.send_json(Method::POST, &hook_path(id, "/lifecycle/activate"), None, "an event hook").await
    }

    /// Deactivates the hook (`POST …/lifecycle/deactivate`, `deactivateEventHook`; scope `okta.eventHooks.manage`):
    /// Okta deletes only `INACTIVE` hooks.
    pub async fn deactivate_event_hook(&self, id: &str) -> Result<EventHook, OktaError> {
        self.send_json(Method::POST, &hook_path(id, "/lifecycle/deactivate"), None, "an event hook").await
    }

    /// Deletes the hook (`DELETE /api/v1/eventHooks/{id}`, `deleteEventHook`; scope `okta.eventHooks.manage`);
    /// a hook already gone (404) is not an error.
    pub async fn delete_event_hook(&self, id: &str) -> Result<(), OktaError> {
        match self.send(Method::DELETE, &self.url(&hook_path(id, ""))?, None, true).await {
            Ok(_) | Err(OktaError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
