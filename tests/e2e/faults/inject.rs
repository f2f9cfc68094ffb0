//! Fault injection in the AWS clients, through SDK interceptors the stack adds to the functions' clients
//! (`StackConfig::dynamodb_interceptors` / `secrets_interceptors`):
//!
//! - DynamoDB: throttling (`ProvisionedThroughputExceededException`, the request is never applied: its target is
//!   renamed so DynamoDB Local refuses it, then the answer is replaced), conditional-check failures as a
//!   concurrent writer causes them (the `version = :v` condition of a device write is made to fail for real),
//!   and query pages that come back empty but carry `LastEvaluatedKey` (case C17); plus a counter of device
//!   writes that can wake a test (to stop a function in the middle of a reconciliation), and a hold that stops
//!   one function right after one named write reached the table, until the test lets it go (to order two
//!   deliveries racing on one record deterministically).
//! - Secrets Manager: unavailable for the next N attempts (sent to a closed port: connection refused).

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// What the DynamoDB interceptor does while active (probabilities per attempt, 0.0 to 1.0).
#[derive(Debug, Clone, Copy, Default)]
pub struct DdbMix {
    pub throttle: f64,
    pub conflict: f64,
    pub empty_page: f64,
}

/// What the DynamoDB interceptor did.
#[derive(Debug, Clone, Copy, Default)]
pub struct DdbCounts {
    pub throttled: usize,
    pub conflicts: usize,
    pub empty_pages: usize,
    /// Device record writes (`PutItem` of a `DEVICE#` item) that went out.
    pub device_puts: usize,
}

impl DdbCounts {
    /// Every fault injected.
    pub fn total(&self) -> usize {
        self.throttled + self.conflicts + self.empty_pages
    }
}

struct DdbState {
    mix: Option<DdbMix>,
    rng: fastrand::Rng,
    counts: DdbCounts,
    /// Wakes when `device_puts` reaches the number.
    wake_at_puts: Option<(usize, Arc<tokio::sync::Notify>)>,
    /// The armed hold: the `sk` and `published` of the `PutItem` to stop after.
    hold: Option<(String, String, Hold)>,
    /// The armed hold: the `sk` of the `PutItem` to stop before it is sent.
    hold_before: Option<(String, Hold)>,
    /// Every `PutItem` of this `sk` is refused (a poison record), until cleared.
    refuse_puts: Option<String>,
    /// `PutItem`s refused so far.
    refused_puts: usize,
}

/// A function stopped right after one write reached DynamoDB (see [`DdbFaults::hold_after_put`]); clones share
/// state. The function's thread waits in `block_in_place`, so the test runtime must be multi-threaded.
#[derive(Clone, Default, Debug)]
pub struct Hold(Arc<(Mutex<HoldPhase>, std::sync::Condvar)>);

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum HoldPhase {
    #[default]
    Armed,
    Held,
    Released,
}

impl Storable for Hold {
    type Storer = StoreReplace<Self>;
}

impl Hold {
    /// Waits until the function is held (at most 30 s; panics after).
    pub async fn held(&self) {
        let start = std::time::Instant::now();
        while *self.0 .0.lock().unwrap() != HoldPhase::Held {
            assert!(start.elapsed().as_secs() < 30, "the held write never came");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Lets the held function go on.
    pub fn release(&self) {
        *self.0 .0.lock().unwrap() = HoldPhase::Released;
        self.0 .1.notify_all();
    }

    /// Called on the function's thread at the held point: waits for [`Hold::release`] (at most 30 s).
    fn wait(&self) {
        let (phase, cv) = &*self.0;
        *phase.lock().unwrap() = HoldPhase::Held;
        tokio::task::block_in_place(|| {
            let guard = phase.lock().unwrap();
            let _ = cv
                .wait_timeout_while(guard, std::time::Duration::from_secs(30), |p| *p != HoldPhase::Released)
                .unwrap();
        });
    }
}

/// The DynamoDB fault injector; clones share state.
#[derive(Clone)]
pub struct DdbFaults(Arc<Mutex<DdbState>>);

#[derive(Debug, Clone)]
enum Injected {
    None,
    Throttle,
    Refuse,
    EmptyPage(Value),
}

impl Storable for Injected {
    type Storer = StoreReplace<Self>;
}

impl std::fmt::Debug for DdbFaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DdbFaults")
    }
}

impl DdbFaults {
    /// Inactive, seeded.
    pub fn new(seed: u64) -> Self {
        DdbFaults(Arc::new(Mutex::new(DdbState {
            mix: None,
            rng: fastrand::Rng::with_seed(seed),
            counts: DdbCounts::default(),
            wake_at_puts: None,
            hold: None,
            hold_before: None,
            refuse_puts: None,
            refused_puts: 0,
        })))
    }

