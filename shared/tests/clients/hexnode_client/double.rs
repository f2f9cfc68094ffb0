//! The Hexnode double's own answers and group writes, as the client relies on them.

use super::{serve, KEY, PORTAL};
use odt_doubles::hexnode::{HexnodeDeviceSeed, HexnodeDouble};
use serde_json::{json, Value};
use std::future::Future;

/// Sends `method <base><path>` with the right key and `body` as JSON; the answer's status and JSON body (`null` when
/// it has none).
fn raw_call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> impl Future<Output = (u16, Value)> {
    let mut req = http.request(method, format!("{base}{path}")).header("authorization", KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    async move {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }
}

/// The double's answers and group writes, as the next step (group sync) will use them.
#[tokio::test]
async fn hexnode_double_pages_and_group_writes() {
    let double = HexnodeDouble::new(PORTAL, KEY);
    double.add_user(1, "Ann Lee", "ann@example.com");
    for d in 1..=5 {
        double.add_device(
            HexnodeDeviceSeed::new(d, &format!("d{d}"), "Android", Some(1)).with_android_enrollment("work_profile"),
        );
    }
    let served = serve(&double).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}/api/v1", served.addr);
    let call = |method, path: &str, body| raw_call(&http, &base, method, path, body);

    let (status, page) = call(reqwest::Method::GET, "/devices/?ordering=id&page=2&per_page=2", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["count"], 5);
    assert_eq!(page["next"], format!("https://{PORTAL}/api/v1/devices/?ordering=id&page=3&per_page=2"));
    assert_eq!(page["previous"], format!("https://{PORTAL}/api/v1/devices/?ordering=id&per_page=2"));
    let d = &page["results"][0];
    assert_eq!(d["id"], 3);
    assert_eq!(d["user"], json!({"id": 1, "name": "Ann Lee"}));
    assert_eq!(d["android_enrollment_type"], "work_profile");
    for field in ["device_name", "model_name", "os_name", "os_version", "serial_number", "udid", "imei"] {
        assert!(d[field].is_string(), "{field}");
    }
    assert_eq!(call(reqwest::Method::GET, "/devices/?page=9", None).await.0, 404, "Invalid page.");
    let (_, users) = call(reqwest::Method::GET, "/users/", None).await;
    assert_eq!(users["results"][0]["total_devices"], 5);
    assert_eq!(call(reqwest::Method::GET, "/devices/3/", None).await.1["device_name"], "d3");

    let (status, g) =
        call(reqwest::Method::POST, "/devicegroups/", Some(json!({"groupname": "ODT iOS", "description": "x"}))).await;
    assert_eq!(status, 201);
    assert_eq!((g["groupname"].as_str(), g["device_count"].as_u64()), (Some("ODT iOS"), Some(0)));
    let gid = g["id"].as_u64().unwrap();
    let dup = call(reqwest::Method::POST, "/devicegroups/", Some(json!({"groupname": "odt ios"}))).await;
    assert_eq!(dup.0, 400);
    assert_eq!(call(reqwest::Method::POST, "/devicegroups/", Some(json!({}))).await.0, 400);

    let path = format!("/devicegroups/{gid}/");
    let (status, g) = call(reqwest::Method::POST, &path, Some(json!({"add_devices": [1, "2", 3]}))).await;
    assert_eq!(status, 200);
    assert_eq!(g["device_count"], 3);
    assert_eq!(
        g["devices"][0],
        json!({"id": 1, "name": "d1", "user_id": 1, "user_name": "Ann Lee", "model_name": "Pixel 8", "platform": "Android"})
    );
    let (status, _) =
        call(reqwest::Method::POST, &path, Some(json!({"add_devices": [4], "remove_devices": [1, 77]}))).await;
    assert_eq!(status, 400, "unknown device ids refuse the whole change");
    assert_eq!(double.group_members(gid), Some(vec![1, 2, 3]));
    let (status, _) =
        call(reqwest::Method::POST, &path, Some(json!({"add_devices": [4], "remove_devices": [1]}))).await;
    assert_eq!(status, 200);
    assert_eq!(double.group_members(gid), Some(vec![2, 3, 4]));
    assert_eq!(call(reqwest::Method::POST, "/devicegroups/999/", Some(json!({"add_devices": [1]}))).await.0, 404);

    let unauth =
        http.get(format!("{base}/devicegroups/")).header("authorization", format!("Token {KEY}")).send().await.unwrap();
    assert_eq!(unauth.status().as_u16(), 401);
    assert_eq!(unauth.json::<Value>().await.unwrap(), json!({"detail": "Invalid token."}));
    let raw = http
        .post(format!("{base}/devicegroups/"))
        .header("authorization", KEY)
        .body(r#"{"groupname": "not JSON by media type"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 415, "a body must come as application/json");
    let posts: Vec<_> =
        double.requests_to("/api/v1/devicegroups/").into_iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 8);
}
