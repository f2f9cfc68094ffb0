//! The double's own calls to an event hook's URI, made for real as Okta makes them: the one-time verification
//! (`GET` with `x-okta-verification-challenge`, the challenge expected back as `{"verification": …}` within 3
//! seconds, one retry) and deliveries (`POST` of `{"data": {"events": […]}}` with the hook's `Authorization`
//! value). A URI's host is reached only through [`OktaState::hook_routes`](super::OktaState::hook_routes)
//! (the local front's address); any other host is refused without a request.

use super::edge::Shared;
use serde_json::{json, Value};
use std::time::Duration;

/// One call the double made to a hook's URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookCall {
    /// `verify` or `delivery`.
    pub kind: String,
    /// The hook's id.
    pub hook_id: String,
    /// The URI called.
    pub uri: String,
    /// The answer's status (0: no answer, or a host without a route).
    pub status: u16,
}

/// Okta's wait for a hook's answer.
const HOOK_TIMEOUT: Duration = Duration::from_secs(3);

/// The loopback URL for `uri` through the state's hook routes (`https://<host>/<path>` → `http://<addr>/<path>`),
/// `None` for a URI that is not https or whose host has no route.
fn routed(state: &Shared, uri: &str) -> Option<String> {
    let u = url::Url::parse(uri).ok().filter(|u| u.scheme() == "https")?;
    let addr = *state.lock().expect("double state lock").hook_routes.get(u.host_str()?)?;
    let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("http://{addr}{}{query}", u.path()))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(HOOK_TIMEOUT).no_proxy().build().expect("a plain HTTP client builds")
}

fn record(state: &Shared, kind: &str, hook_id: &str, uri: &str, status: u16) {
    let call = HookCall { kind: kind.into(), hook_id: hook_id.into(), uri: uri.into(), status };
    state.lock().expect("double state lock").hook_calls.push(call);
}

/// Okta's verification of hook `hook_id` at `uri`: whether the URI answered the challenge (two attempts).
pub(super) async fn verify(state: &Shared, hook_id: &str, uri: &str) -> bool {
    let Some(target) = routed(state, uri) else {
        record(state, "verify", hook_id, uri, 0);
        return false;
    };
    let challenge = format!("okta-double-{}", uuid::Uuid::new_v4().simple());
    for _ in 0..2 {
        let sent = client().get(&target).header("x-okta-verification-challenge", &challenge).send().await;
        let status = sent.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
        let answered = match sent {
            Ok(r) if r.status().is_success() => {
                r.json::<Value>().await.ok().is_some_and(|v| v["verification"] == challenge.as_str())
            }
            _ => false,
        };
        record(state, "verify", hook_id, uri, status);
        if answered {
            return true;
        }
    }
    false
}

/// Delivers `events` to hook `hook_id` at `uri` with `secret` as `Authorization`; the answer's status (0: none).
pub(super) async fn deliver(state: &Shared, hook_id: &str, uri: &str, secret: &str, events: &[Value]) -> u16 {
    let Some(target) = routed(state, uri) else {
        record(state, "delivery", hook_id, uri, 0);
        return 0;
    };
    let body = json!({
        "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
        "source": format!("https://okta.example/api/v1/eventHooks/{hook_id}"),
        "eventId": uuid::Uuid::new_v4().to_string(), "contentType": "application/json",
        "eventTime": "2026-01-01T00:00:00.000Z", "data": {"events": events},
    });
    let sent = client().post(&target).header("authorization", secret).json(&body).send().await;
    let status = sent.map(|r| r.status().as_u16()).unwrap_or(0);
    record(state, "delivery", hook_id, uri, status);
    status
}

/// One System Log event of `event_type` about user `user_id`, as a delivery carries it (a fresh uuid).
pub fn sample_event(event_type: &str, user_id: &str) -> Value {
    let now =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({
        "uuid": uuid::Uuid::new_v4().to_string(), "published": now,
        "eventType": event_type, "version": "0", "severity": "INFO", "displayMessage": event_type,
        "actor": {"id": "00uadmin", "type": "User"},
        "target": [{"id": user_id, "type": "User", "alternateId": "user@example.com"}],
    })
}