    /// The interceptor to put in `StackConfig::dynamodb_interceptors`.
    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// Starts (`Some`) or stops (`None`) injecting.
    pub fn set(&self, mix: Option<DdbMix>) {
        self.0.lock().unwrap().mix = mix;
    }

    /// What was injected so far.
    pub fn counts(&self) -> DdbCounts {
        self.0.lock().unwrap().counts
    }

    /// Stops the function that writes `PutItem` of `sk` with `published` (a number, as the store writes it)
    /// right after DynamoDB applied it, until [`Hold::release`]; once.
    pub fn hold_after_put(&self, sk: &str, published: &str) -> Hold {
        let hold = Hold::default();
        self.0.lock().unwrap().hold = Some((sk.to_string(), published.to_string(), hold.clone()));
        hold
    }

    /// Stops the function whose next `PutItem` is of `sk` just before the write is sent (it has read what it
    /// writes from), until [`Hold::release`]; once.
    pub fn hold_before_put(&self, sk: &str) -> Hold {
        let hold = Hold::default();
        self.0.lock().unwrap().hold_before = Some((sk.to_string(), hold.clone()));
        hold
    }

    /// Refuses every `PutItem` of `sk` (`Some`) with a `ValidationException` (not retried by the SDK; nothing
    /// is written), until called with `None`: a record whose application fails until it is "fixed".
    pub fn refuse_puts_of(&self, sk: Option<&str>) {
        self.0.lock().unwrap().refuse_puts = sk.map(str::to_string);
    }

    /// `PutItem`s refused by [`DdbFaults::refuse_puts_of`] so far.
    pub fn refused_puts(&self) -> usize {
        self.0.lock().unwrap().refused_puts
    }

    /// A notification fired once `n` more device writes have gone out.
    pub fn wake_after_device_puts(&self, n: usize) -> Arc<tokio::sync::Notify> {
        let notify = Arc::new(tokio::sync::Notify::new());
        let mut s = self.0.lock().unwrap();
        let at = s.counts.device_puts + n;
        s.wake_at_puts = Some((at, notify.clone()));
        notify
    }
}

fn body_json(ctx: &BeforeTransmitInterceptorContextMut<'_>) -> Option<Value> {
    ctx.request().body().bytes().and_then(|b| serde_json::from_slice(b).ok())
}

/// The key a first query page may name as `LastEvaluatedKey` without skipping anything: the partition key and
/// the sort key prefix itself (every matching `sk` sorts after it). Table queries of the store only.
fn first_page_key(q: &Value) -> Option<Value> {
    if q.get("IndexName").is_some() {
        return None;
    }
    let values = q.get("ExpressionAttributeValues")?;
    Some(json!({"pk": values.get(":pk")?, "sk": values.get(":p")?}))
}

