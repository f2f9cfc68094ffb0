//! Apps: `GET applications/` (paged) and `POST applications/` (an enterprise app for Windows or macOS).

use crate::hexnode::edge::{field_error, next_id, text_field, unsupported, Call};
use crate::hexnode::json::app_json;
use crate::hexnode::paging::paged;
use crate::hexnode::HexnodeApp;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

/// `GET applications/`: every app in id order.
pub(super) async fn list(call: Call) -> Response {
    call.answer(|s| {
        let items: Vec<Value> = s.apps.values().map(app_json).collect();
        Ok(paged(s, &call.uri, items))
    })
    .await
}

/// `POST applications/`: 201 with the new enterprise app (the next id), or the field error of the body.
pub(super) async fn create(call: Call, body: Bytes) -> Response {
    call.answer(|s| {
        if let Some(refused) = unsupported(s, "enterprise_app_upload", call.method(), "source_url") {
            return Err(refused);
        }
        let o = call.json_object(&body)?;
        let id = next_id(&s.apps);
        let app = app_from_body(id, &o)?;
        let answer = app_json(&app);
        s.apps.insert(id, app);
        call.applied(s);
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    })
    .await
}

/// Reads an enterprise app body (`{"name", "platform": "windows"|"macos", "app_type": "enterprise", "source_url":
/// "https://…", "category", "description", "success_criteria", "uninstall_parameters"}`) into app `id`, or the
/// 400 to answer.
fn app_from_body(id: u64, o: &Map<String, Value>) -> Result<HexnodeApp, Box<Response>> {
    let name = text_field(o, "name").ok_or_else(|| field_error("name", "This field is required."))?;
    let platform = text_field(o, "platform").unwrap_or_default();
    if !matches!(platform.as_str(), "windows" | "macos") {
        return Err(field_error("platform", &format!("\"{platform}\" is not a valid choice for an enterprise app.")));
    }
    if text_field(o, "app_type").as_deref() != Some("enterprise") {
        return Err(field_error("app_type", "Only enterprise apps can be added through the API."));
    }
    let source_url = text_field(o, "source_url")
        .filter(|u| u.starts_with("https://"))
        .ok_or_else(|| field_error("source_url", "Enter a valid https URL."))?;
    let text = |key: &str| o.get(key).and_then(Value::as_str).map(str::to_string);
    Ok(HexnodeApp {
        id,
        name,
        platform,
        app_type: "enterprise".to_string(),
        bundle_id: None,
        version: None,
        category: text("category"),
        description: text("description"),
        success_criteria: text("success_criteria"),
        uninstall_parameters: text("uninstall_parameters"),
        source_url: Some(source_url),
    })
}
