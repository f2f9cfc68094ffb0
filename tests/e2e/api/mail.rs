//! Mail from shares (issue 19, found by an attack pass): a tenant's shares stay within its mail budget, a minute's
//! and a UTC day's, counted per message (recipient) SES sent, refused whole with 429 past either; and every
//! message goes out with the SES configuration set and the tenant's tag. What SES took is read from its answers
//! on the wire ([`SesRequests`]).

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use odt_shared::clock::{Clock, ManualClock};
use odt_shared::store::Window;
use odt_tests::stack::LOCAL_CONFIGURATION_SET;
use odt_tests::{Answer, TestStack};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The export files this tenant has in the bucket.
async fn exports(t: &TestStack) -> i32 {
    let x = &t.stack.exports;
    let out = x.s3.list_objects_v2().bucket(&x.bucket).prefix(format!("exports/{}/", t.tenant)).send().await;
    out.expect("ListObjectsV2").key_count().unwrap_or(0)
}

/// `n` technician addresses of this test's own, kept as the tenant's list.
async fn technicians(t: &TestStack, n: usize) -> Vec<String> {
    let emails: Vec<String> = (0..n).map(|i| format!("tech{i}@{}.acme.com", t.tenant)).collect();
    let a = t.call("PUT", "/technicians", Some(&t.admin()), Some(json!({"emails": emails}))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emails
}

async fn share(t: &TestStack, to: &[String]) -> Answer {
    t.call("POST", "/status/exports/share", Some(&t.technician()), Some(json!({"format": "csv", "emails": to}))).await
}

/// Fails if a share could pass the tenant's minute or day budget, if a refused share sent or exported anything, if
/// the 429 did not name the budget and when it has room again, or if a message went uncounted.
#[tokio::test]
async fn a_tenants_shares_stay_within_its_mail_budget_a_minute_and_a_day() {
    // 2026-12-06 10:00:00 UTC.
    let clock = ManualClock::new(time::OffsetDateTime::from_unix_timestamp(1_796_551_200).expect("time"));
    let (c, ses) = (clock.clone(), SesRequests::default());
    let i = SharedInterceptor::new(ses.clone());
    let t = TestStack::start_with(|cfg| {
        cfg.clock = Arc::new(c);
        cfg.ses_interceptors = vec![i];
    })
    .await;
    let to = technicians(&t, 31).await;
    let a = share(&t, &to).await;
    assert_eq!((a.status, a.body["error"]["field"].clone()), (400, json!("emails")), "31 > a minute's 30: {}", a.text);
    assert_eq!(share(&t, &to[..20]).await.status, 200);
    let refused = share(&t, &to[..11]).await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    let e = &refused.body["error"];
    assert_eq!(
        (e["code"].clone(), e["budget"].clone(), e["limit"].clone()),
        (json!("mail_budget_spent"), json!("perMinute"), json!(30))
    );
    assert_eq!(e["retryAt"], "2026-12-06T10:01:00Z", "{}", refused.text);
    assert_eq!((ses.delivered_to(&to), exports(&t).await), (20, 1), "the refused share sent and exported nothing");
    assert_eq!(share(&t, &to[..10]).await.status, 200, "the minute's last 10 fit");
    for minute in 1..10 {
        clock.advance(Duration::from_secs(60));
        let a = share(&t, &to[..30]).await;
        assert_eq!(a.status, 200, "minute {minute}: {}", a.text);
    }
    clock.advance(Duration::from_secs(60));
    let refused = share(&t, &to[..1]).await;
    assert_eq!((refused.status, refused.body["error"]["budget"].clone()), (429, json!("perDay")), "{}", refused.text);
    assert_eq!(refused.body["error"]["retryAt"], "2026-12-07T00:00:00Z");
    let day = t.stack.deps.store.mail_counted(&t.tenant, Window::day_of(clock.now())).await.expect("count");
    assert_eq!((ses.delivered_to(&to), day), (300, 300), "300 sent, each counted once");
    clock.advance(Duration::from_secs(14 * 3600));
    assert_eq!(share(&t, &to[..1]).await.status, 200, "a new UTC day has room again");
}

/// Reads every message status-export sends to SES and whom SES (moto) took it for, and makes SES refuse the one
/// to `refuse` (sent from an address moto's SES has not verified, so it answers `MessageRejected`). moto's own
/// record of messages is not readable from outside (its `/moto-api/data.json` fails on the exports bucket's
/// uploads), so SES's answers are read here, on the wire.
#[derive(Debug, Clone, Default)]
struct SesRequests {
    /// The `SendEmail` request bodies.
    sent: Arc<Mutex<Vec<Value>>>,
    /// The recipient of each `SendEmail` SES answered 200.
    taken: Arc<Mutex<Vec<String>>>,
    refuse: Arc<Mutex<String>>,
}

/// The recipient of the `SendEmail` in flight, from the request to its answer.
#[derive(Debug, Clone)]
struct Recipient(String);

impl Storable for Recipient {
    type Storer = StoreReplace<Self>;
}

impl SesRequests {
    /// The messages SES took for any of `to`.
    fn delivered_to(&self, to: &[String]) -> usize {
        self.taken.lock().expect("lock").iter().filter(|r| to.contains(r)).count()
    }
}

impl Intercept for SesRequests {
    fn name(&self) -> &'static str {
        "odt-test-ses-requests"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = ctx.request().body().bytes().and_then(|b| serde_json::from_slice::<Value>(b).ok());
        let Some(mut body) = body.filter(|b| b.get("Destination").is_some()) else { return Ok(()) };
        self.sent.lock().expect("lock").push(body.clone());
        let to = body["Destination"]["ToAddresses"][0].as_str().unwrap_or_default().to_string();
        cfg.interceptor_state().store_put(Recipient(to.clone()));
        if to == *self.refuse.lock().expect("lock") {
            body["FromEmailAddress"] = json!("not-verified@elsewhere.acme.com");
            let bytes = serde_json::to_vec(&body)?;
            let len = bytes.len().to_string();
            *ctx.request_mut().body_mut() = SdkBody::from(bytes);
            ctx.request_mut().headers_mut().insert("content-length", len);
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Recipient(to)) = cfg.load::<Recipient>() {
            if ctx.response().status().as_u16() == 200 {
                self.taken.lock().expect("lock").push(to.clone());
            }
        }
        Ok(())
    }
}