impl Intercept for DdbFaults {
    fn name(&self) -> &'static str {
        "odt-faults-dynamodb"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = ctx.request().headers().get("x-amz-target").map(str::to_string).unwrap_or_default();
        let op = target.rsplit('.').next().unwrap_or_default().to_string();
        let body = body_json(ctx);
        let mut injected = Injected::None;
        let mut conflict_body = None;
        let before = {
            let mut s = self.0.lock().unwrap();
            let sk = body.as_ref().and_then(|b| b["Item"]["sk"]["S"].as_str());
            let hit = op == "PutItem" && s.hold_before.as_ref().zip(sk).is_some_and(|((want, _), sk)| want == sk);
            if hit {
                s.hold_before.take().map(|(_, h)| h)
            } else {
                None
            }
        };
        if let Some(hold) = before {
            // The function has read what it is about to write; it stops here until the test releases it.
            hold.wait();
        }
        {
            let mut s = self.0.lock().unwrap();
            let item = body.as_ref().map(|b| (&b["Item"]["sk"]["S"], &b["Item"]["published"]["N"]));
            if op == "PutItem"
                && s.hold.as_ref().zip(item).is_some_and(|((sk, at, _), (k, p))| k == sk.as_str() && p == at.as_str())
            {
                let (_, _, hold) = s.hold.take().expect("armed");
                cfg.interceptor_state().store_put(hold);
            }
            let refused = op == "PutItem"
                && s.refuse_puts
                    .as_deref()
                    .is_some_and(|want| body.as_ref().is_some_and(|b| b["Item"]["sk"]["S"] == want));
            if refused {
                injected = Injected::Refuse;
                s.refused_puts += 1;
            }
            let device_put = op == "PutItem"
                && body
                    .as_ref()
                    .is_some_and(|b| b["Item"]["sk"]["S"].as_str().is_some_and(|k| k.starts_with("DEVICE#")));
            if let (Some(mix), false) = (s.mix, refused) {
                let roll = s.rng.f64();
                if op == "Query" && roll < mix.empty_page {
                    let q = body.clone().unwrap_or(Value::Null);
                    let key = q.get("ExclusiveStartKey").cloned().or_else(|| first_page_key(&q));
                    if let Some(k) = key {
                        injected = Injected::EmptyPage(k);
                        s.counts.empty_pages += 1;
                    }
                }
                if matches!(injected, Injected::None) && s.rng.f64() < mix.throttle {
                    injected = Injected::Throttle;
                    s.counts.throttled += 1;
                }
                if matches!(injected, Injected::None)
                    && device_put
                    && body.as_ref().is_some_and(|b| b["ConditionExpression"] == "version = :v")
                    && s.rng.f64() < mix.conflict
                {
                    let mut b = body.clone().unwrap_or(Value::Null);
                    // Another writer moved the record on: the expected version is no longer there.
                    b["ExpressionAttributeValues"][":v"] = json!({"N": "-1"});
                    conflict_body = Some(b);
                    s.counts.conflicts += 1;
                }
            }
            if device_put && matches!(injected, Injected::None) {
                s.counts.device_puts += 1;
                if let Some((at, n)) = &s.wake_at_puts {
                    if s.counts.device_puts >= *at {
                        n.notify_one();
                    }
                }
            }
        }
        if let Some(b) = conflict_body {
            let bytes = serde_json::to_vec(&b)?;
            let len = bytes.len().to_string();
            *ctx.request_mut().body_mut() = SdkBody::from(bytes);
            ctx.request_mut().headers_mut().insert("content-length", len);
        }
        if !matches!(injected, Injected::None) {
            // DynamoDB Local refuses an unknown operation without touching the table; the answer is replaced.
            ctx.request_mut().headers_mut().insert("x-amz-target", "DynamoDB_20120810.OdtFaultInjected");
        }
        cfg.interceptor_state().store_put(injected);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        ctx: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(hold) = cfg.load::<Hold>() {
            // The write reached the table; its function stops here until the test releases it.
            hold.wait();
        }
        let (status, body) = match cfg.load::<Injected>() {
            Some(Injected::Throttle) => (
                400u16,
                json!({"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                       "message": "The level of configured provisioned throughput for the table was exceeded (injected)"}),
            ),
            Some(Injected::Refuse) => (
                400u16,
                json!({"__type": "com.amazon.coral.validate#ValidationException",
                       "message": "The item was refused (injected poison record)"}),
            ),
            Some(Injected::EmptyPage(key)) => {
                (200, json!({"Count": 0, "ScannedCount": 0, "Items": [], "LastEvaluatedKey": key}))
            }
            _ => return Ok(()),
        };
        let resp = ctx.response_mut();
        *resp.status_mut() = status.try_into()?;
        *resp.body_mut() = SdkBody::from(serde_json::to_vec(&body)?);
        resp.headers_mut().insert("content-type", "application/x-amz-json-1.0");
        resp.headers_mut().remove("content-length");
        resp.headers_mut().remove("x-amz-crc32");
        Ok(())
    }
}

/// Secrets Manager made unavailable for a number of attempts (each SDK attempt counts, retries included).
#[derive(Clone, Debug, Default)]
pub struct SecretsOutage(Arc<Mutex<(usize, usize)>>);

impl SecretsOutage {
    /// The interceptor to put in `StackConfig::secrets_interceptors`.
    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// The next `n` attempts fail (connection refused).
    pub fn fail_next(&self, n: usize) {
        self.0.lock().unwrap().0 = n;
    }

    /// Ends the outage now.
    pub fn end(&self) {
        self.0.lock().unwrap().0 = 0;
    }

    /// Attempts refused so far.
    pub fn refused(&self) -> usize {
        self.0.lock().unwrap().1
    }
}

impl Intercept for SecretsOutage {
    fn name(&self) -> &'static str {
        "odt-faults-secrets"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut s = self.0.lock().unwrap();
        if s.0 > 0 {
            s.0 -= 1;
            s.1 += 1;
            // Port 9 (discard) is closed on loopback: the connection is refused, as an unreachable endpoint.
            ctx.request_mut().set_uri("http://127.0.0.1:9/")?;
        }
        Ok(())
    }
}
