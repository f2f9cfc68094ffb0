//! A poison record on the hook's stream (issue 18, part 5): one accepted delivery whose application fails every
//! time (its membership fact write is refused) among good ones. The good ones are applied; after its bounded
//! retries the stream consumer gives the poison up to its on-failure queue with Lambda's batch description
//! (shard and sequence numbers, not the record) and stops holding the shard (a later delivery is applied too);
//! once the fault is gone, `POST /event-hook/redrive` applies the kept inbox record, and every device record is
//! as Okta's final data says.

use super::common::*;
use serde_json::Value;

/// The sequence number of the delivered inbox record holding event `uuid`, from the stream events the hook
/// consumer was given.
fn sequence_of(t: &odt_tests::TestStack, uuid: &str) -> Option<u128> {
    t.stack.delivered_batches().iter().flat_map(|e| e["Records"].as_array().cloned().unwrap_or_default()).find_map(
        |r: Value| {
            let holds = r["dynamodb"]["NewImage"]["events"].to_string().contains(uuid);
            holds.then(|| r["dynamodb"]["SequenceNumber"].as_str().and_then(|s| s.parse().ok())).flatten()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_poison_inbox_record_goes_to_the_queue_and_is_redriven_once_fixed() {
    let ddb = super::inject::DdbFaults::new(seed());
    let (t, _clock) = stack(Some(&ddb), None).await;
    fleet(&t, 20).await;
    let (status, body) = sync(&t).await;
    assert_eq!(status, 200, "{body}");
    hook_ready(&t).await;
    let queue = t.stack.failure_queues.get("HookStreamFailures").expect("the hook consumer's on-failure queue").clone();
    let http = reqwest::Client::new();

    // Persons 4, 6 and 8 leave the group, person 5 is suspended; 4's membership fact cannot be written.
    let poisoned = okta_user(4);
    ddb.refuse_puts_of(Some(&format!("GMEMBER#{GROUP}#{poisoned}")));
    let changes = [
        ("good-6", "group.user_membership.remove", 6, Some(GROUP)),
        ("poison-4", "group.user_membership.remove", 4, Some(GROUP)),
        ("good-5", "user.lifecycle.suspend", 5, None),
    ];
    for (k, (uuid, kind, person, group)) in changes.iter().enumerate() {
        let user = okta_user(*person);
        match group {
            Some(g) => remove_member(&t, g, &user),
            None => set_status(&t, &user, "SUSPENDED"),
        }
        assert_eq!(deliver(&t, &envelope(&[event(uuid, kind, &published(k), &user, *group)])).await, 200);
    }
    let left = mismatches(&t).await;
    let poisoned_device = device_id(4).to_string();
    assert!(
        left.len() == 1 && left[0].starts_with(&format!("{poisoned_device}:")),
        "the good deliveries are applied, only the poisoned one is not: {left:#?}"
    );
    assert!(ddb.refused_puts() > 1, "the poison record was retried");

    // Lambda's description of the batch given up, on the on-failure queue
    let messages = odt_local::streams::sqs::receive_messages(&http, &queue, 2).await.expect("the queue answers");
    assert_eq!(messages.len(), 1, "one batch given up: {messages:#?}");
    let m = &messages[0];
    assert_eq!(m["requestContext"]["condition"], "RetryAttemptsExhausted", "{m}");
    assert!(m["requestContext"]["functionArn"]
        .as_str()
        .is_some_and(|a| a.ends_with(":function:FleetSyncHookFunction")));
    let info = &m["DDBStreamBatchInfo"];
    let hook_pump = t.stack.streams.iter().find(|s| s.function() == "FleetSyncHookFunction").expect("the hook pump");
    assert_eq!(info["streamArn"], hook_pump.stream_arn(), "{m}");
    let number = |k: &str| info[k].as_str().and_then(|s| s.parse::<u128>().ok()).expect("a sequence number");
    let poison = sequence_of(&t, "poison-4").expect("the poison record was delivered");
    assert!(number("startSequenceNumber") <= poison && poison <= number("endSequenceNumber"), "{m}");
    assert!(!m.to_string().contains("poison-4"), "the description, not the record: {m}");

    // the shard moved on: a later delivery is applied while the poison is still refused
    let user = okta_user(8);
    remove_member(&t, GROUP, &user);
    let later = envelope(&[event("good-8", "group.user_membership.remove", &published(3), &user, Some(GROUP))]);
    assert_eq!(deliver(&t, &later).await, 200);
    let left = mismatches(&t).await;
    assert!(left.len() == 1 && left[0].starts_with(&format!("{poisoned_device}:")), "{left:#?}");

    // fixed: the redrive applies the kept inbox record, and only what was not applied
    ddb.refuse_puts_of(None);
    let a = t.call("POST", "/event-hook/redrive", Some(&t.admin()), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["applied"], 1, "{}", a.text);
    assert_eq!(a.body["records"], 4, "{}", a.text);
    assert_eq!(a.body["duplicates"], 3, "{}", a.text);
    assert_eq!(a.body["failed"], serde_json::json!([]), "{}", a.text);
    let left = mismatches(&t).await;
    assert!(left.is_empty(), "after the redrive every record is as Okta says: {left:#?}");

    // a technician may not redrive
    let a = t.call("POST", "/event-hook/redrive", Some(&t.technician()), None).await;
    assert_eq!(a.status, 403, "{}", a.text);
}