/// Fails if a message went out without the configuration set or the tenant's tag (moto's SES does not record
/// either, so the requests the SES client sent are read), or if a message SES refused stayed counted.
#[tokio::test]
async fn every_message_carries_the_configuration_set_and_the_tenant_tag_and_only_sent_ones_count() {
    let ses = SesRequests::default();
    let i = SharedInterceptor::new(ses.clone());
    let t = TestStack::start_with(|cfg| cfg.ses_interceptors = vec![i]).await;
    let to = technicians(&t, 3).await;
    *ses.refuse.lock().expect("lock") = to[1].clone();
    let a = share(&t, &to).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["sentTo"], json!([to[0], to[2]]));
    assert_eq!(a.body["notSent"][0]["to"], json!(to[1]), "{}", a.text);
    let sent = ses.sent.lock().expect("lock").clone();
    assert_eq!(sent.len(), 3, "one request per address");
    for r in &sent {
        assert_eq!(r["ConfigurationSetName"], LOCAL_CONFIGURATION_SET, "{r}");
        assert_eq!(r["EmailTags"], json!([{"Name": "tenant", "Value": t.tenant}]), "{r}");
    }
    let day = t.stack.deps.store.mail_counted(&t.tenant, Window::day_of(t.stack.deps.clock.now())).await;
    assert_eq!((ses.delivered_to(&to), day.expect("count")), (2, 2), "only what SES sent is counted");
}
