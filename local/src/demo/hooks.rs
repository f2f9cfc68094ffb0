//! Step 12: the Okta event hook: registered through Okta's Event Hooks API (the Okta double creates it and
//! verifies it by calling the front for real; the product answers the challenge), Okta's own sample deliveries
//! sent twice with the secret Okta holds (the second time they are duplicates), a membership change that takes a
//! device out of scope and back, followed by deploy-trigger, and the secret rotated in Okta and in the product.

use super::api::step;
use super::{Walk, DEMO_TENANT};
use crate::stack::Stack;
use anyhow::bail;
use odt_shared::store::DeviceRecord;
use reqwest::Method;
use serde_json::{json, Value};

/// Okta's own sample deliveries (`../shared/okta/hook-samples/`, copied into the test fixtures), sent byte for byte.
const SAMPLES: [(&str, &[u8]); 3] = [
    (
        "user.session.start (Okta docs)",
        include_bytes!("../../../tests/fixtures/okta-hooks/01_okta-docs_user.session.start_envelope.json"),
    ),
    (
        "user.lifecycle.delete.initiated (captured)",
        include_bytes!("../../../tests/fixtures/okta-hooks/03_cruglobal_user.lifecycle.delete.initiated_envelope.json"),
    ),
    (
        "user.lifecycle.create (captured)",
        include_bytes!("../../../tests/fixtures/okta-hooks/04_cruglobal_user.lifecycle.create_envelope.json"),
    ),
];

/// The Okta user whose membership changes (user 20).
const USER: &str = "00uUSER0000000000020";
/// The group the membership is in (Sales).
const GROUP: &str = "00gSALES000000000001";
/// User 20's Android device in the UEM.
const DEVICE: &str = "10117";

/// The event hook as Okta calls it: its URL and the secret Okta sends as `Authorization`.
struct Hook {
    http: reqwest::Client,
    url: String,
    secret: String,
}

impl Hook {
    /// Delivers `body` as Okta does; answers the JSON reply, or fails unless the hook answered 200.
    async fn deliver(&self, body: Vec<u8>) -> anyhow::Result<Value> {
        let r = self
            .http
            .post(&self.url)
            .header("authorization", &self.secret)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status != 200 {
            bail!("delivery answered {status}: {v}");
        }
        Ok(v)
    }
}

/// An event hook delivery of `events` from the org `domain`.
fn envelope(domain: &str, events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0", "cloudEventsVersion": "0.1",
        "source": format!("https://{domain}/api/v1/eventHooks/whoDEMO"), "eventId": uuid::Uuid::new_v4().to_string(),
        "eventTime": "2026-11-29T10:00:05.000Z", "contentType": "application/json", "data": {"events": events}}),
    )
    .unwrap_or_default()
}

/// A `group.user_membership.<kind>` event (`add` or `remove`) of [`USER`] in [`GROUP`], published at `published`,
/// with a fresh uuid.
fn membership(kind: &str, published: &str) -> Value {
    json!({"uuid": uuid::Uuid::new_v4().to_string(), "published": published, "eventType": format!("group.user_membership.{kind}"), "version": "0",
           "severity": "INFO", "displayMessage": format!("{kind} user to group membership"),
           "actor": {"id": "00uADMIN", "type": "User"},
           "target": [{"id": USER, "type": "User", "alternateId": "user20@acme-demo.example", "displayName": "Demo User 20"},
                      {"id": GROUP, "type": "UserGroup", "alternateId": "unknown", "displayName": "Sales"}]})
}

/// A `user.account.update_profile` event of [`USER`] (a login or email may have changed), with a fresh uuid.
fn profile_updated(published: &str) -> Value {
    json!({"uuid": uuid::Uuid::new_v4().to_string(), "published": published, "eventType": "user.account.update_profile",
           "version": "0", "severity": "INFO", "displayMessage": "Update user profile for Okta",
           "actor": {"id": "00uADMIN", "type": "User"},
           "target": [{"id": USER, "type": "User", "alternateId": "user20@acme-demo.example", "displayName": "Demo User 20"}]})
}

/// The record of device `id` in the demo tenant.
async fn device_of(stack: &Stack, id: &str) -> anyhow::Result<Option<DeviceRecord>> {
    let all = stack.deps.store.list_devices(DEMO_TENANT).await?;
    Ok(all.into_iter().find(|d| d.device_id == id))
}

/// A device's scope as the account shows it: `in scope`, `out of scope (<reason>)` or `unknown`.
fn scope_of(d: &Option<DeviceRecord>) -> String {
    match d {
        Some(d) if d.in_scope => "in scope".to_string(),
        Some(d) => format!(
            "out of scope ({})",
            d.exclusion
                .and_then(|e| serde_json::to_value(e).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        None => "unknown".to_string(),
    }
}

impl Walk<'_> {
    /// Step 12: sets up the hook, delivers the samples, changes a membership out and back; then deploy-trigger
    /// follows and the device carries its policy again.
    pub(super) async fn event_hooks(&mut self) -> anyhow::Result<()> {
        writeln!(
            self.out,
            "[12] Okta event hooks: register through Okta's API, verify, deliver the real samples and a membership change"
        )?;
        let hook = self.set_up_hook().await?;
        self.deliver_samples(&hook).await?;
        self.membership_round_trip(&hook).await?;
        self.profile_update(&hook).await?;
        self.rotate_hook().await?;
        step(self.out, 12, "let deploy-trigger follow the hooks", self.stack.settle()).await?;
        let carried = self.stack.hexnode.device_carries(DEVICE.parse().unwrap_or_default()).len();
        writeln!(
            self.out,
            "    deploy-trigger followed the stream: device {DEVICE} carries {carried} policy (removed, then added back)"
        )?;
        Ok(())
    }

    /// User 20's profile was updated in Okta: the consumer reads the user (`getUser`) and notes on each of its
    /// devices whether the UEM owner's email still names it (case C28); here it does, so nothing changes.
    async fn profile_update(&mut self, hook: &Hook) -> anyhow::Result<()> {
        let before = step(self.out, 12, "read the device", device_of(self.stack, DEVICE)).await?;
        let delivery = envelope(&self.org.domain, vec![profile_updated("2026-11-29T10:00:04.000Z")]);
        let v = step(self.out, 12, "deliver a profile update", hook.deliver(delivery)).await?;
        step(self.out, 12, "let the hook's stream consumer apply it", self.stack.settle()).await?;
        let after = step(self.out, 12, "read the device", device_of(self.stack, DEVICE)).await?;
        let note = after.as_ref().and_then(|d| d.owner_email_mismatch.clone());
        writeln!(
            self.out,
            "    user 20's profile updated ({} kept): Okta read again; the UEM owner's email {} → {}",
            v["accepted"],
            if note.is_none() { "still names the user" } else { "no longer names the user" },
            if before.map(|d| d.version) == after.map(|d| d.version) { "nothing changed" } else { "noted" }
        )?;
        Ok(())
    }

    /// Registers the hook through Okta's Event Hooks API: Okta (the double) creates it, calls the product's URL
    /// with its verification challenge, and the hook is active. Deliveries then carry the secret Okta holds (the
    /// product generated it and never shows it; the double plays Okta sending it).
    async fn set_up_hook(&mut self) -> anyhow::Result<Hook> {
        let path = "/event-hook/register";
        let reg =
            step(self.out, 12, "register the hook in Okta", self.admin.expect(Method::POST, path, None, 200)).await?;
        let okta = &reg["okta"];
        let id = okta["id"].as_str().unwrap_or_default().to_string();
        writeln!(
            self.out,
            "    POST {path} → Okta hook {id}: {} and {}, calling {} for {} event types",
            okta["status"].as_str().unwrap_or("?"),
            okta["verificationStatus"].as_str().unwrap_or("?"),
            okta["uri"].as_str().unwrap_or("?"),
            okta["events"].as_array().map_or(0, Vec::len)
        )?;
        let verified =
            self.stack.okta.hook_calls().iter().any(|c| c.kind == "verify" && c.hook_id == id && c.status == 200);
        writeln!(
            self.out,
            "    Okta's verification GET with x-okta-verification-challenge reached the product: {verified}"
        )?;
        self.outcome.hook_verified = verified && okta["verificationStatus"] == "VERIFIED" && okta["status"] == "ACTIVE";
        let secret = self.stack.okta.lock().hook_secrets.get(&id).cloned().unwrap_or_default();
        let local = format!("{}{}", self.stack.base_url, reg["path"].as_str().unwrap_or_default());
        self.outcome.hook_id = id;
        Ok(Hook { http: reqwest::Client::new(), url: local, secret })
    }

    /// Rotates the hook's secret in Okta and in the product together; Okta (the double) delivers with the old
    /// secret just before it takes the new one and with the new one just after, and neither is refused.
    async fn rotate_hook(&mut self) -> anyhow::Result<()> {
        self.stack.okta.lock().deliver_during_replace = true;
        let path = "/event-hook/rotate";
        let r = step(self.out, 12, "rotate the hook secret", self.admin.expect(Method::POST, path, None, 200)).await;
        self.stack.okta.lock().deliver_during_replace = false;
        let r = r?;
        let id = &self.outcome.hook_id;
        let during: Vec<u16> = self
            .stack
            .okta
            .hook_calls()
            .iter()
            .filter(|c| c.kind == "delivery" && &c.hook_id == id)
            .map(|c| c.status)
            .collect();
        writeln!(
            self.out,
            "    POST {path} → hook {} and {}; deliveries during the rotation answered {during:?}",
            r["okta"]["status"].as_str().unwrap_or("?"),
            r["okta"]["verificationStatus"].as_str().unwrap_or("?")
        )?;
        self.outcome.rotation_refused = during.iter().filter(|s| **s != 200).count();
        Ok(())
    }

    /// Delivers each of Okta's samples twice: the second delivery is all duplicates.
    async fn deliver_samples(&mut self, hook: &Hook) -> anyhow::Result<()> {
        for (name, bytes) in SAMPLES {
            let v = step(self.out, 12, format!("deliver {name}"), hook.deliver(bytes.to_vec())).await?;
            let again = step(self.out, 12, format!("deliver {name} again"), hook.deliver(bytes.to_vec())).await?;
            writeln!(
                self.out,
                "    {name}: {} event(s) received, {} kept to apply; sent again: {} duplicate(s), nothing changed",
                v["received"], v["accepted"], again["duplicates"]
            )?;
        }
        Ok(())
    }

    /// One delivery removes the user from Sales, listed with an older add: the newer remove wins and the device
    /// leaves the scope; a newer add brings it back.
    async fn membership_round_trip(&mut self, hook: &Hook) -> anyhow::Result<()> {
        let stack = self.stack;
        let domain = &self.org.domain;
        let before = step(self.out, 12, "read the device", device_of(stack, DEVICE)).await?;
        let batch = envelope(
            domain,
            vec![membership("remove", "2026-11-29T10:00:02.000Z"), membership("add", "2026-11-29T10:00:01.000Z")],
        );
        step(self.out, 12, "deliver remove + older add", hook.deliver(batch)).await?;
        step(self.out, 12, "let the hook's stream consumer apply it", stack.settle()).await?;
        let after = step(self.out, 12, "read the device", device_of(stack, DEVICE)).await?;
        writeln!(
            self.out,
            "    one delivery: remove user 20 from Sales (10:00:02) listed with an older add (10:00:01)"
        )?;
        writeln!(self.out, "    device {DEVICE} (user 20's Android): {} → {}", scope_of(&before), scope_of(&after))?;
        if after.as_ref().is_none_or(|d| d.in_scope) {
            bail!("step 12 failed: the newer remove did not take the device out of scope");
        }
        let newer_add = envelope(domain, vec![membership("add", "2026-11-29T10:00:03.000Z")]);
        step(self.out, 12, "deliver a newer add", hook.deliver(newer_add)).await?;
        step(self.out, 12, "let the hook's stream consumer apply it", stack.settle()).await?;
        let back = step(self.out, 12, "read the device", device_of(stack, DEVICE)).await?;
        writeln!(self.out, "    a newer add (10:00:03) → {}", scope_of(&back))?;
        self.outcome.hook_round_trip = after.is_some_and(|d| !d.in_scope) && back.is_some_and(|d| d.in_scope);
        Ok(())
    }
}
